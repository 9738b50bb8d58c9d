"""What a run returns: the headline of each published year and of the run.

`year_summary` reads a published year's figures from fct_plan_year_summary (the figures every
report reads); `design_counts` counts the rows each design published in the year.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import duckdb

from navigator_orchestrator.engine.publish import PUBLISHED_TABLES
from navigator_orchestrator.reporting.summary import scenario_figures
from navigator_orchestrator.safety.backup import BackupResult


@dataclass
class YearSummary:
    """One design's published year: people counts, `seconds` of wall time, the rows published per
    table, and notes (e.g. projected IRS limits)."""

    year: int
    start_workforce: int
    hires: int
    experienced_terminations: int
    new_hire_terminations: int
    ending_workforce: int
    target_ending_workforce: int
    seconds: float = 0.0
    row_counts: dict[str, int] = field(default_factory=dict)
    # Share of eligible year-end actives who participate, and their average deferral rate.
    participation_rate: float | None = None
    average_deferral_rate: float | None = None
    notes: list[str] = field(default_factory=list)
    plan_design_id: str = ""

    @property
    def growth(self) -> float:
        return self.ending_workforce / self.start_workforce - 1 if self.start_workforce else 0.0


@dataclass
class RunResult:
    """A finished run: its years (one summary per design and year), dbt invocations, seconds of
    wall time, the preflight backup and the year a resume continued after."""

    run_id: str
    years: list[YearSummary]
    dbt_invocations: int
    seconds: float
    backup: BackupResult | None = None
    resumed_after_year: int | None = None
    checkpoint_seconds: float = 0.0


def year_summary(conn: duckdb.DuckDBPyConnection, scenario_id: str, plan_design_id: str, year: int) -> YearSummary:
    """The published year's headline, from fct_plan_year_summary (the figures every report reads)."""
    (figures,) = scenario_figures(conn, scenario_id, plan_design_id, year, year)
    start, hires, exp_terms, nh_terms, ending = (
        figures.start_actives, figures.hires, figures.experienced_terminations,
        figures.new_hire_terminations, figures.end_actives)
    participation, avg_rate = figures.participation_rate, figures.average_deferral_rate
    target = conn.execute(
        "select max(target_ending_workforce) from int_workforce_needs_by_level"
    ).fetchone()[0]
    summary = YearSummary(
        year=year,
        start_workforce=start,
        hires=hires,
        experienced_terminations=exp_terms,
        new_hire_terminations=nh_terms,
        ending_workforce=ending,
        target_ending_workforce=int(target) if target is not None else ending,
        participation_rate=participation,
        average_deferral_rate=avg_rate,
        plan_design_id=plan_design_id,
    )
    summary.notes.extend(_limit_notes(conn, year))
    return summary


def design_counts(conn: duckdb.DuckDBPyConnection, plan_design_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    """Design -> rows of the just published year in each published table, counted in the
    year's work tables (the run log records them per design)."""
    counts: dict[str, dict[str, int]] = {d: dict.fromkeys(PUBLISHED_TABLES, 0) for d in plan_design_ids}
    for table, source in PUBLISHED_TABLES.items():
        for design_id, rows in conn.execute(f"select plan_design_id, count(*) from {source} group by all").fetchall():
            counts[design_id][table] = rows
    return counts


def _limit_notes(conn: duckdb.DuckDBPyConnection, year: int) -> list[str]:
    """A note when the year's IRS limits are projected rather than published."""
    row = conn.execute(
        "select is_estimate, elective_deferral_limit, compensation_limit from int_irs_limits where limit_year = ?",
        [year],
    ).fetchone()
    if not row or not row[0]:
        return []
    return [
        f"{year} uses estimated IRS limits (projected from the last published year: "
        f"402(g) ${row[1]:,.0f}, 401(a)(17) ${row[2]:,.0f}); replace them when the IRS publishes {year}"
    ]
