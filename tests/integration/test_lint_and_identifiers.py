"""`validate`: lint warnings (errors with --strict) and identifier hygiene."""

from __future__ import annotations

from datetime import date

import pytest

from navigator_orchestrator.cli import main
from navigator_orchestrator.config.schema import ConfigError, load_config
from navigator_orchestrator.config.lint import Rule, lint, RULES


def test_the_default_scenario_lints_clean(make_config):
    assert lint(load_config(make_config()), today=date(2025, 6, 1)) == []


@pytest.mark.parametrize("overrides, key", [
    ({"workforce": {"total_termination_rate": 0.6}}, "workforce.total_termination_rate"),
    ({"simulation": {"target_growth_rate": -0.4}}, "simulation.target_growth_rate"),
    ({"simulation": {"target_growth_rate": 0.35}}, "simulation.target_growth_rate"),
    ({"compensation": {"merit_budget": 0.2}}, "compensation.merit_budget"),
    ({"simulation": {"start_year": 2025, "end_year": 2060}}, "simulation.end_year"),
])
def test_values_outside_sensible_bounds_are_warned_about(make_config, overrides, key):
    findings = lint(load_config(make_config(overrides)), today=date(2025, 6, 1))
    assert [f.key for f in findings] == [key]


def test_a_start_year_far_from_the_census_and_today_is_warned_about(make_config):
    # The bundled small census has hires up to 2024; a 2035 start is a decade later.
    findings = lint(load_config(make_config({"simulation": {"start_year": 2035, "end_year": 2036}})),
                    today=date(2025, 6, 1))
    messages = " ".join(f.message for f in findings)
    assert "from today" in messages and "latest hire or termination" in messages


def test_a_missing_census_file_is_warned_about(make_config, tmp_path):
    config = load_config(make_config({"setup": {"census_parquet_path": str(tmp_path / "none.parquet")}}))
    assert [f.key for f in lint(config, today=date(2025, 6, 1))] == ["setup.census_parquet_path"]


def test_rules_with_wildcards_cover_every_entry_of_a_mapping():
    rule = next(r for r in RULES if r.key.startswith("employer_match.formulas.*"))
    import fnmatch
    assert fnmatch.fnmatchcase("employer_match.formulas.safe_harbor.max_match_percentage", rule.key)
    assert rule.check(0.12) and not rule.check(0.04)


def test_validate_warns_but_succeeds_and_strict_fails(make_config, capsys):
    config = make_config({"workforce": {"total_termination_rate": 0.55}})
    assert main(["validate", "-c", str(config)]) == 0
    assert "Warning: workforce.total_termination_rate = 0.55" in capsys.readouterr().err
    assert main(["validate", "-c", str(config), "--strict"]) == 1
    assert "Error: 1 lint warning(s) and --strict" in capsys.readouterr().err


@pytest.mark.parametrize("override, shown, what", [
    ({}, "{}", "it overrides nothing"), (None, "null", "it overrides nothing"),
    ({"employer_core_contribution": {"enabled": True}}, "{employer_core_contribution: {enabled: true}}",
     "its overrides restate the values it inherits"),
])
def test_a_design_equal_to_the_baseline_is_a_warning_and_fails_strict(make_config, capsys, override, shown, what):
    config = make_config({"plan_design_id": "standard", "plan_designs": {
        "no_core": {"employer_core_contribution": {"enabled": False}}, "b": override}})
    assert main(["validate", "-c", str(config)]) == 0
    err = capsys.readouterr().err
    assert f"Warning: plan_designs.b = {shown}: design b equals the baseline standard: {what}" in err
    assert "no_core" not in err  # a design that differs is not flagged
    assert main(["validate", "-c", str(config), "--strict"]) == 1
    assert "Error: 1 lint warning(s) and --strict" in capsys.readouterr().err


def test_two_designs_with_the_same_plan_are_named(make_config):
    same = {"employer_core_contribution": {"enabled": False}}
    config = load_config(make_config({"plan_designs": {"a": same, "b": same}}))
    findings = [f for f in lint(config, today=date(2025, 6, 1)) if f.key.startswith("plan_designs.")]
    assert [(f.key, f.message.split(":")[0]) for f in findings] == [("plan_designs.b", "design b equals design a")]


def test_missing_identifier_is_a_hint_without_the_flag_and_an_error_with_it(make_config, capsys):
    config = make_config({"plan_design_id": None})
    assert main(["validate", "-c", str(config)]) == 0
    assert "Hint: plan_design_id is not set" in capsys.readouterr().err
    assert main(["validate", "-c", str(config), "--enforce-identifiers"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("Error: plan_design_id missing from") and "scenario_id" not in err[-1]


def test_run_with_enforce_identifiers_refuses_before_writing(tmp_path, make_config, capsys):
    config = make_config({"scenario_id": None, "plan_design_id": None})
    db = tmp_path / "sim.duckdb"
    assert main(["run", "-c", str(config), "--database", str(db), "--enforce-identifiers"]) == 1
    assert "scenario_id and plan_design_id missing" in capsys.readouterr().err
    assert not db.exists()


@pytest.mark.parametrize("bad", ["has space", "x'; drop table t; --", "", "a" * 65, "ü"])
def test_identifiers_that_are_not_slugs_are_always_refused(make_config, bad):
    with pytest.raises(ConfigError, match="not a slug|scenario_id"):
        load_config(make_config({"scenario_id": bad}))


def test_identifiers_are_shown_by_run(make_config, capsys, tmp_path):
    assert main(["run", "-c", str(make_config()), "--database", str(tmp_path / "d.duckdb"), "--dry-run"]) == 0
    assert "scenario baseline | plan standard_401k" in capsys.readouterr().out
