"""`navigator ndt`: the ADP, ACP and top-heavy test results of a scenario's published years.

Reads `fct_ndt_results` (one row per scenario, plan design, year and test) and
`fct_ndt_employee_results` (per person and test) and prints a Rich table of the ADP/ACP tests,
one of the HCEs owed a corrective distribution, one of the top-heavy tests, and every result in
plain words (`in_words`, which `navigator compare` and the HTML reports print too). Averages,
shares, limits and rates are fractions in the tables and printed as percent; money in dollars.
docs/ndt.md explains every column and the rules behind them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Sequence, TextIO

import sys

import duckdb
from rich.console import Console

from navigator_orchestrator.config.safe_harbor import STATUS_TEXT
from navigator_orchestrator.engine import database

RESULT_COLUMNS = ["plan_design_id", "simulation_year", "test", "method", "safe_harbor_status",
                  "eligible_hce_count", "eligible_nhce_count", "hce_average", "nhce_average", "limit",
                  "limit_rule", "passed", "excess_contributions", "corrective_distribution", "qnec_rate",
                  "qnec_amount", "correction", "corrective_amount"]
TEST_ORDER = ["adp", "acp", "top_heavy"]

# What each `method` value means, in the words a plan sponsor reads.
METHOD_TEXT: dict[str, str] = {
    "current_year": "current-year testing",
    "prior_year": "prior-year testing: NHCE average of the previous year",
    "prior_year_deemed_3_percent": "prior-year testing in the plan's first year: NHCE average deemed 3% "
                                   "(IRC 401(k)(3)(E), 401(m)(3))",
    "prior_year_stated": "prior-year testing: NHCE average of the year before as given in the config",
    "current_year_no_prior_year_data": "prior-year testing asked for, but the year before the first simulated "
                                       "year has no NHCE average (set ndt.prior_year_nhce_adp/acp or "
                                       "ndt.first_plan_year): tested current-year",
    "safe_harbor": "safe harbor: exempt from the test",
    "preceding_year_end": "top-heavy: determined on the last day of the preceding plan year (IRC 416(g)(4)(C)(i))",
    "first_plan_year_end": "top-heavy in the plan's first plan year: determined on its last day "
                           "(IRC 416(g)(4)(C)(ii), ndt.first_plan_year)",
}


@dataclass
class NdtReport:
    scenario_id: str
    results: list[dict[str, Any]]
    distributions: list[dict[str, Any]]


def load_ndt(conn: duckdb.DuckDBPyConnection, scenario_id: str, year: int | None = None,
             designs: Sequence[str] = (), only: bool = False) -> NdtReport:
    """The scenario's test rows (every design, or one year) and its HCEs' corrective distributions,
    designs in the order of `designs` (the config's, baseline first), others after by name; with
    `only`, the rows of `designs` alone.

    Raises ValueError when the database holds no test results for the scenario (or year)."""
    if not database.table_exists(conn, "fct_ndt_results"):
        raise ValueError("the database has no fct_ndt_results; run `navigator run` with ndt.enabled: true")
    where, params = "scenario_id = ?", [scenario_id]
    if year is not None:
        where, params = where + " and simulation_year = ?", [*params, year]
    if only:
        where, params = where + " and list_contains(?::varchar[], plan_design_id)", [*params, list(designs)]
    order = ("coalesce(list_position(?::varchar[], plan_design_id), 1000000), plan_design_id, simulation_year, "
             "list_position(?::varchar[], test)")
    cols = ", ".join(f'"{c}"' for c in RESULT_COLUMNS)
    cursor = conn.execute(f"select {cols} from fct_ndt_results where {where} order by {order}",
                          [*params, list(designs), TEST_ORDER])
    results = [dict(zip(RESULT_COLUMNS, row)) for row in cursor.fetchall()]
    if not results:
        when = f" in {year}" if year is not None else ""
        raise ValueError(f"no ADP/ACP or top-heavy results for scenario '{scenario_id}'{when}; check -c/--database/--year")
    dist_cols = ["plan_design_id", "simulation_year", "test", "employee_id", "hce_basis", "ratio",
                 "contributions", "excess_by_leveling", "corrective_distribution"]
    cursor = conn.execute(
        f"select {', '.join(dist_cols)} from fct_ndt_employee_results where {where} and corrective_distribution > 0 "
        f"order by coalesce(list_position(?::varchar[], plan_design_id), 1000000), plan_design_id, simulation_year, "
        "test, corrective_distribution desc, employee_id", [*params, list(designs)])
    distributions = [dict(zip(dist_cols, row)) for row in cursor.fetchall()]
    return NdtReport(scenario_id, results, distributions)


def _pct(value: Any) -> str:
    return "" if value is None else f"{float(value):.2%}"


def _money(value: Any) -> str:
    return "" if value is None else f"${float(value):,.2f}"


def result_word(row: dict[str, Any]) -> str:
    """pass / FAIL / exempt for ADP and ACP; not top-heavy / TOP-HEAVY / exempt for top-heavy."""
    if row["method"] == "safe_harbor":
        return "exempt"
    if row["test"] == "top_heavy":
        return "not top-heavy" if row["passed"] else "TOP-HEAVY"
    return "pass" if row["passed"] else "FAIL"


def determination_date(row: dict[str, Any]) -> date | None:
    """The top-heavy determination date of a row (IRC 416(g)(4)(C)); None for an exempt plan."""
    year = int(row["simulation_year"])
    return {"preceding_year_end": date(year - 1, 12, 31),
            "first_plan_year_end": date(year, 12, 31)}.get(row["method"])


def in_words(row: dict[str, Any]) -> str:
    """One result row in a sentence a plan sponsor reads: the outcome, the figures behind it, what
    is owed, and any testing option that was not applied as asked (a missing prior-year average,
    a safe harbor claimed but not met). `row` holds the RESULT_COLUMNS it uses: test, method,
    passed, safe_harbor_status, hce_average, nhce_average, limit, qnec_rate, correction,
    corrective_amount, simulation_year."""
    status = row.get("safe_harbor_status")
    unmet = (f"; the safe harbor claimed is not met ({STATUS_TEXT.get(status, status)}), so the plan is tested "
             "like any other" if status not in (None, "not_claimed", "qualified") else "")
    if row["test"] == "top_heavy":
        held = (f"key employees hold {_pct(row['hce_average'])} of the balances (limit 60%)"
                if row["hce_average"] is not None else "no account balances to count (limit 60%)")
        if row["method"] == "safe_harbor":
            return (f"top-heavy: exempt, deferrals and safe-harbor contributions only (IRC 416(g)(4)(H)); {held}")
        when = f", determined on {determination_date(row).isoformat()}"
        if row["passed"]:
            return f"top-heavy: not top-heavy, {held}{when}{unmet}"
        return (f"top-heavy: TOP-HEAVY, {held}{when}; minimum contribution owed {_money(row['corrective_amount'])} "
                f"(to bring each non-key employee employed at year end to {_pct(row['qnec_rate'])} of pay){unmet}")
    name = row["test"].upper()
    if row["method"] == "safe_harbor":
        return f"{name}: exempt as a safe harbor (HCE average {_pct(row['hce_average'])}, shown only)"
    figures = (f"HCE average {_pct(row['hce_average'])}, NHCE average {_pct(row['nhce_average'])}, "
               f"limit {_pct(row['limit'])}")
    outcome = "pass" if row["passed"] else f"FAIL; corrective amount {_money(row['corrective_amount'])} " \
                                           f"({str(row['correction']).replace('_', ' ')})"
    method = "" if row["method"] in ("current_year", "prior_year") else f"; {METHOD_TEXT.get(row['method'], row['method'])}"
    return f"{name}: {outcome}, {figures}{method}{unmet}"


def _notes(report: NdtReport) -> list[str]:
    notes = [f"corrective amount: the {c.replace('_', ' ')} (ndt.correction)"
             for c in sorted({r["correction"] for r in report.results if r["test"] != "top_heavy"})]
    for method in sorted({r["method"] for r in report.results}):
        notes.append(f"{method}: {METHOD_TEXT.get(method, method)}")
    for status in sorted({r["safe_harbor_status"] for r in report.results} - {"not_claimed"}):
        notes.append(f"safe harbor {status}: {STATUS_TEXT.get(status, status)}")
    if any(r["qnec_amount"] is None for r in report.results if r["test"] != "top_heavy"):
        notes.append("QNEC: not computed under prior-year testing (it would go to the previous year's NHCEs)")
    return notes


def _top_heavy_cells(r: dict[str, Any]) -> list[str]:
    when = determination_date(r)
    return [r["plan_design_id"], str(r["simulation_year"]), when.isoformat() if when else "", str(r["eligible_hce_count"]),
            str(r["eligible_nhce_count"]), _pct(r["hce_average"]), _pct(r["limit"]), result_word(r),
            _pct(r["qnec_rate"]), _money(r["corrective_amount"])]


TOP_HEAVY_HEAD = ("design", "year", "determined on", "key employees", "non-key", "key share", "limit", "result",
                  "minimum rate", "minimum owed")


def ndt_html(conn: duckdb.DuckDBPyConnection, scenario_id: str, designs: Sequence[str] = ()) -> str | None:
    """The HTML report's section for `designs` (every design when empty): the results tables,
    each result in words, notes; a sentence when the designs have no results; None when the
    database has no test results at all."""
    from html import escape

    if not database.table_exists(conn, "fct_ndt_results"):
        return None
    try:
        report = load_ndt(conn, scenario_id, designs=designs, only=bool(designs))
    except ValueError:
        return (f"<p>No nondiscrimination or top-heavy results for {escape(', '.join(designs) or scenario_id)}: "
                "ndt.enabled was false when it was simulated (or the database predates these tests).</p>")
    head = ("design", "year", "test", "method", "HCE avg", "NHCE avg", "limit", "result",
            "excess", "distributions", "QNEC", "corrective amount")
    rows, top_heavy = [], []
    for r in report.results:
        passed = r["passed"]
        if r["test"] == "top_heavy":
            cells = _top_heavy_cells(r)
            top_heavy.append("<tr>" + "".join(
                f'<td class="{("pass" if passed else "fail") if i == 7 else ""}">{escape(c)}</td>'
                for i, c in enumerate(cells)) + "</tr>")
            continue
        cells = [r["plan_design_id"], str(r["simulation_year"]), r["test"].upper(), r["method"],
                 _pct(r["hce_average"]), _pct(r["nhce_average"]), _pct(r["limit"]), result_word(r),
                 _money(r["excess_contributions"]), _money(r["corrective_distribution"]),
                 _money(r["qnec_amount"]), _money(r["corrective_amount"])]
        rows.append("<tr>" + "".join(
            f'<td class="{("pass" if passed else "fail") if i == 7 else ""}">{escape(c)}</td>'
            for i, c in enumerate(cells)) + "</tr>")
    tables = ""
    if rows:
        tables += (f'<div class="wide"><table><tr>{"".join(f"<th>{escape(h)}</th>" for h in head)}</tr>'
                   f'{"".join(rows)}</table></div>')
    if top_heavy:
        tables += ('<h3>Top-heavy test (IRC 416)</h3><div class="wide"><table><tr>'
                   f'{"".join(f"<th>{escape(h)}</th>" for h in TOP_HEAVY_HEAD)}</tr>{"".join(top_heavy)}</table></div>')
    words = "".join(f"<li>{escape(r['plan_design_id'])} {r['simulation_year']}: {escape(in_words(r))}</li>"
                    for r in report.results)
    notes = "".join(f"<li>{escape(n)}</li>" for n in _notes(report))
    return (f'{tables}<h3>In words</h3><ul>{words}</ul><ul class="note">{notes}</ul>'
            '<p class="note">Definitions and sources: docs/ndt.md.</p>')


def print_ndt(report: NdtReport, stream: TextIO | None = None, console: Console | None = None) -> None:
    """The ADP/ACP, corrective-distribution and top-heavy tables and the results in words, on
    `console` (default: one on `stream`, stdout); a table wider than the console is split into
    views of whole columns (reporting/tables.py), so no design id or number is cut."""
    from navigator_orchestrator.reporting.tables import Grid, views

    if console is None:
        out = stream or sys.stdout
        # A pipe or file gets the whole table, not one cut to the default 80 columns.
        console = Console(file=out, width=None if out.isatty() else 240)
    grids = []
    tested = [r for r in report.results if r["test"] != "top_heavy"]
    if tested:
        header = ["design", "year", "test", "method", "HCEs", "NHCEs", "HCE avg", "NHCE avg", "limit", "result",
                  "excess", "distributions", "QNEC rate", "QNEC", "corrective amount"]
        grids.append(Grid(
            title=f"ADP/ACP tests, scenario {report.scenario_id}", header=header, keys=3,
            right={i for i, h in enumerate(header) if h not in ("design", "test", "method", "result")},
            rows=[[r["plan_design_id"], str(r["simulation_year"]), r["test"].upper(), r["method"],
                   str(r["eligible_hce_count"]),
                   "" if r["eligible_nhce_count"] is None else str(r["eligible_nhce_count"]),
                   _pct(r["hce_average"]), _pct(r["nhce_average"]), _pct(r["limit"]), result_word(r),
                   _money(r["excess_contributions"]), _money(r["corrective_distribution"]), _pct(r["qnec_rate"]),
                   _money(r["qnec_amount"]), _money(r["corrective_amount"])] for r in tested]))
    if report.distributions:
        grids.append(Grid(
            title="Corrective distributions to HCEs (dollar leveling, IRC 401(k)(8)(C))", keys=4,
            header=["design", "year", "test", "employee", "HCE basis", "ratio", "contributions", "excess by leveling",
                    "distribution"],
            rows=[[d["plan_design_id"], str(d["simulation_year"]), d["test"].upper(), d["employee_id"],
                   d["hce_basis"] or "", _pct(d["ratio"]), _money(d["contributions"]),
                   _money(d["excess_by_leveling"]), _money(d["corrective_distribution"])]
                  for d in report.distributions]))
    top_heavy = [r for r in report.results if r["test"] == "top_heavy"]
    if top_heavy:
        grids.append(Grid(
            title=f"Top-heavy test (IRC 416), scenario {report.scenario_id}", header=list(TOP_HEAVY_HEAD), keys=2,
            right={i for i, h in enumerate(TOP_HEAVY_HEAD) if h not in ("design", "result")},
            rows=[_top_heavy_cells(r) for r in top_heavy]))
    for grid in grids:
        for table in views(grid, console.width):
            console.print(table)
    console.print("In words:", highlight=False)
    for r in report.results:
        console.print(f"  {r['plan_design_id']} {r['simulation_year']}: {in_words(r)}", highlight=False, soft_wrap=True)
    for note in _notes(report):
        console.print(f"  {note}", highlight=False)
