"""The plan designs reach SQL as data: one var (`plan_designs`) that int_plan_design_parameters
turns into one typed row per design. Every parameter the config gives is a column of that model
and some plan model reads it; the model refuses a var that does not match its columns."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from conftest import query
from navigator_orchestrator.config.schema import DBT_PROJECT_DIR, DEFAULT_CONFIG, load_config
from navigator_orchestrator.engine.dbt_runner import DbtError, DbtRunner

PARAMETERS_MACRO = DBT_PROJECT_DIR / "macros" / "plan_designs.sql"


def model_columns() -> list[str]:
    """The parameter columns of int_plan_design_parameters (macro plan_design_parameter_columns), in order."""
    return re.findall(r"\('(\w+)', '[^']+'\)", PARAMETERS_MACRO.read_text())


def test_every_plan_parameter_of_the_config_is_a_column_of_the_parameters_model():
    config = load_config(DEFAULT_CONFIG)
    assert list(config.plan_parameters()) == model_columns()


def test_every_plan_parameter_is_read_by_a_model_other_than_the_parameters_model():
    sql = "\n".join(p.read_text() for p in sorted((DBT_PROJECT_DIR / "models").rglob("*.sql")))
    sql += "\n".join(p.read_text() for p in (DBT_PROJECT_DIR / "tests").rglob("*.sql"))
    # Macros that models call (all but the one that declares the parameters).
    sql += "\n".join(p.read_text() for p in (DBT_PROJECT_DIR / "macros").rglob("*.sql") if p != PARAMETERS_MACRO)
    unread = [c for c in model_columns() if c != "plan_design_id" and not re.search(rf"\b{c}\b", sql)]
    assert not unread, f"plan parameters no model reads: {unread}"


def test_the_var_holds_every_design_of_the_config_or_the_selected_ones(make_config):
    config = load_config(make_config({"plan_designs": {"rich": {"employer_core_contribution": {"contribution_rate": 0.05}}}}))
    designs = config.to_dbt_vars()["plan_designs"]
    assert [d["plan_design_id"] for d in designs] == ["standard_401k", "rich"]
    assert [d["core_contribution_rate"] for d in designs] == [0.02, 0.05]
    assert [d["plan_design_id"] for d in config.to_dbt_vars(["rich"])["plan_designs"]] == ["rich"]
    # A design's own vars (and so its config hash) are those of the design run alone.
    assert config.design("rich").to_dbt_vars()["plan_designs"] == [designs[1]]


@pytest.mark.parametrize("designs, message", [
    ("not a list", "must be a non-empty list"),
    ([], "must be a non-empty list"),
    ([{"plan_design_id": "x y"}], "needs a plan_design_id that is a slug"),
    ("extra", "has unknown parameters surprise"),
    ("missing", "lacks parameters match_enabled"),
])
def test_the_parameters_model_refuses_a_var_that_does_not_match_its_columns(designs, message, tmp_path):
    config = load_config(DEFAULT_CONFIG)
    good = config.plan_parameters()
    if designs == "extra":
        designs = [{**good, "surprise": 1}]
    elif designs == "missing":
        designs = [{k: v for k, v in good.items() if k != "match_enabled"}]
    runner = DbtRunner(tmp_path / "x.duckdb")
    try:
        with pytest.raises(DbtError, match=message):
            runner.invoke(["run", "--select", "int_plan_design_parameters"],
                          {**config.to_dbt_vars(), "plan_designs": designs, "simulation_year": 2025})
    finally:
        runner.close()


def test_the_parameters_model_types_each_design_from_the_var(tmp_path):
    config = load_config(DEFAULT_CONFIG)
    quoted = config.plan_parameters() | {"plan_design_id": "quoted", "match_formula_name": "O'Brien's \"50%\" match"}
    designs = [config.plan_parameters(), quoted]
    runner = DbtRunner(tmp_path / "x.duckdb")
    try:
        built = runner.invoke(["build", "--select", "int_plan_design_parameters", "plan_design_match_tiers_are_valid"],
                              {**config.to_dbt_vars(), "plan_designs": designs, "simulation_year": 2025})
    finally:
        runner.close()
    rows = query(tmp_path / "x.duckdb", "select plan_design_id, design_order, match_formula_name, "
                 "core_contribution_rate, eligibility_minimum_age, re_enrollment_sweep_years "
                 "from int_plan_design_parameters order by design_order")
    assert rows == [("standard_401k", 1, "50% of the first 6%", Decimal("0.02000000"), 21, []),
                    ("quoted", 2, "O'Brien's \"50%\" match", Decimal("0.02000000"), 21, [])]
    # The match formula's tiers stay one JSON list per design (macro plan_design_match_tiers makes
    # them rows in the models that read them; its singular test checked those rows above).
    tiers = query(tmp_path / "x.duckdb", "select plan_design_id, match_tiers from int_plan_design_parameters order by all")
    assert [(d, json.loads(t)) for d, t in tiers] == [
        (d, [{"band_min": 0, "band_max": None, "max_match_percentage": 0.03, "tier": 1, "employee_min": 0.0,
              "employee_max": 0.06, "match_rate": 0.5}]) for d in ("quoted", "standard_401k")]
    assert "plan_design_match_tiers_are_valid" in {n.name for n in built.nodes if n.status == "pass"}
