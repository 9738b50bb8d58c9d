"""One run per database: an exclusive lock file beside the DuckDB file.

`<db>.lock` holds JSON {pid, started_at, host, run_id} of the holder. Exclusivity comes from an
OS advisory lock (flock) on that file, which the kernel drops the moment the holder dies, even
on `kill -9`; so a lock file left behind by a dead process is recognised and taken over without
guessing from pids or ages. The JSON is what a refused run reports about the holder.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from navigator_orchestrator.errors import SafetyError


class LockHeld(SafetyError):
    """Another live process is running against this database."""


@dataclass(frozen=True)
class LockInfo:
    pid: int
    started_at: str
    host: str
    run_id: str


@dataclass(frozen=True)
class Lock:
    holder: LockInfo
    # The holder recorded in a lock file left behind by a process that died without releasing.
    took_over: LockInfo | None = None


def lock_path(database: Path) -> Path:
    return Path(str(Path(database).resolve()) + ".lock")


def read_lock(path: Path) -> LockInfo | None:
    """The holder recorded in a lock file, or None if absent or unreadable."""
    try:
        data = json.loads(Path(path).read_text() or "null")
        return LockInfo(**data) if isinstance(data, dict) else None
    except (OSError, ValueError, TypeError):
        return None


def _describe(holder: LockInfo | None, path: Path) -> str:
    if holder is None:
        return f"another process holds {path}"
    return (f"run {holder.run_id} (pid {holder.pid} on {holder.host}, started {holder.started_at}) "
            f"holds {path}")


@contextmanager
def database_lock(database: Path, run_id: str) -> Iterator[Lock]:
    """Hold the database's lock for the body; refuse at once if a live process holds it."""
    path = lock_path(database)
    info = LockInfo(
        pid=os.getpid(),
        started_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        host=socket.gethostname(),
        run_id=run_id,
    )
    fd, previous = _acquire(path, info)
    try:
        yield Lock(info, previous)
    finally:
        _release(path, fd)


def _acquire(path: Path, info: LockInfo) -> tuple[int, LockInfo | None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise LockHeld(
                f"{_describe(read_lock(path), path)}; wait for it to finish "
                "(two runs must never share a database)"
            ) from None
        # The previous holder may have unlinked the file between our open and our flock:
        # then we locked an orphan inode and must start over on the current file.
        try:
            current = os.stat(path)
        except FileNotFoundError:
            os.close(fd)
            continue
        if current.st_ino != os.fstat(fd).st_ino:
            os.close(fd)
            continue
        break
    # Whatever the file held came from a process that no longer holds the flock: stale.
    previous = read_lock(path)
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(asdict(info)).encode(), 0)
    os.fsync(fd)
    return fd, previous


def _release(path: Path, fd: int) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    finally:
        os.close(fd)

