"""The report files of one (database, scenario, design): where they go, which old CSVs a new
one replaces, and what a file the run cannot read, remove or replace does to the run."""

from __future__ import annotations

import csv
import os
import threading
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from navigator_orchestrator.guard import os_error_line
from navigator_orchestrator.identity import Identity
from navigator_orchestrator.reporting.files import (ReportFiles, csv_path, remove_other_ranges, write_csv,
                                                    year_json_path)
from navigator_orchestrator.reporting.observe import RunInfo
from navigator_orchestrator.reporting.summary import YearAudit, YearFigures


def figures(year: int, end_actives: int = 100) -> YearFigures:
    values = {name: 0 for name in YearFigures.columns()}
    return YearFigures(**{**values, "year": year, "end_actives": end_actives, "total_pay": Decimal("1.00")})


def history(first: int, last: int, end_actives: int = 100) -> list[YearFigures]:
    return [figures(y, end_actives) for y in range(first, last + 1)]


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def files_run(root: Path, identity: Identity, years: range, lines: list[str]) -> ReportFiles:
    """A ReportFiles observer told of `years` of `identity` as a run tells it."""
    files = ReportFiles(root, notify=lines.append)
    files.run_started(RunInfo("r1", identity.scenario_id, (identity.plan_design_id,), list(years), years[0],
                              years[-1], str(identity.database)))
    for year in years:
        files.year_finished(SimpleNamespace(target_ending_workforce=100), YearAudit(
            identity.scenario_id, identity.plan_design_id, year, figures(year), {}, {}, None,
            history(years[0], year)))
    return files


def test_scenario_and_design_ids_that_join_to_the_same_text_keep_their_own_files(tmp_path):
    db = tmp_path / "sim.duckdb"
    one, two = Identity(db, "acme_2026", "base"), Identity(db, "acme", "2026_base")
    first = write_csv(tmp_path / "reports", one, history(2025, 2025, end_actives=1))
    second = write_csv(tmp_path / "reports", two, history(2025, 2025, end_actives=2))
    assert first != second and first.name == second.name == "multi_year_summary_acme_2026_base_2025_2025.csv"
    assert first.parent == tmp_path / "reports" / one.database_tag / "acme_2026" / "base"
    assert [(r["scenario_id"], r["end_actives"]) for r in rows(first)] == [("acme_2026", "1")]
    assert [(r["scenario_id"], r["end_actives"]) for r in rows(second)] == [("acme", "2")]
    assert year_json_path(tmp_path, one, 2025) != year_json_path(tmp_path, two, 2025)


def test_a_longer_range_replaces_only_the_ranges_inside_it_and_says_so(tmp_path):
    root, identity = tmp_path / "reports", Identity(tmp_path / "sim.duckdb", "acme", "base")
    kept = {}
    for first, last in ((2024, 2024), (2025, 2028), (2027, 2027), (2026, 2027)):  # outside 2025-2026 or wider
        kept[(first, last)] = write_csv(root, identity, history(first, last))
    inside = [write_csv(root, identity, history(2025, 2025)), write_csv(root, identity, history(2026, 2026))]
    lines: list[str] = []
    new = write_csv(root, identity, history(2025, 2026))
    assert remove_other_ranges(root, identity, new, lines.append) == inside
    assert lines == [f"removed {p}: the CSV of years {r}, replaced by {new.name}"
                     for p, r in zip(inside, ("2025-2025", "2026-2026"))]
    assert all(p.exists() for p in kept.values()) and new.exists()


def test_a_database_at_a_moved_databases_path_keeps_the_old_csv_of_more_years(tmp_path):
    root, identity = tmp_path / "reports", Identity(tmp_path / "sim.duckdb", "acme", "base")
    moved_away = write_csv(root, identity, history(2025, 2027))
    lines: list[str] = []
    files = files_run(root, identity, range(2025, 2026), lines)
    assert files.csv_files == {"base": csv_path(root, identity, history(2025, 2025))}
    assert moved_away.exists() and lines == []


def test_a_later_start_year_keeps_the_csv_that_also_covers_earlier_years(tmp_path):
    root, identity = tmp_path / "reports", Identity(tmp_path / "sim.duckdb", "acme", "base")
    whole = write_csv(root, identity, history(2025, 2027))
    files_run(root, identity, range(2026, 2028), [])
    assert whole.exists() and csv_path(root, identity, history(2026, 2027)).exists()


def test_a_stale_csv_that_cannot_be_removed_is_one_warning_and_the_run_goes_on(tmp_path, make_immutable):
    root, identity = tmp_path / "reports", Identity(tmp_path / "sim.duckdb", "acme", "base")
    stuck = write_csv(root, identity, history(2026, 2026))
    make_immutable(stuck)
    lines: list[str] = []
    files = files_run(root, identity, range(2025, 2028), lines)
    final = csv_path(root, identity, history(2025, 2027))
    assert files.csv_files == {"base": final} and [int(r["year"]) for r in rows(final)] == [2025, 2026, 2027]
    warnings = [line for line in lines if line.startswith("warning:")]
    assert len(warnings) == 2 and all(str(stuck) in w for w in warnings)  # tried again by 2025-2027
    assert stuck.exists()


def test_a_named_pipe_or_a_link_with_an_old_csvs_name_is_neither_opened_nor_removed(tmp_path):
    root, identity = tmp_path / "reports", Identity(tmp_path / "sim.duckdb", "acme", "base")
    pipe = csv_path(root, identity, history(2026, 2026))
    pipe.parent.mkdir(parents=True)
    os.mkfifo(pipe)
    done: list[ReportFiles] = []
    worker = threading.Thread(target=lambda: done.append(files_run(root, identity, range(2025, 2027), [])),
                              daemon=True)
    worker.start()
    worker.join(timeout=20)
    if worker.is_alive():  # unblock the reader so the test process can end
        with open(pipe, "w"):
            pass
        pytest.fail("opening the named pipe blocked the run")
    assert done and pipe.exists()
    link = csv_path(root, identity, history(2025, 2025))
    target = write_csv(tmp_path / "elsewhere", identity, history(2025, 2025))
    link.symlink_to(target)
    new = csv_path(root, identity, history(2025, 2026))
    assert remove_other_ranges(root, identity, new, lambda line: None) == []
    assert pipe.exists() and link.is_symlink() and target.exists()


@pytest.mark.parametrize("obstacle", ["directory", "immutable file"])
def test_a_csv_name_that_cannot_be_written_is_named_with_what_to_move(tmp_path, obstacle, make_immutable):
    root, identity = tmp_path / "reports", Identity(tmp_path / "sim.duckdb", "acme", "base")
    path = csv_path(root, identity, history(2025, 2025))
    if obstacle == "directory":
        path.mkdir(parents=True)
    else:
        write_csv(root, identity, history(2025, 2025))
        make_immutable(path)
    with pytest.raises(OSError) as caught:
        write_csv(root, identity, history(2025, 2025))
    line = os_error_line(caught.value)
    assert line.startswith(f"cannot write {path}: ") and "move it away" in line and ".tmp" not in line
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
