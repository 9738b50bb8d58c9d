"""`navigator employee ID`: one employee's event timeline and year-end state per year.

Events show the dollar amount an event carries in its details (a forfeiture's `amount`); the
year-end state shows the account balances per source, the vested percentages (0-100) and the
year's forfeiture_amount, as fct_workforce_snapshot holds them (docs/reports.md)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TextIO

import duckdb

from navigator_orchestrator.engine import database

EVENT_COLUMNS = ["simulation_year", "event_sequence", "effective_date", "event_type", "event_category",
                 "compensation_amount", "previous_compensation", "employee_deferral_rate",
                 "prev_employee_deferral_rate", "level_id", "event_details"]
STATE_COLUMNS = ["simulation_year", "employment_status", "detailed_status_code", "level_id", "current_age",
                 "current_tenure", "current_compensation", "prorated_annual_compensation", "is_eligible",
                 "is_enrolled_flag", "current_deferral_rate", "prorated_annual_contributions",
                 "employer_match_amount", "employer_core_amount", "irs_limit_reached",
                 "employee_deferral_balance", "employer_match_balance", "employer_core_balance",
                 "match_vested_percentage", "core_vested_percentage", "vested_employer_balance",
                 "forfeiture_amount"]


@dataclass
class Timeline:
    employee_id: str
    scenario_id: str
    plan_design_id: str
    events: list[dict[str, Any]]
    states: list[dict[str, Any]]


def _select(conn: duckdb.DuckDBPyConnection, table: str, wanted: list[str], where: str,
            order: str, params: list) -> list[dict[str, Any]]:
    if not database.table_exists(conn, table):
        return []
    have = {r[0] for r in conn.execute(
        "select column_name from information_schema.columns where table_schema = 'main' and table_name = ?",
        [table]).fetchall()}
    cols = [c for c in wanted if c in have]
    rows = conn.execute(f"select {', '.join(cols)} from {table} where {where} order by {order}", params).fetchall()
    return [dict(zip(cols, row)) for row in rows]


def load_timeline(conn: duckdb.DuckDBPyConnection, scenario_id: str, plan_design_id: str,
                  employee_id: str) -> Timeline:
    where = "scenario_id = ? and plan_design_id = ? and employee_id = ?"
    params = [scenario_id, plan_design_id, employee_id]
    events = _select(conn, "fct_yearly_events", EVENT_COLUMNS, where,
                     "simulation_year, event_sequence, effective_date", params)
    for event in events:
        details = event.pop("event_details", None)
        amount = json.loads(details).get("amount") if details else None
        event["amount"] = None if amount is None else Decimal(str(amount))
    states = _select(conn, "fct_workforce_snapshot", STATE_COLUMNS, where, "simulation_year", params)
    if not events and not states:
        raise ValueError(f"no employee '{employee_id}' in scenario '{scenario_id}', design '{plan_design_id}' "
                         "(ids are case-sensitive; check -c/--database)")
    return Timeline(employee_id, scenario_id, plan_design_id, events, states)


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if column.endswith("_rate"):
        return f"{float(value):.2%}"
    if column.endswith("_percentage"):  # percent 0-100
        return f"{float(value):g}%"
    if column.endswith(("compensation", "contributions", "amount", "balance")):
        return f"{float(value):,.2f}"
    return str(value)


HEADERS = {
    "simulation_year": "year", "event_sequence": "seq", "effective_date": "date", "event_type": "event",
    "event_category": "category", "compensation_amount": "pay", "previous_compensation": "prev pay",
    "employee_deferral_rate": "deferral", "prev_employee_deferral_rate": "prev deferral",
    "level_id": "level", "employment_status": "status", "detailed_status_code": "detail",
    "current_age": "age", "current_tenure": "tenure", "current_compensation": "pay rate",
    "prorated_annual_compensation": "pay earned", "is_eligible": "eligible", "is_enrolled_flag": "enrolled",
    "current_deferral_rate": "deferral", "prorated_annual_contributions": "deferrals $",
    "employer_match_amount": "match $", "employer_core_amount": "core $", "irs_limit_reached": "at limit",
    "amount": "amount $", "employee_deferral_balance": "deferral bal $", "employer_match_balance": "match bal $",
    "employer_core_balance": "core bal $", "match_vested_percentage": "match vested",
    "core_vested_percentage": "core vested", "vested_employer_balance": "vested employer $",
    "forfeiture_amount": "forfeited $",
}


def _grid(rows: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    cols = list(rows[0]) if rows else []
    return [HEADERS.get(c, c) for c in cols], [[_cell(c, r[c]) for c in cols] for r in rows]


def print_timeline(t: Timeline, stream: TextIO | None = None) -> None:
    out = stream or sys.stdout
    sections = [(f"Events of {t.employee_id} (scenario {t.scenario_id}, design {t.plan_design_id})", t.events),
                ("Year-end state", t.states)]
    if out.isatty():
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        # Ids and values are data, never markup: an id such as "[/b]" is printed as written.
        console = Console(file=out)
        for title, rows in sections:
            headers, cells = _grid(rows)
            table = Table(title=Text(title), title_justify="left")
            for h in headers:
                table.add_column(Text(h))
            for r in cells:
                table.add_row(*(Text(v) for v in r))
            console.print(table if rows else Text(f"{title}: none"))
        return
    for title, rows in sections:
        print(f"{title}:" if rows else f"{title}: none", file=out)
        headers, cells = _grid(rows)
        widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
        for r in [headers, *cells]:
            print("  " + "  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip(), file=out)
