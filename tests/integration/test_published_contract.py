"""The published tables' columns are a documented contract (dbt/models/marts/schema.yml), and a
database whose tables were written by an earlier version is refused before anything is written."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import yaml

from conftest import copy_database, query
from navigator_orchestrator.cli import main
from navigator_orchestrator.engine import contract
from navigator_orchestrator.engine.database import work_path
from navigator_orchestrator.engine.dbt_runner import DbtRunner
from navigator_orchestrator.engine.publish import PUBLISHED_TABLES
from navigator_orchestrator.locations import DBT_PROJECT_DIR
from navigator_orchestrator.safety.backup import backup_path


def contract_mismatches(table: str, actual: list[str], documented: tuple[str, ...]) -> list[str]:
    """What differs between a published table's columns and the ones SCHEMA_FILE lists, each
    naming the column and the file to edit."""
    where = f"{contract.SCHEMA_FILE} (model {table})"
    problems = [f"{table}.{c} is published but not documented: add it to {where} with its unit and source"
                for c in actual if c not in documented]
    problems += [f"{table}.{c} is documented but not published: remove it from {where}"
                 for c in documented if c not in actual]
    if not problems and list(documented) != actual:
        problems.append(f"{table}: {where} lists the columns in another order than the table has them "
                        f"({', '.join(actual)})")
    return problems


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def navigator(capfd, *argv: str) -> tuple[int, str, str]:
    """The command in this process (the working directory is the test's): its exit code and
    everything written to stdout and stderr, at the file-descriptor level (dbt's and DuckDB's
    output too)."""
    capfd.readouterr()
    code = main(list(argv))
    out, err = capfd.readouterr()
    return code, out, err


def _without_column(run, tmp_path: Path, column: str = "vesting_years") -> Path:
    db = copy_database(run.database, tmp_path / "earlier.duckdb")
    with duckdb.connect(str(db)) as conn:
        conn.execute(f"alter table fct_workforce_snapshot drop column {column}")
        conn.execute("checkpoint")
    return db


def test_every_published_column_is_documented_in_table_order(finished_2025_2026):
    documented = contract.published_columns(DbtRunner(finished_2025_2026.database))
    problems = []
    with duckdb.connect(str(finished_2025_2026.database), read_only=True) as conn:
        for table in PUBLISHED_TABLES:
            actual = [row[0] for row in conn.execute(f"describe {table}").fetchall()]
            problems += contract_mismatches(table, actual, documented[table])
    assert not problems, "\n".join(problems)
    # Every documented published column says what it holds.
    models = yaml.safe_load((DBT_PROJECT_DIR / "models/marts/schema.yml").read_text())["models"]
    undescribed = [f"{m['name']}.{c['name']}" for m in models if m["name"] in PUBLISHED_TABLES
                   for c in m["columns"] if not str(c.get("description", "")).strip()]
    assert not undescribed, f"no description in {contract.SCHEMA_FILE}: {', '.join(undescribed)}"


def test_an_undocumented_published_column_is_named_with_the_file_to_edit():
    problems = contract_mismatches("fct_plan_year_summary", ["scenario_id", "new_figure"], ("scenario_id",))
    assert problems == ["fct_plan_year_summary.new_figure is published but not documented: add it to "
                        "dbt/models/marts/schema.yml (model fct_plan_year_summary) with its unit and source"]
    assert contract_mismatches("t", ["b", "a"], ("a", "b"))  # same columns, another order
    assert contract_mismatches("t", ["a"], ("a", "b"))


def test_a_database_from_an_earlier_version_is_refused_before_anything_is_written(finished_2025_2026, tmp_path,
                                                                                   capfd):
    db = _without_column(finished_2025_2026, tmp_path)
    runs_before = query(db, "select count(*) from int_simulation_run_log")
    before = (_digest(db), _digest(work_path(db)))
    for extra in ([], ["--resume"], ["--years", "2026-2026"]):
        code, stdout, stderr = navigator(capfd, "run", "-c", str(finished_2025_2026.config), "--database", str(db),
                                         *extra)
        assert code == 1, stderr
        lines = stderr.strip().splitlines()
        assert len(lines) == 1, stderr
        assert lines[0] == (
            f"Error: {db} was written by an earlier version of navigator: fct_workforce_snapshot lacks column "
            "vesting_years; run into a new --database, or set setup.clear_mode: all"
            + (" and run without --resume" if extra == ["--resume"] else "")
            + " to start this one afresh (it drops every table but the run log, after the backup)")
        assert "Traceback" not in stdout + stderr
        # Not a byte changed: no census, seeds, data-quality or run-log row, no backup taken.
        assert (_digest(db), _digest(work_path(db))) == before
        assert not backup_path(db).exists()
    assert query(db, "select count(*) from int_simulation_run_log") == runs_before


def test_the_refusal_names_a_few_columns_and_counts_the_rest():
    line = contract.earlier_version_message(
        Path("/data/sim.duckdb"), {"fct_workforce_snapshot": ["a", "b", "c", "d", "e"], "fct_ndt_results": ["x"]},
        backup=False)
    assert line == ("/data/sim.duckdb was written by an earlier version of navigator: fct_workforce_snapshot lacks "
                    "columns a, b, c (and 2 more) (and columns of fct_ndt_results); run into a new --database, or "
                    "set setup.clear_mode: all to start this one afresh (it drops every table but the run log; "
                    "setup.backup.enabled is false, so no backup is taken)")


def test_a_read_command_on_such_a_database_gives_the_same_line(finished_2025_2026, tmp_path, capfd):
    db = _without_column(finished_2025_2026, tmp_path, "is_hce")
    before = _digest(db)
    code, _, stderr = navigator(capfd, "compare", "-c", str(finished_2025_2026.config), "--database", str(db))
    assert code == 1
    assert stderr.strip().splitlines() == [
        f"Error: {db} was written by an earlier version of navigator: fct_workforce_snapshot lacks column is_hce; "
        "run into a new --database, or set setup.clear_mode: all to start this one afresh (it drops every table "
        "but the run log, after the backup)"]
    assert _digest(db) == before


def test_dq_on_such_a_database_gives_the_same_line_instead_of_failing_dbt_tests(finished_2025_2026, tmp_path,
                                                                                 capfd):
    db = _without_column(finished_2025_2026, tmp_path, "vesting_years")
    code, stdout, stderr = navigator(capfd, "dq", "-c", str(finished_2025_2026.config), "--database", str(db))
    assert code == 1
    assert stderr.strip().splitlines()[-1].startswith(
        f"Error: {db} was written by an earlier version of navigator: fct_workforce_snapshot lacks column vesting_years")
    assert "Runtime Error" not in stdout + stderr


def test_clear_mode_all_still_runs_on_a_database_from_an_earlier_version(finished_2025_2026, tmp_path, capfd):
    from conftest import write_scenario
    from navigator_orchestrator.config.schema import load_config

    db = _without_column(finished_2025_2026, tmp_path)
    runs_before = query(db, "select count(*) from int_simulation_run_log")[0][0]
    census = load_config(finished_2025_2026.config).census_path
    config = write_scenario(tmp_path, census, {"setup": {"clear_mode": "all"}}, name="afresh.yaml")
    code, _, stderr = navigator(capfd, "run", "-c", str(config), "--database", str(db))
    assert code == 0, stderr
    assert backup_path(db).exists()  # the earlier database, kept before the tables were dropped
    columns = [row[0] for row in query(db, "describe fct_workforce_snapshot")]
    assert "vesting_years" in columns
    assert query(db, "select count(distinct simulation_year) from fct_workforce_snapshot") == [(2,)]
    assert query(db, "select count(*) from int_simulation_run_log")[0][0] > runs_before  # the audit trail kept
