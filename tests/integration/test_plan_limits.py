"""Deferral caps, catch-up ages, the 401(a)(17) cap on the match and core, in a full run.

A hand-made census of high earners electing 50% of pay (no turnover, raises or hires) makes
every deferral hit the limit, so each person's deferral is exactly the IRS limit for the age
attained on Dec 31 (IRS Notice 2024-80 for 2025, Notice 2025-67 for 2026; IRC 414(v)(2)(E)
for ages 60-63). The same numbers are proven formula by formula in the dbt unit tests
(dbt/models/intermediate/plan/_plan_unit_tests.yml); here they come out of a real run.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from plan_support import LIMITS, deferral_limit, rows, run_scenario

# employee_id -> birth date; ages are attained by Dec 31 of each year.
PEOPLE = {
    "AGE45": date(1980, 6, 15),        # 45 in 2025, 46 in 2026
    "AGE52": date(1973, 6, 15),        # 52 / 53
    "AGE61": date(1964, 6, 15),        # 61 / 62
    "AGE64": date(1961, 6, 15),        # 64 / 65: the 60-63 amount no longer applies
    "TURNS50": date(1975, 12, 31),     # attains 50 on Dec 31, 2025: catch-up in 2025
    "STILL49": date(1976, 1, 1),       # 49 on Dec 31, 2025: no catch-up until 2026
    "TURNS60": date(1965, 12, 31),     # attains 60 on Dec 31, 2025: 60-63 amount
    "TURNS64": date(1961, 12, 31),     # attains 64 on Dec 31, 2025: back to the 50+ amount
    "STILL63": date(1962, 1, 1),       # 63 on Dec 31, 2025; 64 in 2026
}
PAY = 400_000.0

NO_CHURN = {
    "simulation": {"target_growth_rate": 0.0},
    "workforce": {"total_termination_rate": 0.0, "new_hire_termination_rate": 0.0},
    "compensation": {"cola_rate": 0.0, "merit_budget": 0.0},
    "promotion": {"enabled": False},
    "enrollment": {"deferral_change": {"annual_probability": 0.0}},
}


@pytest.fixture(scope="module")
def capped_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("plan_limits")
    census = base / "census.parquet"
    values = ", ".join(
        f"('{eid}', DATE '{born}', DATE '2010-03-01', {PAY}, 0.5)" for eid, born in PEOPLE.items()
    )
    with duckdb.connect() as conn:
        conn.execute(
            f"""copy (select * from (values {values}) as t(employee_id, employee_birth_date,
                     employee_hire_date, employee_gross_compensation, employee_deferral_rate))
                to '{census}' (format parquet)"""
        )
    result, db = run_scenario(base, census, NO_CHURN)
    snapshot = {
        (r["employee_id"], r["simulation_year"]): r
        for r in rows(db, "select * from fct_workforce_snapshot")
    }
    return result, db, snapshot


@pytest.mark.parametrize("year", [2025, 2026])
@pytest.mark.parametrize("employee_id", list(PEOPLE))
def test_deferral_is_capped_at_402g_plus_catch_up_for_age(capped_run, employee_id, year):
    _, _, snapshot = capped_run
    row = snapshot[(employee_id, year)]
    expected = deferral_limit(year, row["current_age"])
    assert float(row["prorated_annual_contributions"]) == expected
    assert row["irs_limit_reached"] is True


def test_catch_up_boundaries_follow_the_age_attained_on_dec_31(capped_run):
    _, _, snapshot = capped_run
    got = {eid: float(snapshot[(eid, 2025)]["prorated_annual_contributions"])
           for eid in ("TURNS50", "STILL49", "TURNS60", "TURNS64", "STILL63")}
    assert got == {"TURNS50": 31_000, "STILL49": 23_500, "TURNS60": 34_750,
                   "TURNS64": 31_000, "STILL63": 34_750}
    assert float(snapshot[("STILL63", 2026)]["prorated_annual_contributions"]) == 32_500  # 64 in 2026


def test_match_and_core_use_pay_capped_at_401a17(capped_run):
    """50% of the first 6% and a 2% core on 350,000 (2025) and 360,000 (2026), not on 400,000."""
    _, db, snapshot = capped_run
    for year in (2025, 2026):
        cap = LIMITS[year]["401a17"]
        for eid in PEOPLE:
            row = snapshot[(eid, year)]
            assert float(row["employer_match_amount"]) == round(0.03 * cap, 2)
            assert float(row["employer_core_amount"]) == round(0.02 * cap, 2)
    events = rows(db, "select * from fct_employer_match_events where simulation_year = 2025")
    assert len(events) == len(PEOPLE)
    assert {float(e["amount"]) for e in events} == {10_500.0}
    assert all('"formula_id":"simple_match"' in e["event_details"].replace(" ", "") for e in events)


def test_rates_above_the_escalation_cap_are_never_lowered(capped_run):
    _, db, _ = capped_run
    assert rows(db, "select * from fct_yearly_events where event_type = 'deferral_escalation'") == []
    rates = rows(db, "select distinct current_deferral_rate from fct_workforce_snapshot")
    assert [float(r["current_deferral_rate"]) for r in rates] == [0.5]


def test_published_years_are_not_estimates(capped_run):
    result, _, _ = capped_run
    assert all(not year.notes for year in result.years)
