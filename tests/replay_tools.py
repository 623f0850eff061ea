"""The replay tools archivists use, for the tests: pywb and headless Chromium.

* ``Pywb``: pywb 2.10 in its own virtualenv (it pins an old redis; shared/research/env.md),
  a collection of a harvest's WARC files, served on a free 127.0.0.1 port and stopped by
  its PID. The README's install command and .ci/run create ``.venv-pywb``;
  KRONIKA_PYWB_VENV overrides.
* ``browser()``: Debian's chromium and the npm package playwright-core that drives it
  (with replaywebpage, unpacked from the tarballs `npm pack` put in NPM_CACHE: .ci/run
  fetches them, a test reaches no network beyond 127.0.0.1). Unavailable, with the
  command to run, when something is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import urllib.request
from pathlib import Path

from tests.harness import wait_until
from tests.services import free_port, unavailable

PYWB_VENV = Path(os.environ.get("KRONIKA_PYWB_VENV", Path(__file__).parents[1] / ".venv-pywb"))
RWP_VERSION, PLAYWRIGHT_VERSION = "2.5.3", "1.65.2"
# Where the two npm packages are unpacked (fetched with `npm pack`: `npm install
# replaywebpage` cannot resolve its dependencies from the registry here, research/env.md;
# the tarball holds the prebuilt ui.js and sw.js, which is all a page needs, and
# playwright-core has no dependencies).
NPM_CACHE = Path(os.environ.get("KRONIKA_NPM_CACHE",
                                Path.home() / ".cache" / "kronika" / "npm"))
# Headless, as root, and with nothing that calls Google's hosts (research/env.md).
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--font-render-hinting=none"]


def answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2).close()
        return True
    except OSError:
        return False


class Pywb:
    """A pywb collection "kronika" under ``root``; ``start(warcs)`` adds the files and
    serves them, returning the collection's URL; ``stop()`` ends every server."""

    def __init__(self, root: Path):
        self.wb_manager, self.wayback = PYWB_VENV / "bin" / "wb-manager", PYWB_VENV / "bin" / "wayback"
        assert self.wayback.exists(), (f"pywb is not installed in {PYWB_VENV}: run the "
                                       "README's install command (it creates .venv-pywb)")
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(self.wb_manager), "init", "kronika"], cwd=root, check=True,
                       capture_output=True)
        self.port = free_port()
        self.servers: list[subprocess.Popen] = []

    def start(self, warcs) -> str:
        subprocess.run([str(self.wb_manager), "add", "kronika", *map(str, warcs)],
                       cwd=self.root, check=True, capture_output=True)
        server = subprocess.Popen([str(self.wayback), "-b", "127.0.0.1", "-p", str(self.port)],
                                  cwd=self.root, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        self.servers.append(server)
        wait_until(lambda: answers(f"http://127.0.0.1:{self.port}/kronika/cdx?url=x"), 60,
                   "pywb to answer", running=[server], interval=0.2)
        return f"http://127.0.0.1:{self.port}/kronika"

    def stop(self) -> None:
        for server in self.servers:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def npm_packages() -> tuple[Path, Path]:
    """The unpacked replaywebpage and playwright-core packages (see the module)."""
    unpacked = {}
    for name, version in (("replaywebpage", RWP_VERSION), ("playwright-core",
                                                           PLAYWRIGHT_VERSION)):
        target = NPM_CACHE / f"{name}-{version}"
        if not (target / "package" / "package.json").exists():
            tarball = NPM_CACHE / f"{name}-{version}.tgz"
            if not tarball.exists():
                unavailable(f"{tarball} is missing: npm pack {name}@{version} "
                            f"--pack-destination {NPM_CACHE}")
            with tarfile.open(tarball) as tar:
                tar.extractall(target, filter="data")
        unpacked[name] = target / "package"
    return unpacked["replaywebpage"], unpacked["playwright-core"]


def browser() -> tuple[str, Path, Path]:
    """(chromium's path, replaywebpage's and playwright-core's package folders)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        unavailable("chromium is not installed (apt-get install chromium)")
    if not shutil.which("node"):
        unavailable("node is not installed")
    replaywebpage, playwright = npm_packages()
    return chromium, replaywebpage, playwright
