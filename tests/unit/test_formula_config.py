"""Formula bands and the permitted disparity as pure functions of the config: every partition of
the values into bands is accepted and places each value in exactly one band; the wage base and
the 1.401(l)-2(d)(4) reductions; a safe harbor holds in every band of a graded match."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from navigator_orchestrator.config.disparity import amount_points, taxable_wage_base
from navigator_orchestrator.config.formulas import band_problem, formula_parameters
from navigator_orchestrator.config.safe_harbor import safe_harbor_status
from navigator_orchestrator.config.schema import parse_config


@settings(max_examples=200, deadline=None)
@given(starts=st.lists(st.integers(1, 99), max_size=6, unique=True), closed=st.lists(st.booleans(), min_size=7, max_size=7))
def test_a_partition_into_bands_is_accepted_and_covers_each_value_once(starts, closed):
    lows = [0, *sorted(starts)]
    bands = [(lo, (nxt - 1 if shut else None) if nxt is not None else None)
             for lo, nxt, shut in zip(lows, [*lows[1:], None], closed)]
    assert band_problem(bands, "min_points", "max_points", from_zero=True) is None
    tiers = [{"tier": 1, "employee_min": 0.0, "employee_max": 0.06, "match_rate": 0.5}]
    formula = {"name": "points", "graded_by_points": [
        {"min_points": lo, **({"max_points": hi} if hi is not None else {}), "tiers": tiers} for lo, hi in bands]}
    config = parse_config({"employer_match": {"active_formula": "p", "formulas": {"p": formula}}}, Path("."))
    rows = formula_parameters(config.employer_match.formulas["p"], config.employer_core_contribution)["match_tiers"]
    for value in range(0, 120):
        assert sum(r["band_min"] <= value and (r["band_max"] is None or value <= r["band_max"]) for r in rows) == 1


@pytest.mark.parametrize("bands, problem", [
    ([(0, 4), (6, None)], "gap: 5 falls in no band"),
    ([(0, 5), (5, None)], "bands overlap"),
    ([(0, None), (50, 60)], "the last band ends at max_points 60"),
    ([(10, None)], "the first band starts at min_points 10"),
    ([(0, None), (70, None), (50, None)], "list the bands from the lowest min_points up"),
])
def test_gaps_overlaps_closed_ends_and_disorder_are_named(bands, problem):
    assert problem in band_problem(bands, "min_points", "max_points", from_zero=True)


def test_the_taxable_wage_base_is_the_ssa_amount_then_projected_to_the_nearest_300():
    assert taxable_wage_base(2024, 0.025) == (Decimal(168600), False)
    assert taxable_wage_base(2025, 0.025) == (Decimal(176100), False)
    assert taxable_wage_base(2026, 0.025) == (Decimal(184500), False)
    # 184,500 x 1.025 = 189,112.50 -> 189,000; x 1.025^2 = 193,840.31 -> 193,800 (as int_irs_limits).
    assert taxable_wage_base(2027, 0.025) == (Decimal(189000), True)
    assert taxable_wage_base(2028, 0.025) == (Decimal(193800), True)


@pytest.mark.parametrize("level, points", [
    (10_000, "5.7"), (35_220, "5.7"), (35_221, "4.3"), (140_880, "4.3"), (140_881, "5.4"), (176_099, "5.4"),
    (176_100, "5.7"),
])
def test_the_disparity_reductions_of_1_401_l_2_d_4_against_the_2025_wage_base(level, points):
    """2025 base 176,100: 20% is 35,220 (above $10,000), 80% is 140,880."""
    assert amount_points(Decimal(level), Decimal(176_100)) == Decimal(points)


def test_a_safe_harbor_match_must_hold_in_every_band():
    basic = [{"tier": 1, "employee_min": 0.0, "employee_max": 0.03, "match_rate": 1.0},
             {"tier": 2, "employee_min": 0.03, "employee_max": 0.05, "match_rate": 0.5}]
    low = [{"tier": 1, "employee_min": 0.0, "employee_max": 0.06, "match_rate": 0.5}]
    def status(first_band):
        formula = {"name": "graded", "graded_by_service": [
            {"min_years": 0, "max_years": 1, "tiers": first_band, "max_match_percentage": 0.04},
            {"min_years": 2, "tiers": basic, "max_match_percentage": 0.04}]}
        config = parse_config({"employer_match": {"active_formula": "g", "formulas": {"g": formula},
                                                  "eligibility": {"minimum_hours_annual": 0,
                                                                  "require_active_at_year_end": False}},
                               "ndt": {"safe_harbor": "basic_match"}}, Path("."))
        return safe_harbor_status(config).adp
    assert status(basic) == "qualified"
    assert status(low) == "match_below_basic"
