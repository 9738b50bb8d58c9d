"""Config errors name keys as the user writes them (`tiers[0].match_rate`), never a pydantic
class name, a union member's name or a Python type name."""

from __future__ import annotations

import re

import pytest
import yaml

from navigator_orchestrator.cli import main
from navigator_orchestrator.config.schema import DEFAULT_CONFIG

DEFAULT_CONFIG_CENSUS = yaml.safe_load(DEFAULT_CONFIG.read_text())["setup"]["census_parquet_path"]

# Names a message must never show: the schema's classes and Python's type names.
PYTHON_NAMES = re.compile(r"\b([A-Z][a-z]+[A-Z]\w*|Settings|str|int|dict|NoneType|literal\[|constrained-)\b")


def _with(data: dict, path: str, value) -> dict:
    node = data
    *parents, last = path.split(".")
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
    node[last] = value
    return data


@pytest.mark.parametrize("path, value, key, problem", [
    ("workforce", [1, 2], "workforce", "give a mapping of keys (key: value), not a list"),
    ("employer_match", "x", "employer_match", "give a mapping of keys (key: value), not the text 'x'"),
    ("employer_match.formulas.simple_match.tiers", [5], "employer_match.formulas.simple_match.tiers[0]",
     "give a mapping of keys (key: value), not the number 5"),
    ("employer_match.formulas.simple_match.tiers.0.match_rate", "abc",
     "employer_match.formulas.simple_match.tiers[0].match_rate", "give a number, not the text 'abc'"),
    ("employer_match.formulas.simple_match.tiers.0.rate", 1.0, "employer_match.formulas.simple_match.tiers[0].rate",
     "unknown key; known keys: tier, employee_min, employee_max, match_rate"),
    ("employer_match.formulas.simple_match.nmae", "x", "employer_match.formulas.simple_match.nmae",
     "unknown key; did you mean 'employer_match.formulas.simple_match.name'?"),
    ("employer_match.eligibility", 3, "employer_match.eligibility", "not the number 3"),
    ("data_quality.skip_checks", "x", "data_quality.skip_checks", "give a list (one `- item` a line)"),
    ("employer_core_contribution.social_security_integration.integration_level", -5,
     "employer_core_contribution.social_security_integration.integration_level", "greater than 0"),
    ("vesting.match", [{"years": "x", "percent": 1}], "vesting.match[0].years", "give a whole number, not the text 'x'"),
    ("plan_designs.b.employer_core_contribution", "x", "plan_designs.b.employer_core_contribution",
     "give a mapping of keys (key: value), not the text 'x'"),
    ("plan_designs.b.employer_match", None, "plan_designs.b.employer_match", "not null"),
    ("plan_designs.b.employer_match.formulas.f", {"name": "f", "tiers": [{"tier": 1, "employee_min": 0,
                                                                          "employee_max": "a", "match_rate": 1}]},
     "plan_designs.b.employer_match.formulas.f.tiers[0].employee_max", "give a number, not the text 'a'"),
    ("plan_designs.b.vesting.match", [{"years": "x", "percent": 1}], "plan_designs.b.vesting.match[0].years",
     "give a whole number"),
    ("plan_designs", "x", "plan_designs must be a mapping", "not the text 'x'"),
])
def test_a_bad_value_is_named_by_its_yaml_key_without_python_names(tmp_path, capsys, path, value, key, problem):
    data = _with(yaml.safe_load(DEFAULT_CONFIG.read_text()), path, value)
    config = tmp_path / "bad.yaml"
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    assert main(["validate", "-c", str(config)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and len(err.strip().splitlines()) == 1, err
    assert key in err and problem in err, err
    assert not PYTHON_NAMES.search(err.split(": ", 1)[1]), err


CENSUS_FILE = (DEFAULT_CONFIG.parent / DEFAULT_CONFIG_CENSUS).resolve()
CENSUS = f"setup: {{census_parquet_path: {CENSUS_FILE}}}\n"


def _validate(tmp_path, capsys, text: str, *options: str) -> tuple[int, str, str]:
    config = tmp_path / "c.yaml"
    config.write_text(text)
    code = main(["validate", "-c", str(config), *options])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("text, line", [
    # A day that does not exist, or a number, under its key (YAML reads 2025-13-45 as a date).
    ("enrollment: {auto_enrollment: {hire_date_cutoff: 2025-13-45}}",
     "enrollment.auto_enrollment.hire_date_cutoff: 2025-13-45 is not a date; write YYYY-MM-DD"),
    ("plan_designs: {alt: {enrollment: {auto_enrollment: {hire_date_cutoff: 2025-02-30}}}}",
     "plan_designs.alt.enrollment.auto_enrollment.hire_date_cutoff: 2025-02-30 is not a date; write YYYY-MM-DD"),
    ("enrollment: {auto_enrollment: {hire_date_cutoff: 12}}",
     "enrollment.auto_enrollment.hire_date_cutoff: 12 is not a date; write YYYY-MM-DD"),
    ("deferral_auto_escalation: {hire_date_cutoff: 86400}",
     "deferral_auto_escalation.hire_date_cutoff: 86400 is not a date; write YYYY-MM-DD"),
    # Keys and values as the YAML writes them.
    ("employer_match: {true: 1}", "unknown key 'employer_match.true'"),
    ("~: 3", "unknown key 'null'; known keys: scenario_id"),
    ("accounts: {annual_return: {first: 0.05}}",
     "accounts.annual_return.first: the keys of accounts.annual_return must be years (e.g. 2026: 0.05), "
     "not the text 'first'"),
    ("accounts: {annual_return: {2025: abc}}", "accounts.annual_return.2025: give a number, not the text 'abc'"),
    # What was given, and the fix.
    ("employer_match: {formulas: {simple_match: {name: m, tiers: [{tier: 1, employee_min: 0.0, employee_max: 0.06, "
     "match_rate: half}]}}}", "employer_match.formulas.simple_match.tiers[0].match_rate: give a number, not the text 'half'"),
    ("scenario_id: no", "scenario_id: give text, not false (a yes/no value); YAML reads off, on, yes, no, true, false, "
                        "null, bare numbers and dates as values: quote it, e.g. 'no'"),
    ("plan_design_id: 1.5", "plan_design_id: give text, not the number 1.5; YAML reads off, on, yes, no, true, false, "
                            "null, bare numbers and dates as values: quote it, e.g. '1.5'"),
    ("setup: {census_parquet_path: CENSUS_FILE, backup: {enabled: maybe}}", "setup.backup.enabled: give true or false, not the text 'maybe'"),
    # Did-you-mean inside a vesting schedule's list, as in match tiers.
    ("vesting: {match: [{yeras: 2, percent: 50}, {years: 3, percent: 100}]}",
     "vesting.match[0].yeras: unknown key; did you mean 'vesting.match[0].years'?"),
    # A check name that is not a check.
    ("data_quality: {skip_checks: [contributions_without_mtch]}",
     "data_quality.skip_checks: unknown check 'contributions_without_mtch' (did you mean "
     "'contributions_without_match'?); the checks are hiring_demand_without_hires, growth_off_target"),
])
def test_a_bad_value_is_one_line_naming_its_key_what_was_given_and_the_fix(tmp_path, capsys, text, line):
    text = text.replace("CENSUS_FILE", str(CENSUS_FILE)) if "CENSUS_FILE" in text else CENSUS + text
    code, _, err = _validate(tmp_path, capsys, text)
    assert code == 1 and err.startswith("Error: ") and len(err.strip().splitlines()) == 1, err
    assert line in err, err
    assert "Python" not in err and "None" not in err and "True" not in err and "[key]" not in err, err


def test_a_quoted_iso_date_and_a_yaml_date_are_both_dates(tmp_path, capsys):
    from navigator_orchestrator.config.schema import load_config

    for value in ("2025-03-01", "'2025-03-01'"):
        code, _, err = _validate(tmp_path, capsys, CENSUS + f"deferral_auto_escalation: {{hire_date_cutoff: {value}}}")
        assert code == 0, err
        assert str(load_config(tmp_path / "c.yaml").deferral_auto_escalation.hire_date_cutoff) == "2025-03-01"


@pytest.mark.parametrize("strict", [False, True])
def test_an_unknown_skipped_check_is_refused_with_or_without_strict(tmp_path, capsys, strict):
    code, out, err = _validate(tmp_path, capsys, CENSUS + "data_quality: {skip_checks: [hires_without_pay, nope]}",
                               *(["--strict"] if strict else []))
    assert code == 1 and "Config OK" not in out, out
    assert "data_quality.skip_checks: unknown check 'nope'; the checks are " in err, err
    assert "hires_without_pay" in err.split("the checks are ", 1)[1], err


@pytest.mark.parametrize("design, shown", [
    ("null", "plan_designs.alt = null: design alt equals the baseline"),
    ("{employer_match: {}}", "plan_designs.alt = {employer_match: {}}: design alt equals the baseline"),
])
def test_a_lint_warning_shows_the_value_as_yaml_writes_it(tmp_path, capsys, design, shown):
    code, _, err = _validate(tmp_path, capsys, CENSUS + f"plan_designs: {{alt: {design}}}")
    assert code == 0
    assert f"Warning: {shown}" in err, err
