"""Publishing a year: all or nothing, and re-running a year replaces it and every later year."""

from __future__ import annotations

import duckdb
import pytest

from conftest import query
from navigator_orchestrator import database
from navigator_orchestrator.config import load_config
from navigator_orchestrator.pipeline import Simulation


def _fingerprint(db) -> dict[str, tuple]:
    with duckdb.connect(str(db)) as conn:
        return {t: conn.execute(f"select count(*), sum(hash(columns(*))) from {t}").fetchone()
                for t in database.PUBLISHED_TABLES}


def test_rerunning_a_year_replaces_it_and_every_later_year(tmp_path, make_config):
    db = tmp_path / "sim.duckdb"
    first = Simulation(load_config(make_config({"simulation": {"end_year": 2027}})), db).run()
    config = load_config(make_config({"simulation": {"end_year": 2026, "random_seed": 99}}, name="rerun.yaml"))
    second = Simulation(config, db, first_year=2026).run()
    runs = dict(query(db, "select simulation_year, min(run_id) from fct_workforce_snapshot group by 1"))
    assert sorted(runs) == [2025, 2026], "2027 depended on the replaced 2026 and must be gone"
    assert runs[2025] == first.run_id and runs[2026] == second.run_id
    for table in database.PUBLISHED_TABLES:
        assert query(db, f"select count(*) from {table} where simulation_year = 2027") == [(0,)]


def test_a_failing_publish_leaves_every_published_table_as_it_was(tmp_path, make_config):
    db = tmp_path / "sim.duckdb"
    Simulation(load_config(make_config({"simulation": {"end_year": 2026}})), db).run()
    before = _fingerprint(db)
    with duckdb.connect(str(db)) as conn:
        # The year's events publish first, then the snapshot insert fails on a column the
        # published table does not have: the whole year, deletes included, must roll back.
        conn.execute("alter table int_yearly_snapshot add column not_in_the_contract integer")
        with pytest.raises(duckdb.Error):
            database.publish_year(conn, "baseline", 2026)
    assert _fingerprint(db) == before
