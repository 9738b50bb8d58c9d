"""Console tables split into views of whole columns when wider than the terminal."""

from __future__ import annotations

import io

from rich.console import Console

from navigator_orchestrator.reporting.tables import Grid, views


def _render(tables, width: int) -> list[str]:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None)
    for table in tables:
        console.print(table)
    return buffer.getvalue().splitlines()


def test_a_wide_grid_becomes_views_that_repeat_the_keys_and_show_every_cell_whole():
    ids = ["a_plan_design_id_of_thirty_two_c", "b"]
    header = ["plan design id", "year", *(f"figure number {i}" for i in range(9))]
    rows = [[d, "2025", *(f"-${(i + 1) * 123_456_789:,}" for i in range(9))] for d in ids]
    grid = Grid(title="T", header=header, rows=rows, keys=2, right=set(range(2, 11)))
    tables = views(grid, 100, [("first", [2, 3, 4])])  # the other six columns form one more group
    lines = _render(tables, 100)
    assert len(tables) > 2 and max(map(len, lines)) <= 100
    assert all(t.columns[0].header == "plan design id" for t in tables)
    cells = {c.strip() for line in lines for c in line.strip("│┃").split("│" if "│" in line else "┃")}
    assert {cell for row in rows for cell in row} <= cells


def test_a_grid_that_fits_is_one_table_with_headers_on_one_line():
    grid = Grid(title="T", header=["design", "employer cost"], rows=[["a", "$1"]], keys=1)
    [table] = views(grid, 80)
    assert [c.header for c in table.columns] == ["design", "employer cost"]
