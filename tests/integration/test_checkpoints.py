"""Checkpoints after each year, their verification, and --resume from the latest valid one."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from navigator_orchestrator.safety import checkpoints
from navigator_orchestrator.cli import main
from navigator_orchestrator.config.schema import load_config
from navigator_orchestrator.engine.simulation import Simulation
from navigator_orchestrator.identity import Identity

from conftest import query

CP = Path(".navigator_checkpoints")  # tests run in their own tmp working directory


def cp_file(db: Path, year: int, scenario: str = "baseline", design: str = "standard_401k") -> Path:
    """Where a run writes the checkpoint of (db, scenario, design) for a year."""
    return checkpoints.checkpoint_path(Identity(db, scenario, design), year, CP)


def published(db: Path) -> dict[str, list[tuple]]:
    """Every published row without run_id, sorted, per table."""
    with duckdb.connect(str(db)) as conn:
        return {
            t: conn.execute(f"select * exclude (run_id) from {t} order by all").fetchall()
            for t in ("fct_yearly_events", "fct_workforce_snapshot")
        }


def run_ids_by_year(db: Path) -> dict[int, set[str]]:
    rows = query(db, "select simulation_year, run_id from fct_workforce_snapshot group by all")
    out: dict[int, set[str]] = {}
    for year, run_id in rows:
        out.setdefault(year, set()).add(run_id)
    return out


def test_each_year_leaves_a_checkpoint_that_verifies_against_the_database(finished_2025_2026):
    result, db = finished_2025_2026.result, finished_2025_2026.database
    found = checkpoints.list_checkpoints(finished_2025_2026.checkpoints)
    assert [v.checkpoint.year for v in found] == [2025, 2026]
    with duckdb.connect(str(db), read_only=True) as conn:
        for v in found:
            assert v.checkpoint.database == str(db.resolve())
            assert v.checkpoint.run_id == result.run_id
            assert checkpoints.verify(conn, v).ok
    counts = query(db, "select count(*) from fct_workforce_snapshot where simulation_year = 2026")[0][0]
    assert found[1].checkpoint.tables["fct_workforce_snapshot"]["rows"] == counts


def test_digest_ignores_row_order_and_run_id_but_not_content(tmp_path):
    def digest(sql: str) -> str:
        with duckdb.connect(str(tmp_path / f"{abs(hash(sql))}.duckdb")) as conn:
            conn.execute(sql)
            conn.execute("create table fct_yearly_events as select * from fct_workforce_snapshot")
            return checkpoints.year_digests(conn, "s", "d", 2025)["fct_workforce_snapshot"]["digest"]

    base = ("create table fct_workforce_snapshot as select 's' as scenario_id, 'd' as plan_design_id, "
            "2025 as simulation_year, "
            "{run} as run_id, x from (values {rows}) v(x)")
    a = digest(base.format(run="'r1'", rows="(1), (2), (3)"))
    assert a == digest(base.format(run="'r2'", rows="(3), (1), (2)"))
    assert a != digest(base.format(run="'r1'", rows="(1), (2), (4)"))
    assert a != digest(base.format(run="'r1'", rows="(1), (2), (3), (3)"))


def test_checkpoint_command_reports_a_row_changed_after_the_checkpoint(simulate, capsys):
    _, db = simulate()
    with duckdb.connect(str(db)) as conn:
        conn.execute("update fct_workforce_snapshot set current_compensation = current_compensation + 1 "
                     "where simulation_year = 2026 and employee_id = (select min(employee_id) "
                     "from fct_workforce_snapshot where simulation_year = 2026)")
    assert main(["checkpoint", "--database", str(db)]) == 0
    out = capsys.readouterr().out
    assert "2025 run" in out and "| ok" in out
    assert "INVALID: fct_workforce_snapshot content for 2026 differs" in out
    assert "Last valid checkpoint: 2025" in out


def test_resume_reruns_only_the_years_after_the_latest_valid_checkpoint(simulate, make_config, capsys):
    _, db = simulate()
    before, ids_before = published(db), run_ids_by_year(db)
    cp_file(db, 2026).unlink()  # as if the run died after publishing 2026, before its checkpoint
    assert main(["run", "-c", str(make_config()), "--database", str(db), "--resume"]) == 0
    assert "continuing at 2026" in capsys.readouterr().out
    after = run_ids_by_year(db)
    assert after[2025] == ids_before[2025]  # untouched
    assert after[2026] != ids_before[2026]
    assert published(db) == before
    assert cp_file(db, 2026).exists()


def test_a_corrupted_checkpoint_is_refused(simulate, make_config, capsys):
    config = make_config({"simulation": {"end_year": 2025}})
    _, db = simulate({"simulation": {"end_year": 2025}})
    path = cp_file(db, 2025)
    data = json.loads(path.read_text())
    data["tables"]["fct_yearly_events"]["rows"] += 1
    path.write_text(json.dumps(data))
    assert main(["run", "-c", str(config), "--database", str(db), "--resume"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: cannot resume") and "checksum mismatch" in err
    path.write_text("{ truncated")
    assert main(["run", "-c", str(config), "--database", str(db), "--resume"]) == 1
    assert "unreadable" in capsys.readouterr().err


def test_resume_refuses_a_checkpoint_written_with_another_configuration(simulate, make_config, capsys):
    _, db = simulate({"simulation": {"end_year": 2025}})
    other = make_config({"simulation": {"end_year": 2026, "random_seed": 7}})
    assert main(["run", "-c", str(other), "--database", str(db), "--resume"]) == 1
    assert "different configuration" in capsys.readouterr().err


def test_resume_refuses_when_there_is_no_checkpoint(tmp_path, make_config, capsys):
    assert main(["run", "-c", str(make_config()), "--database", str(tmp_path / "x.duckdb"), "--resume"]) == 1
    assert "no checkpoints found" in capsys.readouterr().err


def test_checkpoints_of_another_database_are_ignored(simulate, tmp_path, make_config):
    simulate({"simulation": {"end_year": 2025}}, database=tmp_path / "a.duckdb")
    config = load_config(make_config({"simulation": {"end_year": 2025}}))
    with pytest.raises(checkpoints.ResumeRefused, match="no checkpoints found"):
        Simulation(config, tmp_path / "b.duckdb", resume=True).run()


def test_a_resume_refusal_names_a_few_other_runs_checkpoints_and_counts_the_rest(tmp_path):
    """A working directory shared by many runs: the refusal stays one readable line, this
    database's other designs first, the other databases' checkpoints counted beyond three."""
    directory = tmp_path / ".navigator_checkpoints"
    mine = Identity(tmp_path / "mine.duckdb", "base", "standard_401k")
    others = [Identity(tmp_path / "mine.duckdb", "base", "rich_core")]
    others += [Identity(tmp_path / f"other_{i}.duckdb", "base", "standard_401k") for i in range(5)]
    with duckdb.connect() as conn:
        for identity in others:
            checkpoints.write_checkpoint(conn, year=2025, identity=identity, run_id="r", config_hash="c",
                                         census_hash="h", directory=directory, tables={})
        with pytest.raises(checkpoints.ResumeRefused) as refused:
            checkpoints.resume_point(conn, identity=mine, config_hash="c", census_hash="h", start_year=2025,
                                     directory=directory)
    message = str(refused.value)
    assert len(message.splitlines()) == 1
    assert message.count("they belong to") == 3
    assert "they belong to design 'rich_core', not 'standard_401k'" in message  # this database's first
    assert "and 3 more identities' checkpoints (navigator checkpoint lists them)" in message
