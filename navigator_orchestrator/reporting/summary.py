"""Per-year figures of a scenario's plan design: the single source for the console audit, CSV, JSON and HTML.

One set-based query over `fct_workforce_snapshot` and `fct_yearly_events` computes every year
at once. Definitions (docs/reports.md):
- start actives: people active at the start of the year (continuing actives + experienced
  terminations); end actives: employment_status = 'active' at year end.
- growth = end actives / start actives - 1.
- total pay: prorated pay of everyone employed in the year; average pay: mean year-end pay rate
  of year-end actives.
- eligible / participants: year-end actives with is_eligible / is_enrolled_flag;
  participation rate = enrolled eligible actives / eligible actives (a census participant who
  does not meet this plan's eligibility yet counts as a participant but not in the rate).
- average deferral rate: mean current_deferral_rate of enrolled year-end actives.
- employee deferrals, match, core: sums over everyone employed in the year;
  employer cost = match + core; cost % of pay = employer cost / total pay.
Plan figures are None when the snapshot has no plan columns.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal
from typing import Any

import duckdb

from navigator_orchestrator.engine import database

PLAN_COLUMNS = (
    "is_eligible", "is_enrolled_flag", "current_deferral_rate", "prorated_annual_contributions",
    "employer_match_amount", "employer_core_amount",
)
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
    total_pay: float
    average_pay: float | None
    eligible: int | None
    participants: int | None
    eligible_participants: int | None
    participation_rate: float | None
    average_deferral_rate: float | None
    employee_deferrals: float | None
    employer_match: float | None
    employer_core: float | None
    total_employer_cost: float | None
    cost_pct_of_pay: float | None

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
            "figures": asdict(self.figures),
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


def _round(value: Any, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


def scenario_figures(conn: duckdb.DuckDBPyConnection, scenario_id: str, plan_design_id: str,
                     first: int | None = None, last: int | None = None) -> list[YearFigures]:
    """Figures for every published year of the scenario's design in [first, last], by year."""
    if not database.table_exists(conn, "fct_workforce_snapshot"):
        return []
    have = _columns(conn, "fct_workforce_snapshot")
    plan = all(c in have for c in PLAN_COLUMNS)

    def col(expr: str, kind: str) -> str:
        return expr if plan else f"null::{kind}"

    active = "employment_status = 'active'"
    enrolled = f"{active} and coalesce(is_enrolled_flag, false)"
    events = (
        "select simulation_year, count(*) filter (where event_type = 'promotion') as promotions "
        "from fct_yearly_events where scenario_id = $scenario and plan_design_id = $design group by 1"
        if database.table_exists(conn, "fct_yearly_events")
        else "select null::integer as simulation_year, 0 as promotions where false"
    )
    sql = f"""
        with snap as (
            select * from fct_workforce_snapshot
            where scenario_id = $scenario and plan_design_id = $design and simulation_year between $first and $last
        ),
        per_year as (
            select
                simulation_year as year,
                count(*) filter (where detailed_status_code in ('continuous_active', 'experienced_termination')) as start_actives,
                count(*) filter (where {active}) as end_actives,
                count(*) filter (where detailed_status_code in ('new_hire_active', 'new_hire_termination')) as hires,
                count(*) filter (where detailed_status_code = 'experienced_termination') as experienced_terminations,
                count(*) filter (where detailed_status_code = 'new_hire_termination') as new_hire_terminations,
                coalesce(sum(prorated_annual_compensation), 0) as total_pay,
                avg(current_compensation) filter (where {active}) as average_pay,
                {col(f"count(*) filter (where {active} and coalesce(is_eligible, false))", "bigint")} as eligible,
                {col(f"count(*) filter (where {enrolled})", "bigint")} as participants,
                {col(f"count(*) filter (where {enrolled} and coalesce(is_eligible, false))", "bigint")} as eligible_participants,
                {col(f"avg(current_deferral_rate) filter (where {enrolled})", "double")} as average_deferral_rate,
                {col("coalesce(sum(prorated_annual_contributions), 0)", "double")} as employee_deferrals,
                {col("coalesce(sum(employer_match_amount), 0)", "double")} as employer_match,
                {col("coalesce(sum(employer_core_amount), 0)", "double")} as employer_core
            from snap
            group by 1
        ),
        events as ({events})
        select
            p.year, p.start_actives, p.end_actives, p.hires, p.experienced_terminations,
            p.new_hire_terminations, coalesce(e.promotions, 0) as promotions,
            case when p.start_actives > 0 then p.end_actives / p.start_actives - 1 end as growth_pct,
            p.total_pay, p.average_pay, p.eligible, p.participants, p.eligible_participants,
            case when p.eligible > 0 then p.eligible_participants / p.eligible end as participation_rate,
            p.average_deferral_rate, p.employee_deferrals, p.employer_match, p.employer_core,
            p.employer_match + p.employer_core as total_employer_cost,
            case when p.total_pay > 0 then (p.employer_match + p.employer_core) / p.total_pay end as cost_pct_of_pay
        from per_year p
        left join events e on e.simulation_year = p.year
        order by p.year
    """
    params = {"scenario": scenario_id, "design": plan_design_id, "first": first if first is not None else 0,
              "last": last if last is not None else 99999}
    out = []
    for row in conn.execute(sql, params).fetchall():
        r = dict(zip(YearFigures.columns(), (_plain(v) for v in row)))
        for money in ("total_pay", "average_pay", "employee_deferrals", "employer_match",
                      "employer_core", "total_employer_cost"):
            r[money] = _round(r[money], 2)
        for rate in ("growth_pct", "participation_rate", "average_deferral_rate", "cost_pct_of_pay"):
            r[rate] = _round(r[rate], 6)
        out.append(YearFigures(**r))
    return out


def status_mix(conn: duckdb.DuckDBPyConnection, scenario_id: str, plan_design_id: str,
               year: int) -> dict[str, int]:
    rows = conn.execute(
        "select detailed_status_code, count(*) from fct_workforce_snapshot "
        "where scenario_id = ? and plan_design_id = ? and simulation_year = ? group by 1 order by 1",
        [scenario_id, plan_design_id, year],
    ).fetchall()
    return {k: int(v) for k, v in rows}


def events_by_type(conn: duckdb.DuckDBPyConnection, scenario_id: str, plan_design_id: str,
                   year: int) -> dict[str, int]:
    if not database.table_exists(conn, "fct_yearly_events"):
        return {}
    rows = conn.execute(
        "select event_type, count(*) from fct_yearly_events "
        "where scenario_id = ? and plan_design_id = ? and simulation_year = ? group by 1 order by 2 desc, 1",
        [scenario_id, plan_design_id, year],
    ).fetchall()
    return {k: int(v) for k, v in rows}


def dq_results(conn: duckdb.DuckDBPyConnection, scenario_id: str, plan_design_id: str,
               year: int | None = None) -> list[dict[str, Any]] | None:
    """The latest run's data-quality results per year of one design; None when none were ever
    recorded (results recorded before they were keyed by design count for every design)."""
    if not database.table_exists(conn, DQ_TABLE):
        return None
    wanted = ["run_id", "scenario_id", "simulation_year", "check_name", "severity", "status",
              "observed", "message", "recovery"]
    have = _columns(conn, DQ_TABLE)
    present = [c for c in wanted if c in have]
    if not {"run_id", "scenario_id", "simulation_year"} <= set(present):
        return None
    # The latest recording per year wins: a run's guard or a later `navigator dq` audit.
    when = "max(recorded_at)" if "recorded_at" in have else "max(run_id)"
    cols = ", ".join(present)
    rows = conn.execute(
        f"""
        with r as (select {cols}{", recorded_at" if "recorded_at" in have else ""} from {DQ_TABLE}
                   where scenario_id = $s and ($y is null or simulation_year = $y)
                     {"and coalesce(plan_design_id, $d) = $d" if "plan_design_id" in have else ""}),
        latest as (select simulation_year, arg_max(run_id, {when.removeprefix("max(").removesuffix(")")}) as run_id
                   from r group by 1)
        select {", ".join("r." + c for c in present)} from r join latest using (simulation_year, run_id)
        order by r.simulation_year, r.check_name
        """,
        {"s": scenario_id, "y": year, **({"d": plan_design_id} if "plan_design_id" in have else {})},
    ).fetchall()
    return [{k: _plain(v) for k, v in zip(present, row)} for row in rows] or None


def deferral_distribution(conn: duckdb.DuckDBPyConnection, scenario_id: str,
                          plan_design_id: str) -> dict[int, dict[str, int]]:
    """Enrolled year-end actives per deferral-rate bucket, per year (empty without plan columns)."""
    if not database.table_exists(conn, "fct_workforce_snapshot"):
        return {}
    if not all(c in _columns(conn, "fct_workforce_snapshot") for c in PLAN_COLUMNS):
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
    if earlier is None:
        history = scenario_figures(conn, scenario_id, plan_design_id, first_year, year)
    else:
        history = [f for f in earlier if f.year < year] + scenario_figures(conn, scenario_id, plan_design_id, year, year)
    figures = next(f for f in history if f.year == year)
    return YearAudit(
        scenario_id=scenario_id,
        plan_design_id=plan_design_id,
        year=year,
        figures=figures,
        status_mix=status_mix(conn, scenario_id, plan_design_id, year),
        events_by_type=events_by_type(conn, scenario_id, plan_design_id, year),
        dq=dq_results(conn, scenario_id, plan_design_id, year),
        history=history,
    )
