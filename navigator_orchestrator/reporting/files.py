"""`reports/`: the multi-year CSV and one JSON file per year, written as a run goes.

Every file is keyed by (database, scenario, design): it lies in the identity's own folder
`reports/<database tag>/<scenario>/<design>/` (the database file's stem and a digest of its
resolved path, then the two ids, as for checkpoints), so two databases, scenarios or designs run
from one working directory never overwrite each other's reports, whatever `_` or `-` the ids
hold. The names still carry the scenario and design ids, so a copied file says whose it is:
- `year_YYYY_<scenario>_<design>.json`, written as soon as the design's year is published;
- `multi_year_summary_<scenario>_<design>_FIRST_LAST.csv`, (re)written after every year; it covers
  every published year of the design from the census year on (a one-year run, a continued run and
  a run that failed part-way all leave a CSV of what the database holds), and its first columns
  are scenario_id and plan_design_id.

When a CSV is written, the CSVs of the same folder whose year range lies inside the new one (an
interrupted run's 2025_2025 or 2025_2026, replaced by 2025_2027) are removed, each with a
`removed PATH` line; any other range stays (a database since moved away, another start year).
Only regular files whose rows are all of the identity's scenario and design are read or removed,
and a removal that fails is one warning line: the run goes on.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, Collection

from navigator_orchestrator.files import atomic_path, write_atomically
from navigator_orchestrator.identity import Identity
from navigator_orchestrator.reporting.observe import RunInfo, RunObserver
from navigator_orchestrator.reporting.summary import YearAudit, YearFigures

REPORTS_DIR = Path("reports")
ID_COLUMNS = ["scenario_id", "plan_design_id"]


def database_directory(root: Path, identity: Identity) -> Path:
    """root/<database tag>: files of one database that are unique by run id (`navigator dq`'s)."""
    return Path(root) / identity.database_tag


def report_directory(root: Path, identity: Identity) -> Path:
    """root/<database tag>/<scenario>/<design>: the CSV, year JSONs and HTML report of one identity."""
    return identity.subdirectory(root)


def _csv_prefix(identity: Identity) -> str:
    return f"multi_year_summary_{identity.scenario_id}_{identity.plan_design_id}_"


def csv_path(root: Path, identity: Identity, figures: list[YearFigures]) -> Path:
    return report_directory(root, identity) / f"{_csv_prefix(identity)}{figures[0].year}_{figures[-1].year}.csv"


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


def remove_other_ranges(root: Path, identity: Identity, keep: Path,
                        notify: Callable[[str], None] = print, own: Collection[Path] = ()) -> list[Path]:
    """Remove the multi-year CSVs of `identity` whose year range lies inside `keep`'s (and is
    not `keep`'s own); returns the removed ones. Each removal is told as `removed PATH: …`; a
    removal that fails is told as one `warning: …` line and the file stays (a clean-up never
    stops a run). Other ranges stay: a CSV of 2025_2027 is kept when a run writes 2025_2025 or
    2026_2027, since those years may be of a database moved away or still in this one. Only
    regular files whose every row is of the identity's scenario and design are touched. `own`:
    files the caller wrote itself (a run's CSV of its previous year), removed without a line."""
    first, last = _range(keep, identity)
    removed = []
    for path in sorted(report_directory(root, identity).glob("multi_year_summary_*.csv")):
        span = _range(path, identity)
        if path == keep or span is None or not (first <= span[0] and span[1] <= last):
            continue
        if not _holds(path, identity):
            continue
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            notify(f"warning: could not remove {path} ({exc.strerror or exc}), the CSV of years {span[0]}-{span[1]} "
                   f"that {keep.name} replaces; remove it by hand")
            continue
        if path not in own:
            notify(f"removed {path}: the CSV of years {span[0]}-{span[1]}, replaced by {keep.name}")
        removed.append(path)
    return removed


def _range(path: Path, identity: Identity) -> tuple[int, int] | None:
    """(FIRST, LAST) of a CSV named with `identity`'s pattern; None for any other name."""
    match = re.fullmatch(re.escape(_csv_prefix(identity)) + r"(\d{4})_(\d{4})\.csv", path.name)
    return (int(match[1]), int(match[2])) if match else None


def _holds(path: Path, identity: Identity) -> bool:
    """Whether `path` is a regular file (not a link, pipe or device: opening those could block
    or reach elsewhere) whose every row is of `identity`'s scenario and design."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        with os.fdopen(fd, "rb", closefd=False) as fh:
            rows = list(csv.DictReader(io.TextIOWrapper(fh, newline="")))
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
    finally:
        os.close(fd)
    return bool(rows) and all((r.get("scenario_id"), r.get("plan_design_id"))
                              == (identity.scenario_id, identity.plan_design_id) for r in rows)


def write_year_json(root: Path, identity: Identity, audit: YearAudit, meta: dict[str, Any]) -> Path:
    text = json.dumps({**meta, **audit.to_json()}, indent=2, default=str) + "\n"
    path = year_json_path(root, identity, audit.year)
    return write_atomically(path, text, durable=False)


class ReportFiles(RunObserver):
    """The report-file observer. notify: where `removed PATH` and warning lines go (the run's
    console; silent by default)."""

    def __init__(self, directory: Path = REPORTS_DIR, notify: Callable[[str], None] | None = None):
        self.directory = Path(directory)
        self.notify = notify or (lambda message: None)
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
        # The range grew by a year: the CSV of the shorter range (this run's previous year, or an
        # interrupted run's before a resume) is replaced; other ranges stay.
        for stale in remove_other_ranges(self.directory, identity, path, self.notify, own=set(self.written)):
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
