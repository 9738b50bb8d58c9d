"""Match and core formulas by service, age or points and a core integrated with Social Security,
as a user meets them: two designs through `navigator run` and `navigator compare`, and the bad
inputs refused with one `Error:` line (docs/plan.md, "Match and core by service, age or points")."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import deep_merge, navigator, query, write_scenario
from plan_support import write_census_csv

TIER_6 = lambda rate: [{"tier": 1, "employee_min": 0.0, "employee_max": 0.06, "match_rate": rate}]  # noqa: E731
SERVICE_MATCH = {"name": "50% of the first 6% under 5 years, 100% from 5 years", "graded_by_service": [
    {"min_years": 0, "max_years": 4, "max_match_percentage": 0.03, "tiers": TIER_6(0.5)},
    {"min_years": 5, "max_match_percentage": 0.06, "tiers": TIER_6(1.0)}]}
GRADED = {
    "employer_match": {"active_formula": "by_service", "formulas": {"by_service": SERVICE_MATCH}},
    "employer_core_contribution": {"contribution_rate": 0.03, "social_security_integration": {
        "enabled": True, "excess_rate": 0.03}},
}
# Pay fixed for the year, the census deferral rates kept, nobody leaving or joining.
STILL = {
    "simulation": {"start_year": 2025, "end_year": 2025, "target_growth_rate": 0.0},
    "workforce": {"total_termination_rate": 0.0, "new_hire_termination_rate": 0.0},
    "compensation": {"cola_rate": 0.0, "merit_budget": 0.0}, "promotion": {"enabled": False},
    "enrollment": {"auto_enrollment": {"enabled": False}, "proactive_enrollment": {"enabled": False},
                   "voluntary_enrollment": {"enabled": False}, "deferral_change": {"annual_probability": 0}},
    "deferral_auto_escalation": {"enabled": False},
}


def write_config(directory: Path, overrides: dict) -> Path:
    """Three people deferring 6% all of 2025: 10, 2 and 15 years of service on Dec 31, one paid
    above the 2025 taxable wage base ($176,100)."""
    census = write_census_csv(directory / "census.csv", [
        {"employee_id": "TEN_YEARS", "employee_birth_date": "1980-05-01", "employee_hire_date": "2015-03-01",
         "employee_gross_compensation": 100000, "employee_deferral_rate": 0.06},
        {"employee_id": "TWO_YEARS", "employee_birth_date": "1990-05-01", "employee_hire_date": "2023-01-15",
         "employee_gross_compensation": 100000, "employee_deferral_rate": 0.06},
        {"employee_id": "HIGH_PAY", "employee_birth_date": "1970-05-01", "employee_hire_date": "2010-01-01",
         "employee_gross_compensation": 250000, "employee_deferral_rate": 0.06}])
    return write_scenario(directory, census, deep_merge(STILL, overrides))


def test_a_service_band_match_and_an_integrated_core_run_and_compare_shows_their_cost(tmp_path):
    """Baseline: 50% of the first 6% and a 2% core. `graded`: the match by service band (50% of the
    first 6% under 5 years, 100% from 5) and a core of 3% plus 3% above the 2025 taxable wage base.
    Pay $100,000 with 10 years: match $6,000 (baseline $3,000), core $3,000 ($2,000); with 2 years:
    $3,000 ($3,000), $3,000 ($2,000); pay $250,000 with 15 years: $15,000 ($7,500), core $7,500 +
    3% x $73,900 = $9,717 ($5,000). Employer cost $39,717 against $22,500: +$17,217."""
    config = write_config(tmp_path, {"plan_designs": {"graded": GRADED}})
    db = tmp_path / "sim.duckdb"
    proc = navigator("run", "-c", str(config), "--database", str(db), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    money = {(d, e): (m, c) for d, e, m, c in query(
        db, "select plan_design_id, employee_id, employer_match_amount, employer_core_amount from fct_workforce_snapshot")}
    d = Decimal
    assert money == {
        ("standard_401k", "TEN_YEARS"): (d("3000.00"), d("2000.00")), ("graded", "TEN_YEARS"): (d("6000.00"), d("3000.00")),
        ("standard_401k", "TWO_YEARS"): (d("3000.00"), d("2000.00")), ("graded", "TWO_YEARS"): (d("3000.00"), d("3000.00")),
        ("standard_401k", "HIGH_PAY"): (d("7500.00"), d("5000.00")), ("graded", "HIGH_PAY"): (d("15000.00"), d("9717.00")),
    }

    out = tmp_path / "compare.csv"
    assert navigator("compare", "-c", str(config), "--database", str(db), "--out", str(out), cwd=tmp_path).returncode == 0
    with out.open() as fh:
        rows = {(r["plan_design_id"], r["simulation_year"]): r for r in csv.DictReader(fh)}
    assert Decimal(rows[("standard_401k", "2025")]["employer_cost"]) == Decimal("22500")
    assert Decimal(rows[("graded", "2025")]["employer_cost"]) == Decimal("39717")
    assert Decimal(rows[("graded", "2025")]["employer_cost_vs_baseline"]) == Decimal("17217")

    html = tmp_path / "compare.html"
    assert navigator("compare", "-c", str(config), "--database", str(db), "--out", str(html), cwd=tmp_path).returncode == 0
    text = html.read_text()
    assert "0 to 4 years of service: 50% of deferrals up to 6% of pay, at most 3% of pay" in text
    assert "3% of pay plus 3% of pay above the Social Security taxable wage base" in text


@pytest.mark.parametrize("core, message", [
    ({"contribution_rate": 0.03, "social_security_integration": {"enabled": True, "excess_rate": 0.04}},
     "excess_rate 0.04 is above the maximum permitted disparity 0.03"),
    ({"contribution_rate": 0.08, "social_security_integration": {"enabled": True, "excess_rate": 0.06}},
     "maximum permitted disparity 0.057"),
    ({"contribution_rate": 0.08, "social_security_integration": {"enabled": True, "excess_rate": 0.05,
                                                                  "integration_level": 100000}},
     "maximum permitted disparity 0.043 for an integration level of $100,000 against the 2025"),
    ({"contribution_rate": 0.08, "social_security_integration": {"enabled": True, "excess_rate": 0.055,
                                                                  "wage_base_fraction": 0.9}},
     "maximum permitted disparity 0.054"),
    ({"social_security_integration": {"enabled": True, "integration_level": 200000}},
     "is above the 2025 taxable wage base $176,100"),
    ({"graded_by_age": [{"min_age": 0, "max_age": 39, "rate": 0.02}, {"min_age": 41, "rate": 0.03}]},
     "graded_by_age: gap: 40 falls in no band"),
    ({"graded_by_points": [{"min_points": 50, "rate": 0.03}, {"min_points": 0, "rate": 0.02}]},
     "graded_by_points: list the bands from the lowest min_points up"),
    ({"graded_by_service": [{"min_years": 0, "max_years": 5, "rate": 0.02}, {"min_years": 5, "rate": 0.03}]},
     "graded_by_service: bands overlap"),
    ({"graded_by_service": [{"min_years": 0, "rate": -0.02}]}, "graded_by_service[0].rate"),
    ({"graded_by_service": [{"min_years": 0, "rate": 0.02}], "social_security_integration": {"enabled": True}},
     "uniform disparity"),
])
def test_bad_formulas_are_refused_in_one_line_naming_the_key(tmp_path, core, message):
    config = write_config(tmp_path, {"employer_core_contribution": core})
    proc = navigator("validate", "-c", str(config), cwd=tmp_path)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode != 0 and len(lines) == 1 and lines[0].startswith("Error: ")
    assert message in lines[0] and "employer_core_contribution" in lines[0]


def test_a_match_band_gap_is_refused_in_a_design(tmp_path):
    bands = [{"min_years": 0, "max_years": 3, "tiers": TIER_6(0.5)}, {"min_years": 5, "tiers": TIER_6(1.0)}]
    config = write_config(tmp_path, {"plan_designs": {"gappy": {"employer_match": {
        "active_formula": "gappy", "formulas": {"gappy": {"name": "gap", "graded_by_service": bands}}}}}})
    proc = navigator("validate", "-c", str(config), cwd=tmp_path)
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines() == [
        "Error: plan_designs.gappy.employer_match.formulas.gappy: graded_by_service: gap: 4 falls in no band "
        "(a band ends at max_years 3, the next starts at min_years 5); set max_years to 4 or the next min_years to 4"]
