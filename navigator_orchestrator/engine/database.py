"""DuckDB access for the orchestrator: the run's DuckDB instance, its two files, clearing.

A database is two catalogs attached to one DuckDB instance, the same way in a run, by the
read commands and by `dbt` by hand (dbt/profiles.yml):

- the database file (`simulation.duckdb`), catalog `simulation` (CATALOG): raw census, seeds,
  baseline, run log, data-quality results and the published `fct_*` tables;
- the work catalog `simulation_work` (WORK_CATALOG): the year-only `int_*` models (tag `year`),
  rebuilt every simulated year and read by the year's publish (`engine.publish`). In a run it
  is an in-memory database (WORK_IN_MEMORY): nothing in it is needed once the year is
  published, and writing it to a file cost about a fifth of a run (docs/performance.md). By
  hand (`navigator dbt`, dbt from `dbt/`) it is the work file beside the database
  (`simulation.work.duckdb`, `work_path`), so one command can build a year and the next test,
  inspect or publish it. Deleting the work file loses no result.

Unqualified names resolve in the database file first, then in the work catalog (search path).
"""

from __future__ import annotations

import hashlib
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

from navigator_orchestrator.sql import DUCKDB_CONFIG, check_duckdb_file, connect_duckdb, identifier as _quoted, literal

# The catalog the database file is attached under, whatever the file is called; dbt's profile
# (dbt/profiles.yml) attaches it under the same name.
CATALOG = "simulation"

# The work catalog (dbt_project.yml places the `year` models there).
WORK_CATALOG = "simulation_work"

# Rows per row group in the database file (DuckDB's default is 122,880). A simulated year
# appends fewer rows than that to most published tables, and DuckDB logs such an append to the
# write-ahead log uncompressed and compresses it again at the next checkpoint; with 16,384 every
# year's append is written compressed straight into the file (docs/performance.md). DuckDB
# takes it as an ATTACH option, so the file is always attached rather than opened directly.
ROW_GROUP_SIZE = 16_384

# Where a run keeps the work catalog: DuckDB's in-memory database, within the buffer pool's
# limit below (spilled to the instance's temporary directory beyond it).
WORK_IN_MEMORY = ":memory:"

# DuckDB's buffer pool limit unless NAVIGATOR_DUCKDB_MEMORY_LIMIT says otherwise: room for the
# in-memory year-only tables of 10 plan designs at 60,000 people (at 4 GB they crowded the pool:
# ~15% more time) while a 1,000,000-person run stays within 8 GB of memory (docs/performance.md).
DEFAULT_MEMORY_LIMIT = "6GB"


def work_path(path: Path) -> Path:
    """The work file of a database file: `<name>.work.duckdb` beside `<name>.duckdb`."""
    path = Path(path)
    stem = path.name[: -len(".duckdb")] if path.name.endswith(".duckdb") else path.name
    return path.with_name(f"{stem}.work.duckdb")


def instance_config(path: Path) -> dict[str, object]:
    """DuckDB settings the instance of database file `path` is opened with: dbt's profile gives
    the same values as `config_options` (DuckDB refuses a second connection to a named instance
    with another configuration, so the two must agree). Beyond the memory limit DuckDB spills
    to `<path>.tmp` beside the database (DuckDB's own choice for a file), not to `.tmp` in the
    working directory."""
    return {
        **DUCKDB_CONFIG,
        "checkpoint_threshold": "1GB",
        "memory_limit": os.environ.get("NAVIGATOR_DUCKDB_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT),
        "temp_directory": f"{Path(path).resolve()}.tmp",
    }


def instance_name(path: Path) -> str:
    """The process's DuckDB instance for one database file: a named in-memory database that
    the orchestrator and in-process dbt (NAVIGATOR_DUCKDB_INSTANCE) both connect to, with the
    database file and its work catalog attached."""
    digest = hashlib.sha256(str(Path(path).resolve()).encode()).hexdigest()[:16]
    return f":memory:navigator_{digest}"


def work_location(path: Path, in_memory: bool) -> str:
    """What the work catalog of database `path` attaches: WORK_IN_MEMORY in a run, else the
    work file. dbt's profile attaches the same (NAVIGATOR_WORK_PATH, set by the caller)."""
    return WORK_IN_MEMORY if in_memory else str(work_path(Path(path).resolve()))


def connect(path: Path, work_in_memory: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to the database file (created if missing) and its work catalog, in the
    instance dbt shares: the work file (created if missing), or with `work_in_memory` (a run,
    or a command that reads only published tables) an in-memory database that lives as long
    as the instance. A connection to an instance that is already open (a check during a run)
    gets the work catalog the instance has."""
    path = Path(path).resolve()
    check_duckdb_file(path)
    work = work_location(path, work_in_memory)
    if not work_in_memory:
        check_duckdb_file(Path(work))  # a file only the instance's first connection attaches
    conn = connect_duckdb(instance_name(path), config=instance_config(path))
    try:
        conn.execute(f"attach if not exists {literal(path)} as {CATALOG} (row_group_size {ROW_GROUP_SIZE})")
        # An instance already open (a run's) keeps the work catalog it was opened with.
        conn.execute(f"attach if not exists {literal(work)} as {WORK_CATALOG}")
        use_catalogs(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _remove_with_log(target: Path) -> bool:
    """Remove a database file and its write-ahead log where they are files; True if any was."""
    found = False
    for file in (target, target.with_name(target.name + ".wal")):
        if file.is_file():
            file.unlink()
            found = True
    return found


def remove_unwritten(path: Path, created: bool) -> None:
    """Remove the database file, with its write-ahead log, if `created` (the run created it by
    opening it) after a run that refused before writing anything: a refusal leaves the
    directory as it was."""
    if created:
        _remove_with_log(Path(path))


def remove_work_file(path: Path) -> bool:
    """Remove the work file of database `path` (and its write-ahead log) if there is one; True
    if there was. A run does this before it writes: the file holds year-only tables built by
    hand earlier, and a by-hand publish of them would replace the run's years with rows of an
    older build. It holds nothing that is not rebuilt."""
    return _remove_with_log(work_path(path))


def work_file_is_empty(path: Path) -> bool:
    """Whether database `path`'s work file exists and holds no table or view (False when it
    cannot be read: it is then left alone)."""
    work = work_path(path)
    if not work.is_file():
        return False
    try:
        with connect_duckdb(work, read_only=True) as conn:
            return conn.execute("select count(*) from duckdb_tables() where database_name = current_database()"
                                ).fetchone()[0] == 0 and conn.execute(
                "select count(*) from duckdb_views() where database_name = current_database() and not internal"
            ).fetchone()[0] == 0
    except (duckdb.Error, ValueError, OSError):  # not a DuckDB file, unreadable: left alone
        return False


def open_failure(path: Path, exc: duckdb.Error) -> str:
    """One line for a database (or its work file) that `connect` could not open for writing:
    a permission problem names the permissions; anything else points at `navigator restore`."""
    first = (str(exc).splitlines() or [type(exc).__name__])[0][:300]
    path = Path(path)
    blocked = [p for p in (path, work_path(path)) if p.exists() and not os.access(p, os.W_OK)]
    if blocked or "permission denied" in first.lower():
        where = blocked[0] if blocked else path
        return (f"{where} cannot be opened for writing ({first}): this user may not write it; check "
                f"its owner and permissions and those of {where.parent} (`ls -l {where}`), or pass "
                "--database naming a file this user may write")
    return (f"{path} does not open ({first}); if it is damaged, `navigator restore --database {path}` "
            "brings back the last good backup")


def use_catalogs(conn: duckdb.DuckDBPyConnection) -> None:
    """Resolve unqualified names in the database file, then in the work catalog."""
    conn.execute(f"use {CATALOG}")
    conn.execute(f"set search_path = '{CATALOG}.main,{WORK_CATALOG}.main'")


@contextmanager
def connection(path: Path, work_in_memory: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    conn = connect(path, work_in_memory)
    try:
        yield conn
    finally:
        conn.close()


def cursor(conn: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A second connection to the same instance, in the same catalog and search path."""
    other = conn.cursor()
    try:
        current, search_path = conn.execute(
            "select current_database(), current_setting('search_path')").fetchone()
        other.execute(f"use {_quoted(current)}")
        other.execute(f"set search_path = {literal(search_path)}")
    except BaseException:
        other.close()
        raise
    return other


def table_exists(conn: duckdb.DuckDBPyConnection, name: str, catalog: str | None = None) -> bool:
    """Whether `catalog` (default: the connection's current catalog) has table `name`."""
    row = conn.execute(
        "select count(*) from information_schema.tables "
        "where table_catalog = coalesce(?, current_database()) and table_schema = 'main' and table_name = ?",
        [catalog, name],
    ).fetchone()
    return bool(row and row[0])


def published_years(conn: duckdb.DuckDBPyConnection, scenario_id: str, plan_design_id: str) -> list[int]:
    """The years the database holds for one (scenario, design), ascending."""
    if not table_exists(conn, "fct_workforce_snapshot"):
        return []
    rows = conn.execute(
        "select distinct simulation_year from fct_workforce_snapshot "
        "where scenario_id = ? and plan_design_id = ? order by 1",
        [scenario_id, plan_design_id],
    ).fetchall()
    return [r[0] for r in rows]


def drop_all_tables(conn: duckdb.DuckDBPyConnection, keep: set[str] | frozenset[str] = frozenset()) -> None:
    """clear_mode: all — start from an empty database (except the tables in `keep`) and an
    empty work catalog."""
    for catalog in (CATALOG, WORK_CATALOG):
        rows = conn.execute(
            "select table_name, table_type from information_schema.tables "
            "where table_catalog = ? and table_schema = 'main'", [catalog]
        ).fetchall()
        conn.execute("begin transaction")
        for name, kind in rows:
            if catalog == CATALOG and name in keep:
                continue
            conn.execute(f'drop {"view" if kind == "VIEW" else "table"} if exists '
                         f'{catalog}.main.{_quoted(name)} cascade')
        conn.execute("commit")
