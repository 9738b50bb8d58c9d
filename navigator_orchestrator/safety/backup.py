"""Preflight backups of the simulation database, and restoring from one.

Before a run writes an existing database: flush it (CHECKPOINT, so the file alone is the whole
database), refuse unless the disk has room for two more copies, copy it to `<db>_backup.duckdb`
beside it through a temp file, check the copy opens with the same tables and row counts, and only
then move it into place. The last N verified backups are also kept under timestamped names
(hard links to the verified copy, so keeping them costs no extra copying).
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from navigator_orchestrator.errors import SafetyError
from navigator_orchestrator.sql import NotADuckDBFile, connect_duckdb, identifier


class BackupError(SafetyError):
    """A backup could not be taken or verified, or a restore source is unusable."""


@dataclass
class BackupResult:
    path: Path
    size_bytes: int
    seconds: float
    table_counts: dict[str, int]
    kept: list[Path] = field(default_factory=list)


def backup_path(database: Path) -> Path:
    database = Path(database)
    return database.with_name(f"{database.stem}_backup.duckdb")


def timestamped_backups(database: Path) -> list[Path]:
    """Kept backups of this database, oldest first (the name sorts by time)."""
    database = Path(database)
    return sorted(database.parent.glob(f"{database.stem}_backup_*.duckdb"))


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def table_counts(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    names = [r[0] for r in conn.execute(
        "select table_name from information_schema.tables "
        "where table_schema = 'main' and table_type = 'BASE TABLE' order by 1"
    ).fetchall()]
    return {name: conn.execute(f"select count(*) from {identifier(name)}").fetchone()[0] for name in names}


def flush(database: Path) -> dict[str, int]:
    """CHECKPOINT the database so its file is complete on its own; return its table counts."""
    with connect_duckdb(database) as conn:
        conn.execute("checkpoint")
        return table_counts(conn)


def check_free_space(database: Path, size_bytes: int) -> None:
    needed = 2 * size_bytes
    free = shutil.disk_usage(Path(database).parent).free
    if free < needed:
        raise BackupError(
            f"not enough disk space to back up {database}: need {human_bytes(needed)} free "
            f"(2 x {human_bytes(size_bytes)}), have {human_bytes(free)}; free space or set "
            "setup.backup.enabled: false"
        )


def verify_copy(copy: Path, expected: dict[str, int]) -> None:
    """The copy opens on its own and holds the same tables with the same row counts."""
    try:
        with connect_duckdb(copy, read_only=True) as conn:
            got = table_counts(conn)
    except (duckdb.Error, NotADuckDBFile) as exc:
        raise BackupError(f"backup {copy} does not open: {exc}") from None
    if got != expected:
        diff = sorted(k for k in set(got) | set(expected) if got.get(k) != expected.get(k))
        raise BackupError(f"backup {copy} differs from the database in tables: {', '.join(diff)}")


def _copy_verified(source: Path, target: Path, expected: dict[str, int]) -> None:
    tmp = target.with_name(target.name + ".tmp")
    shutil.copyfile(source, tmp)
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    try:
        verify_copy(tmp, expected)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, target)


def _keep(database: Path, backup: Path, keep: int) -> list[Path]:
    if keep <= 0:
        return []
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    kept = backup.with_name(f"{Path(database).stem}_backup_{stamp}.duckdb")
    try:
        os.link(backup, kept)
    except OSError:  # file systems without hard links
        shutil.copyfile(backup, kept)
    existing = timestamped_backups(database)
    for old in existing[:-keep]:
        old.unlink(missing_ok=True)
    return existing[-keep:]


def preflight_backup(database: Path, keep: int = 3) -> BackupResult | None:
    """Back up an existing database before a run writes it; None if there is nothing to back up."""
    database = Path(database)
    if not database.exists():
        return None
    started = time.perf_counter()
    counts = flush(database)
    size = database.stat().st_size
    check_free_space(database, size)
    target = backup_path(database)
    _copy_verified(database, target, counts)
    kept = _keep(database, target, keep)
    return BackupResult(target, size, time.perf_counter() - started, counts, kept)


def restore(database: Path, source: Path | None = None, keep: int = 3) -> tuple[Path, BackupResult | None]:
    """Replace the database with a verified backup, atomically; back up the current one first.

    Returns the source restored from and the backup taken of the database it replaced (so a
    restore can itself be undone with `restore`). The caller holds the database lock.
    """
    database = Path(database).resolve()
    source = Path(source).resolve() if source else backup_path(database)
    if not source.exists():
        raise BackupError(f"no backup at {source}; pass --from FILE naming a backup to restore")
    if source == database:
        raise BackupError("the backup to restore is the database itself; pass another --from FILE")
    try:
        with connect_duckdb(source, read_only=True) as conn:
            counts = table_counts(conn)
    except (duckdb.Error, NotADuckDBFile) as exc:
        raise BackupError(f"{source} is not a usable DuckDB database: {exc}") from None
    tmp = database.with_name(database.name + ".restore.tmp")
    # Copy first: backing up the current database below may overwrite the default source.
    _copy_verified(source, tmp, counts)
    try:
        previous = preflight_backup(database, keep) if database.exists() else None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    # A write-ahead log of the replaced file would be replayed onto the restored one.
    Path(str(database) + ".wal").unlink(missing_ok=True)
    os.replace(tmp, database)
    return source, previous
