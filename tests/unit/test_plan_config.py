"""Plan configuration: schema errors name the key, templates match DESIGN §4.3, and every plan
key reaches SQL through to_dbt_vars (and every var the SQL reads comes from it)."""

from __future__ import annotations

import re

import pytest

from navigator_orchestrator.config.schema import DBT_PROJECT_DIR, ConfigError, SimulationConfig, parse_config

RUNTIME_VARS = {"simulation_year", "run_id"}


def _vars_read_by_dbt() -> set[str]:
    found: set[str] = set()
    for path in list(DBT_PROJECT_DIR.glob("models/**/*.sql")) + list(DBT_PROJECT_DIR.glob("macros/**/*.sql")):
        # env_var(...) reads the environment, not a dbt var.
        found |= set(re.findall(r"""(?:(?<!env_)var|rate)\(\s*['"](\w+)['"]""", path.read_text()))
    return found


def test_every_dbt_var_comes_from_the_config_and_every_config_var_is_read():
    config_vars = set(SimulationConfig().to_dbt_vars())
    read = _vars_read_by_dbt()
    assert read - config_vars - RUNTIME_VARS == set()
    assert config_vars - read == set()


def test_unknown_plan_key_is_refused_with_a_suggestion(tmp_path):
    with pytest.raises(ConfigError, match=r"did you mean 'employer_match.active_formula'"):
        parse_config({"employer_match": {"active_formla": "stretch_match"}}, tmp_path)


def test_active_formula_must_be_defined(tmp_path):
    with pytest.raises(ConfigError, match="active_formula 'nope' is not among"):
        parse_config({"employer_match": {"active_formula": "nope"}}, tmp_path)


@pytest.mark.parametrize("section,key", [("deferral_auto_escalation", "effective_day")])
def test_month_day_keys_are_validated(tmp_path, section, key):
    with pytest.raises(ConfigError, match="MM-DD"):
        parse_config({section: {key: "1/1"}}, tmp_path)


def test_overlapping_match_tiers_are_refused(tmp_path):
    formula = {"name": "x", "type": "tiered", "max_match_percentage": 0.1, "tiers": [
        {"tier": 1, "employee_min": 0.0, "employee_max": 0.04, "match_rate": 1.0},
        {"tier": 2, "employee_min": 0.03, "employee_max": 0.06, "match_rate": 0.5}]}
    with pytest.raises(ConfigError, match="overlap"):
        parse_config({"employer_match": {"active_formula": "x", "formulas": {"x": formula}}}, tmp_path)


@pytest.mark.parametrize("formula_id,tiers,cap", [
    ("simple_match", [(0.0, 0.06, 0.5)], 0.03),
    ("safe_harbor_basic", [(0.0, 0.03, 1.0), (0.03, 0.05, 0.5)], 0.04),   # IRC 401(k)(12)(B)(i)
    ("enhanced_safe_harbor", [(0.0, 0.04, 1.0)], 0.04),                    # IRC 401(k)(12)(B)(ii)
    ("qaca_safe_harbor", [(0.0, 0.01, 1.0), (0.01, 0.06, 0.5)], 0.035),    # IRC 401(k)(13)(D)(i)(I)
    ("stretch_match", [(0.0, 0.12, 0.25)], 0.03),
])
def test_default_match_templates(formula_id, tiers, cap):
    (design,) = SimulationConfig(employer_match={"active_formula": formula_id}).to_dbt_vars()["plan_designs"]
    assert [(t["employee_min"], t["employee_max"], t["match_rate"]) for t in design["match_tiers"]] == tiers
    assert design["match_max_percentage"] == cap


def test_every_behaviour_can_be_switched_off(tmp_path):
    config = parse_config({
        "enrollment": {"auto_enrollment": {"enabled": False}, "proactive_enrollment": {"enabled": False},
                       "voluntary_enrollment": {"enabled": False}, "deferral_change": {"annual_probability": 0}},
        "deferral_auto_escalation": {"enabled": False},
        "employer_match": {"enabled": False},
        "employer_core_contribution": {"enabled": False},
    }, tmp_path)
    (v,) = config.to_dbt_vars()["plan_designs"]
    assert not any(v[k] for k in ("auto_enrollment_enabled", "proactive_enrollment_enabled",
                                  "voluntary_enrollment_enabled", "escalation_enabled",
                                  "match_enabled", "core_enabled", "deferral_change_probability"))
    off = parse_config({"enrollment": {"match_responsiveness": {"enabled": False}}}, tmp_path)
    assert off.to_dbt_vars()["plan_designs"][0]["match_responsive_enabled"] is False


@pytest.mark.parametrize("frequency, periods", [("weekly", 52), ("biweekly", 26), ("semi_monthly", 24), ("monthly", 12)])
def test_payroll_frequency_gives_the_periods_a_year(tmp_path, frequency, periods):
    config = parse_config({"payroll": {"frequency": frequency},
                           "employer_match": {"calculation_period": "pay_period", "true_up": True}}, tmp_path)
    (v,) = config.to_dbt_vars()["plan_designs"]
    assert (v["payroll_periods_per_year"], v["match_calculation_period"], v["match_true_up"]) == (periods, "pay_period", True)


def test_the_defaults_are_an_annual_match_and_a_documented_responsive_share(tmp_path):
    (v,) = parse_config({}, tmp_path).to_dbt_vars()["plan_designs"]
    assert (v["match_calculation_period"], v["match_true_up"]) == ("annual", False)
    assert (v["match_responsive_enabled"], v["match_responsive_share"]) == (True, 0.20)


def test_a_true_up_of_an_annual_match_is_refused_with_the_fix(tmp_path):
    with pytest.raises(ConfigError, match="true_up: an annual match needs no true-up; set calculation_period: pay_period"):
        parse_config({"employer_match": {"true_up": True}}, tmp_path)
    # A design that returns to an annual match must drop the baseline's true-up too.
    with pytest.raises(ConfigError, match="plan_designs.annual.employer_match"):
        parse_config({"employer_match": {"calculation_period": "pay_period", "true_up": True},
                      "plan_designs": {"annual": {"employer_match": {"calculation_period": "annual"}}}}, tmp_path)


@pytest.mark.parametrize("data, message", [
    ({"payroll": {"frequency": "daily"}}, r"payroll.frequency: Input should be 'weekly', 'biweekly', 'semi_monthly' or 'monthly'"),
    ({"payroll": {"frequncy": "weekly"}}, r"did you mean 'payroll.frequency'"),
    ({"employer_match": {"calculation_perod": "annual"}}, r"did you mean 'employer_match.calculation_period'"),
    ({"enrollment": {"match_responsiveness": {"share": 1.5}}}, r"enrollment.match_responsiveness.share"),
    ({"enrollment": {"match_responsivness": {"share": 0.5}}}, r"did you mean 'enrollment.match_responsiveness'"),
])
def test_bad_payroll_and_responsiveness_keys_are_refused(tmp_path, data, message):
    with pytest.raises(ConfigError, match=message):
        parse_config(data, tmp_path)


def test_a_payroll_frequency_under_an_annual_match_is_flagged_as_having_no_effect(make_config):
    from navigator_orchestrator.config.lint import lint
    from navigator_orchestrator.config.schema import load_config

    config = load_config(make_config({
        "payroll": {"frequency": "weekly"},
        "plan_designs": {"per_pay": {"employer_match": {"calculation_period": "pay_period"}},
                         "monthly": {"payroll": {"frequency": "monthly"}}}}))
    flagged = {f.key: f.message for f in lint(config) if f.key.endswith("payroll.frequency")}
    assert set(flagged) == {"payroll.frequency", "plan_designs.monthly.payroll.frequency"}
    assert all("calculation_period: pay_period" in m for m in flagged.values())
    quiet = load_config(make_config({"employer_match": {"calculation_period": "pay_period"},
                                     "payroll": {"frequency": "weekly"}}, name="quiet.yaml"))
    assert not [f for f in lint(quiet) if f.key.endswith("payroll.frequency")]


def test_a_graded_match_formula_is_not_held_to_the_formula_level_cap_bound(make_config):
    from navigator_orchestrator.config.lint import lint
    from navigator_orchestrator.config.schema import load_config

    band = {"tiers": [{"tier": 1, "employee_min": 0.0, "employee_max": 0.06, "match_rate": 1.0}],
            "max_match_percentage": 0.06}
    config = load_config(make_config({"employer_match": {"active_formula": "by_service", "formulas": {
        "by_service": {"name": "by service", "graded_by_service": [{"min_years": 0, **band}]},
        "flat": {"name": "flat", "max_match_percentage": 0.5,
                 "tiers": [{"tier": 1, "employee_min": 0.0, "employee_max": 0.5, "match_rate": 1.0}]}}}}))
    keys = [f.key for f in lint(config) if f.key.endswith("max_match_percentage")]
    assert keys == ["employer_match.formulas.flat.max_match_percentage"]


def test_a_safe_harbor_claim_a_design_cannot_meet_is_flagged_under_that_design(make_config, capsys):
    from navigator_orchestrator.cli import main
    from navigator_orchestrator.config.lint import lint
    from navigator_orchestrator.config.schema import load_config

    path = make_config({"plan_designs": {"qaca": {"ndt": {"safe_harbor": "qaca_match"}}}})
    flagged = {f.key: f.message for f in lint(load_config(path)) if f.key.endswith("safe_harbor")}
    assert list(flagged) == ["plan_designs.qaca.ndt.safe_harbor"]
    assert "ndt.safe_harbor qaca_match is not met" in flagged["plan_designs.qaca.ndt.safe_harbor"]
    assert main(["validate", "-c", str(path)]) == 0
    out = capsys.readouterr().out
    assert "plan designs standard_401k, qaca (baseline standard_401k)" in out
    assert main(["validate", "-c", str(path), "--strict"]) == 1
