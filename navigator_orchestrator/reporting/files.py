"""`reports/`: the multi-year CSV and one JSON file per year, written as a run goes.

Every file is keyed by (database, scenario, design): it lies in `reports/<database tag>/` (the
database file's stem and a digest of its resolved path, as for checkpoints) and its name carries
the scenario and design ids, so two databases, scenarios or designs run from one working
directory never overwrite each other's reports:
- `year_YYYY_<scenario>_<design>.json`, written as soon as the design's year is published;
- `multi_year_summary_<scenario>_<design>_FIRST_LAST.csv`, (re)written after every year; it covers
  every published year of the design from the census year on (a one-year run, a continued run and
  a run that failed part-way all leave a CSV of what the database holds), and its first columns
  are scenario_id and plan_design_id. The CSV of another range of the same database, scenario and
  design (an interrupted run's, before a resume) is removed when the new one is written.
"""

from __future__ import annotations

import csv
import glob
import json
import re
from dataclasses import asdict
from pathlib import Path
from typing import Any

from navigator_orchestrator.files import atomic_path, write_atomically
from navigator_orchestrator.identity import Identity
from navigator_orchestrator.reporting.observe import RunInfo, RunObserver, RunOutcome
from navigator_orchestrator.reporting.summary import YearAudit, YearFigures

REPORTS_DIR = Path("reports")
ID_COLUMNS = ["scenario_id", "plan_design_id"]


def report_directory(root: Path, identity: Identity) -> Path:
    return Path(root) / identity.database_tag


def csv_path(root: Path, identity: Identity, figures: list[YearFigures]) -> Path:
    return report_directory(root, identity) / (
        f"multi_year_summary_{identity.scenario_id}_{identity.plan_design_id}_{figures[0].year}_{figures[-1].year}.csv")


def year_json_path(root: Path, identity: Identity, year: int) -> Path:
    return report_directory(root, identity) / f"year_{year}_{identity.scenario_id}_{identity.plan_design_id}.json"


def write_csv(root: Path, identity: Identity, figures: list[YearFigures]) -> Path:
    path = csv_path(root, identity, figures)
    with atomic_path(path, durable=False) as tmp, tmp.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=ID_COLUMNS + YearFigures.columns())
        writer.writeheader()
        for f in figures:
            writer.writerow({"scenario_id": identity.scenario_id, "plan_design_id": identity.plan_design_id,
                             **{k: "" if v is None else v for k, v in asdict(f).items()}})
    return path


def remove_other_ranges(root: Path, identity: Identity, keep: Path) -> list[Path]:
    """Remove the multi-year CSVs of `identity` (its database's folder, its scenario and design)
    for other year ranges than `keep`'s; returns them. A file is this identity's only when its
    name has the identity's pattern and its rows say so (ids may hold `_`, so a name alone could
    belong to another scenario and design); another database's folder is never looked at."""
    prefix = f"multi_year_summary_{identity.scenario_id}_{identity.plan_design_id}_"
    pattern = re.compile(re.escape(prefix) + r"\d{4}_\d{4}\.csv")
    removed = []
    for path in sorted(report_directory(root, identity).glob(f"{glob.escape(prefix)}*.csv")):
        if path == keep or not pattern.fullmatch(path.name) or not _holds(path, identity):
            continue
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def _holds(path: Path, identity: Identity) -> bool:
    """Whether every row of a multi-year CSV is of `identity`'s scenario and design."""
    try:
        with path.open(newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
    return bool(rows) and all((r.get("scenario_id"), r.get("plan_design_id"))
                              == (identity.scenario_id, identity.plan_design_id) for r in rows)


def write_year_json(root: Path, identity: Identity, audit: YearAudit, meta: dict[str, Any]) -> Path:
    text = json.dumps({**meta, **audit.to_json()}, indent=2, default=str) + "\n"
    return write_atomically(year_json_path(root, identity, audit.year), text, durable=False)


class ReportFiles(RunObserver):
    def __init__(self, directory: Path = REPORTS_DIR):
        self.directory = Path(directory)
        self.info: RunInfo | None = None
        self.written: list[Path] = []
        self.csv_files: dict[str, Path] = {}  # design -> its multi-year CSV

    def run_started(self, info: RunInfo) -> None:
        self.info = info

    def year_finished(self, summary, audit: YearAudit) -> None:
        info = self.info
        identity = Identity(Path(info.database) if info else Path("."), audit.scenario_id, audit.plan_design_id)
        meta = {"run_id": info.run_id, "database": info.database} if info else {}
        meta["target_ending_workforce"] = summary.target_ending_workforce
        self.written.append(write_year_json(self.directory, identity, audit, meta))
        path = write_csv(self.directory, identity, audit.history)
        # The range grew by a year, or the database holds other years than when an earlier
        # (interrupted, resumed, rerun) run wrote its CSV: only the one of what it holds now stays.
        for stale in remove_other_ranges(self.directory, identity, path):
            if stale in self.written:
                self.written.remove(stale)
        if path not in self.written:
            self.written.append(path)
        self.csv_files[audit.plan_design_id] = path

    @property
    def csv_file(self) -> Path | None:
        """The CSV of the design published last (every design's: `csv_files`)."""
        csvs = [p for p in self.written if p.suffix == ".csv"]
        return csvs[-1] if csvs else None
