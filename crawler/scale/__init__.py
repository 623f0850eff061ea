"""Scale-out: a crawl frontier shared by worker processes through Redis (the `scale` extra)."""
