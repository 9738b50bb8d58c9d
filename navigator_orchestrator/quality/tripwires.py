"""Data-quality tripwires: fast set-based checks of a simulated year before it is published.

After dbt has built year Y into the year-only `int_*` tables and before `publish_year` copies
them to the `fct_*` tables, `guard_year` runs every check once. A tripped `error` raises
`TripwireError`, so year Y is never published and the database stays at the end of year Y-1;
a tripped `warning` is printed (check, numbers, fix) and the run continues, unless
`data_quality.fail_on_warning` (or `navigator run --fail-on-validation-error`) escalates it.
`navigator dq` runs the same checks over already published years.

The checks themselves (SQL, predicate, message, recovery hint) are in `checks.py`. Every
result, passing or not, is recorded in `int_data_quality_results`.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Literal, Sequence

import duckdb

from navigator_orchestrator.engine import database
from navigator_orchestrator.config.schema import ConfigError, SimulationConfig
from navigator_orchestrator.quality.check_context import Context, Severity, missing, query
from navigator_orchestrator.quality.checks import CHECKS, unknown_checks

Status = Literal["pass", "warn", "fail"]
RESULTS_TABLE = "int_data_quality_results"
RUN_LOG_TABLE = "int_simulation_run_log"  # written by safety/runlog.py; the summary goes beside it


class TripwireError(RuntimeError):
    """An error-level check failed: the year was not published."""

    def __init__(self, year: int, results: list["CheckResult"]):
        self.year = year
        self.results = results
        names = ", ".join(dict.fromkeys(r.check_name for r in results))
        designs = list(dict.fromkeys(r.plan_design_id for r in results if r.plan_design_id))
        where = f" (plan design{'s' if len(designs) > 1 else ''} {', '.join(designs)})" if designs else ""
        super().__init__(
            f"year {year} not published: data-quality check(s) failed: {names}{where}; "
            f"the published tables are as they were before this run's year {year} (details and fixes above)"
        )


@dataclass
class CheckResult:
    check_name: str
    severity: Severity
    status: Status
    observed: dict[str, Any]
    message: str
    recovery: str
    simulation_year: int
    seconds: float = 0.0
    plan_design_id: str | None = None  # the design whose rows were checked

    def line(self) -> str:
        label = {"pass": "PASS", "warn": "WARNING", "fail": "FAILED"}[self.status]
        text = f"[{label}] {self.simulation_year} {self.check_name}: {self.message}"
        return text if self.status == "pass" else f"{text} | fix: {self.recovery}"


@dataclass
class TripwireReport:
    year: int
    results: list[CheckResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == "fail"]

    @property
    def warned(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == "warn"]


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


# ----- running -----------------------------------------------------------------

def _catalog(conn: duckdb.DuckDBPyConnection) -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    rows = conn.execute(
        "select table_name, list(column_name) from information_schema.columns "
        "where table_schema = 'main' group by table_name"
    ).fetchall()
    return frozenset(r[0] for r in rows), {r[0]: frozenset(r[1]) for r in rows}


def evaluate(conn: duckdb.DuckDBPyConnection, config: SimulationConfig, year: int,
             mode: Literal["year", "published"], database_path: Path) -> TripwireReport:
    """Run every applicable check for one year of one design; nothing is recorded or raised here."""
    design = config.effective_plan_design_id
    return evaluate_designs(conn, {design: config}, year, mode, database_path)[design]


def evaluate_designs(conn: duckdb.DuckDBPyConnection, designs: dict[str, SimulationConfig], year: int,
                     mode: Literal["year", "published"], database_path: Path) -> dict[str, TripwireReport]:
    """Run every applicable check for one year of several plan designs of one scenario: one
    query per check returns every design's observed numbers. Returns a report per design, in
    the order of `designs`; nothing is recorded or raised here.

    Raises ConfigError when data_quality.skip_checks names an unknown check."""
    first = next(iter(designs.values()))
    problem = unknown_checks(first.data_quality.skip_checks)  # a config built in code skips validation
    if problem:
        raise ConfigError(f"data_quality.skip_checks: {problem}")
    started = time.perf_counter()
    tables, columns = _catalog(conn)
    built = set()
    if mode == "year" and "int_plan_design_parameters" in tables:
        built = {r[0] for r in conn.execute("select plan_design_id from int_plan_design_parameters").fetchall()}
    ctx = Context(first, year, mode, Path(database_path), tables, columns, designs=dict(designs),
                  work_holds_only_these=built == set(designs))
    reports = {d: TripwireReport(year) for d in designs}
    settings = first.data_quality
    observed_by_query: dict[str, dict[str, dict[str, Any]]] = {}  # checks that read the same numbers share one query
    for check in CHECKS:
        if check.name in settings.skip_checks or not check.applies(ctx) or missing(ctx, check):
            for report in reports.values():
                report.skipped.append(check.name)
            continue
        t0 = time.perf_counter()
        sql = query(ctx, check)
        if sql not in observed_by_query:
            cursor = conn.execute(sql)
            columns = [d[0] for d in cursor.description]
            observed_by_query[sql] = {}
            for row in cursor.fetchall():
                observed = _jsonable(dict(zip(columns, row)))
                observed_by_query[sql][observed.pop("plan_design_id")] = observed
        observed_by_design = {d: dict(o) for d, o in observed_by_query[sql].items()}
        seconds = (time.perf_counter() - t0) / len(designs)
        for design_id, report in reports.items():
            observed = observed_by_design[design_id]
            tripped = bool(check.trips(observed, settings))
            if not tripped:
                status: Status = "pass"
            elif check.severity == "error" or settings.fail_on_warning:
                status = "fail"
            else:
                status = "warn"
            # A number the check could not compute (no rows at all) prints as nan, never fails the format.
            shown = {k: float("nan") if v is None else v for k, v in observed.items()}
            message = check.message.format(**shown, **settings.model_dump(exclude={"skip_checks"}))
            report.results.append(CheckResult(
                check_name=check.name, severity=check.severity, status=status, observed=observed,
                message=message, recovery=check.recovery(ctx.for_design(design_id)), simulation_year=year,
                seconds=seconds, plan_design_id=design_id,
            ))
    elapsed = time.perf_counter() - started
    for report in reports.values():
        report.seconds = elapsed / len(designs)
    return reports


def record(conn: duckdb.DuckDBPyConnection, reports: dict[str, TripwireReport], run_id: str,
           scenario_id: str) -> None:
    """Append every result (pass too) of each design's report (design -> report) to
    int_data_quality_results, keyed by scenario and design, in one statement."""
    conn.execute(f"""
        create table if not exists {RESULTS_TABLE} (
            run_id varchar not null,
            scenario_id varchar not null,
            simulation_year integer not null,
            check_name varchar not null,
            severity varchar not null,
            status varchar not null,
            observed json,
            message varchar,
            recovery varchar,
            recorded_at timestamp with time zone not null,
            plan_design_id varchar
        )
    """)
    # Tables written before results were keyed by design get the column (earlier rows: null).
    conn.execute(f"alter table {RESULTS_TABLE} add column if not exists plan_design_id varchar")
    now = datetime.now(timezone.utc)
    rows = [
        (run_id, scenario_id, r.simulation_year, r.check_name, r.severity, r.status,
         json.dumps(r.observed), r.message, r.recovery, now, plan_design_id)
        for plan_design_id, report in reports.items() for r in report.results
    ]
    if rows:
        # One statement for all rows: executemany runs one statement per row.
        placeholders = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(rows))
        conn.execute(f"insert into {RESULTS_TABLE} (run_id, scenario_id, simulation_year, check_name, severity, "
                     "status, observed, message, recovery, recorded_at, plan_design_id) "
                     f"values {placeholders}", [v for row in rows for v in row])


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


def guard_year(conn: duckdb.DuckDBPyConnection, config: SimulationConfig, year: int, run_id: str,
               database_path: Path, echo: Callable[[str], None] = _stderr) -> TripwireReport:
    """Check the freshly built (unpublished) year of one design; raise TripwireError if it must
    not be published."""
    design = config.effective_plan_design_id
    return guard_designs(conn, {design: config}, year, run_id, database_path, echo)[design]


def guard_designs(conn: duckdb.DuckDBPyConnection, designs: dict[str, SimulationConfig], year: int,
                  run_id: str, database_path: Path,
                  echo: Callable[[str], None] = _stderr) -> dict[str, TripwireReport]:
    """Check the freshly built (unpublished) year of every design in `designs` (one query per
    check), record each design's results, print every result that did not pass (naming the
    design when there are several; a result several designs share once, naming them) and raise TripwireError if any design's year must not be
    published. Returns the report of each design."""
    reports = evaluate_designs(conn, designs, year, "year", database_path)
    failed: list[CheckResult] = []
    record(conn, reports, run_id, next(iter(designs.values())).effective_scenario_id)
    note_in_run_log(conn, run_id, list(reports))
    # A result several designs share word for word (a workforce check: the designs share one
    # workforce) is printed once, naming them all.
    lines: dict[str, list[str]] = {}
    for design_id, report in reports.items():
        for result in report.results:
            if result.status != "pass":
                lines.setdefault(result.line(), []).append(design_id)
        failed += report.failed
    for line, ids in lines.items():
        echo(line if len(designs) == 1 else f"{line} (plan design{'s' if len(ids) > 1 else ''} {', '.join(ids)})")
    if failed:
        raise TripwireError(year, failed)
    return reports


def audit_published(conn: duckdb.DuckDBPyConnection, config: SimulationConfig, database_path: Path,
                    years: list[int] | None = None) -> list[TripwireReport]:
    """Run the checks over published years (navigator dq); nothing is written to the database."""
    have = database.published_years(conn, config.effective_scenario_id, config.effective_plan_design_id)
    return [evaluate(conn, config, year, "published", database_path)
            for year in (years if years is not None else have)]


def run_summary(conn: duckdb.DuckDBPyConnection, run_id: str, plan_design_id: str | None = None) -> dict[str, Any]:
    """One run's results (of one plan design, or of every design) in a line for the run log:
    counts by status and the checks that tripped (year:check:status)."""
    if plan_design_id is not None:
        return designs_run_summary(conn, run_id, [plan_design_id])[plan_design_id]
    if not database.table_exists(conn, RESULTS_TABLE):
        return {"pass": 0, "warn": 0, "fail": 0, "tripped": []}
    counts = dict(conn.execute(
        f"select status, count(*) from {RESULTS_TABLE} where run_id = ? group by status", [run_id]).fetchall())
    tripped = [f"{year}:{name}:{status}" for year, name, status in conn.execute(
        f"select simulation_year, check_name, status from {RESULTS_TABLE} "
        "where run_id = ? and status != 'pass' order by 1, 2", [run_id]).fetchall()]
    return {"pass": counts.get("pass", 0), "warn": counts.get("warn", 0), "fail": counts.get("fail", 0),
            "tripped": tripped}


def designs_run_summary(conn: duckdb.DuckDBPyConnection, run_id: str,
                        plan_design_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Design -> `run_summary` of that design, in one query for all of them."""
    out: dict[str, dict[str, Any]] = {d: {"pass": 0, "warn": 0, "fail": 0, "tripped": []} for d in plan_design_ids}
    if not database.table_exists(conn, RESULTS_TABLE):
        return out
    rows = conn.execute(
        f"select plan_design_id, status, count(*), "
        "list(simulation_year || ':' || check_name || ':' || status) "
        "filter (where status != 'pass') "
        f"from {RESULTS_TABLE} where run_id = ? and list_contains(?, plan_design_id) group by 1, 2",
        [run_id, list(plan_design_ids)]).fetchall()
    for design, status, n, tripped in rows:
        out[design][status] = n
        out[design]["tripped"] += tripped or []
    for summary in out.values():  # by year, then check (the warnings and failures come in apart)
        summary["tripped"].sort(key=lambda t: (int(t.split(":")[0]), t.split(":")[1]))
    return out


def note_in_run_log(conn: duckdb.DuckDBPyConnection, run_id: str, plan_design_ids: Sequence[str]) -> None:
    """Keep each design's data-quality summary on its own run-log row (column `data_quality`, JSON)."""
    if not database.table_exists(conn, RUN_LOG_TABLE):
        return
    conn.execute(f"alter table {RUN_LOG_TABLE} add column if not exists data_quality json")
    summaries = [(json.dumps(summary), d) for d, summary in designs_run_summary(conn, run_id, plan_design_ids).items()]
    conn.execute(
        f"update {RUN_LOG_TABLE} as l set data_quality = s.summary::json "
        "from (select unnest(?::varchar[]) as summary, unnest(?::varchar[]) as plan_design_id) as s "
        "where l.run_id = ? and l.plan_design_id = s.plan_design_id",
        [[x for x, _ in summaries], [d for _, d in summaries], run_id])
