"""The dbt tests of the year's events, snapshot, census staging and year-start state, and the
workforce formulas' unit tests (hire solver, exact termination count, reduction in force), pass
on a real run (a copy of the session's 2025-2026 run); each unit test's expectation is a worked
example stated in its description."""

from __future__ import annotations

from conftest import copy_database
from navigator_orchestrator.config.schema import load_config
from navigator_orchestrator.engine.dbt_runner import DbtRunner

WORKFORCE_UNIT_TESTS = {
    "exact_termination_count_rounds_half_away", "reduction_in_force_lands_on_the_growth_target",
    "hire_solver_smallest_hires_landing_on_target", "hire_solver_rounds_new_hire_terminations_half_away",
}


def test_model_tests_and_workforce_unit_tests_pass_after_a_run(tmp_path, finished_2025_2026):
    config = load_config(finished_2025_2026.config)
    db = copy_database(finished_2025_2026.database, tmp_path / "sim.duckdb")
    runner = DbtRunner(db)
    try:
        dbt_vars = {**config.to_dbt_vars(), "simulation_year": 2026}
        data = runner.invoke(["test", "--select", "int_yearly_events", "int_yearly_snapshot", "stg_census_data",
                              "stg_year_start_state", "--exclude-resource-type", "unit_test"], dbt_vars, check=False)
        units = runner.invoke(["test", "--select", "test_type:unit,int_termination_events",
                               "test_type:unit,int_workforce_needs_by_level"], dbt_vars, check=False)
    finally:
        runner.close()
    failed = [(n.name, n.message) for n in data.nodes + units.nodes if n.status in {"error", "fail", "warn"}]
    assert not failed
    tested = {n.name for n in data.nodes}
    for model in ("int_yearly_events", "int_yearly_snapshot", "stg_census_data", "stg_year_start_state"):
        assert any(model in name for name in tested), model
    assert {n.name for n in units.nodes} >= WORKFORCE_UNIT_TESTS
