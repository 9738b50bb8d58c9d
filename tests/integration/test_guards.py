"""Bad input is refused before anything is written; PII never reaches a table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import query
from navigator_orchestrator.census.intake import CensusError
from navigator_orchestrator.config.schema import load_config
from navigator_orchestrator.engine.simulation import Simulation


def _fingerprint(db: Path) -> dict[str, tuple]:
    with duckdb.connect(str(db)) as conn:
        tables = [r[0] for r in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'main' order by 1").fetchall()]
        return {t: conn.execute(f'select count(*), sum(hash(columns(*))) from (select * from "{t}")').fetchone()
                for t in tables if t.startswith(("fct_", "raw_"))}


@pytest.mark.parametrize("defect, sql", [
    ("duplicate_employee_id", "update c set employee_id = (select min(employee_id) from c) where rowid = 5"),
    ("non_positive_compensation", "update c set employee_gross_compensation = 0 where rowid = 3"),
    ("birth_after_hire", "update c set employee_birth_date = employee_hire_date + 10 where rowid = 2"),
])
def test_bad_census_is_refused_and_existing_results_untouched(tmp_path, small_census, make_config, defect, sql):
    db = tmp_path / "sim.duckdb"
    Simulation(load_config(make_config({"simulation": {"end_year": 2025}})), db).run()
    before = _fingerprint(db)

    bad = tmp_path / "bad.parquet"
    with duckdb.connect() as conn:
        conn.execute(f"create table c as select * from read_parquet('{small_census}')")
        conn.execute(sql)
        conn.execute(f"copy c to '{bad}' (format parquet)")
    config = load_config(make_config({"setup": {"census_parquet_path": str(bad)}}, name="bad.yaml"))
    with pytest.raises(CensusError, match=defect):
        Simulation(config, db).run()
    assert _fingerprint(db) == before


def test_no_pii_in_any_table(tmp_path, small_census, simulate):
    _, db = simulate({"simulation": {"end_year": 2025}})
    with duckdb.connect() as conn:
        ssns = [r[0] for r in conn.execute(f"select employee_ssn from read_parquet('{small_census}')").fetchall()]
        names = [r[0] for r in conn.execute(f"select last_name from read_parquet('{small_census}')").fetchall()]
    assert ssns and names
    with duckdb.connect(str(db)) as conn:
        columns = conn.execute(
            "select table_name, column_name from information_schema.columns where table_schema = 'main'"
        ).fetchall()
        assert not [c for c in columns if any(p in c[1].lower() for p in ("ssn", "name", "email", "address"))
                    and c[1] not in ("level_name", "limit_name", "check_name")]
        text_columns = conn.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'main' and data_type in ('VARCHAR', 'JSON')").fetchall()
        conn.execute("create temp table pii as select unnest(?) as v", [ssns + names])
        for table, column in text_columns:
            hits = conn.execute(
                f'select count(*) from "{table}" t join pii on t."{column}"::varchar like \'%\' || pii.v || \'%\'').fetchone()[0]
            assert hits == 0, f"PII found in {table}.{column}"


def test_cli_refuses_config_typo_with_one_line_error(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("simulation:\n  random_sed: 3\n")
    proc = subprocess.run([sys.executable, "-m", "navigator_orchestrator.cli", "validate", "-c", str(config)],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1].startswith("Error: unknown key 'simulation.random_sed'")
    assert "did you mean 'simulation.random_seed'" in proc.stderr
