"""Match-responsive deferrals (docs/plan.md): people who choose their own rate move to the rate
that earns the full match with the configured probability, so two match formulas give different
employee saving; switched off, the formula does not touch anybody's deferrals."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest

from conftest import query

SIX, FOUR = "simple_match", "enhanced_safe_harbor"  # 50% of the first 6%; 100% of the first 4%
# By service: 100% of the first 4% under 5 years (full match at 4%), 50% of the first 8% from 5
# years (full match at 8%).
BANDED = {"name": "By service", "graded_by_service": [
    {"min_years": 0, "max_years": 4, "max_match_percentage": 0.04,
     "tiers": [{"tier": 1, "employee_min": 0.0, "employee_max": 0.04, "match_rate": 1.0}]},
    {"min_years": 5, "max_match_percentage": 0.04,
     "tiers": [{"tier": 1, "employee_min": 0.0, "employee_max": 0.08, "match_rate": 0.5}]}]}
CHOSEN = ("proactive", "voluntary", "participant_election")


@pytest.fixture(scope="module")
def elections(tmp_path_factory, small_census):
    """One run of five designs: 50% of 6% and 100% of 4%, each with and without match
    responsiveness, and a match by service band; the chosen rates of 2025 per design, keyed by
    (employee, type, date), and each person's service on Dec 31 2025 under "service"."""
    from conftest import write_scenario
    from navigator_orchestrator.config.schema import load_config
    from navigator_orchestrator.engine.simulation import Simulation

    root = tmp_path_factory.mktemp("match_responsiveness")
    off = {"enrollment": {"match_responsiveness": {"enabled": False}}}
    config = write_scenario(root, small_census, {
        "plan_design_id": "six",
        "employer_match": {"active_formula": SIX},
        "enrollment": {"match_responsiveness": {"enabled": True, "share": 0.20},
                       "deferral_change": {"annual_probability": 0.2}},
        "plan_designs": {
            "four": {"employer_match": {"active_formula": FOUR}},
            "six_off": off,
            "four_off": {**off, "employer_match": {"active_formula": FOUR}},
            "banded": {"employer_match": {"active_formula": "by_service", "formulas": {"by_service": BANDED}}},
        },
    }, end_year=2025)
    db = root / "simulation.duckdb"
    Simulation(load_config(config), db).run()
    by_design: dict[str, dict[tuple, Decimal]] = defaultdict(dict)
    for design, employee, kind, day, rate in query(
            db, "select plan_design_id, employee_id, event_category, effective_date, employee_deferral_rate "
                "from fct_yearly_events where simulation_year = 2025 and event_category in (?, ?, ?)", list(CHOSEN)):
        by_design[design][(employee, kind, day)] = Decimal(str(rate)).quantize(Decimal("0.000001"))
    by_design["service"] = dict(query(db, "select employee_id, vesting_years from fct_workforce_snapshot "
                                          "where simulation_year = 2025 and plan_design_id = 'banded'"))
    return by_design


def mean(rates: dict) -> Decimal:
    return sum(rates.values()) / len(rates)


def test_switched_off_the_match_formula_leaves_chosen_rates_alone(elections):
    assert elections["six_off"] and elections["six_off"] == elections["four_off"]


def test_a_higher_full_match_rate_raises_average_chosen_deferrals(elections):
    assert elections["six"] != elections["four"]
    assert mean(elections["six"]) > mean(elections["four"])
    assert mean(elections["six"]) > mean(elections["six_off"]) and mean(elections["four"]) > mean(elections["four_off"])


@pytest.mark.parametrize("design, full", [("six", Decimal("0.06")), ("four", Decimal("0.04"))])
def test_only_rates_below_the_full_match_rate_move_and_they_move_to_it(elections, design, full):
    on, off = elections[design], elections[f"{design}_off"]
    # A deferral change that lands on the rate the person already had is no change at all.
    assert on.keys() <= off.keys()
    assert all(k[1] == "participant_election" for k in off.keys() - on.keys())
    below = [k for k in off if off[k] < full]
    moved = [k for k in off if on.get(k) != off[k]]
    assert moved and set(moved) <= set(below)
    assert all(on.get(k, full) == full for k in moved)
    # The share moved is a draw per person at 20%: well inside (5%, 40%) on these counts.
    assert 0.05 < len(moved) / len(below) < 0.40, (len(moved), len(below))


def test_with_service_bands_each_person_moves_to_the_full_match_rate_of_their_band(elections):
    on, off, service = elections["banded"], elections["six_off"], elections["service"]
    moved = {k: on.get(k) for k in off if on.get(k) != off[k]}
    assert moved
    for (employee, kind, day), rate in moved.items():
        full = Decimal("0.04") if service[employee] <= 4 else Decimal("0.08")
        assert off[(employee, kind, day)] < full and rate in (full, None), (employee, service[employee], rate)
    # Both bands have people who moved.
    assert {service[k[0]] <= 4 for k in moved} == {True, False}
