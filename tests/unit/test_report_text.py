"""How reports write years and ranges of years."""

from __future__ import annotations

from navigator_orchestrator.reporting import year_span


def test_one_year_is_written_once_and_a_range_with_a_dash():
    assert year_span(2026, 2026) == "2026"
    assert year_span("2026", 2026) == "2026"
    assert year_span(2025, 2029) == "2025-2029"
