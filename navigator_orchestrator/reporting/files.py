"""`reports/`: the multi-year CSV and one JSON file per year, written as a run goes.

`reports/year_YYYY.json` is written as soon as a year is published; the CSV
`reports/multi_year_summary_FIRST_LAST.csv` is (re)written after every year and covers every
published year of the scenario from the census year on, so a one-year run, a continued run and a
run that failed part-way all leave a CSV of what the database holds.
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from navigator_orchestrator.reporting.observe import RunInfo, RunObserver, RunOutcome
from navigator_orchestrator.reporting.summary import YearAudit, YearFigures

REPORTS_DIR = Path("reports")


def csv_path(directory: Path, figures: list[YearFigures]) -> Path:
    return directory / f"multi_year_summary_{figures[0].year}_{figures[-1].year}.csv"


def write_csv(directory: Path, figures: list[YearFigures]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = csv_path(directory, figures)
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=YearFigures.columns())
        writer.writeheader()
        for f in figures:
            writer.writerow({k: "" if v is None else v for k, v in asdict(f).items()})
    tmp.replace(path)
    return path


def write_year_json(directory: Path, audit: YearAudit, meta: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"year_{audit.year}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({**meta, **audit.to_json()}, indent=2, default=str) + "\n")
    tmp.replace(path)
    return path


class ReportFiles(RunObserver):
    def __init__(self, directory: Path = REPORTS_DIR):
        self.directory = Path(directory)
        self.info: RunInfo | None = None
        self.written: list[Path] = []

    def run_started(self, info: RunInfo) -> None:
        self.info = info

    def year_finished(self, summary, audit: YearAudit) -> None:
        info = self.info
        meta = {"run_id": info.run_id, "plan_design_id": info.plan_design_id} if info else {}
        meta["target_ending_workforce"] = summary.target_ending_workforce
        self.written.append(write_year_json(self.directory, audit, meta))
        previous = self.csv_file
        path = write_csv(self.directory, audit.history)
        if previous is not None and previous != path:
            # The range grew by a year: the file for the shorter range was this run's own.
            previous.unlink(missing_ok=True)
            self.written.remove(previous)
        if path not in self.written:
            self.written.append(path)

    @property
    def csv_file(self) -> Path | None:
        csvs = [p for p in self.written if p.suffix == ".csv"]
        return csvs[-1] if csvs else None
