"""Files that hold every employee's pay are readable by their owner only, whatever the umask.

The database and its write-ahead log, backups, reports, logs and checkpoints are created by the
product, by DuckDB and by dbt while a command runs. Rather than chmod each after the fact (a
window in which the file is readable by others), the command runs with a umask that adds 077 to
the user's own: every file created is at most 0600 and every directory at most 0700. Existing
files keep the permissions their owner gave them.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

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
