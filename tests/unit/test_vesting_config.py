"""Vesting schedules and the accounts section as the config schema reads them: named schedules,
custom ones held to IRC 411(a)(2)(B), and a design's own schedule (docs/plan.md)."""

from __future__ import annotations

import pytest

from navigator_orchestrator.config.accounts import NAMED_SCHEDULES, schedule_steps, vested_percent
from navigator_orchestrator.config.schema import ConfigError, load_config


def test_a_design_may_have_its_own_schedule_and_is_checked_like_the_baseline(tmp_path, make_config):
    good = load_config(make_config({"plan_designs": {"slow": {"vesting": {"match": "graded_6"},
                                                               "accounts": {"annual_return": {2025: 0.04}}}}}))
    slow, baseline = good.design("slow").plan_parameters(), good.plan_parameters()
    assert slow["vesting_match_schedule"][0] == {"years": 2, "percent": "20"}
    assert slow["annual_return"] == [{"from_year": 2025, "rate": 0.04}]
    assert baseline["vesting_match_schedule"] == [{"years": 0, "percent": "100"}]
    by_design = {d["plan_design_id"]: d for d in good.to_dbt_vars()["plan_designs"]}
    assert by_design["slow"]["vesting_match_schedule"] == slow["vesting_match_schedule"]
    bad = make_config({"plan_designs": {"sh": {"vesting": {"match": "cliff_2"},
                                               "ndt": {"safe_harbor": "enhanced_match"}}}}, name="bad.yaml")
    with pytest.raises(ConfigError, match=r"plan_designs\.sh\.vesting\.match: ndt\.safe_harbor enhanced_match"):
        load_config(bad)


@pytest.mark.parametrize("steps, problem", [
    ([{"years": 1, "percent": 50}, {"years": 2, "percent": 40}, {"years": 3, "percent": 100}], "may not fall"),
    ([{"years": 2, "percent": 50}, {"years": 1, "percent": 100}], "increasing years"),
    ([{"years": 1, "percent": 50}], "must be 100"),
    ([{"years": 2, "percent": 20}, {"years": 7, "percent": 100}], "411(a)(2)(B)"),
    ([{"years": 4, "percent": 100}], "411(a)(2)(B)"),
    ([{"years": 1, "percent": 10}, {"years": 3, "percent": 30}, {"years": 6, "percent": 100}], "411(a)(2)(B)"),
])
def test_a_custom_schedule_must_rise_to_100_within_the_statutory_maximum(tmp_path, make_config, steps, problem):
    with pytest.raises(ConfigError, match=r"vesting") as err:
        load_config(make_config({"vesting": {"core": steps}}))
    assert problem in str(err.value)
    assert "Value error" not in str(err.value), "the message speaks of the config, not of the validation library"


def test_custom_schedules_at_least_as_fast_as_a_statutory_one_are_accepted(make_config):
    hybrid = [{"years": 1, "percent": 20}, {"years": 2, "percent": 40}, {"years": 3, "percent": 100}]
    config = load_config(make_config({"vesting": {"match": hybrid, "core": "graded_6"}}))
    assert config.plan_parameters()["vesting_match_schedule"] == [
        {"years": 1, "percent": "20"}, {"years": 2, "percent": "40"}, {"years": 3, "percent": "100"}]


def test_named_schedules_vest_as_their_names_say():
    """IRC 411(a)(2)(B): graded_6 is 20% after 2 years rising 20 points a year; cliff_3 nothing
    before 3 years; qaca_2 is 100% after 2 years (401(k)(13)(D)(iii)(I))."""
    table = {name: [float(vested_percent(schedule_steps(name), y)) for y in range(8)] for name in NAMED_SCHEDULES}
    assert table["graded_6"] == [0, 0, 20, 40, 60, 80, 100, 100]
    assert table["graded_5"] == [0, 20, 40, 60, 80, 100, 100, 100]
    assert table["graded_3"] == [0, 33.33, 66.67, 100, 100, 100, 100, 100]
    assert table["cliff_3"] == [0, 0, 0, 100, 100, 100, 100, 100]
    assert table["qaca_2"] == table["cliff_2"] == [0, 0, 100, 100, 100, 100, 100, 100]
    assert table["immediate"] == [100] * 8




@pytest.mark.parametrize("value", [float("nan"), float("inf"), {2025: float("nan")}])
def test_an_annual_return_that_is_not_a_finite_number_is_refused_as_such(make_config, value):
    with pytest.raises(ConfigError, match=r"accounts\.annual_return.*finite number"):
        load_config(make_config({"accounts": {"annual_return": value}}))


@pytest.mark.parametrize("overrides, key", [
    ({"enrollment": {"match_responsiveness": {"share": float("nan")}}}, r"enrollment\.match_responsiveness\.share"),
    ({"ndt": {"prior_year_nhce_adp": float("nan")}}, r"ndt\.prior_year_nhce_adp"),
    ({"plan_designs": {"other": {"enrollment": {"match_responsiveness": {"share": float("inf")}}}}},
     r"plan_designs\.other\..*share"),
])
def test_any_setting_given_nan_or_infinity_is_refused_as_not_a_finite_number(make_config, overrides, key):
    with pytest.raises(ConfigError, match=key + r".*not a finite number"):
        load_config(make_config(overrides))
