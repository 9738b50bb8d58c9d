"""Regression guard for orchestration cost: dbt invocations per simulated year (a count, not a time)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("years", [1, 3])
def test_one_dbt_invocation_per_simulated_year(simulate, request, years):
    if years == 3:  # the session's run of 2025-2027
        result = request.getfixturevalue("finished_2025_2027").result
    else:
        result, _ = simulate({"simulation": {"start_year": 2025, "end_year": 2024 + years}})
    assert len(result.years) == years
    # Exactly one dbt invocation per simulated year (the first one also loads the seeds).
    assert result.dbt_invocations == years


def test_one_dbt_invocation_per_simulated_year_whatever_the_number_of_plan_designs(simulate, capsys):
    designs = {
        "rich_match": {"employer_match": {"active_formula": "safe_harbor_basic"}},
        "no_core": {"employer_core_contribution": {"enabled": False}},
        "late_entry": {"eligibility": {"entry_dates": "quarterly", "waiting_period_days": 90}},
    }
    result, db = simulate({"simulation": {"start_year": 2025, "end_year": 2026}, "plan_designs": designs})
    # Two simulated years of four designs: two dbt invocations, and every design published.
    assert result.dbt_invocations == 2
    assert sorted({(s.plan_design_id, s.year) for s in result.years}) == sorted(
        (d, y) for d in ("standard_401k", *designs) for y in (2025, 2026))
