"""dbt by hand publishes exactly as the orchestrator does, or refuses with nothing written.

The `fct_*` models run through the real `dbt` program, from a separate process, on database
files a real run wrote, as an operator following the RUNBOOK would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import copy_database
from navigator_orchestrator import cli
from navigator_orchestrator.config.schema import DBT_PROJECT_DIR, load_config
from navigator_orchestrator.engine import publish
from navigator_orchestrator.engine.by_hand import dbt_vars
from navigator_orchestrator.engine.database import work_path

DBT = Path(sys.executable).with_name("dbt")


def dbt(db: Path, tmp_path: Path, *args: str, vars_: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "NAVIGATOR_DB_PATH": str(db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env.pop("NAVIGATOR_DUCKDB_INSTANCE", None)
    env.pop("NAVIGATOR_WORK_PATH", None)  # a run in this process set it to its in-memory catalog
    command = [str(DBT), *args, "--profiles-dir", ".", "--target-path", str(tmp_path / "target"),
               "--log-path", str(tmp_path / "logs")]
    if vars_ is not None:
        command += ["--vars", json.dumps(vars_, default=str)]
    return subprocess.run(command, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600)


def published(db: Path) -> dict[str, dict]:
    """Per published table: its columns and types, its compression per column, its rows (a
    hash of every column but run_id, per year)."""
    with duckdb.connect(str(db), read_only=True) as conn:
        out = {}
        for table in publish.PUBLISHED_TABLES:
            out[table] = {
                "schema": conn.execute(f"select column_name, column_type from (describe {table})").fetchall(),
                "compression": {c: set(k.split(",")) - {"Constant", "Uncompressed"} for c, k in conn.execute(
                    f"select column_name, string_agg(distinct compression order by compression) "
                    f"from pragma_storage_info('{table}') where segment_type <> 'VALIDITY' "
                    f"and column_name in (select unnest(?::varchar[])) group by 1",
                    [list(publish.ZSTD_COLUMNS.get(table, ()))]).fetchall()},
                "years": {row[0]: row[1:] for row in conn.execute(
                    f"select simulation_year, count(*), sum(hash(columns(* exclude (run_id, simulation_year)))) "
                    f"from {table} group by 1 order by 1").fetchall()},
            }
        return out


@pytest.fixture(scope="module")
def finished_run(finished_2025_2027) -> tuple[Path, Path]:
    """A finished 2025-2027 run (its database file and work file) and its config."""
    return finished_2025_2027.database, finished_2025_2027.config


def test_a_year_published_by_hand_equals_the_orchestrators(finished_run, finished_2025_2026, tmp_path):
    db, config_path = finished_run
    config = load_config(config_path)
    # The same scenario run by the orchestrator for 2025-2026 only, then 2026 again by hand.
    by_hand = copy_database(finished_2025_2026.database, tmp_path / "by_hand.duckdb")
    before = published(by_hand)
    done = dbt(by_hand, tmp_path, "run", "--select", "tag:year", "tag:publish", vars_=dbt_vars(config, 2026))
    assert done.returncode == 0, done.stdout[-3000:]
    after, orchestrated = published(by_hand), published(db)
    for table in publish.PUBLISHED_TABLES:
        assert after[table]["schema"] == orchestrated[table]["schema"], table
        assert after[table]["compression"] == orchestrated[table]["compression"], table
        assert set(after[table]["compression"]) == set(publish.ZSTD_COLUMNS.get(table, ()))
        assert all(kinds <= {"ZSTD"} for kinds in after[table]["compression"].values()), after[table]
        assert after[table]["years"] == {y: orchestrated[table]["years"][y] for y in (2025, 2026)}, table
        assert after[table]["years"] == before[table]["years"], table


def test_the_plans_by_hand_sequence_after_a_finished_run_refuses_and_loses_nothing(finished_run, tmp_path):
    db = copy_database(finished_run[0], tmp_path / "simulation.duckdb")
    vars_2025 = dbt_vars(load_config(finished_run[1]), 2025)
    before = published(db)
    steps = [
        ["int_baseline_workforce", "int_employee_compensation_by_year"],
        ["int_workforce_needs_by_level", "int_hiring_events"],
        ["fct_yearly_events", "int_workforce_snapshot_optimized", "int_employee_contributions", "fct_workforce_snapshot"],
    ]
    work_before = _work_tables(db)
    # Each step reads year-only inputs it does not build from the work file, which holds 2027:
    # each refuses before building anything, and says how to build 2025.
    for step in steps:
        refused = dbt(db, tmp_path, "run", "--select", *step, vars_=vars_2025)
        assert refused.returncode != 0, refused.stdout[-2000:]
        assert "from the work file, which holds year 2027, not 2025; nothing was built" in refused.stdout
        assert "--select +MODEL,tag:year" in refused.stdout
    assert published(db) == before  # all three tables still hold 2025-2027, untouched
    assert _work_tables(db) == work_before

    # Built whole for 2025, the year publishes, and every later year goes from all three tables.
    done = dbt(db, tmp_path, "run", "--select", "tag:year", "tag:publish", vars_=vars_2025)
    assert done.returncode == 0, done.stdout[-3000:]
    after = published(db)
    for table in publish.PUBLISHED_TABLES:
        assert list(after[table]["years"]) == [2025], table
        assert after[table]["years"][2025] == before[table]["years"][2025], table


def test_a_year_whose_previous_year_is_not_published_is_not_built_by_hand(finished_run, tmp_path):
    db = copy_database(finished_run[0], tmp_path / "simulation.duckdb")
    work_before = _work_tables(db)
    config = load_config(finished_run[1])
    refused = dbt(db, tmp_path, "run", "--select", "tag:year", vars_=dbt_vars(config, 2029))
    assert refused.returncode != 0
    assert "year 2029 continues from year 2028, which is not published for scenario baseline" in refused.stdout
    # The fix starts at the first year missing, on this database, for the designs of the vars.
    assert (f"Publish the years in order from 2028 (navigator dbt -c CONFIG --database {db} --year 2028 "
            f"--plan-designs {','.join(config.design_ids)} -- run --select tag:year tag:publish, then each later "
            "year)") in " ".join(refused.stdout.split()), refused.stdout[-2000:]
    assert "nothing was built" in refused.stdout
    assert _work_tables(db) == work_before


def _work_tables(db: Path) -> dict[str, int]:
    """Row counts of the work file's tables (the year-only tables built by hand)."""
    with duckdb.connect(str(work_path(db)), read_only=True) as conn:
        names = [r[0] for r in conn.execute("select table_name from information_schema.tables "
                                            "where table_type = 'BASE TABLE'").fetchall()]
        return {n: conn.execute(f'select count(*) from "{n}"').fetchone()[0] for n in names}


def test_a_later_year_is_not_published_by_hand_over_a_gap(finished_run, tmp_path):
    db = copy_database(finished_run[0], tmp_path / "simulation.duckdb")
    with duckdb.connect(str(db)) as conn:
        for table in publish.PUBLISHED_TABLES:
            conn.execute(f"delete from {table} where simulation_year >= 2026")
    before = published(db)
    # The work file holds 2027; the vars name 2027, whose previous year is not published.
    refused = dbt(db, tmp_path, "run", "--select", "fct_employer_match_events",
                  vars_=dbt_vars(load_config(finished_run[1]), 2027))
    assert refused.returncode != 0
    assert "year 2027 continues from year 2026, which is not published" in refused.stdout
    assert published(db) == before


def test_publishing_by_hand_without_the_work_file_is_refused_in_one_line(finished_run, tmp_path, capsys):
    """A database copied without its work file (the year-only tables): publishing by hand names
    the missing table and the way on, writes nothing."""
    db = tmp_path / "simulation.duckdb"
    db.write_bytes(finished_run[0].read_bytes())  # the database file alone
    before = published(db)
    code = cli.main(["dbt", "-c", str(finished_run[1]), "--database", str(db), "--year", "2026",
                     "--", "run", "--select", "tag:publish"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert err[-1].startswith("Error: dbt run failed: fct_")
    assert "has not been built in this database's work file" in err[-1]
    assert "--select tag:year tag:publish" in err[-1] and "Did you mean" not in err[-1]
    assert published(db) == before
    assert not work_path(db).exists()  # refused before anything ran: no empty work file either
    # The same for a year whose previous year is not published, refused before any model runs.
    code = cli.main(["dbt", "-c", str(finished_run[1]), "--database", str(db), "--year", "2029",
                     "--", "run", "--select", "tag:year"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and "year 2029 continues from year 2028, which is not published" in err[-1]
    assert published(db) == before and not work_path(db).exists()


def test_dbt_without_vars_says_once_which_are_missing_and_how_to_get_them(finished_run, tmp_path):
    db = copy_database(finished_run[0], tmp_path / "simulation.duckdb")
    before = published(db)
    refused = dbt(db, tmp_path, "run", "--select", "fct_yearly_events")
    assert refused.returncode != 0
    output = refused.stdout + refused.stderr
    assert output.count("needs the scenario's vars") == 1
    assert "simulation_year" in output and "navigator dbt-vars" in output and "navigator dbt " in output
    assert "NoneType" not in output
    assert published(db) == before


def test_navigator_dbt_passes_the_scenarios_vars_and_reports_a_refusal_in_one_line(finished_run, tmp_path, capsys):
    db = copy_database(finished_run[0], tmp_path / "simulation.duckdb")
    before = published(db)
    code = cli.main(["dbt", "-c", str(finished_run[1]), "--database", str(db), "--year", "2026",
                     "--", "run", "--select", "fct_workforce_snapshot"])
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert code == 1
    assert err[-1].startswith("Error: dbt run failed: fct_workforce_snapshot: int_yearly_events holds")
    designs = ",".join(load_config(finished_run[1]).design_ids)
    assert (f"navigator dbt -c CONFIG --database {db} --year 2026 --plan-designs {designs} "
            "-- run --select tag:year tag:publish") in err[-1]
    # dbt's own report of the failed model holds the refusal, not a Python traceback.
    assert "int_yearly_events holds" in captured.out and "Traceback" not in captured.out + captured.err
    assert published(db) == before
    assert cli.main(["dbt", "--database", str(db), "--", "run", "--vars", "{}"]) == 1
    assert "leave --vars out" in capsys.readouterr().err


def test_the_vars_check_names_exactly_the_vars_navigator_dbt_vars_prints():
    import re

    from navigator_orchestrator.config.schema import SimulationConfig

    macro = (DBT_PROJECT_DIR / "macros" / "scenario_vars.sql").read_text()
    listed = re.search(r"set required = \[(.*?)\]", macro, re.S).group(1)
    assert set(re.findall(r"'([a-z0-9_]+)'", listed)) == set(dbt_vars(SimulationConfig(), 2025))


def test_a_run_removes_a_work_file_built_by_hand_so_it_is_never_published_over_the_runs_years(
        finished_run, tmp_path, capsys):
    db = copy_database(finished_run[0], tmp_path / "simulation.duckdb")
    assert work_path(db).exists()  # 2027, built by hand
    assert cli.main(["run", "-c", str(finished_run[1]), "--database", str(db), "--years", "2027-2027"]) == 0
    assert f"removed {work_path(db)}" in capsys.readouterr().out
    assert not work_path(db).exists()
    after_run = published(db)
    code = cli.main(["dbt", "-c", str(finished_run[1]), "--database", str(db), "--year", "2027",
                     "--", "run", "--select", "tag:publish"])
    captured = capsys.readouterr()
    assert code == 1 and "has not been built in this database's work file" in captured.err
    assert "Traceback" not in captured.out + captured.err
    assert published(db) == after_run


@pytest.mark.parametrize("damage", ["directory", "bytes"])
def test_navigator_dbt_refuses_a_damaged_work_file_in_one_line(finished_run, tmp_path, capsys, damage):
    db = copy_database(finished_run[0], tmp_path / "simulation.duckdb")
    work_path(db).unlink()
    if damage == "directory":
        work_path(db).mkdir()
    else:
        work_path(db).write_bytes(b"\x00not a database at all, some bytes\x01" * 4)
    before = published(db)
    code = cli.main(["dbt", "-c", str(finished_run[1]), "--database", str(db), "--year", "2027",
                     "--", "run", "--select", "tag:year"])
    captured = capsys.readouterr()
    assert code == 1 and "Traceback" not in captured.out + captured.err
    [line] = captured.err.strip().splitlines()
    assert line.startswith(f"Error: the work file {work_path(db)}") and "move or delete it" in line
    assert published(db) == before


def _other_core_rate(config: Path, target: Path) -> Path:
    """The same scenario with another core contribution rate (another config's vars)."""
    import yaml

    data = yaml.safe_load(config.read_text())
    data["employer_core_contribution"]["contribution_rate"] = 0.05
    target.write_text(yaml.safe_dump(data, sort_keys=False))
    return target


def test_a_publish_refuses_work_tables_of_other_vars_of_mixed_builds_or_of_an_unfinished_build(
        finished_run, tmp_path, capsys):
    db = copy_database(finished_run[0], tmp_path / "simulation.duckdb")  # 2027 built whole by hand
    config, other = finished_run[1], _other_core_rate(finished_run[1], tmp_path / "other.yaml")
    before = published(db)

    def by_hand(cfg: Path, *select: str) -> tuple[int, str]:
        code = cli.main(["dbt", "-c", str(cfg), "--database", str(db), "--year", "2027", "--", "run", "--select", *select])
        return code, capsys.readouterr().err.strip().splitlines()[-1] if code else ""

    # Published with another config's vars than the tables were built with.
    code, line = by_hand(other, "tag:publish")
    assert code == 1 and "the work tables were built with other vars" in line
    # One step rebuilt with the other config over the first build: the tables mix two builds.
    assert by_hand(other, "+int_employee_contributions,tag:year")[0] == 0
    code, line = by_hand(other, "tag:publish")
    assert code == 1 and "the work tables mix builds" in line
    # A step that would read the other build's tables without rebuilding them is not built.
    code, line = by_hand(config, "int_yearly_snapshot")
    assert code == 1 and "built with other vars" in line and "nothing was built" in line
    # A build stopped after it started (Ctrl-C, kill -9): its record never says it finished.
    assert by_hand(config, "tag:year")[0] == 0
    with duckdb.connect(str(work_path(db))) as conn:
        conn.execute("update work_build set finished = false")
    code, line = by_hand(config, "tag:publish")
    assert code == 1 and "the last build of the work tables did not finish" in line
    assert published(db) == before
    # Built whole and published in one command, it publishes.
    assert by_hand(other, "tag:year", "tag:publish")[0] == 0
    assert published(db) != before
