"""Plan-design switches in one run: quarterly entry after a waiting period, auto-enrollment of
new hires only with a re-enrollment sweep, the safe-harbor basic match, service-graded core
and escalation limited to hires after a cutoff."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from plan_support import LIMITS, rows, run_scenario

VARIANT = {
    "eligibility": {"minimum_age": 21, "waiting_period_days": 90, "entry_dates": "quarterly"},
    "enrollment": {"auto_enrollment": {
        "scope": "new_hires_only", "opt_out_rate_multiplier": 3.0,
        "re_enrollment_sweep_years": [2026], "re_enrollment_sweep_day": "01-01"}},
    "deferral_auto_escalation": {"hire_date_cutoff": "2025-01-01"},
    "employer_match": {"active_formula": "safe_harbor_basic"},
    "employer_core_contribution": {
        "graded_by_service": [{"min_years": 0, "rate": 0.02}, {"min_years": 5, "rate": 0.04}],
        "eligibility": {"minimum_tenure_years": 1}},
}


@pytest.fixture(scope="module")
def variant_run(tmp_path_factory, small_census):
    base = tmp_path_factory.mktemp("plan_variant")
    return run_scenario(base, small_census, VARIANT)[1]


def test_entry_is_the_first_quarter_date_after_waiting_period_and_age_21(variant_run):
    events = rows(variant_run, """
        select e.effective_date, s.employee_hire_date, s.employee_birth_date
        from fct_yearly_events as e join fct_workforce_snapshot as s using (employee_id, simulation_year)
        where e.event_type = 'eligibility'""")
    assert events
    for e in events:
        entry = e["effective_date"]
        assert entry.day == 1 and entry.month in (1, 4, 7, 10)
        met = max(e["employee_hire_date"] + timedelta(days=90),
                  e["employee_birth_date"].replace(year=e["employee_birth_date"].year + 21))
        assert met <= entry < met + timedelta(days=92)


def test_new_hires_only_scope_leaves_census_non_participants_to_voluntary_enrollment(variant_run):
    auto_2025 = rows(variant_run, """
        select s.employee_hire_date from fct_yearly_events as e
        join fct_workforce_snapshot as s using (employee_id, simulation_year)
        where e.event_type = 'enrollment' and e.event_category = 'auto' and e.simulation_year = 2025""")
    assert auto_2025 and all(r["employee_hire_date"] >= date(2025, 1, 1) for r in auto_2025)


def test_re_enrollment_sweep_auto_enrolls_earlier_opt_outs(variant_run):
    swept = rows(variant_run, """
        select o.employee_id, e.effective_date, json_extract(e.event_details, '$.sweep')::boolean as sweep
        from fct_yearly_events as o
        join fct_workforce_snapshot as s2026
          on s2026.employee_id = o.employee_id and s2026.simulation_year = 2026
        left join fct_yearly_events as e
          on e.employee_id = o.employee_id and e.simulation_year = 2026
         and e.event_type = 'enrollment' and e.event_category = 'auto'
        where o.event_type = 'opt_out' and o.simulation_year = 2025""")
    assert swept, "some 2025 opt-outs are still employed in 2026"
    assert all(r["effective_date"] == date(2026, 1, 1) and r["sweep"] for r in swept)


def test_safe_harbor_basic_match_in_a_full_run(variant_run):
    """100% of the first 3% + 50% of the next 2% of pay (IRC 401(k)(12)(B)(i)), on capped pay."""
    people = rows(variant_run, """
        select simulation_year, prorated_annual_contributions as d, prorated_annual_compensation as pay,
               employer_match_amount as m, employment_status, days_employed, is_eligible
        from fct_workforce_snapshot""")
    matched = 0
    for p in people:
        pay = min(float(p["pay"]), LIMITS[p["simulation_year"]]["401a17"])
        d = float(p["d"])
        expected = min(min(d, 0.03 * pay) + 0.5 * max(0.0, min(d, 0.05 * pay) - 0.03 * pay), 0.04 * pay)
        eligible = (p["employment_status"] == "active" and p["is_eligible"] and d > 0
                    and round(p["days_employed"] * 2080 / (366 if p["simulation_year"] % 4 == 0 else 365)) >= 1000)
        assert float(p["m"]) == pytest.approx(round(expected, 2) if eligible else 0.0, abs=0.011)
        matched += eligible
    assert matched > 0


def test_core_is_graded_by_service_and_needs_a_year_of_tenure(variant_run):
    # The grade follows elapsed-time service (vesting_years); the eligibility condition, tenure.
    people = rows(variant_run, """
        select simulation_year, current_tenure, vesting_years, prorated_annual_compensation as pay, employer_core_amount as c,
               employment_status, is_eligible, days_employed
        from fct_workforce_snapshot where employment_status = 'active' and days_employed >= 200""")
    for p in people:
        pay = min(float(p["pay"]), LIMITS[p["simulation_year"]]["401a17"])
        if not p["is_eligible"] or p["current_tenure"] < 1:
            assert float(p["c"]) == 0
        else:
            rate = 0.04 if p["vesting_years"] >= 5 else 0.02
            assert float(p["c"]) == pytest.approx(round(rate * pay, 2), abs=0.011)


def test_escalation_only_for_hires_after_the_cutoff(variant_run):
    escalated = rows(variant_run, """
        select s.employee_hire_date, e.simulation_year from fct_yearly_events as e
        join fct_workforce_snapshot as s using (employee_id, simulation_year)
        where e.event_type = 'deferral_escalation'""")
    assert escalated
    assert all(r["employee_hire_date"] >= date(2025, 1, 1) and r["simulation_year"] == 2026 for r in escalated)
