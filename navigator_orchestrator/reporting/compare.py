"""`navigator compare`: a scenario's plan designs side by side, against a baseline design.

Two views, both read from published tables:
- the comparison: per (scenario_id, plan_design_id, simulation_year), and a horizon total row
  (`simulation_year` = `total`), the plan figures of `fct_plan_year_summary` (the mart every
  report reads) under the names of COLUMNS, with the employer-cost variance against the
  baseline design's row of the same year on every non-baseline row (`employer_cost` is the
  gross cost, match + core; `net_employer_cost` what is left after the forfeitures used
  against it, with its own variance);
- who gains and who loses: per design against the baseline, employer money (match + core) per
  employee summed over the years compared, grouped by age band, tenure band, pay band and
  HCE/NHCE (bands as of the employee's last year in the range). A scenario's designs share one
  simulated workforce, so every employee appears under every design;
- the nondiscrimination tests: per design, year and test (ADP, ACP), pass / fail / exempt and the
  corrective amount, from `fct_ndt_results`; the top-heavy test beside them.

Totals: money columns are sums over the years; employer_cost_pct_of_pay = total cost / total
pay; participation_rate = enrolled eligible actives / eligible actives, both summed over the
years (person-years); average_deferral_rate is the participant-weighted mean of the years'
averages; employer_cost_per_participant = total cost / participant-years, half up to the cent.
"""

from __future__ import annotations

import shlex

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import duckdb

from navigator_orchestrator.engine import database
from navigator_orchestrator.reporting.summary import SUMMARY_TABLE

# The comparison's columns, in order (the CSV's header).
COLUMNS = [
    "scenario_id", "plan_design_id", "simulation_year", "employee_deferrals", "employer_match",
    "employer_core", "employer_cost", "employer_cost_pct_of_pay", "participation_rate",
    "average_deferral_rate", "employer_cost_per_participant", "employer_cost_vs_baseline",
    "employer_cost_vs_baseline_pct", "forfeitures", "forfeitures_used", "net_employer_cost",
    "net_employer_cost_vs_baseline",
]
MONEY = {"employee_deferrals", "employer_match", "employer_core", "employer_cost",
         "employer_cost_per_participant", "employer_cost_vs_baseline", "forfeitures", "forfeitures_used",
         "net_employer_cost", "net_employer_cost_vs_baseline", "corrective_amount"}
SHARES = {"employer_cost_pct_of_pay", "participation_rate", "average_deferral_rate",
          "employer_cost_vs_baseline_pct", "hce_average", "nhce_average", "limit"}

# Bands of the gain/loss view: (dimension, SQL over the snapshot row, labels in order).
BANDS: list[tuple[str, str, list[str]]] = [
    ("age band", """case when current_age < 30 then 'under 30' when current_age < 40 then '30-39'
                    when current_age < 50 then '40-49' when current_age < 60 then '50-59'
                    else '60 and over' end""",
     ["under 30", "30-39", "40-49", "50-59", "60 and over"]),
    ("tenure band", """case when current_tenure < 2 then 'under 2 years' when current_tenure < 5
                       then '2-4 years' when current_tenure < 10 then '5-9 years'
                       else '10 years and over' end""",
     ["under 2 years", "2-4 years", "5-9 years", "10 years and over"]),
    ("pay band", """case when current_compensation < 50000 then 'under $50k'
                    when current_compensation < 100000 then '$50k-$100k'
                    when current_compensation < 150000 then '$100k-$150k'
                    when current_compensation < 200000 then '$150k-$200k' else '$200k and over' end""",
     ["under $50k", "$50k-$100k", "$100k-$150k", "$150k-$200k", "$200k and over"]),
    ("HCE status", "case when coalesce(is_hce, false) then 'HCE' else 'NHCE' end", ["HCE", "NHCE"]),
]
GAIN_COLUMNS = ["plan_design_id", "dimension", "band", "employees", "better_off", "worse_off", "unchanged",
                "mean_change", "total_change"]
# The nondiscrimination view: fct_ndt_results per design, year and test (docs/ndt.md). `result` is
# pass, fail or exempt (a qualifying safe harbor) for adp and acp, and not top-heavy, top-heavy or
# exempt for top_heavy; averages, the key employees' share (hce_average of a top_heavy row) and
# limit are fractions; corrective_amount is the correction ndt.correction selects, or the top-heavy
# minimum owed, in dollars; in_words says it all in a sentence, with any testing option that was
# not applied as asked (reporting/ndt.py, in_words).
NDT_COLUMNS = ["plan_design_id", "simulation_year", "test", "result", "method", "safe_harbor_status", "hce_average",
               "nhce_average", "limit", "correction", "corrective_amount", "in_words"]


class CompareError(ValueError):
    """The comparison cannot be made as asked; the message names the problem and the fix."""


@dataclass
class Comparison:
    scenario_id: str
    baseline: str
    designs: list[str]
    years: tuple[int, int]
    rows: list[dict[str, Any]]          # COLUMNS, per design and year, then each design's total
    gain_loss: list[dict[str, Any]]     # GAIN_COLUMNS, per non-baseline design and band
    estimated_limit_years: list[int] = field(default_factory=list)
    ndt: list[dict[str, Any]] = field(default_factory=list)  # NDT_COLUMNS, per design, year and test

    @property
    def untested(self) -> list[str]:
        """The designs compared without any nondiscrimination or top-heavy result in these years."""
        tested = {r["plan_design_id"] for r in self.ndt}
        return [d for d in self.designs if d not in tested]

    def untested_note(self) -> str | None:
        """One sentence naming the untested designs (None when every design was tested)."""
        missing = self.untested
        if not missing:
            return None
        names = ", ".join(missing)
        return (f"No nondiscrimination or top-heavy results for {names} in {self.years[0]}-{self.years[1]}: "
                "ndt.enabled was false when "
                + ("it was" if len(missing) == 1 else "they were")
                + " simulated (or the database predates these tests).")


def _published(conn: duckdb.DuckDBPyConnection, scenario_id: str) -> dict[str, list[int]]:
    if not database.table_exists(conn, SUMMARY_TABLE):
        return {}
    rows = conn.execute(
        f"select plan_design_id, list(distinct simulation_year order by simulation_year) "
        f"from {SUMMARY_TABLE} where scenario_id = ? group by 1 order by 1", [scenario_id]).fetchall()
    return {design: list(years) for design, years in rows}


def _other_scenarios(conn: duckdb.DuckDBPyConnection, scenario_id: str) -> dict[str, list[str]]:
    """Scenario -> its designs with published years, for every scenario but `scenario_id`."""
    if not database.table_exists(conn, SUMMARY_TABLE):
        return {}
    return {s: list(ds) for s, ds in conn.execute(
        f"select scenario_id, list(distinct plan_design_id order by plan_design_id) from {SUMMARY_TABLE} "
        "where scenario_id <> ? group by 1 order by 1", [scenario_id]).fetchall()}


def check_request(conn: duckdb.DuckDBPyConnection, scenario_id: str, designs: list[str], baseline: str,
                  years: tuple[int, int] | None, database_name: str, config_name: str = "CONFIG") -> tuple[int, int]:
    """The year range to compare; CompareError when the database lacks a design or a year, or
    the baseline is not among the designs. The fix names the config as `config_name`."""
    if baseline not in designs:
        raise CompareError(f"--baseline {baseline!r} names no design of the config; designs: {', '.join(designs)}")
    have = _published(conn, scenario_id)
    missing = [d for d in designs if d not in have]
    if missing:
        held = ", ".join(have) or "none"
        others = _other_scenarios(conn, scenario_id) if not have else {}
        elsewhere = ("; it holds " + "; ".join(f"scenario '{s}' (designs {', '.join(ds)})" for s, ds in others.items())
                     + ": pass -c with the config that names that scenario, or") if others else ";"
        raise CompareError(
            f"{database_name} holds no published years of design(s) {', '.join(missing)} for scenario "
            f"'{scenario_id}' (designs there: {held}){elsewhere} run `navigator run -c {shlex.quote(config_name)} "
            f"--database {shlex.quote(database_name)}` first")
    common = sorted(set.intersection(*(set(have[d]) for d in designs)))
    if not common:
        raise CompareError(f"the designs {', '.join(designs)} share no published year in {database_name}; "
                           "run them over the same years")
    first, last = years if years is not None else (common[0], common[-1])
    lacking = {d: [y for y in range(first, last + 1) if y not in have[d]] for d in designs}
    lacking = {d: ys for d, ys in lacking.items() if ys}
    if lacking:
        detail = "; ".join(f"{d} lacks {', '.join(map(str, ys))}" for d, ys in lacking.items())
        raise CompareError(f"years {first}-{last} are not published for every design ({detail}); "
                           f"pass --years within {common[0]}-{common[-1]} or run the missing years")
    return first, last


def built_from(conn: duckdb.DuckDBPyConnection, scenario_id: str, design_hashes: dict[str, str],
               years: tuple[int, int]) -> tuple[list[str], list[str]]:
    """Whether the published years [first, last] of each design were built from the definition
    `design_hashes` gives (design id -> `SimulationConfig.design_hash()` of the config at hand):
    returns (the designs some year of which a run built from another definition, the designs some
    year of which cannot be checked: the run log of the run that published it records no design
    hash (an earlier version) or has no row for it (a year published by hand)). Each year's run is
    the `run_id` of its `fct_plan_year_summary` row; its run-log row gives the hash."""
    from navigator_orchestrator.safety.runlog import RUN_LOG_TABLE

    first, last = years
    has_log = database.table_exists(conn, RUN_LOG_TABLE)
    has_hash = has_log and any(r[0] == "design_hash" for r in conn.execute(f"describe {RUN_LOG_TABLE}").fetchall())
    recorded = "l.design_hash" if has_hash else "null::varchar"
    join = (f"left join {RUN_LOG_TABLE} as l on l.run_id = p.run_id and l.plan_design_id = p.plan_design_id"
            if has_log else "")
    rows = conn.execute(
        f"""with p as (select distinct plan_design_id, run_id from {SUMMARY_TABLE}
                       where scenario_id = $scenario and list_contains($designs, plan_design_id)
                         and simulation_year between $first and $last)
            select p.plan_design_id, {recorded} from p {join}""",
        {"scenario": scenario_id, "designs": list(design_hashes), "first": first, "last": last}).fetchall()
    changed = {d for d, h in rows if h is not None and h != design_hashes[d]}
    unknown = {d for d, h in rows if h is None} - changed
    return [d for d in design_hashes if d in changed], [d for d in design_hashes if d in unknown]


_FIGURES_SQL = f"""
with s as (
    select * from {SUMMARY_TABLE}
    where scenario_id = $scenario and list_contains($designs, plan_design_id)
      and simulation_year between $first and $last
),
per_year as (
    select plan_design_id, simulation_year::varchar as simulation_year, 0 as is_total,
           employee_deferrals, employer_match, employer_core, total_employer_cost as employer_cost,
           cost_pct_of_pay as employer_cost_pct_of_pay, participation_rate, average_deferral_rate,
           employer_cost_per_participant, forfeitures, forfeitures_used, net_employer_cost
    from s
),
totals as (
    select plan_design_id, 'total', 1,
           sum(employee_deferrals), sum(employer_match), sum(employer_core), sum(total_employer_cost),
           round(sum(total_employer_cost) / nullif(sum(total_pay), 0), 6),
           round(sum(eligible_participants) / nullif(sum(eligible), 0), 6),
           round(sum(average_deferral_rate * participants) / nullif(sum(participants), 0), 6),
           -- total cost / participant-years, half up to the cent in integer cents (exact)
           case when sum(participants) > 0
                then ((((sum(total_employer_cost) * 100)::hugeint * 2 + sum(participants))
                       // (2 * sum(participants)))::decimal(18, 0) * 0.01)::decimal(18, 2) end,
           sum(forfeitures), sum(forfeitures_used), sum(net_employer_cost)
    from s group by plan_design_id
),
rows as (select * from per_year union all select * from totals)
select r.plan_design_id, r.simulation_year, r.employee_deferrals, r.employer_match, r.employer_core,
       r.employer_cost, r.employer_cost_pct_of_pay, r.participation_rate, r.average_deferral_rate,
       r.employer_cost_per_participant,
       case when r.plan_design_id <> $baseline then r.employer_cost - b.employer_cost end,
       case when r.plan_design_id <> $baseline and b.employer_cost <> 0
            then round((r.employer_cost - b.employer_cost) / b.employer_cost, 6) end,
       r.forfeitures, r.forfeitures_used, r.net_employer_cost,
       case when r.plan_design_id <> $baseline then r.net_employer_cost - b.net_employer_cost end
from rows as r
join rows as b on b.plan_design_id = $baseline and b.simulation_year = r.simulation_year
order by list_position($designs, r.plan_design_id), r.is_total, r.simulation_year
"""


def _gain_loss(conn: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> list[dict[str, Any]]:
    bands = ",\n".join(f"{sql} as band_{i}" for i, (_, sql, _) in enumerate(BANDS))
    grouped = " union all ".join(
        f"""select plan_design_id, {i} as dim, band_{i} as band, count(*), count(*) filter (where change > 0.005),
                   count(*) filter (where change < -0.005), count(*) filter (where abs(change) <= 0.005),
                   round(avg(change), 2), sum(change)
            from changes group by all"""
        for i in range(len(BANDS)))
    sql = f"""
    with s as (
        select plan_design_id, employee_id, simulation_year, current_age, current_tenure, current_compensation,
               is_hce, employer_match_amount + employer_core_amount as employer_money
        from fct_workforce_snapshot
        where scenario_id = $scenario and list_contains($designs, plan_design_id)
          and simulation_year between $first and $last
    ),
    money as (
        select plan_design_id, employee_id, sum(employer_money) as employer_money
        from s group by all
    ),
    latest as (
        select employee_id, {bands}
        from s where plan_design_id = $baseline
        qualify row_number() over (partition by employee_id order by simulation_year desc) = 1
    ),
    changes as (
        select d.plan_design_id, l.*, d.employer_money - b.employer_money as change
        from money as d
        join money as b on b.employee_id = d.employee_id and b.plan_design_id = $baseline
        join latest as l on l.employee_id = d.employee_id
        where d.plan_design_id <> $baseline
    )
    {grouped}
    """
    order = {d: i for i, d in enumerate(params["designs"])}
    out = []
    for design, dim, band, n, better, worse, same, mean, total in conn.execute(sql, params).fetchall():
        name, _, labels = BANDS[dim]
        out.append(dict(zip(GAIN_COLUMNS, (design, name, band, n, better, worse, same, mean, total))))
    return sorted(out, key=lambda r: (order[r["plan_design_id"]], [b[0] for b in BANDS].index(r["dimension"]),
                                      next(b[2] for b in BANDS if b[0] == r["dimension"]).index(r["band"])))


def _ndt(conn: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The ADP, ACP and top-heavy results of the designs and years compared (none when the tests were off)."""
    from navigator_orchestrator.reporting.ndt import TEST_ORDER, in_words

    if not database.table_exists(conn, "fct_ndt_results"):
        return []
    sql = """
        select plan_design_id, simulation_year::varchar, test,
               case when method = 'safe_harbor' then 'exempt'
                    when test = 'top_heavy' then case when passed then 'not top-heavy' else 'top-heavy' end
                    when passed then 'pass' else 'fail' end,
               method, safe_harbor_status, hce_average, nhce_average, "limit", correction, corrective_amount,
               passed, qnec_rate
        from fct_ndt_results
        where scenario_id = $scenario and list_contains($designs, plan_design_id)
          and simulation_year between $first and $last
        order by list_position($designs, plan_design_id), simulation_year, list_position($tests, test)"""
    wanted = {**{k: params[k] for k in ("scenario", "designs", "first", "last")}, "tests": TEST_ORDER}
    rows = []
    for values in conn.execute(sql, wanted).fetchall():
        row = dict(zip([*NDT_COLUMNS[:-1], "passed", "qnec_rate"], values))
        row["in_words"] = in_words(row)
        rows.append({c: row[c] for c in NDT_COLUMNS})
    return rows


def estimated_limit_years(conn: duckdb.DuckDBPyConnection, first: int, last: int) -> list[int]:
    """The years of [first, last] whose IRS limits are projected, not published: after the latest
    published year of any limit in the seeds the run loaded into the database file
    (`config_irs_limits`, `config_social_security_wage_base`), the rule `int_irs_limits` flags
    `is_estimate` by. Read from the seeds, not from that year-only model, so a database copied
    without its work file still says so. [] when the seeds are absent."""
    if not all(database.table_exists(conn, t) for t in ("config_irs_limits", "config_social_security_wage_base")):
        return []
    latest = conn.execute(
        "select min(latest) from ("
        "  select max(limit_year) as latest from config_irs_limits"
        "  where limit_name not in ('catch_up_60_63_indexed_base', 'catch_up_60_63_minimum') group by limit_name"
        "  union all select max(wage_base_year) from config_social_security_wage_base)").fetchone()[0]
    return [] if latest is None else list(range(max(first, latest + 1), last + 1))


def figure_rows(conn: duckdb.DuckDBPyConnection, scenario_id: str, designs: list[str], baseline: str,
                years: tuple[int, int] | None = None, database_name: str = "the database",
                config_name: str = "CONFIG") -> tuple[tuple[int, int], list[dict[str, Any]]]:
    """The comparison view alone: the years compared and one row per design and year, then each
    design's total (COLUMNS; money as Decimal, shares as float fractions). CompareError on bad
    input, its fix naming the config as `config_name`."""
    first, last = check_request(conn, scenario_id, designs, baseline, years, database_name, config_name)
    params = {"scenario": scenario_id, "designs": designs, "baseline": baseline, "first": first, "last": last}
    rows = [dict(zip(COLUMNS, (scenario_id, *row))) for row in conn.execute(_FIGURES_SQL, params).fetchall()]
    return (first, last), rows


def load_comparison(conn: duckdb.DuckDBPyConnection, scenario_id: str, designs: list[str], baseline: str,
                    years: tuple[int, int] | None = None, database_name: str = "the database",
                    config_name: str = "CONFIG") -> Comparison:
    """Both views for `designs` (baseline among them) of one scenario; CompareError on bad input
    (its fix naming the config as `config_name`)."""
    (first, last), rows = figure_rows(conn, scenario_id, designs, baseline, years, database_name, config_name)
    params = {"scenario": scenario_id, "designs": designs, "baseline": baseline, "first": first, "last": last}
    return Comparison(scenario_id, baseline, designs, (first, last), rows, _gain_loss(conn, params),
                      estimated_limit_years(conn, first, last), _ndt(conn, params))

