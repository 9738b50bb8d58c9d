"""No traceback reaches a user: faults in the files and disks around a run end in one line.

Read-only and full disks are real file systems (a tmpfs mounted for the test when the test runs
as root, permission bits otherwise); damaged checkpoints are real files, directories, pipes and
links. Every command runs as the user runs it, in a child process.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from conftest import copy_database, write_scenario
from navigator_orchestrator import guard
from navigator_orchestrator.census.intake import MAX_COMPENSATION, generate_census, validate_census
from navigator_orchestrator.cli import main
from navigator_orchestrator.config.schema import load_config
from navigator_orchestrator.engine.simulation import Simulation
from navigator_orchestrator.reporting.timeline import load_timeline, print_timeline
from navigator_orchestrator.safety import checkpoints
from navigator_orchestrator.identity import Identity

CP = Path(".navigator_checkpoints")


def cp_file(db: Path, year: int) -> Path:
    """Where a run of the default scenario and design writes a checkpoint of `db`."""
    return checkpoints.checkpoint_path(Identity(db, "baseline", "standard_401k"), year, CP)


def navigator(*args: str, cwd: Path | None = None, timeout: int = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "navigator_orchestrator.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    """The failure's stderr, asserted to be exactly one `Error: ...` line and no traceback."""
    assert proc.returncode != 0, proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), proc.stderr
    return lines[0]


def run_log_statuses(db: Path) -> list[tuple[str, str | None]]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute("select status, error from int_simulation_run_log order by started_at").fetchall()


# ----- real file systems: read-only and full ---------------------------------------------------

def _mount_tmpfs(where: Path, size: str) -> None:
    where.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.strip()}); the fault needs a real small file system")


@pytest.fixture
def mounts():
    mounted: list[Path] = []

    def mount(where: Path, size: str = "4m") -> Path:
        if os.geteuid() != 0:
            pytest.skip("a full disk needs a small file system, which only root can mount here")
        _mount_tmpfs(where, size)
        mounted.append(where)
        return where

    yield mount
    for where in reversed(mounted):
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def make_read_only(where: Path, mounted: bool) -> None:
    """Make a directory read-only: remount its tmpfs read-only (root), or drop write bits."""
    if mounted:
        subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)
    else:
        for path in [where, *where.rglob("*")]:
            path.chmod(path.stat().st_mode & ~0o222)


def fill(where: Path) -> None:
    """Fill the file system that holds `where` until a write fails for lack of space."""
    with open(where / "filler", "wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass


@pytest.fixture(scope="module")
def one_year(tmp_path_factory, small_census):
    """A config (2025-2026) and a database holding 2025 (shared: tests work on a copy)."""
    root = tmp_path_factory.mktemp("one_year")
    config = write_scenario(root, small_census)
    db = root / "sim.duckdb"
    Simulation(load_config(config).with_years(2025, 2025), db, checkpoint_dir=root / "checkpoints").run()
    return config, db


@pytest.fixture
def finished_year(tmp_path, one_year):
    """A config (2025-2026) and the test's own copy of a database holding 2025."""
    config, db = one_year
    return config, copy_database(db, tmp_path / "sim.duckdb")


def test_a_read_only_database_is_refused_in_one_line(tmp_path, mounts, finished_year):
    config, db = finished_year
    ro = tmp_path / "ro"
    as_root = os.geteuid() == 0
    if as_root:
        mounts(ro, "1g")
    else:
        ro.mkdir()
    (ro / "sim.duckdb").write_bytes(db.read_bytes())
    make_read_only(ro, as_root)
    before = (ro / "sim.duckdb").read_bytes()
    line = one_line_error(navigator("run", "-c", str(config), "--database", str(ro / "sim.duckdb"), cwd=tmp_path))
    assert "read-only" in line.lower() or "permission" in line.lower()
    assert (ro / "sim.duckdb").read_bytes() == before


def test_runs_lists_a_read_only_database(tmp_path, mounts, finished_year):
    _, db = finished_year
    ro = tmp_path / "ro"
    as_root = os.geteuid() == 0
    if as_root:
        mounts(ro, "1g")
    else:
        ro.mkdir()
    (ro / "sim.duckdb").write_bytes(db.read_bytes())
    make_read_only(ro, as_root)
    before = (ro / "sim.duckdb").read_bytes()
    proc = navigator("runs", "--database", str(ro / "sim.duckdb"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "completed" in proc.stdout and "2025-2025" in proc.stdout
    assert (ro / "sim.duckdb").read_bytes() == before


def test_a_read_only_working_directory_fails_in_one_line_and_closes_the_run_log(tmp_path, mounts, finished_year):
    config, db = finished_year
    work = tmp_path / "work"
    as_root = os.geteuid() == 0
    if as_root:
        mounts(work)
    else:
        work.mkdir()
    make_read_only(work, as_root)
    line = one_line_error(navigator("run", "-c", str(config), "--years", "2026", "--database", str(db), cwd=work))
    assert "read-only" in line.lower() or "permission" in line.lower()
    statuses = run_log_statuses(db)
    assert statuses[-1][0] == "failed" and "running" not in [s for s, _ in statuses]


def test_a_full_disk_under_the_logs_fails_in_one_line_and_closes_the_run_log(tmp_path, mounts, finished_year):
    config, db = finished_year
    work = mounts(tmp_path / "work", "256k")
    fill(work)
    line = one_line_error(navigator("run", "-c", str(config), "--years", "2026", "--database", str(db), cwd=work))
    assert "No space left on device" in line and "free disk space" in line
    status, error = run_log_statuses(db)[-1]
    assert status == "failed" and "No space left on device" in error


def test_a_disk_that_fills_while_reports_are_written_keeps_the_published_year(tmp_path, mounts, finished_year):
    config, db = finished_year
    full = mounts(tmp_path / "full", "256k")
    fill(full)
    work = tmp_path / "work"
    work.mkdir()
    (work / "reports").symlink_to(full)  # the log has room; the reports do not
    line = one_line_error(navigator("run", "-c", str(config), "--years", "2026", "--database", str(db), cwd=work))
    assert "No space left on device" in line
    status, error = run_log_statuses(db)[-1]
    assert status == "failed" and "No space left on device" in error
    # The year was published and checkpointed before the report failed: resume has nothing to redo.
    with duckdb.connect(str(db), read_only=True) as conn:
        years = [r[0] for r in conn.execute(
            "select distinct simulation_year from fct_workforce_snapshot order by 1").fetchall()]
    assert years == [2025, 2026]
    log = json.loads((next((work / "logs").rglob("run_*.jsonl"))).read_text().splitlines()[-1])
    assert log["status"] == "failed" and "Traceback" in log["traceback"]


# ----- config and checkpoint files that are not what they should be --------------------------

def test_a_config_path_that_is_a_directory_is_refused_in_one_line(tmp_path):
    (tmp_path / "cfg").mkdir()
    for command in (["validate", "-c", "cfg"], ["run", "-c", "cfg"], ["dbt-vars", "-c", "cfg"]):
        line = one_line_error(navigator(*command, cwd=tmp_path))
        assert "is a directory" in line and "-c" in line


def _damage(path: Path, kind: str) -> None:
    good = json.loads(path.read_text())
    if kind in ("year_null", "year_text", "tables_null"):
        field, value = {"year_null": ("year", None), "year_text": ("year", "2026"),
                        "tables_null": ("tables", None)}[kind]
        good[field] = value
        path.write_text(json.dumps(good))
        return
    path.unlink()
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "link_to_dev_zero":
        path.symlink_to("/dev/zero")


DAMAGE = ["year_null", "year_text", "tables_null", "directory", "fifo", "link_to_dev_zero"]


@pytest.fixture(scope="module")
def two_years(finished_2025_2026):
    """A config, a database holding 2025-2026 and their checkpoint directory (shared, read-only)."""
    run = finished_2025_2026
    return run.config, run.database, run.checkpoints


@pytest.mark.parametrize("kind", DAMAGE)
def test_a_damaged_checkpoint_is_read_as_invalid_without_hanging(tmp_path, two_years, kind):
    config, db, kept = two_years
    shutil.copytree(kept, CP)
    path = cp_file(db, 2026)
    _damage(path, kind)
    verdict = checkpoints.read_checkpoint(path)
    assert not verdict.ok and verdict.checkpoint is None and verdict.reason.startswith("unreadable")
    # In a child process with a time limit: a pipe read without care would wait forever.
    proc = navigator("checkpoint", "-c", str(config), "--database", str(db), cwd=tmp_path, timeout=60)
    assert proc.returncode == 0 and not proc.stderr, proc.stderr
    assert "year_2026.json" in proc.stdout and "INVALID: unreadable" in proc.stdout
    assert "Last valid checkpoint: 2025" in proc.stdout


def test_runs_after_a_damaged_checkpoint_publish_and_resume_with_a_note(tmp_path, make_config, capsys):
    config = make_config()
    db = tmp_path / "sim.duckdb"
    Simulation(load_config(config), db).run()
    _damage(cp_file(db, 2026), "year_null")
    # A later run writes its own checkpoints next to the damaged one (this once crashed it).
    assert main(["run", "-c", str(config), "--years", "2025", "--database", str(db)]) == 0
    capsys.readouterr()
    assert main(["run", "-c", str(config), "--database", str(db), "--resume"]) == 0
    assert "passed over year_2026.json: unreadable" in capsys.readouterr().out
    assert checkpoints.read_checkpoint(cp_file(db, 2026)).ok  # 2026 rebuilt and checkpointed


# ----- data that is text, and numbers that do not fit --------------------------------------------

class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_rich_markup_in_an_employee_id_is_printed_as_written(tmp_path, make_config):
    census = tmp_path / "markup.parquet"
    generate_census(60, 3, tmp_path / "plain.parquet", date(2024, 12, 31))
    odd = "[/bold][red]E-1"
    with duckdb.connect() as conn:
        conn.execute(f"copy (select * replace (case when employee_id = (select min(employee_id) from "
                     f"'{tmp_path / 'plain.parquet'}') then ? else employee_id end as employee_id) "
                     f"from '{tmp_path / 'plain.parquet'}') to '{census}' (format parquet)", [odd])
    config = load_config(make_config({"setup": {"census_parquet_path": str(census)},
                                      "simulation": {"end_year": 2025}}))
    db = tmp_path / "sim.duckdb"
    Simulation(config, db).run()
    with duckdb.connect(str(db), read_only=True) as conn:
        timeline = load_timeline(conn, config.effective_scenario_id, config.effective_plan_design_id, odd)
    out = _Terminal()
    print_timeline(timeline, out)
    assert f"Events of {odd}" in out.getvalue()


def test_pay_too_large_for_the_money_columns_is_refused_at_validation(tmp_path, small_census):
    bad = tmp_path / "huge_pay.parquet"
    with duckdb.connect() as conn:
        conn.execute(f"copy (select * exclude (n) replace (case when n = 3 then 9.6e11 when n = 4 then ? "
                     f"else employee_gross_compensation end as employee_gross_compensation) "
                     f"from (select *, row_number() over (order by employee_id) as n from '{small_census}')) "
                     f"to '{bad}' (format parquet)", [MAX_COMPENSATION])
    report = validate_census(bad, date(2024, 12, 31))
    problems = {p.name: p for p in report.problems}
    assert set(problems) == {"compensation_above_bound"} and problems["compensation_above_bound"].count == 1
    assert f"{MAX_COMPENSATION:,}" in problems["compensation_above_bound"].fix


def test_pay_at_the_bound_survives_years_of_raises(tmp_path, make_config, small_census):
    """The bound leaves room: a census at the bound simulates three years of generous raises."""
    census = tmp_path / "at_bound.parquet"
    with duckdb.connect() as conn:
        conn.execute(f"copy (select * exclude (n) replace (case when n <= 20 then ? else employee_gross_compensation "
                     f"end as employee_gross_compensation) from (select *, row_number() over (order by employee_id) "
                     f"as n from '{small_census}')) to '{census}' (format parquet)", [MAX_COMPENSATION])
    config = load_config(make_config({
        "setup": {"census_parquet_path": str(census)}, "simulation": {"end_year": 2027},
        "compensation": {"cola_rate": 0.1, "merit_budget": 0.1},
        "promotion": {"base_rate": 0.5, "raise_rate": 0.3}}))
    db = tmp_path / "sim.duckdb"
    Simulation(config, db).run()
    with duckdb.connect(str(db), read_only=True) as conn:
        top = conn.execute("select max(current_compensation) from fct_workforce_snapshot").fetchone()[0]
    assert MAX_COMPENSATION < top < 10 ** 12


# ----- the guard itself ---------------------------------------------------------------------------

def test_a_defect_becomes_one_line_pointing_at_its_traceback(tmp_path, capsys):
    @guard.guarded
    def broken(args: argparse.Namespace) -> int:
        return {}["missing"]

    assert broken(argparse.Namespace()) == guard.EXIT_ERROR
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("Error: unexpected KeyError")
    kept = Path(err[0].split("the traceback is in ", 1)[1].rstrip(")"))
    assert kept.is_file() and "Traceback" in kept.read_text() and "broken" in kept.read_text()

    assert broken(argparse.Namespace(verbose=True)) == guard.EXIT_ERROR
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and err.strip().splitlines()[-1].startswith("Error: ")


def test_a_failed_run_keeps_its_traceback_in_the_json_log_not_on_the_console(tmp_path, make_config):
    config = make_config({"data_quality": {"max_headcount_change": 0.0, "fail_on_warning": True}})
    proc = navigator("run", "-c", str(config), "--years", "2025", "--database", str(tmp_path / "sim.duckdb"),
                     cwd=tmp_path)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    last = json.loads(next((tmp_path / "logs").rglob("run_*.jsonl")).read_text().splitlines()[-1])
    assert last["event"] == "run_finished" and last["status"] == "failed"
    assert "Traceback (most recent call last)" in last["traceback"]


def test_a_file_where_an_output_directory_belongs_fails_in_one_line(tmp_path, make_config):
    (tmp_path / ".navigator_checkpoints").write_text("mine")
    config = make_config({"simulation": {"end_year": 2025}})
    line = one_line_error(navigator("run", "-c", str(config), "--database", str(tmp_path / "sim.duckdb"),
                                    cwd=tmp_path))
    assert ".navigator_checkpoints" in line and "move it away" in line
    assert (tmp_path / ".navigator_checkpoints").read_text() == "mine"
    status, error = run_log_statuses(tmp_path / "sim.duckdb")[-1]
    # Checkpoints go into folders below it (database, scenario, design): "Not a directory".
    assert status == "failed" and "Not a directory" in error
