"""Preflight backups of the simulation database, verified by reading every row.

Before a run writes an existing database: flush it (CHECKPOINT, so the file alone is the whole
database), refuse unless the disk has room for two more copies, copy the file to a temp file
beside it and check the copy holds the same bytes (SHA-256 of both), then read every row of every
table of the copy into per-table checksums (DuckDB checks each block it reads against the
checksum stored with it, so a damaged block of the database fails here; `count(*)` alone is
answered from metadata and would not notice). Only then is the copy given its names:
`<db>_backup_<UTC stamp>.duckdb` and `<db>_backup.duckdb` (hard links to the one verified copy).
A copy that does not verify is deleted and never replaces the last good backup.

Only files the product can prove it made (safety.manifest) are overwritten or pruned; the last
`keep` stamped backups are kept.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from navigator_orchestrator.safety.manifest import BackupError, Entry, Manifest, manifest_path  # noqa: F401
from navigator_orchestrator.sql import NotADuckDBFile, connect_duckdb, identifier

@dataclass
class BackupResult:
    path: Path
    size_bytes: int
    seconds: float
    # table -> {"rows": int, "checksum": str}
    tables: dict[str, dict[str, object]]
    # Every name the verified copy was given (the backup, and its timestamped name if kept).
    kept: list[Path] = field(default_factory=list)


def backup_path(database: Path) -> Path:
    database = Path(database)
    return database.with_name(f"{database.stem}_backup.duckdb")


def stamped_path(database: Path) -> Path:
    database = Path(database)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    return database.with_name(f"{database.stem}_backup_{stamp}.duckdb")


def kept_backups(database: Path) -> list[Path]:
    """The timestamped backups of this database that the product made and still holds, oldest first."""
    database = Path(database).resolve()
    manifest = Manifest.load(database)
    default = backup_path(database).name
    found = {database.with_name(name) for e in manifest.entries for name in e.names if name != default}
    return sorted(p for p in found if manifest.owns(p))


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def table_checksums(conn: duckdb.DuckDBPyConnection, catalog: str | None = None) -> dict[str, dict[str, object]]:
    """Row count and checksum of every table of `catalog` (default: the current one), reading every row.

    The checksum is the sum, as a 128-bit integer, of DuckDB's hash of each whole row: order-
    independent, and two identical rows do not cancel out. Tables outside schema `main` are keyed
    `schema.table`. Raises duckdb.Error when a block cannot be read (damaged or truncated file).
    """
    if catalog is None:
        catalog = conn.execute("select current_database()").fetchone()[0]
    names = conn.execute(
        "select schema_name, table_name from duckdb_tables() "
        "where database_name = ? and not internal and not temporary order by 1, 2", [catalog],
    ).fetchall()
    out: dict[str, dict[str, object]] = {}
    for schema, table in names:
        rows, checksum = conn.execute(
            "select count(*), coalesce(sum(hash(navigator_row)::hugeint), 0)::varchar "
            f"from {identifier(catalog)}.{identifier(schema)}.{identifier(table)} as navigator_row"
        ).fetchone()
        out[table if schema == "main" else f"{schema}.{table}"] = {"rows": int(rows), "checksum": checksum}
    return out


def read_every_row(path: Path) -> dict[str, dict[str, object]]:
    """Open a DuckDB file read-only and checksum every table; BackupError naming the damage."""
    try:
        with connect_duckdb(path, read_only=True) as conn:
            return table_checksums(conn)
    except (duckdb.Error, NotADuckDBFile) as exc:
        raise BackupError(f"{path} cannot be read in full: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:300]


def check_free_space(database: Path, size_bytes: int) -> None:
    needed = 2 * size_bytes
    free = shutil.disk_usage(Path(database).parent).free
    if free < needed:
        raise BackupError(
            f"not enough disk space to back up {database}: need {human_bytes(needed)} free "
            f"(2 x {human_bytes(size_bytes)}), have {human_bytes(free)}; free space or set "
            "setup.backup.enabled: false"
        )


def disk_full(exc: OSError, directory: Path, what: str) -> BackupError:
    """The one-line explanation of a write that ran out of space (or quota)."""
    free = shutil.disk_usage(directory).free
    return BackupError(f"the disk holding {directory} is full ({human_bytes(free)} free) while {what}; "
                       f"nothing was replaced: free space there and rerun ({exc.strerror})")


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(8 * 1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def copy_private(source: Path, directory: Path, what: str, digest: "hashlib._Hash | None" = None) -> Path:
    """Copy `source` to a new owner-only temp file in `directory`, synced to disk.

    `digest`, if given, is fed every byte read from `source`."""
    try:
        fd, name = tempfile.mkstemp(prefix=".navigator-", suffix=".duckdb.tmp", dir=directory)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise disk_full(exc, directory, what) from None
        raise
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            while chunk := src.read(8 * 1024 * 1024):
                if digest is not None:
                    digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise disk_full(exc, directory, what) from None
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def verify_copy(copy: Path, expected: dict[str, dict[str, object]]) -> None:
    """The copy opens on its own and every row reads back to the same tables, counts and checksums."""
    got = read_every_row(copy)
    if got != expected:
        diff = sorted(k for k in set(got) | set(expected) if got.get(k) != expected.get(k))
        raise BackupError(f"backup copy {copy} differs from the database in tables: {', '.join(diff)}")


def _refuse_foreign(manifest: Manifest, target: Path) -> None:
    if (target.exists() or target.is_symlink()) and not manifest.owns(target):
        raise BackupError(
            f"{target} exists but navigator cannot prove it made it (not listed in "
            f"{manifest.path.name}); it is left as it is: move or rename it, then rerun"
        )


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def install(database: Path, verified: Path, tables: dict[str, dict[str, object]], keep: int,
            manifest: Manifest | None = None, claim_default: bool = True) -> list[Path]:
    """Give a verified copy its backup names, record it, prune old stamped backups; its names.

    `verified` becomes `<db>_backup.duckdb` (unless claim_default is False) and, when keep > 0,
    also `<db>_backup_<stamp>.duckdb` (a hard link: no second copy). Only stamped backups the
    manifest proves the product made are deleted, oldest first, down to `keep`.
    """
    database = Path(database).resolve()
    manifest = manifest or Manifest.load(database)
    target = backup_path(database)
    if claim_default:
        _refuse_foreign(manifest, target)
    stamped = stamped_path(database) if keep > 0 or not claim_default else None
    stat = os.stat(verified)
    names = ([target.name] if claim_default else []) + ([stamped.name] if stamped else [])
    entry = Entry(names=names, ino=stat.st_ino, size=stat.st_size, mtime_ns=stat.st_mtime_ns,
                  created_at=datetime.now(timezone.utc).isoformat(timespec="microseconds"),
                  tables=tables, duckdb_version=duckdb.__version__)
    # Recorded first: a crash between here and the renames leaves every file provable.
    manifest.add(entry)
    manifest.save()
    if stamped is not None:
        try:
            os.link(verified, stamped)
        except OSError as exc:
            if exc.errno == errno.EEXIST:
                raise
            # No hard links on this file system: the stamped name is a second copy.
            shutil.copyfile(verified, stamped)
            copy = os.stat(stamped)
            entry.names.remove(stamped.name)
            manifest.add(Entry([stamped.name], copy.st_ino, copy.st_size, copy.st_mtime_ns,
                               entry.created_at, tables, entry.duckdb_version))
    if claim_default:
        os.replace(verified, target)
        manifest.release_name(target.name, keep=entry)
    _sync_directory(target.parent)
    _prune(database, manifest, max(keep, 1) if not claim_default else keep)
    manifest.save()
    return [database.with_name(name) for name in names]


def _prune(database: Path, manifest: Manifest, keep: int) -> None:
    default = backup_path(database).name
    stamped = sorted((name, e) for e in manifest.entries for name in e.names if name != default)
    for name, entry in stamped[:-keep] if keep > 0 else stamped:
        path = database.with_name(name)
        if manifest.owner(path) is entry:
            path.unlink()
        entry.names.remove(name)
    manifest.entries = [e for e in manifest.entries if e.names]


def backup_database(conn: duckdb.DuckDBPyConnection, database: Path, keep: int = 3,
                    catalog: str | None = None) -> BackupResult:
    """Back up the database open in `conn` (attached as `catalog`, default the current one).

    Raises BackupError, with the last good backup untouched, when the database cannot be read in
    full, the disk lacks room, the copy does not verify, or a file at a backup name is not the
    product's.
    """
    database = Path(database).resolve()
    started = time.perf_counter()
    manifest = Manifest.load(database)
    _refuse_foreign(manifest, backup_path(database))
    if catalog is None:
        catalog = conn.execute("select current_database()").fetchone()[0]
    last_good = backup_path(database)
    keep_note = f"the last good backup {last_good} is untouched" if last_good.exists() else "no backup was replaced"
    conn.execute(f"checkpoint {identifier(catalog)}")
    size = database.stat().st_size
    check_free_space(database, size)
    source_digest = hashlib.sha256()
    tmp = copy_private(database, database.parent, f"backing up {database}", source_digest)
    try:
        # The copy holds the database's bytes exactly (nothing writes the file while the run
        # holds its lock), so reading every row once, of the copy, checks both: a damaged block
        # fails here whichever file it came from.
        if _file_digest(tmp) != source_digest.hexdigest():
            raise BackupError(f"the backup copy of {database} does not read back byte for byte; "
                              f"{keep_note}; check the disk, then rerun")
        try:
            tables = read_every_row(tmp)
        except BackupError as exc:
            reason = str(exc).split(": ", 1)[-1]
            raise BackupError(
                f"{database} cannot be read in full, so it was not backed up: {reason}; {keep_note}; "
                f"if the database is damaged, `navigator restore --database {database}` brings back "
                "the last good backup") from None
        kept = install(database, tmp, tables, keep, manifest)
    finally:
        tmp.unlink(missing_ok=True)
    return BackupResult(last_good, size, time.perf_counter() - started, tables, kept)


def preflight_backup(database: Path, keep: int = 3) -> BackupResult | None:
    """Back up an existing database before a run writes it; None if there is nothing to back up."""
    database = Path(database).resolve()
    if not database.exists():
        return None
    try:
        conn = connect_duckdb(database)
    except (duckdb.Error, NotADuckDBFile) as exc:
        raise BackupError(
            f"{database} does not open, so it was not backed up: {_first_line(exc)}; "
            f"`navigator restore --database {database}` brings back the last good backup"
        ) from None
    with conn:
        return backup_database(conn, database, keep)

