"""The CLI's one guard: every failure of a command becomes one line `Error: ...` and exit 1.

Expected failures (bad config or census, a refused run, a full or read-only disk, a database
error) print their own message with the fix. Anything else is a defect: the user still gets one
line, naming where the traceback was kept (the run's JSON log when the run had one, otherwise
`logs/error_<time>_<pid>.log`, or the temporary directory when the working directory cannot be
written); `-v` also prints it. SIGINT and SIGTERM end a command with one line of their own:
`Interrupted (SIG…)`, the years the database holds and how to continue, exit 128 + the signal.
"""

from __future__ import annotations

import argparse
import errno
import functools
import os
import signal
import sys
import tempfile
import traceback
from contextlib import suppress
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import duckdb

from navigator_orchestrator.census.intake import CensusError, CensusFileError
from navigator_orchestrator.config.schema import DEFAULT_DATABASE, ConfigError, load_config
from navigator_orchestrator.engine.dbt_runner import DbtError
from navigator_orchestrator.engine.publish import PublishRefused
from navigator_orchestrator.engine.simulation import SimulationError
from navigator_orchestrator.errors import SafetyError
from navigator_orchestrator.quality.tripwires import TripwireError
from navigator_orchestrator.safety import interrupts

EXIT_ERROR = 1

ERROR_LOG_DIR = Path("logs")


def fail(message: str) -> int:
    """Print `Error: message` (its first line) on stderr; the exit status of a failure."""
    first = (message.strip().splitlines() or [""])[0]
    print(f"Error: {first}", file=sys.stderr)
    return EXIT_ERROR


def os_error_line(exc: OSError) -> str:
    """One line for an operating-system error: what failed, on which file, and the fix."""
    if exc.errno is None:  # raised by the product with its own message
        return str(exc)
    target = exc.filename or ""
    reason = exc.strerror or str(exc) or type(exc).__name__
    where = f" {target}" if target else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        fix = "free disk space (or set a smaller scope) and run again"
    elif exc.errno == errno.EROFS:
        fix = "the file system is read-only: run from a writable directory, or pass --database on a writable disk"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        fix = "check the permissions of that file and its directory, or run from a writable directory"
    elif exc.errno == errno.EISDIR:
        fix = "that path is a directory: name a file"
    elif exc.errno == errno.EEXIST:
        fix = "a file is where a directory is needed: move it away"
    elif exc.errno == errno.ENOTDIR:
        fix = "a part of that path is a file where a directory is needed: move it away"
    elif exc.errno == errno.ENOENT:
        fix = "check the path"
    else:
        fix = "check the file and the disk"
    return f"cannot use{where}: {reason}; {fix}"


def _database_line(exc: duckdb.Error) -> str:
    first = (str(exc).splitlines() or [type(exc).__name__])[0]
    lowered = first.lower()
    if "read-only file system" in lowered or "permission denied" in lowered:
        return f"database: {first}; the database file and its directory must be writable (or pass --database)"
    if "no space left" in lowered or "disk is full" in lowered:
        return f"database: {first}; free disk space and run again"
    if isinstance(exc, duckdb.BinderException) and "column" in lowered:
        # A published table without a column this version reads: the file was written before the
        # column existed (or by hand).
        return (f"database: {first}; its tables lack a column this version of navigator reads, so it was "
                "probably written by an earlier version: run the simulation again into a new --database "
                "(or with setup.clear_mode: all)")
    return f"database: {first}"


def _stale_database_line(exc: duckdb.Error, args: argparse.Namespace) -> str | None:
    """A column a command read is missing: when the database's published tables lack columns
    this version publishes, the line `navigator run` refuses it with (engine.contract)."""
    if not (isinstance(exc, duckdb.BinderException) and "column" in str(exc).lower()):
        return None
    from navigator_orchestrator.engine.contract import stale_database_line

    database = Path(getattr(args, "database", None) or DEFAULT_DATABASE).resolve()
    try:
        backup = load_config(getattr(args, "config", None)).setup.backup.enabled
    except (ConfigError, OSError, ValueError):
        backup = True  # the default of setup.backup.enabled
    try:
        return stale_database_line(database, backup)
    except (duckdb.Error, DbtError, OSError):
        return None  # the database's own error line says enough


def _keep_traceback(text: str) -> Path | None:
    """Write a traceback where the user can find it; None if no place can be written."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    name = f"error_{stamp}_{os.getpid()}.log"
    for directory in (ERROR_LOG_DIR, Path(tempfile.gettempdir()) / "navigator"):
        try:
            directory.mkdir(parents=True, exist_ok=True)
            path = directory / name
            path.write_text(text)
            return path.resolve()
        except OSError:
            continue
    return None


def _unexpected(exc: Exception, args: argparse.Namespace) -> int:
    text = "".join(traceback.format_exception(exc))
    if getattr(args, "verbose", False):
        print(text, file=sys.stderr, end="")
    run_log = getattr(args, "run_log", None)  # the JsonlLog of `run`, once it has a file
    kept = run_log.path if run_log is not None and run_log.traceback_logged else _keep_traceback(text)
    where = f"the traceback is in {kept}" if kept else "rerun with -v for the traceback"
    detail = (str(exc).splitlines() or [""])[0][:300]
    return fail(f"unexpected {type(exc).__name__}{': ' + detail if detail else ''} ({where})")


def _failure(exc: BaseException, args: argparse.Namespace) -> int:
    try:
        raise exc
    except CensusFileError as exc:  # nothing to list: the one line says what and how to fix
        return fail(str(exc))
    except CensusError as exc:  # the one line counts the problems; `census validate` lists them
        return fail(f"census refused: {exc.describe(getattr(args, 'config', None))}")
    except TripwireError as exc:  # each failed check's line (numbers and fix) was printed as it ran
        return fail(str(exc))
    except (ConfigError, SimulationError, SafetyError, DbtError, PublishRefused, ValueError) as exc:
        return fail(str(exc))
    except BrokenPipeError:
        # The reader of the output went away (`navigator runs | head -1`): nothing more can be
        # printed, so no message; later writes to stdout go nowhere instead of failing again.
        # Exit 1 without a word, as the Rich tables of compare and ndt do (Rich's own handling).
        with suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    except OSError as exc:
        return fail(os_error_line(exc))
    except duckdb.Error as exc:
        return fail(_stale_database_line(exc, args) or _database_line(exc))
    except Exception as exc:  # a defect: one line for the user, the traceback kept
        return _unexpected(exc, args)


def _years_text(years: list[int]) -> str:
    if not years:
        return "no simulated year"
    if years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}-{years[-1]}" if len(years) > 1 else f"{years[0]}"
    return ", ".join(map(str, years))


def interrupted(exc: "interrupts.Interrupted", args: argparse.Namespace) -> int:
    """One line: interrupted, which years the database holds, how to continue; exit 128 + signal."""
    name = signal.Signals(exc.signum).name
    if args.command != "run":
        print(f"Interrupted ({name}): `navigator {args.command}` stopped before it finished; rerun it",
              file=sys.stderr)
        return exc.exit_code
    db = Path(exc.database or args.database or DEFAULT_DATABASE).resolve()
    years = exc.years
    scenario = "default"
    try:
        scenario = load_config(args.config).effective_scenario_id
        if years is None and db.exists():
            from navigator_orchestrator.engine.database import published_years
            from navigator_orchestrator.sql import connect_duckdb

            with connect_duckdb(db, read_only=True) as conn:
                years = published_years(conn, scenario)
    except (ConfigError, duckdb.Error, OSError, ValueError):
        pass
    config = f" -c {args.config}" if args.config else ""
    if years == []:  # no year finished by every design: --resume would refuse; start again
        print(f"Interrupted ({name}): {db} holds no year of scenario {scenario} that every plan design "
              f"finished; start again with `navigator run{config} --database {db}`", file=sys.stderr)
        return exc.exit_code
    held = (f"{db} holds {_years_text(years)} of scenario {scenario}" if years is not None
            else f"`navigator checkpoint --database {db}` shows the years {db.name} holds")
    print(f"Interrupted ({name}): {held}; continue with `navigator run{config} --database {db} --resume`",
          file=sys.stderr)
    return exc.exit_code


def guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn every failure of `command` into a one-line error and a non-zero exit.

    After SIGINT or SIGTERM, whatever the command ended with (DuckDB's "query interrupted", a
    failed dbt invocation), the signal is the cause: one `Interrupted (SIG…)` line instead.
    """

    @functools.wraps(command)
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except interrupts.Interrupted as exc:
            return interrupted(exc, args)
        except KeyboardInterrupt:
            return interrupted(interrupts.Interrupted(interrupts.received() or signal.SIGINT), args)
        except BaseException as exc:
            if interrupts.received() is not None and not isinstance(exc, SystemExit):
                return interrupted(interrupts.Interrupted(interrupts.received()), args)
            if not isinstance(exc, Exception):
                raise
            return _failure(exc, args)

    return wrapper
