"""The per-payroll match and its true-up as a user meets them: the worked example through the
`navigator` program (docs/plan.md, "Per-payroll match and true-up"), and the bad inputs it
refuses with one `Error:` line."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import deep_merge, navigator, query, write_scenario
from plan_support import write_census_csv

# Pay that never changes and deferral rates nobody changes: the census rate holds all year.
STEADY = {
    "simulation": {"start_year": 2025, "end_year": 2025, "target_growth_rate": 0.0},
    "workforce": {"total_termination_rate": 0.0, "new_hire_termination_rate": 0.0},
    "compensation": {"cola_rate": 0.0, "merit_budget": 0.0},
    "promotion": {"enabled": False},
    "enrollment": {"auto_enrollment": {"enabled": False}, "proactive_enrollment": {"enabled": False},
                   "voluntary_enrollment": {"enabled": False}, "deferral_change": {"annual_probability": 0}},
    "deferral_auto_escalation": {"enabled": False},
    "employer_core_contribution": {"enabled": False},
}
# The worked example's match: 50% of the first 6% of pay, per monthly payroll, no true-up; the
# same with a true-up, and the annual calculation, as further designs of the same run.
PER_PAYROLL = {
    "payroll": {"frequency": "monthly"},
    "employer_match": {"active_formula": "simple_match", "calculation_period": "pay_period", "true_up": False},
    "plan_designs": {
        "trued_up": {"employer_match": {"true_up": True}},
        "annual": {"employer_match": {"calculation_period": "annual"}},
    },
}


def write_config(directory: Path, census: Path, overrides: dict) -> Path:
    return write_scenario(directory, census, deep_merge(STEADY, overrides))


def test_worked_example_front_loader_gets_1500_per_payroll_and_3600_trued_up(tmp_path):
    """$10,000 a month ($120,000 a year) at 50% deferral reaches the 2025 402(g) limit of $23,500
    in May; 50% of the first 6% per monthly payroll matches $300 in each of January to May:
    $1,500.00 without a true-up, $3,600.00 with one or with the annual calculation."""
    census = write_census_csv(tmp_path / "census.csv", [
        {"employee_id": "FRONT", "employee_birth_date": "1985-06-01", "employee_hire_date": "2015-03-01",
         "employee_gross_compensation": 120000, "employee_deferral_rate": 0.5},
        {"employee_id": "EVEN", "employee_birth_date": "1980-02-01", "employee_hire_date": "2012-05-01",
         "employee_gross_compensation": 60000, "employee_deferral_rate": 0.06},
    ])
    config = write_config(tmp_path, census, {"plan_design_id": "per_payroll", **PER_PAYROLL})
    db = tmp_path / "sim.duckdb"
    proc = navigator("run", "-c", str(config), "--database", str(db), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr

    got = dict(query(db, "select plan_design_id, employer_match_amount from fct_workforce_snapshot "
                         "where employee_id = 'FRONT'"))
    assert got == {"per_payroll": Decimal("1500.00"), "trued_up": Decimal("3600.00"), "annual": Decimal("3600.00")}
    deferrals = query(db, "select distinct prorated_annual_contributions from fct_workforce_snapshot "
                          "where employee_id = 'FRONT'")
    assert deferrals == [(Decimal("23500.00"),)]
    # Someone who defers evenly all year gets the same match however it is calculated.
    even = query(db, "select distinct employer_match_amount from fct_workforce_snapshot where employee_id = 'EVEN'")
    assert even == [(Decimal("1800.00"),)]
    (details,) = query(db, "select event_details from fct_employer_match_events "
                           "where employee_id = 'FRONT' and plan_design_id = 'per_payroll'")
    assert json.loads(details[0])["calculation_period"] == "pay_period"
    assert json.loads(details[0])["true_up"] is False


@pytest.mark.parametrize("overrides, key", [
    ({"payroll": {"frequency": "fortnightly"}}, "payroll.frequency"),
    ({"employer_match": {"true_up": True}}, "employer_match"),
    ({"employer_match": {"calculation_period": "per_paycheck"}}, "employer_match.calculation_period"),
    ({"payroll": {"frequncy": "weekly"}}, "payroll.frequncy"),
])
def test_bad_payroll_settings_are_refused_with_one_error_line(tmp_path, make_config, overrides, key):
    proc = navigator("validate", "-c", str(make_config(overrides)), cwd=tmp_path)
    assert proc.returncode != 0
    (line,) = [l for l in proc.stderr.splitlines() if l.strip()]
    assert line.startswith("Error:") and key in line, line


def test_a_per_payroll_match_never_exceeds_the_annual_formula_on_the_recorded_deferrals(simulate):
    """Weekly payrolls of part-year people (7-day periods, per-period cents) must not pay more
    match than the trued-up (annual) answer on the same recorded deferrals: a true-up only adds."""
    _, db = simulate({
        "simulation": {"start_year": 2025, "end_year": 2026},
        "payroll": {"frequency": "weekly"},
        "employer_match": {"calculation_period": "pay_period", "true_up": False},
        "plan_designs": {"trued_up": {"employer_match": {"true_up": True}}},
    })
    base = query(db, "select plan_design_id from fct_workforce_snapshot where plan_design_id <> 'trued_up' limit 1")[0][0]
    rows = query(db, """
        select a.employee_id, a.simulation_year, a.prorated_annual_contributions, b.prorated_annual_contributions,
               a.employer_match_amount, b.employer_match_amount
        from fct_workforce_snapshot as a
        join fct_workforce_snapshot as b using (scenario_id, simulation_year, employee_id)
        where a.plan_design_id = ? and b.plan_design_id = 'trued_up'""", [base])
    assert rows and all(r[2] == r[3] for r in rows), "both designs record the same deferrals"
    over = [r for r in rows if r[4] > r[5]]
    assert not over, f"per-payroll match above the trued-up one: {over[:3]}"
    assert any(r[4] < r[5] for r in rows), "some front-loaders or part-year people get less without a true-up"
