"""Property: whatever the balances, vesting service, schedules, return and forfeiture policy,
money in the accounts is conserved to the cent, every year and every source:

    opening + contributions + forfeitures allocated + return - distribution - forfeiture = closing,

a year opens with the previous year's closing balance (the census balance in the first year),
and the return, vesting and settlement are the documented formulas recomputed here in exact
decimals (docs/plan.md, docs/money.md). Each example is a real two-year run on a hand-made census.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from navigator_orchestrator.config.accounts import NAMED_SCHEDULES, schedule_steps, vested_percent
from navigator_orchestrator.config.schema import load_config
from plan_support import rows, run_scenario, write_census_csv

CENT = Decimal("0.01")
SOURCES = ("employee_deferral", "employer_match", "employer_core")


def half_up(value: Decimal) -> Decimal:
    """Half up to the cent, towards +infinity at exactly half a cent (negative returns too)."""
    return ((value / CENT) + Decimal("0.5")).to_integral_value(rounding=ROUND_FLOOR) * CENT


def months_before_census_date(months: int) -> date:
    """Dec 31, 2024 less whole months, on the month's last day (DuckDB's date - interval)."""
    y, m = divmod(2024 * 12 + 11 - months, 12)
    return date(y + (m == 11), 1, 1) - timedelta(days=1) if m == 11 else date(y, m + 2, 1) - timedelta(days=1)


def years_between(start: date, end: date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


@st.composite
def scenarios(draw):
    census_date = date(2024, 12, 31)
    people = []
    for i in range(draw(st.integers(6, 12))):
        hired = census_date - timedelta(days=draw(st.integers(0, 365 * 9)))
        person = {"employee_id": f"P{i:02d}", "employee_birth_date": "1975-06-15",
                  "employee_hire_date": hired.isoformat(),
                  "employee_gross_compensation": draw(st.integers(30_000, 250_000)),
                  "employee_deferral_rate": draw(st.sampled_from([0, 0.03, 0.06, 0.1])),
                  "employee_deferral_balance": str(Decimal(draw(st.integers(0, 20_000_000))) / 100),
                  "employer_match_balance": str(Decimal(draw(st.integers(0, 8_000_000))) / 100),
                  "employer_core_balance": str(Decimal(draw(st.integers(0, 5_000_000))) / 100)}
        if draw(st.booleans()):
            person["vesting_service_years"] = draw(st.sampled_from([0, 0.5, 1, 2.25, 4, 7]))
        if draw(st.integers(0, 3)) == 0:  # a known departure in one of the two years
            person["employee_termination_date"] = (census_date + timedelta(days=draw(st.integers(1, 700)))).isoformat()
        people.append(person)
    schedule = st.sampled_from(sorted(NAMED_SCHEDULES)) | st.just(
        [{"years": 1, "percent": 25}, {"years": 2, "percent": 50}, {"years": 3, "percent": 100}])
    rate = st.integers(-3000, 3000).map(lambda n: float(Decimal(n) / 10_000))
    overrides = {
        "workforce": {"total_termination_rate": draw(st.sampled_from([0.1, 0.3])),
                      "new_hire_termination_rate": 0.25},
        "employer_core_contribution": {"contribution_rate": 0.03},
        "vesting": {"match": draw(schedule), "core": draw(schedule),
                    "forfeiture_use": draw(st.sampled_from(["reduce_employer_contributions", "pay_expenses",
                                                            "reallocate"]))},
        "accounts": {"annual_return": draw(rate | st.fixed_dictionaries({2025: rate, 2026: rate}))},
    }
    return people, overrides


@settings(max_examples=4, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(scenario=scenarios())
def test_account_money_is_conserved_and_follows_the_documented_formulas(tmp_path_factory, scenario):
    people, overrides = scenario
    base = tmp_path_factory.mktemp("accounts_property")
    census = write_census_csv(base / "census.csv", people)
    run_scenario(base, census, overrides, years=(2025, 2026))
    db = base / "simulation.duckdb"
    config = load_config(base / "config.yaml")
    returns = {y: Decimal(str(r["rate"])) for y in (2025, 2026)
               for r in config.accounts.return_steps() if r["from_year"] <= y}  # the last one listed wins
    steps = {"employer_match": schedule_steps(config.vesting.match),
             "employer_core": schedule_steps(config.vesting.core)}

    accounts = {(r["simulation_year"], r["employee_id"], r["source"]): r
                for r in rows(db, "select * from fct_employee_accounts")}
    snapshot = {(r["simulation_year"], r["employee_id"]): r for r in rows(db, "select * from fct_workforce_snapshot")}
    census_rows = {p["employee_id"]: p for p in people}
    zero = defaultdict(lambda: Decimal(0))

    for (year, employee), s in snapshot.items():
        days_in_year = 366 if year % 4 == 0 else 365
        end = s["termination_date"] or date(year, 12, 31)
        days_invested = (end - date(year, 1, 1)).days + 1
        for source in SOURCES:
            a = accounts.get((year, employee, source), zero)
            # conservation, to the cent
            assert (a["opening_balance"] + a["contributions"] + a["forfeitures_allocated"] + a["investment_return"]
                    - a["distribution"] - a["forfeiture"]) == a["closing_balance"], (year, employee, source)
            # a year opens with the previous year's closing balance, or the census balance
            if year == 2025:
                opening = Decimal(census_rows[employee][f"{source}_balance"]) if employee in census_rows else 0
            else:
                before = snapshot.get((year - 1, employee))
                opening = before[f"{source}_balance"] if before else 0
            assert a["opening_balance"] == opening, (year, employee, source)
            # contributions are the snapshot's
            column = {"employee_deferral": "prorated_annual_contributions", "employer_match": "employer_match_amount",
                      "employer_core": "employer_core_amount"}[source]
            assert a["contributions"] == s[column]
            # the return: opening for the days invested, contributions half the days employed
            r = returns[year]
            assert a["investment_return"] == half_up(
                (opening * r * days_invested + a["contributions"] * r * s["days_employed"] / 2) / days_in_year)
            # vesting by completed years from the vesting service date, settlement at termination
            pct = Decimal(100) if source == "employee_deferral" else vested_percent(steps[source], s["vesting_years"])
            person = census_rows.get(employee, {})
            service_start = (months_before_census_date(int(Decimal(str(person["vesting_service_years"])) * 12))
                             if "vesting_service_years" in person else s["employee_hire_date"])
            assert s["vesting_service_start_date"] == service_start
            assert s["vesting_years"] == years_between(service_start, end)
            if s["employment_status"] == "terminated":
                balance = opening + a["contributions"] + a["investment_return"]
                assert a["distribution"] == half_up(balance * pct / 100)
                assert a["closing_balance"] == 0
            else:
                assert a["distribution"] == a["forfeiture"] == 0
        assert s["forfeiture_amount"] == sum(accounts.get((year, employee, src), zero)["forfeiture"]
                                             for src in ("employer_match", "employer_core"))
        assert s["employer_account_balance"] == s["employer_match_balance"] + s["employer_core_balance"]

    events = rows(db, "select simulation_year, employee_id, event_details from fct_yearly_events "
                      "where event_type = 'forfeiture'")
    assert {(e["simulation_year"], e["employee_id"]): Decimal(str(json.loads(e["event_details"])["amount"]))
            for e in events} == {k: s["forfeiture_amount"] for k, s in snapshot.items() if s["forfeiture_amount"] > 0}

    for summary in rows(db, "select * from fct_plan_year_summary"):
        year = summary["simulation_year"]
        forfeited = sum((a["forfeiture"] for (y, _, _), a in accounts.items() if y == year), Decimal(0))
        allocated = sum((a["forfeitures_allocated"] for (y, _, _), a in accounts.items() if y == year), Decimal(0))
        gross = summary["total_employer_cost"]
        assert summary["forfeitures"] == forfeited
        use = config.vesting.forfeiture_use
        if use == "reallocate":
            assert allocated == summary["forfeitures_used"] and allocated in (forfeited, 0)
        else:
            assert allocated == 0
        expected_used = min(forfeited, gross) if use == "reduce_employer_contributions" else (
            forfeited if use == "pay_expenses" else allocated)
        assert summary["forfeitures_used"] == expected_used
        assert summary["net_employer_cost"] == (gross - expected_used if use == "reduce_employer_contributions"
                                                else gross)
