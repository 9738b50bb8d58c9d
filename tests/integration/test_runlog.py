"""int_simulation_run_log: a row before every run, closed after it as completed or failed."""

from __future__ import annotations

import json

from navigator_orchestrator.census.intake import census_file_hash
from navigator_orchestrator.cli import main
from navigator_orchestrator.config.schema import load_config
from navigator_orchestrator.engine.simulation import Simulation, SimulationError

from conftest import copy_database, query, write_scenario

import pytest


def run_log(db) -> list[dict]:
    import duckdb

    with duckdb.connect(str(db)) as conn:
        cur = conn.execute("select * from int_simulation_run_log order by started_at")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]


def test_a_completed_run_records_its_inputs_versions_and_per_year_figures(finished_2025_2026, small_census):
    result, db = finished_2025_2026.result, finished_2025_2026.database
    [row] = run_log(db)
    config = load_config(finished_2025_2026.config)
    assert row["run_id"] == result.run_id and row["status"] == "completed" and row["error"] is None
    assert (row["scenario_id"], row["plan_design_id"]) == ("baseline", "standard_401k")
    assert (row["start_year"], row["end_year"], row["random_seed"]) == (2025, 2026, 42)
    assert row["config_hash"] == config.config_hash()
    assert row["census_hash"] == census_file_hash(small_census)
    assert row["code_version"] and row["dbt_version"].startswith("1.11") and row["duckdb_version"]
    assert row["finished_at"] >= row["started_at"]
    assert set(json.loads(row["year_seconds"])) == {"2025", "2026"}
    counts = json.loads(row["year_row_counts"])
    snapshot_2026 = query(db, "select count(*) from fct_workforce_snapshot where simulation_year = 2026")[0][0]
    assert counts["2026"]["fct_workforce_snapshot"] == snapshot_2026
    for table in ("fct_yearly_events", "fct_workforce_snapshot"):  # identifiers on every row
        assert query(db, f"select distinct scenario_id, plan_design_id, run_id from {table}") == [
            ("baseline", "standard_401k", result.run_id)]


def test_a_year_that_fails_midway_leaves_a_failed_row_with_the_years_done(make_config, tmp_path):
    config = load_config(make_config())
    db = tmp_path / "sim.duckdb"

    def fail_after_first_year(summary) -> None:
        raise RuntimeError(f"stopped after {summary.year}")

    with pytest.raises(RuntimeError):
        Simulation(config, db, on_year=fail_after_first_year).run()
    [row] = run_log(db)
    assert row["status"] == "failed" and row["error"] == "stopped after 2025"
    assert set(json.loads(row["year_row_counts"])) == {"2025"}


def test_a_failed_run_keeps_its_row_marked_failed_with_the_error(make_config, tmp_path, capsys, finished_2025_2026):
    db = copy_database(finished_2025_2026.database, tmp_path / "simulation.duckdb")  # a completed run's
    config = load_config(make_config({"simulation": {"end_year": 2026}}))

    def fail(summary) -> None:
        raise SimulationError(f"the check after year {summary.year} failed")

    with pytest.raises(SimulationError):
        Simulation(config, db, first_year=2026, on_year=fail).run()
    last = run_log(db)[-1]
    assert last["status"] == "failed" and "2026" in last["error"] and last["finished_at"] is not None
    assert main(["runs", "--database", str(db)]) == 0
    out = capsys.readouterr().out
    assert "failed" in out and "completed" in out and "error:" in out


def test_clear_mode_all_keeps_the_run_log(simulate, tmp_path, finished_2025_2026):
    one_year = {"simulation": {"end_year": 2025}}
    copy_database(finished_2025_2026.database, tmp_path / "simulation.duckdb")  # one completed run
    assert [r["status"] for r in run_log(tmp_path / "simulation.duckdb")] == ["completed"]
    simulate({**one_year, "setup": {"clear_mode": "all"}})
    db = simulate(one_year)[1]
    assert [r["status"] for r in run_log(db)] == ["completed"] * 3
    assert query(db, "select count(distinct run_id) from fct_workforce_snapshot")[0][0] == 1


def test_a_range_without_its_previous_year_is_refused_before_anything_is_written(finished_2025_2026, tmp_path,
                                                                                   small_census):
    import hashlib

    db = copy_database(finished_2025_2026.database, tmp_path / "gap.duckdb")
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    config = load_config(write_scenario(tmp_path, small_census, {"simulation": {"end_year": 2028}}))
    with pytest.raises(SimulationError, match="year 2028 starts from year 2027's snapshot"):
        Simulation(config, db, first_year=2028, checkpoint_dir=tmp_path / "cp").run()
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before  # not even a run-log row


def test_a_refused_run_leaves_no_file_it_created_by_opening(finished_2025_2026, tmp_path, small_census):
    """A new database path, or an existing database without its work file: the refusal removes
    the files the run created by opening them, so the directory is as it was."""
    from navigator_orchestrator.engine.database import work_path

    config = load_config(write_scenario(tmp_path, small_census, {"simulation": {"end_year": 2028}}))
    new = tmp_path / "new" / "fresh.duckdb"
    new.parent.mkdir()
    with pytest.raises(SimulationError, match="year 2028 starts from year 2027's snapshot"):
        Simulation(config, new, first_year=2028, checkpoint_dir=tmp_path / "cp").run()
    assert sorted(p.name for p in new.parent.iterdir()) == []
    alone = tmp_path / "alone.duckdb"
    alone.write_bytes(finished_2025_2026.database.read_bytes())  # without its work file
    with pytest.raises(SimulationError, match="year 2028 starts from year 2027's snapshot"):
        Simulation(config, alone, first_year=2028, checkpoint_dir=tmp_path / "cp").run()
    assert alone.exists() and not work_path(alone).exists()
    assert alone.read_bytes() == finished_2025_2026.database.read_bytes()


@pytest.mark.parametrize("command", [["runs"], ["checkpoint"]])
def test_a_reader_that_closes_the_pipe_early_gets_no_error_message(finished_2025_2026, tmp_path, command):
    """`navigator runs | head -1`: the reader goes away before the output is written; the command
    stops quietly (exit 1, as Rich's tables do) instead of printing an error about the pipe."""
    import subprocess
    import sys

    db = copy_database(finished_2025_2026.database, tmp_path / "piped.duckdb")
    proc = subprocess.Popen([sys.executable, "-m", "navigator_orchestrator.cli", *command, "--database", str(db)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    proc.stdout.close()  # before the command has written anything
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) in (0, 1)
    assert "Error" not in err and "Traceback" not in err and "Broken pipe" not in err


@pytest.mark.parametrize("argv", [["run", "--threads", "0"], ["run", "--threads", "-1"], ["runs", "--limit", "-1"],
                                  ["runs", "--limit", "many"]])
def test_a_count_below_one_is_refused_before_anything_is_written(tmp_path, capsys, argv):
    db = tmp_path / "untouched.duckdb"
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--database", str(db)])
    assert exited.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("Error: ") and "is not a whole number of 1 or more" in err[0]
    assert not db.exists()
