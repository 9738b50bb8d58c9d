"""Structured run log: `logs/<database tag>/run_<scenario_id>_<run_id>.jsonl`, one JSON object per line.

The file is keyed by database (the tag, as for checkpoints and reports), scenario and run; a run
of several designs writes one file whose year and stage lines each name their design.

Lines: `run_started`, one `stage` line per stage and year (seconds, row counts), one
`year_finished` line with the year's aggregate figures, and `run_finished` (status success,
failed or interrupted; error; for a failed run the Python traceback, which the console never
shows).
Only identifiers of the run, counts, timings and aggregates are logged: never an employee
id, a date of birth, a pay figure of a person or any census column.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from navigator_orchestrator.identity import database_tag
from navigator_orchestrator.reporting.observe import RunInfo, RunObserver, RunOutcome

LOGS_DIR = Path("logs")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class JsonlLog(RunObserver):
    def __init__(self, directory: Path = LOGS_DIR):
        self.directory = Path(directory)
        self.path: Path | None = None
        self.run_id: str | None = None
        self.traceback_logged = False  # a failed run's traceback is in the file

    def _write(self, event: str, **fields: Any) -> None:
        if self.path is None:
            return
        line = {"ts": _now(), "run_id": self.run_id, "event": event, **fields}
        with self.path.open("a") as fh:
            fh.write(json.dumps(line, default=str) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def run_started(self, info: RunInfo) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.run_id = info.run_id
        self.path = self.directory / database_tag(info.database) / f"run_{info.scenario_id}_{info.run_id}.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._write("run_started", scenario_id=info.scenario_id, plan_design_ids=list(info.plan_design_ids),
                    years=info.years, database=info.database, pid=os.getpid())

    def stage_finished(self, year: int | None, stage: str, seconds: float,
                       rows: dict[str, int] | None = None) -> None:
        self._write("stage", year=year, stage=stage, seconds=round(seconds, 4), rows=rows or {})

    def models_built(self, year: int, seconds: dict[str, float]) -> None:
        self._write("models", year=year, seconds={k: round(v, 4) for k, v in sorted(seconds.items())})

    def year_finished(self, summary, audit) -> None:
        self._write("year_finished", scenario_id=audit.scenario_id, plan_design_id=audit.plan_design_id,
                    year=audit.year, seconds=round(summary.seconds, 4),
                    figures=audit.to_json()["figures"], events_by_type=audit.events_by_type)

    def run_finished(self, outcome: RunOutcome) -> None:
        status = "success" if outcome.ok else ("interrupted" if outcome.interrupted else "failed")
        self._write("run_finished", status=status,
                    seconds=round(outcome.seconds, 4), error=outcome.error,
                    years_completed=[y.year for y in outcome.result.years] if outcome.result else [],
                    **({"traceback": outcome.traceback} if outcome.traceback else {}))
        self.traceback_logged = bool(outcome.traceback and self.path is not None)
