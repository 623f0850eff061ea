"""One run at a time per harvest directory.

The lock is an ``flock`` on ``<harvest>/kronika.lock``: the kernel drops it when its
process ends, however it ends, so a lock left by a killed run is simply free again (it
is "taken over" with no guessing from PIDs). The file also records who holds it, for
the message the second run prints; it is readable by its owner only (the command line
it records may name servers, and other users of the machine have no business there).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

LOCK_NAME = "kronika.lock"


class HarvestLocked(RuntimeError):
    """Another run holds this harvest directory."""


class HarvestLock:
    """Hold ``<harvest>/kronika.lock`` for the lifetime of a run."""

    def __init__(self, harvest_dir: Path, worker: str | None = None):
        # A worker of a shared crawl (--frontier) locks only its own part of the
        # directory: workers on one machine may share it, two runs of one worker may not.
        name = LOCK_NAME if worker is None else f"kronika-{worker}.lock"
        self.path = Path(harvest_dir) / name
        self._fh: TextIO | None = None

    def acquire(self, command: str) -> HarvestLock:
        from archive.stores import redact_command

        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        with contextlib.suppress(PermissionError):  # another user's file: theirs to mend
            os.fchmod(fd, 0o600)  # a lock file of an older release was world-readable
        fh = os.fdopen(fd, "r+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise HarvestLocked(f"{self.path.parent} is being harvested by {holder}") from None
        fh.seek(0)
        fh.truncate()
        started = datetime.now(UTC).isoformat(timespec="seconds")
        fh.write(f"pid {os.getpid()} on {socket.gethostname()} since {started}: "
                 f"{redact_command(command)}\n")
        fh.flush()
        self._fh = fh
        return self

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()
