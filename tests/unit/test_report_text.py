"""How reports write years and ranges of years."""

from __future__ import annotations

from navigator_orchestrator.reporting import year_span


def test_one_year_is_written_once_and_a_range_with_a_dash():
    assert year_span(2026, 2026) == "2026"
    assert year_span("2026", 2026) == "2026"
    assert year_span(2025, 2029) == "2025-2029"


def test_a_money_column_is_shown_in_one_precision_whatever_the_size():
    from decimal import Decimal

    from navigator_orchestrator.reporting.compare_output import cell_text

    assert [cell_text("employer_match", Decimal(v)) for v in ("0", "778.86", "3709345.40")] == [
        "$0", "$779", "$3,709,345"]
    assert [cell_text("mean_change", Decimal(v)) for v in ("-778.86", "-1350.004", "0")] == [
        "-$778.86", "-$1,350.00", "$0.00"]
    assert cell_text("employer_cost_vs_baseline", Decimal("1234.5")) == "+$1,235"  # half up, not half even
    assert cell_text("employer_cost_per_participant", 12.345) == "$12.35"
