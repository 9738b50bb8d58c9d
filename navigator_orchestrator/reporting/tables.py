"""Console tables that never break a number or an id: each column is as wide as its widest cell
(Rich's `min_width`, `no_wrap`), headers wrap between words, and a table wider than the console
is split into views that each repeat the key columns (design, year, ...) and fit.

Rich shrinks a table wider than the console by wrapping its cells, which cuts `$1,234,567`
into `$1,23` / `4,567` and `standard_401k` into `stan` / `dard...`. A view holds whole columns
instead: the reader scrolls down, not across, and every figure stays readable.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Sequence

from rich.cells import cell_len
from rich.table import Table


@dataclass
class Grid:
    """The cells of a table as text: `header` labels, `rows` of cells, the first `keys` columns
    repeated in every view, columns in `right` right-aligned, a style and a section end per row."""

    title: str
    header: list[str]
    rows: list[list[str]]
    keys: int
    right: set[int] = field(default_factory=set)
    styles: list[str | None] | None = None
    sections: list[bool] | None = None

    def widths(self) -> list[int]:
        """Per column: its widest cell, and at least its header's longest word (headers wrap)."""
        return [max([cell_len(r[i]) for r in self.rows] + [cell_len(w) for w in self.header[i].split()] + [1])
                for i in range(len(self.header))]


def _table_width(widths: Sequence[int]) -> int:
    """Rich's default box: one space of padding each side and one rule between and around columns."""
    return sum(w + 2 for w in widths) + len(widths) + 1


def views(grid: Grid, width: int, groups: Sequence[tuple[str, Sequence[int]]] | None = None) -> list[Table]:
    """The tables that show `grid` within `width` columns: one when it fits (headers on one line
    when that fits too); otherwise, per group (name, non-key column indexes; the columns no group
    names form one more), as many views as the group's columns need, each titled with the
    group's name and repeating the key columns."""
    widths = grid.widths()
    keys = list(range(grid.keys))
    every = list(range(len(widths)))
    unwrapped = [max(w, cell_len(h)) for w, h in zip(widths, grid.header)]
    if _table_width(unwrapped) <= width:  # headers on one line
        return [_table(grid, grid.title, every, unwrapped)]
    if _table_width(widths) <= width:
        return [_table(grid, grid.title, every, widths)]
    groups = list(groups or [])
    grouped = {i for _, members in groups for i in members}
    rest = [i for i in range(grid.keys, len(widths)) if i not in grouped]
    if rest:  # a column no group names is shown all the same
        groups.append(("", rest))
    tables = []
    for name, members in groups:
        chunk: list[int] = []
        for index in members:
            if chunk and _table_width([widths[i] for i in keys + chunk + [index]]) > width:
                tables.append((name, chunk))
                chunk = []
            chunk.append(index)
        if chunk:
            tables.append((name, chunk))
    out = []
    for n, (name, chunk) in enumerate(tables):
        part = f" ({n + 1} of {len(tables)}{': ' + name if name else ''})"
        out.append(_table(grid, grid.title + part, keys + chunk, widths))
    return out


def _table(grid: Grid, title: str, columns: list[int], widths: list[int]) -> Table:
    table = Table(title=title, title_justify="left")
    for i in columns:
        # Whole cells (no_wrap, min_width); a header wraps between words, never inside one.
        table.add_column(textwrap.fill(grid.header[i], widths[i], break_long_words=False), no_wrap=True,
                         min_width=widths[i], overflow="fold", justify="right" if i in grid.right else "left")
    for n, row in enumerate(grid.rows):
        table.add_row(*(row[i] for i in columns), style=grid.styles[n] if grid.styles else None,
                      end_section=bool(grid.sections and grid.sections[n]))
    return table
