"""`navigator ndt`: the ADP and ACP test results of a scenario's published years.

Reads `fct_ndt_results` (one row per scenario, plan design, year and test) and
`fct_ndt_employee_results` (per eligible employee and test) and prints a Rich table of the
tests and one of the HCEs owed a corrective distribution. Averages, limits and rates are
fractions in the tables and printed as percent; money in dollars. docs/ndt.md explains every
column and the rules behind them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TextIO

import sys

import duckdb
from rich.console import Console
from rich.table import Table

from navigator_orchestrator.config.safe_harbor import STATUS_TEXT
from navigator_orchestrator.engine import database

RESULT_COLUMNS = ["plan_design_id", "simulation_year", "test", "method", "safe_harbor_status",
                  "eligible_hce_count", "eligible_nhce_count", "hce_average", "nhce_average", "limit",
                  "limit_rule", "passed", "excess_contributions", "corrective_distribution", "qnec_rate",
                  "qnec_amount", "correction", "corrective_amount"]

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
}


@dataclass
class NdtReport:
    scenario_id: str
    results: list[dict[str, Any]]
    distributions: list[dict[str, Any]]


def load_ndt(conn: duckdb.DuckDBPyConnection, scenario_id: str, year: int | None = None) -> NdtReport:
    """The scenario's test rows (every design, or one year) and its HCEs' corrective distributions.

    Raises ValueError when the database holds no test results for the scenario (or year)."""
    if not database.table_exists(conn, "fct_ndt_results"):
        raise ValueError("the database has no fct_ndt_results; run `navigator run` with ndt.enabled: true")
    where, params = "scenario_id = ?", [scenario_id]
    if year is not None:
        where, params = where + " and simulation_year = ?", [*params, year]
    cols = ", ".join(f'"{c}"' for c in RESULT_COLUMNS)
    cursor = conn.execute(f"select {cols} from fct_ndt_results where {where} "
                          "order by plan_design_id, simulation_year, test", params)
    results = [dict(zip(RESULT_COLUMNS, row)) for row in cursor.fetchall()]
    if not results:
        when = f" in {year}" if year is not None else ""
        raise ValueError(f"no ADP/ACP results for scenario '{scenario_id}'{when}; check -c/--database/--year")
    dist_cols = ["plan_design_id", "simulation_year", "test", "employee_id", "hce_basis", "ratio",
                 "contributions", "excess_by_leveling", "corrective_distribution"]
    cursor = conn.execute(
        f"select {', '.join(dist_cols)} from fct_ndt_employee_results where {where} and corrective_distribution > 0 "
        "order by plan_design_id, simulation_year, test, corrective_distribution desc, employee_id", params)
    distributions = [dict(zip(dist_cols, row)) for row in cursor.fetchall()]
    return NdtReport(scenario_id, results, distributions)


def _pct(value: Any) -> str:
    return "" if value is None else f"{float(value):.2%}"


def _money(value: Any) -> str:
    return "" if value is None else f"${float(value):,.2f}"


def _notes(report: NdtReport) -> list[str]:
    notes = [f"corrective amount: the {c.replace('_', ' ')} (ndt.correction)"
             for c in sorted({r["correction"] for r in report.results})]
    for method in sorted({r["method"] for r in report.results}):
        notes.append(f"{method}: {METHOD_TEXT.get(method, method)}")
    for status in sorted({r["safe_harbor_status"] for r in report.results} - {"not_claimed"}):
        notes.append(f"safe harbor {status}: {STATUS_TEXT.get(status, status)}")
    if any(r["qnec_amount"] is None for r in report.results):
        notes.append("QNEC: not computed under prior-year testing (it would go to the previous year's NHCEs)")
    return notes


def ndt_html(conn: duckdb.DuckDBPyConnection, scenario_id: str) -> str | None:
    """The HTML report's section: the results table and its notes; None when there are none."""
    from html import escape

    try:
        report = load_ndt(conn, scenario_id)
    except ValueError:
        return None
    head = ("design", "year", "test", "method", "HCE avg", "NHCE avg", "limit", "result",
            "excess", "distributions", "QNEC", "corrective amount")
    rows = []
    for r in report.results:
        passed = r["passed"]
        result = ("exempt" if r["method"] == "safe_harbor" else "pass") if passed else "FAIL"
        cells = [r["plan_design_id"], str(r["simulation_year"]), r["test"].upper(), r["method"],
                 _pct(r["hce_average"]), _pct(r["nhce_average"]), _pct(r["limit"]), result,
                 _money(r["excess_contributions"]), _money(r["corrective_distribution"]),
                 _money(r["qnec_amount"]), _money(r["corrective_amount"])]
        rows.append("<tr>" + "".join(
            f'<td class="{("pass" if passed else "fail") if i == 7 else ""}">{escape(c)}</td>'
            for i, c in enumerate(cells)) + "</tr>")
    notes = "".join(f"<li>{escape(n)}</li>" for n in _notes(report))
    return (f'<div class="wide"><table><tr>{"".join(f"<th>{escape(h)}</th>" for h in head)}</tr>'
            f'{"".join(rows)}</table></div><ul class="note">{notes}</ul>'
            '<p class="note">Definitions and sources: docs/ndt.md.</p>')


def print_ndt(report: NdtReport, stream: TextIO | None = None) -> None:
    out = stream or sys.stdout
    # A pipe or file gets the whole table, not one cut to the default 80 columns.
    console = Console(file=out, width=None if out.isatty() else 240)
    table = Table(title=f"ADP/ACP tests, scenario {report.scenario_id}", title_justify="left")
    for header in ("design", "year", "test", "method", "HCEs", "NHCEs", "HCE avg", "NHCE avg", "limit",
                   "result", "excess", "distributions", "QNEC rate", "QNEC", "corrective amount"):
        table.add_column(header, justify="right" if header not in ("design", "test", "method", "result") else "left")
    for r in report.results:
        result = ("exempt" if r["method"] == "safe_harbor" else "pass") if r["passed"] else "FAIL"
        table.add_row(
            r["plan_design_id"], str(r["simulation_year"]), r["test"].upper(), r["method"],
            str(r["eligible_hce_count"]), "" if r["eligible_nhce_count"] is None else str(r["eligible_nhce_count"]),
            _pct(r["hce_average"]), _pct(r["nhce_average"]), _pct(r["limit"]), result,
            _money(r["excess_contributions"]), _money(r["corrective_distribution"]), _pct(r["qnec_rate"]),
            _money(r["qnec_amount"]), _money(r["corrective_amount"]),
        )
    console.print(table)
    if report.distributions:
        detail = Table(title="Corrective distributions to HCEs (dollar leveling, IRC 401(k)(8)(C))",
                       title_justify="left")
        for header in ("design", "year", "test", "employee", "HCE basis", "ratio", "contributions",
                       "excess by leveling", "distribution"):
            detail.add_column(header)
        for d in report.distributions:
            detail.add_row(d["plan_design_id"], str(d["simulation_year"]), d["test"].upper(), d["employee_id"],
                           d["hce_basis"] or "", _pct(d["ratio"]), _money(d["contributions"]),
                           _money(d["excess_by_leveling"]), _money(d["corrective_distribution"]))
        console.print(detail)
    for note in _notes(report):
        console.print(f"  {note}", highlight=False)
