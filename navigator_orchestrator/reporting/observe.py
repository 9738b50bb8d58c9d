"""What a run tells the outside world while it runs: the observer interface.

`Simulation.run()` reports its progress to one `RunObserver`; the console display, the JSONL
log and the report files are observers. The pipeline itself stays free of printing and file
formats, and a new output is a new observer rather than a change to the year loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:  # pragma: no cover
    from navigator_orchestrator.engine.results import RunResult, YearSummary
    from navigator_orchestrator.reporting.summary import YearAudit


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    scenario_id: str
    plan_design_ids: tuple[str, ...]  # the designs the run builds, the baseline first
    years: list[int]
    start_year: int  # the census year; report ranges start here
    end_year: int
    database: str
    stages: tuple[str, ...] = ()  # the timed stages of each year (Simulation.YEAR_STAGES)
    design_stages: tuple[str, ...] = ()  # those of `stages` run once per design (Simulation.DESIGN_STAGES)

    @property
    def designs_label(self) -> str:
        return ", ".join(self.plan_design_ids)

    @property
    def stage_count(self) -> int:
        """Timed stages of the whole run: the shared ones once a year, the others per design."""
        per_year = len(self.stages) + (len(self.plan_design_ids) - 1) * len(self.design_stages)
        return len(self.years) * per_year


@dataclass
class RunOutcome:
    result: "RunResult | None" = None
    error: str | None = None
    # Stopped by SIGINT or SIGTERM (the error then says so).
    interrupted: bool = False
    seconds: float = 0.0
    traceback: str | None = None  # of a failed run: kept in the JSON log, never printed
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None


class RunObserver:
    """No-op base: subclasses override what they need.

    `year` is None for run-level stages (census load, dbt parse, write back, flush). `rows` maps a table or a
    count name to a number; it never holds employee-level data.
    """

    def run_started(self, info: RunInfo) -> None: ...

    def stage_started(self, year: int | None, stage: str) -> None: ...

    def stage_finished(self, year: int | None, stage: str, seconds: float,
                       rows: dict[str, int] | None = None) -> None: ...

    def models_built(self, year: int, seconds: dict[str, float]) -> None:
        """dbt's own seconds per node (model, seed, test) of the year's build invocation."""

    def year_finished(self, summary: "YearSummary", audit: "YearAudit") -> None: ...

    def run_finished(self, outcome: RunOutcome) -> None: ...


class Observers(RunObserver):
    """Fan every notification out to several observers, in order."""

    def __init__(self, observers: Iterable[RunObserver] = ()):
        self.observers = list(observers)

    def run_started(self, info: RunInfo) -> None:
        for o in self.observers:
            o.run_started(info)

    def stage_started(self, year: int | None, stage: str) -> None:
        for o in self.observers:
            o.stage_started(year, stage)

    def stage_finished(self, year: int | None, stage: str, seconds: float,
                       rows: dict[str, int] | None = None) -> None:
        for o in self.observers:
            o.stage_finished(year, stage, seconds, rows)

    def models_built(self, year: int, seconds: dict[str, float]) -> None:
        for o in self.observers:
            o.models_built(year, seconds)

    def year_finished(self, summary: "YearSummary", audit: "YearAudit") -> None:
        for o in self.observers:
            o.year_finished(summary, audit)

    def run_finished(self, outcome: RunOutcome) -> None:
        for o in self.observers:
            o.run_finished(outcome)
