"""The dbt tests on the published tables pass on a real run and catch each planted defect;
`navigator dq` reports both the dbt tests and the tripwires."""

from __future__ import annotations

import json
from pathlib import Path


import pytest

from conftest import copy_database
from navigator_orchestrator.engine import database
from navigator_orchestrator import cli
from navigator_orchestrator.config.schema import load_config
from navigator_orchestrator.quality.dq import run_dq


@pytest.fixture(scope="module")
def published(finished_2025_2026) -> tuple[Path, Path]:
    return finished_2025_2026.database, finished_2025_2026.config


DEFECTS = {
    # a new hire whose hire event is lost
    "snapshot_explained_by_events": """
        delete from fct_yearly_events where event_id = (
            select min(event_id) from fct_yearly_events where simulation_year = 2026 and event_type = 'hire')""",
    # a raise dated after the person left
    "no_event_after_termination": """
        update fct_yearly_events as e set effective_date = s.termination_date + 1
        from fct_workforce_snapshot as s
        where s.employee_id = e.employee_id and s.simulation_year = e.simulation_year
          and s.detailed_status_code = 'experienced_termination' and s.termination_date < date '2025-12-01'
          and e.event_type = 'raise'
          and e.employee_id = (
              select min(s2.employee_id) from fct_workforce_snapshot as s2
              join fct_yearly_events as e2 using (employee_id, simulation_year)
              where s2.simulation_year = 2025 and s2.detailed_status_code = 'experienced_termination'
                and s2.termination_date < date '2025-12-01' and e2.event_type = 'raise')""",
    # a year-end active of 2025 who vanishes from 2026
    "year_end_actives_start_next_year": """
        delete from fct_workforce_snapshot where simulation_year = 2026 and employee_id = (
            select min(employee_id) from fct_workforce_snapshot
            where simulation_year = 2026 and detailed_status_code = 'continuous_active')""",
    # deferrals above any age's 402(g) + catch-up limit
    "deferrals_within_age_limit": """
        update fct_workforce_snapshot set prorated_annual_contributions = 99999
        where simulation_year = 2026 and employee_id = (
            select min(employee_id) from fct_workforce_snapshot where simulation_year = 2026)""",
    # a match of 50% of pay against a 3% cap
    "match_within_formula_cap": """
        update fct_workforce_snapshot set employer_match_amount = round(prorated_annual_compensation / 2, 2)
        where simulation_year = 2025 and employee_id = (
            select min(employee_id) from fct_workforce_snapshot
            where simulation_year = 2025 and employer_match_amount > 0)""",
}


def _contents(db: Path) -> dict[str, int]:
    """Every table of the database and its work file, with its row count."""
    with database.connect(db) as conn:
        tables = conn.execute("select database_name || '.' || table_name from duckdb_tables() "
                              "where not temporary order by 1").fetchall()
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for (t,) in tables}


def test_dq_passes_on_a_real_run_and_writes_nothing_into_the_database(published, tmp_path, capsys):
    db, config = published
    before = _contents(db)
    assert cli.main(["dq", "-c", str(config), "--database", str(db)]) == 0
    out = capsys.readouterr().out
    assert "growth_on_target_fct_workforce_snapshot" in out and "hiring_demand_without_hires" in out
    assert " 0 fail " in out.splitlines()[-1]
    assert _contents(db) == before  # no result table, no row added: a check only reads
    [results] = (tmp_path / "reports").rglob("dq_*.json")
    assert out.splitlines()[-1].endswith(f"| results: {results.relative_to(tmp_path)}")  # under the working dir
    body = json.loads(results.read_text())
    assert body["database"] == str(db.resolve()) and body["plan_design_ids"]
    assert body["years"] == {d: [2025, 2026] for d in body["plan_design_ids"]}
    assert body["counts"]["fail"] == 0 and body["counts"]["pass"] == len(body["dbt_tests"]) + len(body["tripwires"])
    assert {r["check_name"] for r in body["tripwires"]} >= {"hiring_demand_without_hires"}


def test_each_planted_defect_fails_its_dbt_test(published, tmp_path, capsys):
    db = tmp_path / "simulation.duckdb"
    copy_database(published[0], db)
    with database.connect(db) as conn:
        for sql in DEFECTS.values():
            conn.execute(sql)
    summary = run_dq(load_config(published[1]), db)
    failed = {row.name for row in summary.rows if row.kind == "dbt test" and row.status == "fail"}
    for test in DEFECTS:
        assert any(name.startswith(test) for name in failed), f"{test} did not fail; failed: {sorted(failed)}"
    assert not any(name.startswith(("unique", "not_null", "accepted_values")) for name in failed)

    assert cli.main(["dq", "-c", str(published[1]), "--database", str(db), "--year", "2026"]) == 1
    captured = capsys.readouterr()
    assert "Error: " in captured.err and "data-quality check(s) failed" in captured.err
    assert "snapshot_explained_by_events" in captured.out and "1 failing row(s)" in captured.out
    results = json.loads(summary.path.read_text())
    failing = {r["name"] for r in results["dbt_tests"] if r["status"] == "fail"}
    assert failing == failed and results["counts"]["fail"] == summary.count("fail")
