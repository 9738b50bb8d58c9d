"""Config errors name keys as the user writes them (`tiers[0].match_rate`), never a pydantic
class name, a union member's name or a Python type name."""

from __future__ import annotations

import re

import pytest
import yaml

from navigator_orchestrator.cli import main
from navigator_orchestrator.config.schema import DEFAULT_CONFIG

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
     "employer_match.formulas.simple_match.tiers[0].match_rate", "valid number"),
    ("employer_match.formulas.simple_match.tiers.0.rate", 1.0, "employer_match.formulas.simple_match.tiers[0].rate",
     "unknown key; known keys: tier, employee_min, employee_max, match_rate"),
    ("employer_match.formulas.simple_match.nmae", "x", "employer_match.formulas.simple_match.nmae",
     "unknown key; did you mean 'employer_match.formulas.simple_match.name'?"),
    ("employer_match.eligibility", 3, "employer_match.eligibility", "not the number 3"),
    ("data_quality.skip_checks", "x", "data_quality.skip_checks", "give a list (one `- item` a line)"),
    ("employer_core_contribution.social_security_integration.integration_level", -5,
     "employer_core_contribution.social_security_integration.integration_level", "greater than 0"),
    ("vesting.match", [{"years": "x", "percent": 1}], "vesting.match[0].years", "valid integer"),
    ("plan_designs.b.employer_core_contribution", "x", "plan_designs.b.employer_core_contribution",
     "give a mapping of keys (key: value), not the text 'x'"),
    ("plan_designs.b.employer_match", None, "plan_designs.b.employer_match", "not null"),
    ("plan_designs.b.employer_match.formulas.f", {"name": "f", "tiers": [{"tier": 1, "employee_min": 0,
                                                                          "employee_max": "a", "match_rate": 1}]},
     "plan_designs.b.employer_match.formulas.f.tiers[0].employee_max", "valid number"),
    ("plan_designs.b.vesting.match", [{"years": "x", "percent": 1}], "plan_designs.b.vesting.match[0].years",
     "valid integer"),
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
