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


def test_design_description_states_vesting_forfeiture_use_return_and_core_rules(tmp_path, make_config):
    from navigator_orchestrator.config.schema import load_config
    from navigator_orchestrator.reporting.compare_html import describe_design, describe_vesting

    assert describe_vesting("graded_6") == "graded over 6 years: 20% after 2 years of service, +20% a year"
    assert describe_vesting("cliff_3") == "cliff: 0% until 100% after 3 years of service"
    assert describe_vesting("immediate") == "immediate (100% vested from the first day)"
    assert describe_vesting("graded_3").startswith("graded over 3 years: 33.33% after 1 year, 66.67% after 2 years")
    config = load_config(make_config({"plan_designs": {"slow": {
        "vesting": {"match": "graded_6", "core": "cliff_3", "forfeiture_use": "pay_expenses"},
        "accounts": {"annual_return": 0.05},
        "employer_core_contribution": {"enabled": True, "contribution_rate": 0.02}}}}))
    base, slow = describe_design(config), describe_design(config.design("slow"))
    assert base != slow
    text = " ".join(slow)
    assert "match graded over 6 years: 20% after 2 years of service, +20% a year" in text
    assert "core cliff: 0% until 100% after 3 years of service" in text
    assert "Forfeitures of unvested money are used to pay plan expenses." in text
    assert "investment return of 5% a year" in text
    core = next(line for line in slow if line.startswith("Employer core"))
    el = config.design("slow").employer_core_contribution.eligibility
    assert f"{el.minimum_hours_annual:,} hours required" in core
    assert ("last-day rule (active at year end)" if el.require_active_at_year_end else "no last-day rule") in core


def test_a_table_without_a_column_this_version_reads_says_the_database_is_older(tmp_path):
    import duckdb

    from navigator_orchestrator.guard import _database_line

    conn = duckdb.connect(str(tmp_path / "old.duckdb"))
    conn.execute("create table fct_plan_year_summary (scenario_id varchar)")
    try:
        conn.execute("select forfeitures from fct_plan_year_summary")
    except duckdb.Error as exc:
        line = _database_line(exc)
    assert "written by an earlier version" in line and "new --database" in line
    assert "\n" not in line


def test_design_description_states_the_match_calculation_period_and_true_up(make_config):
    from navigator_orchestrator.config.schema import load_config
    from navigator_orchestrator.reporting.compare_html import describe_design

    config = load_config(make_config({"payroll": {"frequency": "semi_monthly"}, "plan_designs": {
        "per_payroll": {"employer_match": {"calculation_period": "pay_period"}},
        "trued_up": {"employer_match": {"calculation_period": "pay_period", "true_up": True}}}}))
    match = {d: next(line for line in describe_design(config.design(d)) if line.startswith("Employer match"))
             for d in config.design_ids}
    assert "calculated on the year's pay and deferrals" in match[config.effective_plan_design_id]
    assert "calculated each semi-monthly payroll with no true-up" in match["per_payroll"]
    assert "calculated each semi-monthly payroll, trued up to the annual formula at year end" in match["trued_up"]


def test_design_description_states_a_claimed_safe_harbor_and_whether_it_is_met(make_config):
    from navigator_orchestrator.config.schema import load_config
    from navigator_orchestrator.reporting.compare_html import describe_design

    config = load_config(make_config({"plan_designs": {
        "qaca": {"ndt": {"safe_harbor": "qaca_match"}},
        "basic": {"ndt": {"safe_harbor": "basic_match"},
                  "employer_match": {"active_formula": "safe_harbor_basic",
                                     "eligibility": {"minimum_tenure_years": 0, "require_active_at_year_end": False,
                                                     "minimum_hours_annual": 0}}}}}))
    claim = {d: [line for line in describe_design(config.design(d)) if line.startswith("Safe harbor")]
             for d in config.design_ids}
    assert claim[config.effective_plan_design_id] == []
    assert claim["qaca"] == ["Safe harbor claimed: qaca match, not met (the match is below 100% of the first 1% "
                             "plus 50% of the next 5% at some deferral rate): the ADP test is run."]
    assert claim["basic"] == ["Safe harbor claimed: basic match, met: the ADP test is not run."]
