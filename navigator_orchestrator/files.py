"""Writing a file so that a reader sees the old content or the new, never part of either.

Every file the product writes whole (checkpoints, reports, the generated census, the parsed
manifest cache) goes through `atomic_path`: the content is written to a temporary file in the
target's directory, flushed to disk, and renamed over the target (a rename within one
directory is atomic on POSIX file systems). On any failure the temporary file is removed and
the target is left as it was.
"""

from __future__ import annotations

import errno
import os
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Iterator


def _sync(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


@contextmanager
def atomic_path(target: Path, durable: bool = True, mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside `target` for the caller (or a library) to write; when the
    block ends without an error, move it over `target`.

    durable: fsync the content before the rename (a crash afterwards keeps the new content).
    mode: permission bits for the new file (e.g. 0o600), applied before it becomes visible.
    Raises whatever writing raised; `target` is then unchanged and no temporary file is left.
    An OSError names `target`, never the temporary file: with the fix in its message when
    something at that name cannot be replaced (a directory, an immutable or another user's
    file), otherwise with the system's errno and the file concerned (`target`, or a folder on
    its way that cannot be made), for the CLI's guard to add its fix (a full disk).
    """
    target = Path(target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        yield tmp
        if durable:
            _sync(tmp)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as exc:
        with suppress(OSError):
            tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _naming_target(exc, target, tmp) from exc
        raise


def _naming_target(exc: OSError, target: Path, tmp: Path) -> OSError:
    reason = exc.strerror or str(exc)
    if target.is_dir() or (target.exists() and not target.is_file()):
        kind = "a directory" if target.is_dir() else "something other than a file"
        return OSError(f"cannot write {target}: {kind} is at that name; move it away and run again")
    if exc.errno in (errno.EPERM, errno.EACCES) and exc.filename2 is not None:  # the rename over it
        return OSError(f"cannot write {target}: {reason}; that file cannot be replaced (read-only, immutable "
                       "or another user's): move it away and run again")
    internal = exc.filename is None or Path(exc.filename) == tmp
    return OSError(exc.errno, reason, str(target) if internal else exc.filename)


def write_atomically(target: Path, data: bytes | str, durable: bool = True, mode: int | None = None) -> Path:
    """Replace `target` with `data` (text is written as UTF-8) in one step; returns `target`.

    Raises OSError (target unchanged) when the directory cannot be written."""
    payload = data.encode() if isinstance(data, str) else data
    with atomic_path(target, durable=durable, mode=mode) as tmp:
        tmp.write_bytes(payload)
    return Path(target)
