"""A refused by-hand publish names the fix with this database's path, the year and the plan
designs of the refused command's vars (without --plan-designs the fix would rebuild and
republish every design, removing the later years of the others), and the first year missing."""

from __future__ import annotations

import duckdb
import pytest

from navigator_orchestrator.engine import database, publish


@pytest.fixture
def conn(tmp_path):
    db = tmp_path / "sim.duckdb"
    with database.connect(db) as conn:
        yield conn, db


def _work_tables_of(conn, scenario: str, designs: list[str], year: int) -> None:
    """Year-only tables holding one row per design of `year`, built whole with vars 'digest'."""
    for source in publish.PUBLISHED_TABLES.values():
        conn.execute(f"create table {database.WORK_CATALOG}.main.{source} "
                     "(scenario_id varchar, plan_design_id varchar, simulation_year integer)")
        for design in designs:
            conn.execute(f"insert into {database.WORK_CATALOG}.main.{source} values (?, ?, ?)",
                         [scenario, design, year])
    conn.execute(f"create table {database.WORK_CATALOG}.main.work_build as select 'digest' as vars_digest, "
                 "'earlier' as invocation_id, true as finished, true as consistent")


def test_a_year_not_built_names_the_database_year_and_designs_of_the_vars(conn):
    conn, db = conn
    with pytest.raises(publish.PublishRefused) as refused:
        publish.check_work_tables(conn, "baseline", ["safe_harbor"], 2026)
    assert (f"navigator dbt -c CONFIG --database {db} --year 2026 --plan-designs safe_harbor "
            "-- run --select tag:year") in str(refused.value)


def test_a_missing_work_table_met_by_the_refs_gets_the_year_and_designs_of_the_vars(conn):
    conn, db = conn
    conn.execute(f"create table {publish.REFUSAL_TABLE} (message varchar, missing_table varchar)")
    with publish.work_tables_built(conn):  # what a fct_* model's refs do
        conn.execute(f"select * from {database.WORK_CATALOG}.main.int_yearly_events")
    publish.publish_by_hand(conn, "baseline", ["safe_harbor", "rich_core"], 2027, 2025, build=("digest", "now"))
    (message,), = conn.execute(f"select message from {publish.REFUSAL_TABLE}").fetchall()
    assert message.startswith("int_yearly_events has not been built in this database's work file"), message
    assert (f"navigator dbt -c CONFIG --database {db} --year 2027 --plan-designs safe_harbor,rich_core "
            "-- run --select tag:year tag:publish") in message
    assert " DB " not in message and "YEAR" not in message


def test_a_gap_names_the_first_year_missing(conn):
    conn, db = conn
    _work_tables_of(conn, "baseline", ["safe_harbor"], 2028)
    conn.execute("create table fct_workforce_snapshot as "
                 "select 'baseline' as scenario_id, 'safe_harbor' as plan_design_id, 2025 as simulation_year")
    with pytest.raises(publish.PublishRefused) as refused:
        publish.publish_from_dbt(conn, "baseline", ["safe_harbor"], 2028, 2025, build=("digest", "now"))
    message = str(refused.value)
    assert message.startswith("year 2028 continues from year 2027, which is not published"), message
    assert ("Publish the years in order from 2026 (navigator dbt -c CONFIG --database "
            f"{db} --year 2026 --plan-designs safe_harbor -- run --select tag:year tag:publish") in message
    assert conn.execute("select count(*) from fct_workforce_snapshot").fetchone() == (1,)


def test_a_gap_with_nothing_published_starts_at_the_first_year(conn):
    conn, db = conn
    _work_tables_of(conn, "baseline", ["standard_401k"], 2027)
    with pytest.raises(publish.PublishRefused, match=r"in order from 2025 \(navigator dbt .* --year 2025 "
                                                     r"--plan-designs standard_401k "):
        publish.publish_from_dbt(conn, "baseline", ["standard_401k"], 2027, 2025, build=("digest", "now"))


def test_work_tables_of_other_designs_name_the_designs_of_the_vars(conn):
    conn, db = conn
    _work_tables_of(conn, "baseline", ["standard_401k", "safe_harbor"], 2026)
    with pytest.raises(publish.PublishRefused) as refused:
        publish.check_work_tables(conn, "baseline", ["safe_harbor"], 2026)
    assert "--year 2026 --plan-designs safe_harbor -- run --select tag:year tag:publish" in str(refused.value)
    assert "ID,ID" not in str(refused.value)


def test_a_work_build_with_other_vars_names_the_designs_of_the_vars(conn):
    conn, db = conn
    _work_tables_of(conn, "baseline", ["safe_harbor"], 2026)
    with pytest.raises(publish.PublishRefused, match="--year 2026 --plan-designs safe_harbor -- run"):
        publish.check_work_build(conn, "another digest", "now", 2026, ["safe_harbor"])


def test_the_refusal_table_matches_the_materialization(tmp_path):
    # dbt/macros/published.sql creates the table the Python step writes: same columns.
    from navigator_orchestrator.config.schema import DBT_PROJECT_DIR

    text = (DBT_PROJECT_DIR / "macros" / "published.sql").read_text()
    assert "(message varchar, missing_table varchar)" in text
    assert publish.REFUSAL_TABLE == "simulation_work.main.publish_refusal" and publish.REFUSAL_TABLE.split(".")[-1] in text
