"""Publishing a simulated year: the one definition, used by the orchestrator and by dbt.

dbt builds each simulated year into year-only `int_*` tables (the work catalog); a year reaches
the published `fct_*` tables here, in ONE DuckDB transaction: check that the year's work
tables hold exactly that scenario, year and plan designs, delete those designs' years >= Y of
the scenario from every published table (later years started from the replaced one), append
year Y to each. Rows of other scenarios and designs are never touched: every published row is
keyed by (scenario_id, plan_design_id, simulation_year, ...). A crash or a failure therefore
leaves the published tables at a year boundary, and they always hold the same years.

The orchestrator calls `publish_year` through `CheckedPublish` (the appends overlap the year's
data-quality checks and commit only once they pass). `dbt run --select fct_...` by hand runs
the `fct_*` models (dbt/models/marts/*.py, materialization `published`), which call
`publish_from_dbt`, which calls `publish_year`: same rows, same schema, same compression.
"""

from __future__ import annotations

import re
import shlex
import threading
from contextlib import contextmanager, suppress
from typing import Any, Callable, Iterator, Sequence

import duckdb

from navigator_orchestrator.sql import SLUG
from navigator_orchestrator.engine.database import CATALOG, WORK_CATALOG, cursor, table_exists, use_catalogs

# Published table -> the year-only model it is appended from (the fct_* dbt models ref exactly
# these; a test keeps the two in step).
PUBLISHED_TABLES: dict[str, str] = {
    "fct_yearly_events": "int_yearly_events",
    "fct_workforce_snapshot": "int_yearly_snapshot",
    "fct_employer_match_events": "int_employer_match_events",
    "fct_ndt_results": "int_ndt_results",
    "fct_ndt_employee_results": "int_ndt_employee_results",
    "fct_plan_year_summary": "int_plan_year_summary",
    "fct_employee_accounts": "int_yearly_accounts",
}

# Published columns stored with ZSTD instead of DuckDB's own choice. Every value in them is
# distinct (hash ids, each event's JSON details): DuckDB's dictionary/FSST analysis of them was
# about a third of a year's publish and stored them larger (docs/performance.md). DuckDB takes
# a column's compression only where the table is created, so publish_year creates these tables.
ZSTD_COLUMNS: dict[str, tuple[str, ...]] = {
    "fct_yearly_events": ("event_id",),
    "fct_employer_match_events": ("event_id", "event_details"),
}

# An append is split into rowid ranges of at least this many rows (see _append_source).
_SPLIT_MIN_ROWS = 10_000


class PublishRefused(RuntimeError):
    """The work tables do not hold the year asked for; nothing was written. The message says
    what they hold and how to build the year."""


# The by-hand publish's refusal, for the `published` materialization (dbt/macros/published.sql)
# to raise as dbt's own one-line error: an exception raised inside a dbt Python model reaches
# the console as a Python traceback. The materialization creates it empty before each fct_*
# model and drops it after. Columns: message, and the year-only table the model's refs did not
# find (null for other refusals).
REFUSAL_TABLE = f"{WORK_CATALOG}.main.publish_refusal"


@contextmanager
def refusal_recorded(conn: duckdb.DuckDBPyConnection, missing_table: str | None = None) -> Iterator[None]:
    """Around a step of a by-hand publish: a PublishRefused is written as the one row of
    REFUSAL_TABLE (its message, and `missing_table`) instead of raised. Nothing has been
    written at that point."""
    try:
        yield
    except PublishRefused as refusal:
        conn.execute(f"insert into {REFUSAL_TABLE} values (?, ?)", [str(refusal), missing_table])


def _not_built(conn: duckdb.DuckDBPyConnection, missing: str, year: int | None,
               plan_design_ids: Sequence[str] = ()) -> PublishRefused:
    return PublishRefused(
        f"{missing} has not been built in this database's work file ({WORK_CATALOG}); nothing was "
        f"published. Build the year first, then publish: {_by_hand(conn, year, plan_design_ids)} "
        "-- run --select tag:year tag:publish")


@contextmanager
def work_tables_built(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Around the refs of a by-hand `fct_*` model (dbt reads each year-only table as the model
    names it): a table missing from the work file (a database copied or restored without it, a
    year never built) is recorded as a refusal naming it and the way on (refusal_recorded),
    instead of DuckDB's catalog error. The model does not know the year and designs of its
    vars; `publish_by_hand`, run next, completes the fix with them. Nothing has been written
    at that point."""
    try:
        yield
    except duckdb.CatalogException as exc:
        found = re.search(r"Table with name (\w+) does not exist", str(exc))
        missing = found.group(1) if found else str(exc).splitlines()[0]
        with refusal_recorded(conn, missing):
            raise _not_built(conn, missing, None) from None


def _database_arg(conn: duckdb.DuckDBPyConnection) -> str:
    """The database file's path, quoted for a shell, as a refusal's fix names it."""
    row = conn.execute("select path from duckdb_databases() where database_name = ?", [CATALOG]).fetchone()
    return shlex.quote(row[0]) if row and row[0] else "DB"


def _by_hand(conn: duckdb.DuckDBPyConnection, year: int | None, plan_design_ids: Sequence[str] = ()) -> str:
    """`navigator dbt` for this database, year and plan designs, as a refusal's fix names it (the
    config is the one the vars came from: CONFIG). The designs are always named: without
    --plan-designs the command would rebuild and republish every design of the config,
    removing the later years of those the refused command left alone."""
    designs = f" --plan-designs {','.join(plan_design_ids)}" if plan_design_ids else ""
    return f"navigator dbt -c CONFIG --database {_database_arg(conn)} --year {year or 'YEAR'}{designs}"


def check_work_tables(conn: duckdb.DuckDBPyConnection, scenario_id: str, plan_design_ids: Sequence[str],
                      year: int) -> dict[str, dict[str, int]]:
    """Raise PublishRefused unless every source of a published table exists and holds rows of
    this scenario, year and these designs only (the snapshot at least one row: every year has
    a workforce). Returns design -> rows each published table will get from its source.

    This is what keeps a by-hand `dbt run --select fct_...` from appending another year's work
    tables (for example the last year of a finished run) under the year its vars name."""
    design_rows: dict[str, dict[str, int]] = {d: dict.fromkeys(PUBLISHED_TABLES, 0) for d in plan_design_ids}
    for table, source in PUBLISHED_TABLES.items():
        if not table_exists(conn, source, WORK_CATALOG):
            raise PublishRefused(
                f"{source} (the source of {table}) has not been built in this database's work file; "
                f"nothing was published. Build year {year} first: "
                f"{_by_hand(conn, year, plan_design_ids)} -- run --select tag:year")
        # One grouped scan: a few rows (scenario, design) instead of per-row tests over every row.
        groups = conn.execute(
            f"select scenario_id, plan_design_id, min(simulation_year), max(simulation_year), "
            f"count(*) filter (where simulation_year is null), count(*) "
            f"from {source} group by all").fetchall()
        rows = sum(n for *_, n in groups)
        for _, design, _, _, _, n in groups:
            if design in design_rows:
                design_rows[design][table] += n
        if rows == 0 and table != "fct_workforce_snapshot":
            continue  # e.g. no match events when the match is off
        if any(design not in plan_design_ids for _, design, *_ in groups):
            raise PublishRefused(
                f"{source} holds rows of plan designs other than {', '.join(plan_design_ids)}; nothing was "
                f"published. Build the year with those designs' vars first ({_by_hand(conn, year, plan_design_ids)} "
                "-- run --select tag:year tag:publish)")
        if table == "fct_workforce_snapshot":
            # Every design has a workforce: a design without snapshot rows was not built.
            have = {design for _, design, *_ in groups}
            absent = [d for d in plan_design_ids if d not in have]
            if absent and rows:
                raise PublishRefused(
                    f"{source} holds no rows of plan design(s) {', '.join(absent)}; nothing was published. "
                    f"Build the year again: {_by_hand(conn, year, plan_design_ids)} -- run --select tag:year")
        found_scenarios = sorted({scenario for scenario, *_ in groups}, key=lambda x: (x == scenario_id, str(x)))
        scenarios = len(found_scenarios)
        other = found_scenarios[0] if found_scenarios else None  # another scenario first, if any
        low = min((g[2] for g in groups if g[2] is not None), default=None)
        high = max((g[3] for g in groups if g[3] is not None), default=None)
        yearless = sum(g[4] for g in groups)
        if rows == 0 or scenarios != 1 or other != scenario_id or low != year or high != year or yearless:
            found = (f"scenario {other!r} year {low}" + (f"-{high}" if high != low else "")
                     + (f" (and {scenarios - 1} other scenario(s))" if scenarios > 1 else "")
                     + (f" ({yearless:,} rows without a year)" if yearless else "")) if rows else "no rows"
            raise PublishRefused(
                f"{source} holds {found}, not scenario {scenario_id!r} year {year}; nothing was published. "
                f"Build that year first, then publish: {_by_hand(conn, year, plan_design_ids)} "
                "-- run --select tag:year tag:publish")
    return design_rows


def check_published_shape(conn: duckdb.DuckDBPyConnection) -> None:
    """Raise PublishRefused unless every existing published table is a table (not a view) whose
    columns have the types its year-only source gives them: a year appended into a column of
    another type would be converted silently (money rounded to whole dollars, dates to text)."""
    for table, source in PUBLISHED_TABLES.items():
        kind = conn.execute(
            "select table_type from information_schema.tables where table_catalog = current_database() "
            "and table_schema = 'main' and table_name = ?", [table]).fetchone()
        if kind is None:
            continue
        fix = ("the database was changed by hand or written by another version; run into a new --database, "
               "or set setup.clear_mode: all to start it afresh")
        if kind[0] != "BASE TABLE":
            raise PublishRefused(f"{table} is a {kind[0].lower()}, not a table; nothing was published: {fix}")
        have = {name: kind for name, kind, *_ in conn.execute(f"describe {table}").fetchall()}
        differ = [f"{name} is {have[name]}, this version publishes {kind}"
                  for name, kind, *_ in conn.execute(f"describe {source}").fetchall()
                  if name in have and have[name] != kind]
        if differ:
            raise PublishRefused(f"{table}: {'; '.join(differ[:3])}{' ...' if len(differ) > 3 else ''}; "
                                 f"nothing was published: {fix}")


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


def _append_source(conn: duckdb.DuckDBPyConnection, source: str, parts: int) -> str:
    """The query a published table appends from: `source` whole, or in `parts` rowid ranges.

    A year-only table of 122,880 rows or fewer is one row group, and DuckDB appends a row group
    with one thread. Read as disjoint rowid ranges that together cover every row, the same rows
    are appended by `parts` threads at once when the connection does not preserve insertion
    order (the rows' physical order is then not the source's; nothing reads the published
    tables by it). A source that is a view (a year model computed as it is read) has no rowid
    and is appended whole; its underlying scan is parallel as usual.
    """
    if parts > 1 and not _is_view(conn, source):
        rows = conn.execute(f"select count(*) from {source}").fetchone()[0]
        parts = min(parts, rows // _SPLIT_MIN_ROWS)  # many threads, few rows: fewer ranges
        if parts > 1:
            bounds = [rows * i // parts for i in range(1, parts)]
            ranges = [f"rowid < {bounds[0]}"]
            ranges += [f"rowid >= {low} and rowid < {high}" for low, high in zip(bounds, bounds[1:])]
            ranges += [f"rowid >= {bounds[-1]}"]
            return " union all ".join(f"(select * from {source} where {r})" for r in ranges)
    return f"select * from {source}"


def _is_view(conn: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = conn.execute("select count(*) from duckdb_views() where database_name = ? and view_name = ?",
                       [WORK_CATALOG, name]).fetchone()
    return bool(row and row[0])


def create_published_table(conn: duckdb.DuckDBPyConnection, table: str, source: str) -> None:
    """Create an empty published table with the columns of `source` (its year-only model)."""
    zstd = ZSTD_COLUMNS.get(table, ())
    columns = ", ".join(
        f'"{name}" {kind}' + (" using compression zstd" if name in zstd else "")
        for name, kind, *_ in conn.execute(f"describe {source}").fetchall()
    )
    conn.execute(f"create table {table} ({columns})")


def publish_year(conn: duckdb.DuckDBPyConnection, scenario_id: str, plan_design_ids: Sequence[str], year: int,
                 before_commit: Callable[[], None] | None = None, parts: int = 1,
                 design_rows: dict[str, dict[str, int]] | None = None) -> dict[str, int]:
    """Atomically replace years >= `year` of these designs of this scenario with the freshly
    built year (which holds rows of exactly these designs); returns the rows appended per
    published table, and fills `design_rows` (when given) with design -> rows per table.

    Raises PublishRefused (nothing written) when the work tables hold another scenario or year.
    `before_commit` runs inside the transaction, after the appends; if it raises, nothing is
    published. `parts` > 1 appends each table in that many rowid ranges at once; only for a
    connection that does not preserve insertion order (CheckedPublish's)."""
    counts: dict[str, int] = {}
    conn.execute("begin transaction")
    try:
        checked = check_work_tables(conn, scenario_id, plan_design_ids, year)
        check_published_shape(conn)
        clear_from_year(conn, scenario_id, plan_design_ids, year)
        for table, source in PUBLISHED_TABLES.items():
            if not table_exists(conn, table):
                create_published_table(conn, table, source)
            query = _append_source(conn, source, parts)
            counts[table] = conn.execute(f"insert into {table} by name {query}").fetchone()[0]
        if design_rows is not None:
            design_rows.update(checked)
        if before_commit is not None:
            before_commit()
        conn.execute("commit")
    except BaseException:
        # A commit that failed (e.g. no space left for the write-ahead log) has already ended
        # the transaction: the rollback then has nothing to undo, and its own error must not
        # hide the reason.
        with suppress(duckdb.TransactionException):
            conn.execute("rollback")
        raise
    return counts


def check_work_build(conn: duckdb.DuckDBPyConnection, vars_digest: str, invocation_id: str, year: int,
                     plan_design_ids: Sequence[str] = ()) -> None:
    """Raise PublishRefused unless the work tables were built with these vars (`vars_digest`,
    dbt macro vars_digest) by a build that finished, or by this very dbt invocation (a
    `run --select tag:year tag:publish`: dbt runs a fct_* model only once its inputs are
    built). The record is the work catalog's `work_build` row (dbt/macros/year_inputs.sql).
    The fix names `plan_design_ids`, the designs of the vars."""
    fix = (f"Build the year whole, then publish: {_by_hand(conn, year, plan_design_ids)} "
           "-- run --select tag:year tag:publish")
    if not table_exists(conn, "work_build", WORK_CATALOG):
        raise PublishRefused(f"the work file holds no record of which vars built it; nothing was published. {fix}")
    row = conn.execute(f"select vars_digest, invocation_id, finished, consistent "
                       f"from {WORK_CATALOG}.main.work_build").fetchone()
    if row is None or row[0] != vars_digest:
        raise PublishRefused("the work tables were built with other vars (another config, year or design); "
                             f"nothing was published. {fix}")
    if not row[3]:
        raise PublishRefused("the work tables mix builds (some models rebuilt with these vars over tables of "
                             f"another build); nothing was published. {fix}")
    if not row[2] and row[1] != invocation_id:
        raise PublishRefused(f"the last build of the work tables did not finish; nothing was published. {fix}")


def publish_by_hand(conn: duckdb.DuckDBPyConnection, scenario_id: str, plan_design_ids: Sequence[str],
                    year: int, start_year: int, build: tuple[str, str]) -> None:
    """The `published` materialization's step: publish_from_dbt, its refusal recorded
    (refusal_recorded) instead of raised; nothing at all when the model's refs already
    recorded one (work_tables_built), except that a missing table's fix gets the year and
    designs of the vars."""
    recorded = conn.execute(f"select missing_table from {REFUSAL_TABLE}").fetchall()
    if recorded:
        missing = recorded[0][0]
        if missing is not None:
            conn.execute(f"update {REFUSAL_TABLE} set message = ?",
                         [str(_not_built(conn, missing, year, plan_design_ids))])
        return
    with refusal_recorded(conn):
        publish_from_dbt(conn, scenario_id, plan_design_ids, year, start_year, build)


def publish_from_dbt(conn: duckdb.DuckDBPyConnection, scenario_id: str, plan_design_ids: Sequence[str],
                     year: int, start_year: int, build: tuple[str, str]) -> dict[str, int]:
    """The by-hand publish of a `fct_*` dbt model: the year its vars name, for every design in
    them (var plan_designs), or a refusal.

    Refuses (PublishRefused, nothing written) work tables not built whole with these vars
    (`build`: the vars' digest and dbt's invocation id; check_work_build), a year after the
    first whose previous year is not published for the scenario and each of the designs (it
    would leave a gap), and everything `publish_year` refuses. Each `fct_*` model publishes every published table, so
    publishing one alone never leaves them disagreeing on which years they hold."""
    values = [("scenario_id", scenario_id)] + [("plan_design_id", d) for d in plan_design_ids]
    for name, value in values:
        if not isinstance(value, str) or not SLUG.fullmatch(value):
            raise PublishRefused(f"{name} must be a slug, got {str(value)[:80]!r}; take the vars "
                                 "from navigator dbt-vars")
    if not plan_design_ids:
        raise PublishRefused("the vars name no plan design; take the vars from navigator dbt-vars")
    use_catalogs(conn)  # dbt's connection: resolve names as the orchestrator's does
    check_work_tables(conn, scenario_id, plan_design_ids, year)  # the year they hold, named first
    check_work_build(conn, build[0], build[1], year, plan_design_ids)
    if year > start_year:
        for plan_design_id in plan_design_ids:
            # The latest published year before this one (published years run on from start_year).
            latest = conn.execute(
                "select max(simulation_year) from fct_workforce_snapshot "
                "where scenario_id = ? and plan_design_id = ? and simulation_year < ?",
                [scenario_id, plan_design_id, year]).fetchone()[0] \
                if table_exists(conn, "fct_workforce_snapshot") else None
            if latest != year - 1:
                first_missing = start_year if latest is None else latest + 1
                raise PublishRefused(
                    f"year {year} continues from year {year - 1}, which is not published for scenario "
                    f"{scenario_id!r}, plan design {plan_design_id!r}; nothing was published. Publish the years in "
                    f"order from {first_missing} ({_by_hand(conn, first_missing, plan_design_ids)} -- run --select "
                    f"tag:year tag:publish, then each later year), or simulate: navigator run -c CONFIG "
                    f"--database {_database_arg(conn)}")
    return publish_year(conn, scenario_id, list(plan_design_ids), year)


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
        self._cursor = cursor(conn)
        try:
            # This connection only appends: let DuckDB append a table's rows with every thread.
            self._cursor.execute("set session preserve_insertion_order = false")
            self._parts = int(self._cursor.execute("select current_setting('threads')").fetchone()[0])
        except BaseException:
            self._cursor.close()
            raise
        self._decided = threading.Event()
        self._approved = False
        self._counts: dict[str, int] = {}
        self.design_rows: dict[str, dict[str, int]] = {}  # design -> rows per published table, once committed
        self._error: BaseException | None = None
        # Set by the thread as it ends. Waited on instead of Thread.join: a KeyboardInterrupt
        # (Ctrl-C) that stops a join can leave the thread marked as ended while it still runs
        # (CPython's join releases the running thread's own lock), and the process would then
        # close the cursor under it and exit with DuckDB still appending: an abort.
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._publish, args=(scenario_id, tuple(plan_design_ids), year),
                                        name=f"navigator-publish-{year}", daemon=True)
        self._thread.start()

    def _publish(self, scenario_id: str, plan_design_ids: tuple[str, ...], year: int) -> None:
        try:
            self._counts = publish_year(self._cursor, scenario_id, plan_design_ids, year,
                                        before_commit=self._await_decision,
                                        parts=self._parts, design_rows=self.design_rows)
        except BaseException as exc:  # handed to the caller's thread by commit()
            self._error = exc
        finally:
            self._done.set()

    def _await_decision(self) -> None:
        self._decided.wait()
        if not self._approved:
            raise _Withdrawn()

    def commit(self) -> dict[str, int]:
        """Wait for the appends, commit them; row counts per published table."""
        self._approved = True
        self._decided.set()
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._counts

    def __enter__(self) -> "CheckedPublish":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._decided.set()  # not approved unless commit() ran: the transaction rolls back
        # The thread holds the cursor until it ends: wait for it whatever else is raised
        # meanwhile (a second Ctrl-C once the run's handler is gone), then raise that.
        interrupted: BaseException | None = None
        while not self._done.is_set():
            try:
                self._done.wait()
            except KeyboardInterrupt as exc:
                interrupted = exc
        self._cursor.close()
        if interrupted is not None and exc_info[0] is None:
            raise interrupted
