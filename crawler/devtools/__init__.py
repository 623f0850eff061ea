"""Developer tooling: fixture folders, capture, the fixture mirror server, scaffolding and generated docs."""
