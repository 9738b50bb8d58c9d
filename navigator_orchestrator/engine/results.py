"""What a run returns: the headline of each published year and of the run.

`year_summaries` makes each design's headline of a published year from its fct_plan_year_summary
figures (the figures every report reads).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from navigator_orchestrator.reporting.summary import YearFigures
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


def year_summaries(conn: duckdb.DuckDBPyConnection, figures: dict[str, YearFigures], year: int) -> dict[str, YearSummary]:
    """Design -> the published year's headline, from that design's fct_plan_year_summary row
    (`figures`: the figures every report reads, see reporting.summary.designs_figures)."""
    target = conn.execute("select max(target_ending_workforce) from int_workforce_needs_by_level").fetchone()[0]
    notes = _limit_notes(conn, year)
    return {
        design_id: YearSummary(
            year=year,
            start_workforce=f.start_actives,
            hires=f.hires,
            experienced_terminations=f.experienced_terminations,
            new_hire_terminations=f.new_hire_terminations,
            ending_workforce=f.end_actives,
            target_ending_workforce=int(target) if target is not None else f.end_actives,
            participation_rate=f.participation_rate,
            average_deferral_rate=f.average_deferral_rate,
            plan_design_id=design_id,
            notes=list(notes),
        )
        for design_id, f in figures.items()
    }


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
