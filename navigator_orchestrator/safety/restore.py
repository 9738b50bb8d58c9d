"""`navigator restore`: replace the database with a verified backup, atomically.

The source must be a whole simulation database: it is read row by row (a truncated or damaged
file fails here), it must hold the simulation's tables (an empty or unrelated DuckDB file is
refused), and a backup the product made must still match the checksums it recorded. The source
is copied beside the database and the copy verified again before anything changes.

The database being replaced is kept, without copying it (a hard link), as the newest backup, so a
restore can itself be undone. A database that cannot be read in full is not backed up or
repaired: it is moved aside as `<db stem>_damaged_<UTC stamp>.duckdb` (with its write-ahead log)
and never deleted by the product. Then the verified copy takes the database's name in one rename.
The caller holds the database lock.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from navigator_orchestrator.engine.database import remove_work_file, work_path
from navigator_orchestrator.safety.backup import (
    _sync_directory, backup_path, copy_private, disk_full, human_bytes, install, read_every_row, verify_copy,
)
from navigator_orchestrator.safety.manifest import BackupError, Manifest
from navigator_orchestrator.safety.permissions import refuse_read_only
from navigator_orchestrator.safety.runlog import RUN_LOG_TABLE
from navigator_orchestrator.sql import NotADuckDBFile, connect_duckdb

# A database the product wrote holds at least these: the run log and the two published tables
# every version of the product has written (DESIGN 4.4); tables added later (match events, NDT
# results) are not required, so a backup made before they existed still restores.
SIMULATION_TABLES: tuple[str, ...] = (RUN_LOG_TABLE, "fct_yearly_events", "fct_workforce_snapshot")


@dataclass
class RestoreResult:
    source: Path
    # Where the replaced database is kept (a backup the product made), if it read in full.
    kept: list[Path]
    # Where the replaced database was moved because it could not be read in full.
    damaged: Path | None = None
    damaged_reason: str = ""
    # The work file removed: year-only tables built by hand from the replaced database's years.
    work_removed: Path | None = None


def verify_source(source: Path, manifest: Manifest) -> dict[str, dict[str, object]]:
    """Read every row of a restore source; BackupError unless it is a whole simulation database."""
    if not source.is_file():
        raise BackupError(f"{source} is not a file; pass --from FILE naming a backup to restore")
    try:
        tables = read_every_row(source)
    except BackupError as exc:
        raise BackupError(f"{exc}; it is truncated, damaged or not a DuckDB database, so it was not "
                          "restored: pass --from naming another backup") from None
    missing = [t for t in SIMULATION_TABLES if t not in tables]
    if missing:
        raise BackupError(f"{source} is not a simulation database or backup (it lacks "
                          f"{', '.join(missing)}); pass --from naming a backup of this database")
    entry = manifest.owner(source)
    if entry and entry.duckdb_version == duckdb.__version__ and entry.tables != tables:
        raise BackupError(f"{source} no longer holds what was verified when it was backed up "
                          f"({entry.created_at}); pass --from naming another backup")
    return tables


def _current(database: Path) -> tuple[dict[str, dict[str, object]] | None, str]:
    """The current database's checksums, or None and why it cannot be read in full."""
    try:
        if Path(str(database) + ".wal").exists():
            # Fold the write-ahead log in, so the file alone is the database kept as a backup.
            with connect_duckdb(database) as conn:
                conn.execute("checkpoint")
        return read_every_row(database), ""
    except (duckdb.Error, NotADuckDBFile) as exc:
        return None, (str(exc).splitlines() or [type(exc).__name__])[0][:300]
    except BackupError as exc:
        return None, str(exc)


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def _keep_current(database: Path, tables: dict[str, dict[str, object]], keep: int,
                  manifest: Manifest) -> list[Path]:
    """Keep the database about to be replaced as the newest backup (a hard link to it)."""
    fd, name = tempfile.mkstemp(prefix=".navigator-", suffix=".duckdb.tmp", dir=database.parent)
    os.close(fd)
    link = Path(name)
    link.unlink()
    try:
        try:
            os.link(database, link)
        except OSError as exc:
            if exc.errno == errno.EEXIST:
                raise
            link = copy_private(database, database.parent, f"keeping {database} before the restore")
        default = backup_path(database)
        claim = not (default.exists() or default.is_symlink()) or manifest.owns(default)
        return install(database, link, tables, max(keep, 1), manifest, claim_default=claim)
    finally:
        link.unlink(missing_ok=True)


def _move_aside(database: Path) -> Path:
    aside = database.with_name(f"{database.stem}_damaged_{_stamp()}.duckdb")
    try:
        os.link(database, aside)
    except OSError as exc:
        if exc.errno == errno.EEXIST:
            raise
        os.rename(database, aside)
    wal = Path(str(database) + ".wal")
    if wal.exists():
        os.replace(wal, str(aside) + ".wal")
    return aside


def restore(database: Path, source: Path | None = None, keep: int = 3) -> RestoreResult:
    """Replace the database with a verified backup (default `<db stem>_backup.duckdb`).

    Raises SafetyError if the database file is read-only (no owner-write bit), BackupError, with
    nothing changed, if the source is missing, is the database itself,
    cannot be read in full, is not a simulation database, or the disk lacks room for its copy.
    """
    database = Path(database).resolve()
    refuse_read_only(database, "navigator restore")
    source = Path(source).resolve() if source else backup_path(database)
    if not source.exists():
        raise BackupError(f"no backup at {source}; pass --from FILE naming a backup to restore")
    if source == database:
        raise BackupError("the backup to restore is the database itself; pass another --from FILE")
    database.parent.mkdir(parents=True, exist_ok=True)
    manifest = Manifest.load(database)
    tables = verify_source(source, manifest)
    size, free = source.stat().st_size, shutil.disk_usage(database.parent).free
    if free < size:
        raise BackupError(f"not enough disk space to restore: the copy of {source} needs "
                          f"{human_bytes(size)} free in {database.parent}, which has {human_bytes(free)}; "
                          "free space there and rerun (nothing was changed)")
    tmp = copy_private(source, database.parent, f"copying {source} for the restore")
    try:
        verify_copy(tmp, tables)
        result = RestoreResult(source, kept=[])
        if database.exists():
            current, reason = _current(database)
            if current is None:
                result.damaged, result.damaged_reason = _move_aside(database), reason
            else:
                result.kept = _keep_current(database, current, keep, manifest)
        # The write-ahead log of the replaced file would be replayed onto the restored one.
        Path(str(database) + ".wal").unlink(missing_ok=True)
        os.replace(tmp, database)
        _sync_directory(database.parent)
        # Year-only tables built by hand continue the replaced database's years, not the
        # restored ones: a by-hand publish of them would break the chain from year to year.
        if remove_work_file(database):
            result.work_removed = work_path(database)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise disk_full(exc, database.parent, f"restoring {database}") from None
        raise
    finally:
        tmp.unlink(missing_ok=True)
    return result
