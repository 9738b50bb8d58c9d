"""DuckDB access for the orchestrator: connections, year publishing and clearing.

dbt builds each simulated year into year-only `int_*` tables; the year reaches the published
`fct_*` tables here, in ONE DuckDB transaction (delete the run's designs' years >= Y of this
scenario, append Y). Rows of other scenarios and of designs the run does not build are never
touched: every published row is keyed by (scenario_id, plan_design_id, simulation_year, ...).
A crash or a failure therefore leaves the published tables at a year boundary. In a run the
transaction's appends overlap the year's checks and commit only once they pass (CheckedPublish).
"""

from __future__ import annotations

import hashlib
import threading
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterator, Sequence

import duckdb

from navigator_orchestrator.sql import check_duckdb_file, connect_duckdb, identifier as _quoted, literal

# Published table -> the year-only model it is appended from. The fct_* dbt models are
# `select * from` exactly these refs (a test keeps the two in step).
PUBLISHED_TABLES: dict[str, str] = {
    "fct_yearly_events": "int_yearly_events",
    "fct_workforce_snapshot": "int_yearly_snapshot",
    "fct_employer_match_events": "int_employer_match_events",
    "fct_ndt_results": "int_ndt_results",
    "fct_ndt_employee_results": "int_ndt_employee_results",
    "fct_plan_year_summary": "int_plan_year_summary",
}

# Published columns stored with ZSTD instead of DuckDB's own choice. Every value in them is
# distinct (hash ids, each event's JSON details): DuckDB's dictionary/FSST analysis of them was
# about a third of a year's publish and stored them larger (docs/performance.md). DuckDB takes
# a column's compression only where the table is created, so publish_year creates these tables.
ZSTD_COLUMNS: dict[str, tuple[str, ...]] = {
    "fct_yearly_events": ("event_id",),
    "fct_employer_match_events": ("event_id", "event_details"),
}


# The catalog the database file is attached under, whatever the file is called; dbt's profile
# (dbt/profiles.yml) attaches it under the same name.
CATALOG = "simulation"

# Rows per row group in the database file (DuckDB's default is 122,880). A simulated year
# appends fewer rows than that to most published tables, and DuckDB logs such an append to the
# write-ahead log uncompressed and compresses it again at the next checkpoint; with 16,384 every
# year's append is written compressed straight into the file (docs/performance.md). DuckDB
# takes it as an ATTACH option, so the file is always attached rather than opened directly.
ROW_GROUP_SIZE = 16_384

# The in-memory catalog that holds the year-only work tables while a run is in progress.
WORK_CATALOG = "navigator_work"


def instance_name(path: Path) -> str:
    """The process's DuckDB instance for one database file: a named in-memory database that
    the orchestrator and in-process dbt (NAVIGATOR_DUCKDB_INSTANCE) both connect to, with the
    file attached as CATALOG."""
    digest = hashlib.sha256(str(Path(path).resolve()).encode()).hexdigest()[:16]
    return f":memory:navigator_{digest}"


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    """A connection to the database file (created if missing), in the instance dbt shares."""
    # Same configuration as the dbt profile's, so both get the same instance in-process.
    check_duckdb_file(Path(path))
    conn = connect_duckdb(instance_name(path))
    try:
        location = literal(Path(path).resolve())
        conn.execute(f"attach if not exists {location} as {CATALOG} (row_group_size {ROW_GROUP_SIZE})")
        conn.execute(f"use {CATALOG}")
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def connection(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    conn = connect(path)
    try:
        yield conn
    finally:
        conn.close()


def _tables_in(conn: duckdb.DuckDBPyConnection, catalog: str) -> set[str]:
    return {r[0] for r in conn.execute(
        "select table_name from information_schema.tables where table_catalog = ? and table_schema = 'main'",
        [catalog]).fetchall()}


def resolve_work_tables(conn: duckdb.DuckDBPyConnection, name: str) -> None:
    """Let unqualified names in this connection find tables in the work catalog `name` (after
    the database file's own `main`, which keeps receiving unqualified creates)."""
    main = conn.execute("select current_database()").fetchone()[0]
    conn.execute(f"set search_path = {literal(f'{_quoted(main)}.main,{_quoted(name)}.main')}")


class WorkCatalog:
    """The in-memory work catalog of a running simulation (see `work_catalog`)."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, main: str, name: str, models: list[str]):
        self.conn, self.main, self.name, self.models = conn, main, name, models
        self.attached = True

    def release(self) -> None:
        """Hand the remaining years to the database file: drop the work tables and detach.

        The run's last year is built straight into the file, where `dbt run` by hand and the
        recovery commands look for it, so nothing has to be written back when the run ends."""
        if self.attached:
            self.conn.execute(f"use {_quoted(self.main)}")  # the search path as connect() left it
            self.conn.execute(f"detach {_quoted(self.name)}")
            self.attached = False

    def write_back(self) -> None:
        """Copy the work tables into the database file (one transaction), then release."""
        if not self.attached:
            return
        built = sorted(_tables_in(self.conn, self.name) & set(self.models))
        self.conn.execute("begin transaction")
        try:
            for model in built:
                self.conn.execute(
                    f"create or replace table {_quoted(self.main)}.main.{_quoted(model)} as "
                    f"select * from {_quoted(self.name)}.main.{_quoted(model)}")
            self.conn.execute("commit")
        except BaseException:
            self.conn.execute("rollback")
            raise
        finally:
            self.release()


@contextmanager
def work_catalog(conn: duckdb.DuckDBPyConnection, name: str, models: list[str],
                 timed: Callable[[], ContextManager[Any]] = nullcontext) -> Iterator[WorkCatalog]:
    """Hold the year-only work tables in an in-memory catalog while a run builds its years.

    dbt rebuilds them every simulated year and only the year's publish reads them, so writing
    each year's copy to the database file was wasted work. The database file's own copies are
    dropped first, so unqualified names in this connection resolve to the work catalog (search
    path: the file's `main`, then the work catalog). The caller builds its last year straight
    into the file after `release()`; if the run stops before that, however it stops, the work
    tables of the last year built are written back to the file in one transaction, so
    `dbt run --select ...` and `dbt test` by hand find them as before. The caller's DbtRunner
    must place the models in the same catalog (its `work_catalog`); `timed` wraps a write-back
    (the pipeline reports it as a stage).
    """
    main = conn.execute("select current_database()").fetchone()[0]
    conn.execute(f"attach if not exists ':memory:' as {_quoted(name)} (compress)")
    in_file = _tables_in(conn, main) & set(models)
    conn.execute("begin transaction")
    for model in sorted(in_file):
        conn.execute(f"drop table if exists {_quoted(main)}.main.{_quoted(model)}")
    conn.execute("commit")
    resolve_work_tables(conn, name)
    catalog = WorkCatalog(conn, main, name, models)
    try:
        yield catalog
    except BaseException:
        # Keep what the failing year built for recovery by hand, but never hide the error.
        if catalog.attached:
            with suppress(duckdb.Error), timed():
                catalog.write_back()
        raise
    else:
        if catalog.attached:
            with timed():
                catalog.write_back()


def table_exists(conn: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = conn.execute(
        "select count(*) from information_schema.tables where table_schema = 'main' and table_name = ?",
        [name],
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


def clear_from_year(conn: duckdb.DuckDBPyConnection, scenario_id: str, plan_design_ids: Sequence[str],
                    year: int) -> None:
    """Delete years >= `year` of these designs of this scenario from every published table
    (caller owns the transaction). Other designs and scenarios keep every row."""
    for table in PUBLISHED_TABLES:
        if table_exists(conn, table):
            conn.execute(
                f"delete from {table} where scenario_id = ? and list_contains(?, plan_design_id) "
                "and simulation_year >= ?",
                [scenario_id, list(plan_design_ids), year],
            )


# An append is split into rowid ranges of at least this many rows (see _append_source).
_SPLIT_MIN_ROWS = 10_000


def _append_source(conn: duckdb.DuckDBPyConnection, source: str, parts: int) -> str:
    """The query a published table appends from: `source` whole, or in `parts` rowid ranges.

    A year-only table in the in-memory work catalog is one row group (DuckDB's in-memory
    tables keep its default 122,880-row groups), and DuckDB appends a row group with one thread.
    Read as disjoint rowid ranges that together cover every row, the same rows are appended by
    `parts` threads at once when the connection does not preserve insertion order (the rows'
    physical order is then not the source's; nothing reads the published tables by it).
    """
    if parts > 1:
        rows = conn.execute(f"select count(*) from {source}").fetchone()[0]
        parts = min(parts, rows // _SPLIT_MIN_ROWS)  # many threads, few rows: fewer ranges
        if parts > 1:
            bounds = [rows * i // parts for i in range(1, parts)]
            ranges = [f"rowid < {bounds[0]}"]
            ranges += [f"rowid >= {low} and rowid < {high}" for low, high in zip(bounds, bounds[1:])]
            ranges += [f"rowid >= {bounds[-1]}"]
            return " union all ".join(f"(select * from {source} where {r})" for r in ranges)
    return f"select * from {source}"


def publish_year(conn: duckdb.DuckDBPyConnection, scenario_id: str, plan_design_ids: Sequence[str], year: int,
                 before_commit: Callable[[], None] | None = None, parts: int = 1) -> dict[str, int]:
    """Atomically replace years >= `year` of these designs of this scenario with the freshly
    built year (which holds rows of exactly these designs).

    `before_commit` runs inside the transaction, after the appends; if it raises, nothing is
    published. `parts` > 1 appends each table in that many rowid ranges at once; only for a
    connection that does not preserve insertion order (CheckedPublish's)."""
    counts: dict[str, int] = {}
    conn.execute("begin transaction")
    try:
        clear_from_year(conn, scenario_id, plan_design_ids, year)
        for table, source in PUBLISHED_TABLES.items():
            if not table_exists(conn, table):
                create_published_table(conn, table, source)
            query = _append_source(conn, source, parts)
            counts[table] = conn.execute(f"insert into {table} by name {query}").fetchone()[0]
        if before_commit is not None:
            before_commit()
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    return counts


class _Withdrawn(Exception):
    """The year's checks failed: its publish transaction is rolled back."""


class CheckedPublish:
    """A year's publish that runs while the year is being checked and commits only if asked.

    The appends run in `publish_year`'s one transaction on a second connection to the same
    database, in a background thread, while the caller checks the unpublished year on its own
    connection (DuckDB runs both at once; neither sees the other's uncommitted rows). `commit`
    waits for the appends and commits; leaving the `with` block without committing (a failed
    check, an interrupt) rolls everything back, so a year is still published whole or not at all.
    """

    def __init__(self, conn: duckdb.DuckDBPyConnection, scenario_id: str, plan_design_ids: Sequence[str],
                 year: int):
        self._cursor = conn.cursor()
        try:
            # A new connection starts in the instance's default catalog: give it this one's.
            current, search_path = conn.execute(
                "select current_database(), current_setting('search_path')").fetchone()
            self._cursor.execute(f"use {_quoted(current)}")
            self._cursor.execute(f"set search_path = {literal(search_path)}")
            # This connection only appends: let DuckDB append a table's rows with every thread.
            self._cursor.execute("set session preserve_insertion_order = false")
            self._parts = int(self._cursor.execute("select current_setting('threads')").fetchone()[0])
        except BaseException:
            self._cursor.close()
            raise
        self._decided = threading.Event()
        self._approved = False
        self._counts: dict[str, int] = {}
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._publish, args=(scenario_id, tuple(plan_design_ids), year),
                                        name=f"navigator-publish-{year}", daemon=True)
        self._thread.start()

    def _publish(self, scenario_id: str, plan_design_ids: tuple[str, ...], year: int) -> None:
        try:
            self._counts = publish_year(self._cursor, scenario_id, plan_design_ids, year, before_commit=self._await_decision,
                                        parts=self._parts)
        except BaseException as exc:  # handed to the caller's thread by commit()
            self._error = exc

    def _await_decision(self) -> None:
        self._decided.wait()
        if not self._approved:
            raise _Withdrawn()

    def commit(self) -> dict[str, int]:
        """Wait for the appends, commit them; row counts per published table."""
        self._approved = True
        self._decided.set()
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._counts

    def __enter__(self) -> "CheckedPublish":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._decided.set()  # not approved unless commit() ran: the transaction rolls back
        self._thread.join()
        self._cursor.close()


def create_published_table(conn: duckdb.DuckDBPyConnection, table: str, source: str) -> None:
    """Create an empty published table with the columns of `source` (its year-only model)."""
    zstd = ZSTD_COLUMNS.get(table, ())
    columns = ", ".join(
        f'"{name}" {kind}' + (" using compression zstd" if name in zstd else "")
        for name, kind, *_ in conn.execute(f"describe {source}").fetchall()
    )
    conn.execute(f"create table {table} ({columns})")


def drop_all_tables(conn: duckdb.DuckDBPyConnection, keep: set[str] | frozenset[str] = frozenset()) -> None:
    """clear_mode: all — start from an empty database (except the tables in `keep`)."""
    rows = conn.execute(
        "select table_name, table_type from information_schema.tables "
        "where table_catalog = current_database() and table_schema = 'main'"
    ).fetchall()
    conn.execute("begin transaction")
    for name, kind in rows:
        if name in keep:
            continue
        conn.execute(f'drop {"view" if kind == "VIEW" else "table"} if exists {_quoted(name)} cascade')
    conn.execute("commit")
