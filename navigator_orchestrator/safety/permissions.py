"""Files that hold every employee's pay are readable by their owner only, whatever the umask.

The database and its write-ahead log, backups, reports, logs and checkpoints are created by the
product, by DuckDB and by dbt while a command runs. Rather than chmod each after the fact (a
window in which the file is readable by others), the command runs with a umask that adds 077 to
the user's own: every file created is at most 0600 and every directory at most 0700. Existing
files keep the permissions their owner gave them, and a database file without the owner-write
bit is not written at all (`refuse_read_only`).
"""

from __future__ import annotations

import os
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from navigator_orchestrator.errors import SafetyError

PRIVATE_MASK = 0o077


@contextmanager
def private_files() -> Iterator[None]:
    """Create files owner-only (0600, directories 0700) inside the block; the umask is restored after.

    The umask is process-wide: files created meanwhile by other threads are owner-only too.
    """
    previous = os.umask(PRIVATE_MASK)
    os.umask(previous | PRIVATE_MASK)
    try:
        yield
    finally:
        os.umask(previous)


def refuse_read_only(database: Path | str, what: str) -> None:
    """Raise SafetyError when an existing database file has no owner-write permission bit.

    A file made read-only (chmod 0444, an archived database) is refused by every command that
    writes it, whoever runs it: root's right to write any file does not overrule the mode.
    `what` names the command (e.g. "navigator run") in the message. A missing file passes.
    """
    path = Path(database)
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if stat.S_ISREG(mode) and not mode & stat.S_IWUSR:
        raise SafetyError(
            f"{path} is read-only (mode {stat.S_IMODE(mode):04o}) and `{what}` writes it; if it should "
            f"change, make it writable (`chmod u+w {path}`), otherwise pass --database naming another file")
