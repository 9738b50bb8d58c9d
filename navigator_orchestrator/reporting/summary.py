"""Per-year figures of a scenario's plan design, as the dbt mart `fct_plan_year_summary` holds
them: the single source of the console audit, the CSV, the JSON, the HTML report and
`navigator compare`. Definitions: docs/reports.md and the mart's YAML (dbt/models/marts/schema.yml).
Money comes back as exact Decimal cents; rates and shares as floats (fractions, 6 decimals).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal
from typing import Any, Sequence

import duckdb

from navigator_orchestrator.engine import database

SUMMARY_TABLE = "fct_plan_year_summary"
DQ_TABLE = "int_data_quality_results"
DEFERRAL_BUCKETS = ((0.0, 0.03, "under 3%"), (0.03, 0.06, "3-6%"), (0.06, 0.10, "6-10%"),
                    (0.10, 10.0, "10% and over"))


@dataclass
class YearFigures:
    year: int
    start_actives: int
    end_actives: int
    hires: int
    experienced_terminations: int
    new_hire_terminations: int
    promotions: int
    growth_pct: float | None
    total_pay: Decimal
    average_pay: Decimal | None
    eligible: int
    participants: int
    eligible_participants: int
    participation_rate: float | None
    average_deferral_rate: float | None
    employee_deferrals: Decimal
    employer_match: Decimal
    employer_core: Decimal
    total_employer_cost: Decimal
    cost_pct_of_pay: float | None
    employer_cost_per_participant: Decimal | None
    forfeitures: Decimal
    forfeitures_used: Decimal
    net_employer_cost: Decimal

    @classmethod
    def columns(cls) -> list[str]:
        return [f.name for f in fields(cls)]


@dataclass
class YearAudit:
    """Everything reported about one finished year."""

    scenario_id: str
    plan_design_id: str
    year: int
    figures: YearFigures
    status_mix: dict[str, int]
    events_by_type: dict[str, int]
    dq: list[dict[str, Any]] | None  # None: no data-quality results recorded
    history: list[YearFigures] = field(default_factory=list)  # census year .. this year

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario_id": self.scenario_id,
            "plan_design_id": self.plan_design_id,
            "year": self.year,
            "figures": {k: _plain(v) for k, v in asdict(self.figures).items()},
            "status_mix": self.status_mix,
            "events_by_type": self.events_by_type,
            "dq": self.dq if self.dq is not None else [],
            "dq_recorded": self.dq is not None,
        }


def _columns(conn: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    rows = conn.execute(
        "select column_name from information_schema.columns where table_schema = 'main' and table_name = ?",
        [table],
    ).fetchall()
    return {r[0] for r in rows}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return value


def scenario_figures(conn: duckdb.DuckDBPyConnection, scenario_id: str, plan_design_id: str,
                     first: int | None = None, last: int | None = None) -> list[YearFigures]:
    """Figures for every published year of the scenario's design in [first, last], by year,
    read from fct_plan_year_summary (empty when the database holds no summary)."""
    return designs_figures(conn, scenario_id, [plan_design_id], first, last)[plan_design_id]


def designs_figures(conn: duckdb.DuckDBPyConnection, scenario_id: str, plan_design_ids: Sequence[str],
                    first: int | None = None, last: int | None = None) -> dict[str, list[YearFigures]]:
    """Design -> `scenario_figures` of each design, in one query."""
    out: dict[str, list[YearFigures]] = {d: [] for d in plan_design_ids}
    if not database.table_exists(conn, SUMMARY_TABLE):
        return out
    columns = ", ".join("simulation_year" if c == "year" else c for c in YearFigures.columns())
    rows = conn.execute(
        f"select plan_design_id, {columns} from {SUMMARY_TABLE} where scenario_id = ? "
        "and list_contains(?, plan_design_id) and simulation_year between ? and ? order by simulation_year",
        [scenario_id, list(plan_design_ids), first if first is not None else 0, last if last is not None else 99999],
    ).fetchall()
    for design, *row in rows:
        out[design].append(YearFigures(*row))
    return out


def _counts_by_design(conn: duckdb.DuckDBPyConnection, table: str, column: str, scenario_id: str,
                      plan_design_ids: Sequence[str], year: int, order: str) -> dict[str, dict[str, int]]:
    """Design -> {value of `column`: rows} in one published year (`table`, `column` are constants
    of this module, never input)."""
    out: dict[str, dict[str, int]] = {d: {} for d in plan_design_ids}
    if not database.table_exists(conn, table):
        return out
    rows = conn.execute(
        f"select plan_design_id, {column}, count(*) as n from {table} "
        "where scenario_id = ? and list_contains(?, plan_design_id) and simulation_year = ? "
        f"group by 1, 2 order by 1, {order}",
        [scenario_id, list(plan_design_ids), year],
    ).fetchall()
    for design, value, n in rows:
        out[design][value] = int(n)
    return out


def status_mix(conn: duckdb.DuckDBPyConnection, scenario_id: str, plan_design_id: str,
               year: int) -> dict[str, int]:
    """{detailed_status_code: employees} of the design's published year, by status."""
    return designs_status_mix(conn, scenario_id, [plan_design_id], year)[plan_design_id]


def designs_status_mix(conn: duckdb.DuckDBPyConnection, scenario_id: str, plan_design_ids: Sequence[str],
                       year: int) -> dict[str, dict[str, int]]:
    return _counts_by_design(conn, "fct_workforce_snapshot", "detailed_status_code", scenario_id,
                             plan_design_ids, year, order="2")


def events_by_type(conn: duckdb.DuckDBPyConnection, scenario_id: str, plan_design_id: str,
                   year: int) -> dict[str, int]:
    """{event_type: events} of the design's published year, most frequent first."""
    return designs_events_by_type(conn, scenario_id, [plan_design_id], year)[plan_design_id]


def designs_events_by_type(conn: duckdb.DuckDBPyConnection, scenario_id: str, plan_design_ids: Sequence[str],
                           year: int) -> dict[str, dict[str, int]]:
    return _counts_by_design(conn, "fct_yearly_events", "event_type", scenario_id, plan_design_ids, year,
                             order="n desc, 2")


def dq_results(conn: duckdb.DuckDBPyConnection, scenario_id: str, plan_design_id: str,
               year: int | None = None) -> list[dict[str, Any]] | None:
    """The data-quality results per year of one design: those of the run that published the
    year (else the latest recorded); None when none were ever recorded (results recorded before
    they were keyed by design count for every design)."""
    return designs_dq_results(conn, scenario_id, [plan_design_id], year)[plan_design_id]


def designs_dq_results(conn: duckdb.DuckDBPyConnection, scenario_id: str, plan_design_ids: Sequence[str],
                       year: int | None = None) -> dict[str, list[dict[str, Any]] | None]:
    """Design -> `dq_results` of each design, in one query."""
    out: dict[str, list[dict[str, Any]] | None] = dict.fromkeys(plan_design_ids)
    if not database.table_exists(conn, DQ_TABLE):
        return out
    wanted = ["run_id", "scenario_id", "simulation_year", "check_name", "severity", "status",
              "observed", "message", "recovery"]
    have = _columns(conn, DQ_TABLE)
    present = [c for c in wanted if c in have]
    if not {"run_id", "scenario_id", "simulation_year"} <= set(present):
        return out
    # Per year, the results of the run that published it (fct_plan_year_summary.run_id); when
    # that run recorded none (a by-hand publish), the latest recording. A run whose checks
    # refused the year records its results too, but they do not describe what is published.
    when = "recorded_at" if "recorded_at" in have else "run_id"
    cols = ", ".join("q." + c for c in present)
    keyed = "coalesce(q.plan_design_id, d.design) = d.design" if "plan_design_id" in have else "true"
    published = (f"select plan_design_id as design, simulation_year, any_value(run_id) as published_run "
                 f"from {SUMMARY_TABLE} where scenario_id = $s group by 1, 2"
                 if database.table_exists(conn, SUMMARY_TABLE)
                 else "select null::varchar as design, null::integer as simulation_year, null::varchar as published_run")
    rows = conn.execute(
        f"""
        with r as (select d.design, {cols}{", q.recorded_at" if "recorded_at" in have else ""}
                   from {DQ_TABLE} as q
                   join (select unnest($ds::varchar[]) as design) as d on {keyed}
                   where q.scenario_id = $s and ($y is null or q.simulation_year = $y)),
        published as ({published}),
        chosen as (
            select r.design, r.simulation_year, r.run_id
            from r left join published as p using (design, simulation_year)
            qualify row_number() over (partition by r.design, r.simulation_year
                                       order by coalesce(r.run_id = p.published_run, false) desc, r.{when} desc) = 1)
        select r.design, {", ".join("r." + c for c in present)}
        from r join chosen using (design, simulation_year, run_id)
        order by r.design, r.simulation_year, r.check_name
        """,
        {"s": scenario_id, "y": year, "ds": list(plan_design_ids)},
    ).fetchall()
    for design, *row in rows:
        found = out[design] or []
        found.append({k: _plain(v) for k, v in zip(present, row)})
        out[design] = found
    return out


def deferral_distribution(conn: duckdb.DuckDBPyConnection, scenario_id: str,
                          plan_design_id: str) -> dict[int, dict[str, int]]:
    """Enrolled year-end actives per deferral-rate bucket, per year."""
    if not database.table_exists(conn, "fct_workforce_snapshot"):
        return {}
    cases = " ".join(f"when current_deferral_rate < {hi} then '{label}'" for _, hi, label in DEFERRAL_BUCKETS)
    rows = conn.execute(
        f"""
        select simulation_year, case {cases} else '{DEFERRAL_BUCKETS[-1][2]}' end as bucket, count(*)
        from fct_workforce_snapshot
        where scenario_id = ? and plan_design_id = ? and employment_status = 'active'
          and coalesce(is_enrolled_flag, false)
        group by 1, 2
        """,
        [scenario_id, plan_design_id],
    ).fetchall()
    out: dict[int, dict[str, int]] = {}
    for year, bucket, n in rows:
        out.setdefault(year, {label: 0 for _, _, label in DEFERRAL_BUCKETS})[bucket] = int(n)
    return dict(sorted(out.items()))


def year_audit(conn: duckdb.DuckDBPyConnection, scenario_id: str, plan_design_id: str, year: int,
               first_year: int | None = None, earlier: list[YearFigures] | None = None) -> YearAudit:
    """The year's audit. `earlier`: the figures of the years before it, when already known
    (publishing year Y never changes an earlier year), so only year Y is computed."""
    return designs_year_audit(conn, scenario_id, [plan_design_id], year, first_year,
                              None if earlier is None else {plan_design_id: earlier})[plan_design_id]


def designs_year_audit(conn: duckdb.DuckDBPyConnection, scenario_id: str, plan_design_ids: Sequence[str],
                       year: int, first_year: int | None = None,
                       earlier: dict[str, list[YearFigures] | None] | None = None) -> dict[str, YearAudit]:
    """Design -> `year_audit` of each design of a year published together, with one query per
    figure for all of them. `earlier`: design -> the figures of its years before `year` (None
    where not yet known: then its history is read from `first_year`)."""
    earlier = earlier or {}
    known = [d for d in plan_design_ids if earlier.get(d) is not None]
    unknown = [d for d in plan_design_ids if earlier.get(d) is None]
    history = designs_figures(conn, scenario_id, unknown, first_year, year) if unknown else {}
    this_year = designs_figures(conn, scenario_id, known, year, year) if known else {}
    for d in known:
        history[d] = [f for f in earlier[d] if f.year < year] + this_year[d]
    mix = designs_status_mix(conn, scenario_id, plan_design_ids, year)
    events = designs_events_by_type(conn, scenario_id, plan_design_ids, year)
    dq = designs_dq_results(conn, scenario_id, plan_design_ids, year)
    return {
        d: YearAudit(
            scenario_id=scenario_id,
            plan_design_id=d,
            year=year,
            figures=next(f for f in history[d] if f.year == year),
            status_mix=mix[d],
            events_by_type=events[d],
            dq=dq[d],
            history=history[d],
        )
        for d in plan_design_ids
    }
