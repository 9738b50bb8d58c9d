"""One run per database: an exclusive lock file beside the DuckDB file.

`<db>.lock` holds JSON {pid, started_at, host, run_id} of the holder. Exclusivity comes from an
OS advisory lock (flock) on that file, which the kernel drops the moment the holder dies, even
on `kill -9`; so a lock file left behind by a dead process is recognised and taken over without
guessing from pids or ages. The JSON is what a refused run reports about the holder.

The name may already be taken by something that is not the product's: a file holding anything but
a lock record, a directory, a symlink or a FIFO is refused and left untouched, never truncated or
deleted. The file is removed at release only while it is still the one this process locked.
Read-only commands (`runs`, `checkpoint`, `dq`) ask `running_holder` first, so they can name the
run that holds the database instead of failing on DuckDB's own file lock.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import stat
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from navigator_orchestrator.errors import SafetyError


class LockHeld(SafetyError):
    """Another live process is running against this database."""


class LockFileForeign(SafetyError):
    """The lock file's name is taken by something the product did not write."""


# How long a run retries a held lock before refusing: a read-only command probing the lock
# (running_holder) holds it for microseconds.
_RETRY_SECONDS = 0.25
_MAX_RECORD_BYTES = 64 * 1024
_FIELDS = {"pid", "started_at", "host", "run_id"}


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


def _parse(content: bytes) -> LockInfo | None:
    try:
        data = json.loads(content or b"null")
    except ValueError:
        return None
    if not isinstance(data, dict) or not _FIELDS <= set(data):
        return None
    try:
        return LockInfo(**{k: data[k] for k in _FIELDS})
    except TypeError:
        return None


def _open_regular(path: Path, flags: int) -> int:
    """Open a regular file without following a symlink or blocking on a FIFO; OSError otherwise."""
    fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o600)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise IsADirectoryError(0, "not a regular file")
    return fd


def read_lock(path: Path) -> LockInfo | None:
    """The holder recorded in a lock file, or None if absent, unreadable or not a lock record."""
    try:
        fd = _open_regular(Path(path), os.O_RDONLY)
    except OSError:
        return None
    try:
        return _parse(os.pread(fd, _MAX_RECORD_BYTES, 0))
    except OSError:
        return None
    finally:
        os.close(fd)


def running_holder(database: Path) -> tuple[bool, LockInfo | None]:
    """Is a live process holding this database's lock, and what does it say about itself?"""
    path = lock_path(database)
    try:
        fd = _open_regular(path, os.O_RDONLY)
    except OSError:
        return False, None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True, read_lock(path)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False, None
    finally:
        os.close(fd)


def refuse_while_running(database: Path, command: str) -> None:
    """LockHeld naming the run that holds the database, if one does; `command` is what to rerun."""
    held, holder = running_holder(database)
    if held:
        raise LockHeld(f"{_describe(holder, lock_path(database))}, so the database cannot be read now; "
                       f"wait for it to finish, then rerun `{command}`")


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


def _foreign(path: Path, why: str) -> LockFileForeign:
    return LockFileForeign(f"{path} is not a navigator lock file ({why}); it is left as it is: move it "
                           "away (navigator keeps the database's lock under that name), then rerun")


def _acquire(path: Path, info: LockInfo) -> tuple[int, LockInfo | None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + _RETRY_SECONDS
    while True:
        try:
            fd = _open_regular(path, os.O_RDWR | os.O_CREAT)
        except OSError as exc:
            if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOENT, errno.ENOSPC, errno.EDQUOT):
                # Nothing is there to move away: the directory cannot hold the lock (read-only,
                # not writable, gone, full). The caller's one line names the file and the fix.
                raise OSError(exc.errno, exc.strerror, str(path)) from None
            raise _foreign(path, exc.strerror or type(exc).__name__) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if time.monotonic() < deadline:
                time.sleep(0.02)
                continue
            raise LockHeld(
                f"{_describe(read_lock(path), path)}; wait for it to finish "
                "(two runs must never share a database)"
            ) from None
        # The previous holder may have unlinked the file between our open and our flock:
        # then we locked an orphan inode and must start over on the current file.
        try:
            current = os.stat(path, follow_symlinks=False)
        except FileNotFoundError:
            os.close(fd)
            continue
        if current.st_ino != os.fstat(fd).st_ino:
            os.close(fd)
            continue
        break
    content = os.pread(fd, _MAX_RECORD_BYTES + 1, 0)
    previous = _parse(content)
    if previous is None and content.strip():
        os.close(fd)  # drops our flock; the file is untouched
        raise _foreign(path, "it holds other data")
    # Whatever the file held came from a process that no longer holds the flock: stale.
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(asdict(info)).encode(), 0)
    os.fsync(fd)
    return fd, previous


def _release(path: Path, fd: int) -> None:
    try:
        # Only the file this process locked; a file put there since is someone else's.
        if os.stat(path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino:
            os.unlink(path)
    except FileNotFoundError:
        pass
    finally:
        os.close(fd)

