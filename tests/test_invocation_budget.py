"""Regression guard for orchestration cost: dbt invocations per simulated year (a count, not a time)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("years", [1, 3])
def test_one_dbt_invocation_per_simulated_year(simulate, years):
    result, _ = simulate({"simulation": {"start_year": 2025, "end_year": 2024 + years}})
    assert len(result.years) == years
    # Exactly one dbt invocation per simulated year (the first one also loads the seeds).
    assert result.dbt_invocations == years
