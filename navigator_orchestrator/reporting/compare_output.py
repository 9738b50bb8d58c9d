"""Where `navigator compare` puts a Comparison: the console (Rich tables), a CSV of the
comparison view, an Excel workbook (one sheet per view, numbers stored as numbers with number
formats) or the HTML report (compare_html.py). `write` picks the format by the file's extension.
"""

from __future__ import annotations

import csv
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, TextIO

from navigator_orchestrator.files import atomic_path, write_atomically
from navigator_orchestrator.reporting import year_span
from navigator_orchestrator.reporting.compare import (
    COLUMNS, GAIN_COLUMNS, MONEY, NDT_COLUMNS, SHARES, Comparison, CompareError,
)

FORMATS = (".csv", ".xlsx", ".html")
MONEY_FORMAT, SHARE_FORMAT, COUNT_FORMAT = '"$"#,##0.00;-"$"#,##0.00', "0.00%", "#,##0"


# Money per person is shown to the cent; totals for a design and year in whole dollars, so a
# column never mixes the two.
PER_PERSON_MONEY = {"employer_cost_per_participant", "mean_change"}


def cell_text(column: str, value: Any) -> str:
    """A value as the console and the HTML report show it: money in dollars (whole dollars for
    totals, cents per person: PER_PERSON_MONEY), shares in percent."""
    if value is None:
        return ""
    if column in MONEY or column in ("mean_change", "total_change"):
        sign = "-" if value < 0 else ("+" if column in ("employer_cost_vs_baseline", "net_employer_cost_vs_baseline",
                                                         "mean_change", "total_change")
                                      and value > 0 else "")
        # Shown rounded half up, as money is everywhere (docs/money.md), not to the nearest even.
        step = Decimal("0.01") if column in PER_PERSON_MONEY else Decimal("1")
        shown = abs(Decimal(str(value))).quantize(step, rounding=ROUND_HALF_UP)
        return f"{sign}${shown:,}"
    if column in SHARES:
        return f"{value:+.2%}" if column == "employer_cost_vs_baseline_pct" else f"{value:.2%}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


# The comparison's views when it is wider than the console (reporting/tables.py).
COMPARISON_GROUPS = [
    ("employer cost", ["employee_deferrals", "employer_match", "employer_core", "employer_cost",
                       "employer_cost_vs_baseline", "employer_cost_vs_baseline_pct", "employer_cost_pct_of_pay"]),
    ("participation", ["participation_rate", "average_deferral_rate", "employer_cost_per_participant"]),
    ("forfeitures", ["forfeitures", "forfeitures_used", "net_employer_cost", "net_employer_cost_vs_baseline"]),
]


def print_console(comparison: Comparison, stream: TextIO | None = None, console: Any = None) -> None:
    """The comparison table, one gain/loss table per design and the test results, as Rich tables
    on `console` (default: one on `stream`, stdout). A table wider than the console is split
    into views of whole columns (reporting/tables.py): no number or design id is ever cut."""
    from rich.console import Console

    from navigator_orchestrator.reporting.tables import Grid, views

    if console is None:
        console = Console(file=stream)
        if not console.is_terminal:
            console.width = max(console.width, 400)  # a file or a pipe: one table of every column
    first, last = comparison.years
    shown = COLUMNS[1:]
    grid = Grid(title=f"Plan designs of scenario {comparison.scenario_id}, {year_span(first, last)} "
                      f"(baseline {comparison.baseline})",
                header=[c.replace("_", " ") for c in shown],
                rows=[[cell_text(c, row[c]) for c in shown] for row in comparison.rows], keys=2,
                right=set(range(2, len(shown))),
                styles=["bold" if row["simulation_year"] == "total" else None for row in comparison.rows],
                sections=[row["simulation_year"] == "total" for row in comparison.rows])
    groups = [(name, [shown.index(c) for c in columns]) for name, columns in COMPARISON_GROUPS]
    for table in views(grid, console.width, groups):
        console.print(table)
    for design in comparison.designs:
        rows = [r for r in comparison.gain_loss if r["plan_design_id"] == design]
        if not rows:
            continue
        columns = GAIN_COLUMNS[1:]
        cells = [[("" if c == "dimension" and r[c] == (rows[n - 1][c] if n else None) else cell_text(c, r[c]))
                  for c in columns] for n, r in enumerate(rows)]
        gl = Grid(title=f"Who gains and who loses: {design} vs {comparison.baseline}, employer money per "
                        f"employee over {year_span(first, last)}",
                  header=[c.replace("_", " ") for c in columns], rows=cells, keys=2, right=set(range(2, len(columns))))
        for table in views(gl, console.width):
            console.print(table)
    if comparison.ndt:
        shown = [c for c in NDT_COLUMNS if c != "in_words"]  # the sentences follow the table
        nd = Grid(title="Nondiscrimination tests (ADP, ACP): pass, fail, or exempt as a qualifying safe harbor; "
                        "corrective amount as ndt.correction selects. Top-heavy (IRC 416): key employees' share "
                        "of the balances (hce average), limit 60%, minimum contribution owed",
                  header=[c.replace("_", " ") for c in shown],
                  rows=[[cell_text(c, r[c]) for c in shown] for r in comparison.ndt], keys=3,
                  right={i for i, c in enumerate(shown) if c in MONEY or c in SHARES},
                  styles=["bold" if r["result"] in ("fail", "top-heavy") else None for r in comparison.ndt])
        for table in views(nd, console.width):
            console.print(table)
        for r in comparison.ndt:
            console.print(f"  {r['plan_design_id']} {r['simulation_year']}: {r['in_words']}", highlight=False,
                          soft_wrap=True)
    if comparison.untested_note():
        console.print(f"Note: {comparison.untested_note()}", highlight=False, soft_wrap=True)
    if comparison.estimated_limit_years:
        years = ", ".join(map(str, comparison.estimated_limit_years))
        verb = "uses" if len(comparison.estimated_limit_years) == 1 else "use"
        console.print(f"Note: {years} {verb} IRS limits projected from the last published year (estimates).")


def write_csv(comparison: Comparison, path: Path) -> Path:
    """The comparison view, one row per (scenario_id, plan_design_id, simulation_year), COLUMNS as header."""
    with atomic_path(path, durable=False) as tmp, tmp.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for row in comparison.rows:
            writer.writerow({c: "" if row[c] is None else row[c] for c in COLUMNS})
    return path


def _excel_value(column: str, value: Any) -> Any:
    """A value as Excel should hold it: Decimal cents and shares as numbers, a year as a whole
    number (the horizon row's `total` stays text); never a number stored as text."""
    if isinstance(value, Decimal):
        return float(value)
    if column == "simulation_year" and isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def _sheet(book: Any, title: str, columns: list[str], rows: list[dict[str, Any]]) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title)
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        # Exact Decimal cents become numbers Excel stores (floats hold cents of these sizes exactly
        # enough to display); never text.
        sheet.append([_excel_value(c, row[c]) for c in columns])
    for index, column in enumerate(columns, 1):
        fmt = (MONEY_FORMAT if column in MONEY or column in ("mean_change", "total_change") else
               SHARE_FORMAT if column in SHARES else COUNT_FORMAT if column in
               ("employees", "better_off", "worse_off", "unchanged") else None)
        if fmt:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = fmt
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(column) + 2)
    sheet.freeze_panes = "A2"


def write_xlsx(comparison: Comparison, path: Path) -> Path:
    """Sheets `comparison` (COLUMNS), `gain_loss` (per design vs baseline and band) and, when the
    tests were run for a design, `ndt` (NDT_COLUMNS; a design without results gets one row,
    result `not tested`, the reason in `in_words`)."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    _sheet(book, "comparison", COLUMNS, comparison.rows)
    _sheet(book, "gain_loss", GAIN_COLUMNS, comparison.gain_loss)
    if comparison.ndt:
        untested = [{**dict.fromkeys(NDT_COLUMNS), "plan_design_id": design, "result": "not tested",
                     "in_words": comparison.untested_note()} for design in comparison.untested]
        _sheet(book, "ndt", NDT_COLUMNS, comparison.ndt + untested)
    with atomic_path(path, durable=False) as tmp:
        book.save(tmp)
    return path


def check_out_path(path: Path) -> Path:
    """The output file if its extension is one compare writes and its folder exists."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise CompareError(f"--out {path}: write .csv, .xlsx or .html (the extension picks the format)")
    if not path.parent.resolve().is_dir():
        raise CompareError(f"--out {path}: folder {path.parent} does not exist; create it or write elsewhere")
    if path.is_dir():
        raise CompareError(f"--out {path} is a directory; name a file")
    return path


def write(comparison: Comparison, path: Path, describe: dict[str, list[str]], dq: list[dict[str, Any]] | None) -> Path:
    """Write the comparison to `path` in the format of its extension."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return write_csv(comparison, path)
    if suffix == ".xlsx":
        return write_xlsx(comparison, path)
    from navigator_orchestrator.reporting.compare_html import render

    return write_atomically(path, render(comparison, describe, dq), durable=False)
