"""Console output of a run: progress over years x stages, and a year-end audit per year.

On a terminal: a rich progress bar with elapsed time and one audit table per year. Otherwise
(CI, a log file): plain lines, one per stage and a short block per year, with no control codes.
"""

from __future__ import annotations

import sys
from typing import TextIO

from navigator_orchestrator.reporting import year_span
from navigator_orchestrator.reporting.observe import RunInfo, RunObserver, RunOutcome
from navigator_orchestrator.reporting.summary import YearAudit

STAGE_LABELS = {
    "census_load": "load census", "dbt_parse": "dbt parse", "dbt_build": "dbt build",
    "tripwires": "tripwires", "publish": "publish", "checkpoint": "checkpoint", "audit": "audit",
    "flush": "flush database file",
}


def _money(v: float | None) -> str:
    return "n/a" if v is None else f"${v:,.0f}"


def _pct(v: float | None, digits: int = 1) -> str:
    return "n/a" if v is None else f"{v:.{digits}%}"


def headline(summary) -> str:
    """One line per year, the same on every output (scripts grep it)."""
    return (
        f"{summary.year}: actives {summary.start_workforce:,} -> {summary.ending_workforce:,} "
        f"(target {summary.target_ending_workforce:,}, growth {summary.growth:+.2%}) | "
        f"hires {summary.hires:,} | terminations {summary.experienced_terminations:,} experienced, "
        f"{summary.new_hire_terminations:,} new-hire | {summary.seconds:.2f}s"
    )


def audit_lines(audit: YearAudit, target: int | None = None,
                notes: list[str] | None = None) -> list[tuple[str, str]]:
    """The year-end audit as (label, value) pairs: the same content on every kind of output."""
    f = audit.figures
    mix = ", ".join(f"{k} {v:,}" for k, v in audit.status_mix.items()) or "none"
    events = ", ".join(f"{k} {v:,}" for k, v in audit.events_by_type.items()) or "none"
    growth = f"{f.start_actives:,} -> {f.end_actives:,} ({_pct(f.growth_pct, 2)})"
    if target is not None:
        growth += f", target {target:,}" + (" (on target)" if target == f.end_actives else
                                            f" (off by {f.end_actives - target:+,})")
    participation = (f"{f.eligible_participants:,} of {f.eligible:,} eligible enrolled "
                     f"({_pct(f.participation_rate)}); {f.participants:,} participants in all")
    if audit.dq is None:
        dq = "no data-quality results recorded"
    else:
        dq = dq_line(audit.dq)
    return [
        ("Scenario / design", f"{audit.scenario_id} / {audit.plan_design_id}"),
        ("Active mix", mix),
        ("Events", events),
        ("Growth", growth),
        ("Participation", participation),
        ("Average deferral", _pct(f.average_deferral_rate, 2)),
        ("Employee deferrals", _money(f.employee_deferrals)),
        ("Employer match", _money(f.employer_match)),
        ("Employer core", _money(f.employer_core)),
        ("Employer cost", f"{_money(f.total_employer_cost)} ({_pct(f.cost_pct_of_pay, 2)} of pay "
                          f"{_money(f.total_pay)})"),
        ("Forfeitures", f"{_money(f.forfeitures)} forfeited, {_money(f.forfeitures_used)} used; "
                        f"net employer cost {_money(f.net_employer_cost)}"),
        ("Data quality", dq),
    ] + [("Note", note) for note in notes or []]


def dq_line(results: list[dict]) -> str:
    """'6 checks: 5 passed, 1 warning (headcount_swing)' from recorded data-quality results."""
    if not results:
        return "no checks applied"
    by: dict[str, list[str]] = {}
    for r in results:
        by.setdefault(str(r.get("status", "?")).lower(), []).append(str(r.get("check_name")))
    parts = [f"{len(by.pop('pass', []))} passed"]
    for status, label in (("warn", "warning"), ("fail", "failed")):
        if status in by:
            names = by.pop(status)
            parts.append(f"{len(names)} {label} ({', '.join(names)})")
    parts += [f"{len(names)} {status} ({', '.join(names)})" for status, names in by.items()]
    return f"{len(results)} checks: " + ", ".join(parts)


class PlainConsole(RunObserver):
    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stdout

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def run_started(self, info: RunInfo) -> None:
        years = year_span(info.years[0], info.years[-1]) if info.years else "no years"
        self._print(f"Simulating {years} | scenario {info.scenario_id} | plan {info.designs_label} "
                    f"| database {info.database} | run {info.run_id}")

    def stage_finished(self, year, stage, seconds, rows=None) -> None:
        where = f"{year}" if year is not None else "run"
        counts = ", ".join(f"{k} {v:,}" for k, v in (rows or {}).items())
        self._print(f"  [{where}] {STAGE_LABELS.get(stage, stage)}: {seconds:.2f}s"
                    + (f" ({counts})" if counts else ""))

    def year_finished(self, summary, audit: YearAudit) -> None:
        self._print(headline(summary))
        for label, value in audit_lines(audit, summary.target_ending_workforce, summary.notes):
            self._print(f"  {label + ':':<20}{value}")

    def run_finished(self, outcome: RunOutcome) -> None:
        if outcome.ok and outcome.result is not None:
            r = outcome.result
            self._print(done_line(r))


class RichConsole(RunObserver):
    def __init__(self):
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeElapsedColumn)

        self.console = Console()
        self.progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("stages"), TimeElapsedColumn(), console=self.console, transient=True,
        )
        self.task = None

    def run_started(self, info: RunInfo) -> None:
        years = year_span(info.years[0], info.years[-1]) if info.years else "no years"
        self.console.print(f"Simulating [bold]{years}[/] | scenario {info.scenario_id} | plan "
                           f"{info.designs_label} | database {info.database} | run {info.run_id}")
        self.progress.start()
        self.task = self.progress.add_task(
            "starting", total=info.stage_count or None)

    def stage_started(self, year, stage) -> None:
        where = str(year) if year is not None else "run"
        self.progress.update(self.task, description=f"{where} {STAGE_LABELS.get(stage, stage)}")

    def stage_finished(self, year, stage, seconds, rows=None) -> None:
        if year is not None:
            self.progress.advance(self.task)

    def year_finished(self, summary, audit: YearAudit) -> None:
        from rich.table import Table

        table = Table(title=f"Year-end audit {audit.year} | {audit.scenario_id} / {audit.plan_design_id}", title_justify="left", show_header=False,
                      caption=headline(summary), caption_justify="left")
        table.add_column(style="bold")
        table.add_column()
        for label, value in audit_lines(audit, summary.target_ending_workforce, summary.notes):
            table.add_row(label, value)
        self.progress.console.print(table)

    def run_finished(self, outcome: RunOutcome) -> None:
        self.progress.stop()
        if outcome.ok and outcome.result is not None:
            r = outcome.result
            self.console.print(done_line(r))


def done_line(result) -> str:
    """The last line of a finished run: simulated years (each year counted once, however many
    designs it was built for), designs, time, dbt invocations, run id."""
    years = len({s.year for s in result.years})
    designs = len({s.plan_design_id for s in result.years})
    of_designs = f" of {designs} plan designs" if designs > 1 else ""
    return (f"Done: {years} year(s){of_designs} in {result.seconds:.1f}s, "
            f"{result.dbt_invocations} dbt invocations, run {result.run_id}")


def console_observer(stream: TextIO | None = None) -> RunObserver:
    """Rich on a terminal, plain text otherwise."""
    out = stream or sys.stdout
    return RichConsole() if out.isatty() else PlainConsole(out)
