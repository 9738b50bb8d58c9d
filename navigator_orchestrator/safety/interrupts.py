"""Ctrl-C (SIGINT) and SIGTERM: stop the work at once, finish the clean-up, say where things stand.

While a command runs, the first SIGINT or SIGTERM raises `Interrupted` in the main thread (DuckDB
and dbt stop their current query on it). Whatever exception the work then ends with (DuckDB's
"query interrupted", dbt's failed invocation), the signal received is what the run reports:
the run log says `interrupted` and one line names the years the database holds and the command
to continue. Later signals are noted and ignored, so the short clean-up (closing the publish
transaction, writing the work tables back, closing the run-log row) is never cut in half; a
`kill -9` is still safe at any moment (every year is published in one transaction).
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

SIGNALS = (signal.SIGINT, signal.SIGTERM)

_received: int | None = None


class Interrupted(KeyboardInterrupt):
    """The command was stopped by SIGINT or SIGTERM.

    `years` are the years the database holds for the run's scenario once the run has cleaned
    up (None when unknown), `database` its path.
    """

    def __init__(self, signum: int, years: list[int] | None = None, database: Path | None = None):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.years = years
        self.database = database

    @property
    def exit_code(self) -> int:
        """128 + the signal number, as shells report a process stopped by a signal."""
        return 128 + self.signum


def received() -> int | None:
    """The signal that interrupted the current command, if one did."""
    return _received


def _handler(signum: int, frame: object) -> None:
    global _received
    if _received is None:
        _received = signum
        raise Interrupted(signum)


@contextmanager
def handled() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into `Interrupted` (once) for the block; nested blocks share it.

    Only the main thread can install signal handlers; elsewhere the block runs unchanged.
    """
    global _received
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is _handler:
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in SIGNALS}
    _received = None
    for sig in SIGNALS:
        signal.signal(sig, _handler)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
