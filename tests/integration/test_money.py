"""Money to the cent through the real engine, on hand-made censuses (docs/money.md).

Each worked example is a person in a small census; every run is also recomputed in full,
column by column, with exact decimals (tests/money_reference.py).
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from conftest import build_year_by_hand
from money_reference import half_up, recompute
from navigator_orchestrator.config.schema import load_config
from plan_support import rows, run_scenario

QUIET = {
    "simulation": {"target_growth_rate": 0.0},
    "workforce": {"total_termination_rate": 0.0, "new_hire_termination_rate": 0.0},
    "compensation": {"cola_rate": 0.0, "merit_budget": 0.0},
    "promotion": {"enabled": False},
    "enrollment": {"deferral_change": {"annual_probability": 0.0}},
    "deferral_auto_escalation": {"enabled": False},
}


def write_census(path: Path, people: list[tuple]) -> Path:
    """people: (employee_id, birth date, hire date, pay, deferral rate)."""
    values = ", ".join(f"('{e}', DATE '{b}', DATE '{h}', {p}, {r})" for e, b, h, p, r in people)
    with duckdb.connect() as conn:
        conn.execute(f"""copy (select * from (values {values}) as t(employee_id, employee_birth_date,
                         employee_hire_date, employee_gross_compensation, employee_deferral_rate))
                         to '{path}' (format parquet)""")
    return path


def snapshot_of(db: Path) -> dict[tuple[str, int], dict]:
    return {(r["employee_id"], r["simulation_year"]): r for r in rows(db, "select * from fct_workforce_snapshot")}


def assert_exact(base: Path, db: Path) -> None:
    checked, problems = recompute(db, load_config(base / "config.yaml"))
    assert checked > 0 and problems == []


# ----- safe-harbor basic match and 3% core, 2025-2027 -------------------------------------

SAFE_HARBOR = {**QUIET,
               "employer_match": {"active_formula": "safe_harbor_basic"},
               "employer_core_contribution": {"contribution_rate": 0.03}}


@pytest.fixture(scope="module")
def safe_harbor_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("money_safe_harbor")
    census = write_census(base / "census.parquet", [
        ("TIE", date(1985, 3, 1), date(2015, 1, 1), 102_520.50, 0.06),
        ("AGE55_LOW_PAY", date(1970, 6, 15), date(2015, 1, 1), 20_000, 0.95),
        ("AGE61_IN_2027", date(1966, 6, 15), date(2015, 1, 1), 400_000, 0.5),
        ("AGE19_PARTICIPANT", date(2005, 6, 15), date(2023, 1, 1), 40_000, 0.05),
        ("AGE40", date(1985, 6, 15), date(2015, 1, 1), 60_000, 0.04),
    ])
    result, db = run_scenario(base, census, SAFE_HARBOR, years=(2025, 2027))
    build_year_by_hand(base / "config.yaml", db, 2027)  # its year-only tables, int_irs_limits among them
    return base, db, snapshot_of(db)


def test_a_half_cent_is_rounded_up(safe_harbor_run):
    """3% core of $102,520.50 is $3,075.615: $3,075.62, not $3,075.61; deferrals 6% = $6,151.23."""
    _, _, snapshot = safe_harbor_run
    row = snapshot[("TIE", 2025)]
    assert row["prorated_annual_contributions"] == Decimal("6151.23")
    assert row["employer_core_amount"] == Decimal("3075.62")


def test_415c_excess_of_a_participant_over_50_is_catch_up_before_employer_money_is_cut(safe_harbor_run):
    """Treas. Reg. §1.414(v)-1(b)(1)(i): age 55, pay $20,000, 95% deferral ($19,000), match $800,
    core $600: the $400 over 415(c) (100% of pay) is catch-up; the match stays $800."""
    _, _, snapshot = safe_harbor_run
    row = snapshot[("AGE55_LOW_PAY", 2025)]
    assert row["prorated_annual_contributions"] == Decimal("19000.00")
    assert row["catch_up_contribution"] == Decimal("400.00")
    assert row["employer_match_amount"] == Decimal("800.00")
    assert row["employer_core_amount"] == Decimal("600.00")
    assert row["annual_additions_limited"] is False


def test_ages_60_to_63_catch_up_stays_11250_until_the_indexed_10000_passes_it(safe_harbor_run):
    """IRC 414(v)(2)(E)(i): 2027 (projected 402(g) $25,000) at 61: $25,000 + $11,250 = $36,250."""
    _, db, snapshot = safe_harbor_run
    assert snapshot[("AGE61_IN_2027", 2027)]["prorated_annual_contributions"] == Decimal("36250.00")
    assert rows(db, "select catch_up_60_63_limit from int_irs_limits where limit_year = 2027") == [
        {"catch_up_60_63_limit": Decimal("11250.00")}]


def test_a_census_participant_below_the_entry_age_is_grandfathered(safe_harbor_run):
    """Age 19 at the census with a 5% election: eligible from the census date, so the 2025
    deferrals ($2,000) get the match (100% of 3% + 50% of 2% = $1,600) and core ($1,200)."""
    _, db, snapshot = safe_harbor_run
    row = snapshot[("AGE19_PARTICIPANT", 2025)]
    assert row["is_eligible"] is True and row["eligibility_date"] == date(2024, 12, 31)
    assert row["prorated_annual_contributions"] == Decimal("2000.00")
    assert row["employer_match_amount"] == Decimal("1600.00")
    assert row["employer_core_amount"] == Decimal("1200.00")
    assert rows(db, """select count(*) as n from fct_yearly_events
                       where employee_id = 'AGE19_PARTICIPANT' and event_type = 'eligibility'""") == [{"n": 0}]


def test_every_money_column_of_the_safe_harbor_run_is_exact(safe_harbor_run):
    base, db, _ = safe_harbor_run
    assert_exact(base, db)


# ----- census participants under the entry rules ------------------------------------------

@pytest.fixture(scope="module")
def entry_rules_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("money_entry_rules")
    census = write_census(base / "census.parquet", [
        ("AGE19_PARTICIPANT", date(2005, 6, 15), date(2023, 1, 1), 40_000, 0.05),
        ("AGE40", date(1985, 6, 15), date(2015, 1, 1), 60_000, 0.04),
    ])
    overrides = {**SAFE_HARBOR, "eligibility": {"grandfather_census_participants": False},
                 "enrollment": {**QUIET["enrollment"], "auto_enrollment": {"enabled": False},
                                "voluntary_enrollment": {"enabled": False}}}
    result, db = run_scenario(base, census, overrides, years=(2025, 2026))
    return base, db, snapshot_of(db)


def test_without_grandfathering_a_census_participant_defers_only_from_entry(entry_rules_run):
    """Entry at age 21 on Jun 15, 2026: nothing deferred in 2025; in 2026 the census 5% from that
    day, 200 of 365 days: 40,000 x 5% x 200 / 365 = $1,095.89."""
    _, db, snapshot = entry_rules_run
    first = snapshot[("AGE19_PARTICIPANT", 2025)]
    assert first["is_eligible"] is False and first["prorated_annual_contributions"] == 0
    assert first["employer_match_amount"] == 0 and first["is_enrolled_flag"] is False
    second = snapshot[("AGE19_PARTICIPANT", 2026)]
    assert second["eligibility_date"] == date(2026, 6, 15)
    assert second["prorated_annual_contributions"] == half_up(Decimal(40_000) * Decimal("0.05") * 200 / 365)
    assert second["prorated_annual_contributions"] == Decimal("1095.89")
    assert rows(db, """select simulation_year, effective_date, event_category from fct_yearly_events
                       where employee_id = 'AGE19_PARTICIPANT' and event_type = 'enrollment'""") == [
        {"simulation_year": 2026, "effective_date": date(2026, 6, 15), "event_category": "census"}]
    # An adult census participant meets the rules anyway: enrolled on Jan 1 as before.
    assert snapshot[("AGE40", 2025)]["prorated_annual_contributions"] == Decimal("2400.00")


def test_every_money_column_of_the_entry_rules_run_is_exact(entry_rules_run):
    base, db, _ = entry_rules_run
    assert_exact(base, db)


# ----- leavers: service ends at termination -----------------------------------------------

@pytest.fixture(scope="module")
def leavers_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("money_leavers")
    people = [(f"ONE_YEAR_{i:02d}", date(1980, 1, 1), date(2023, 12, 31), 70_000, 0.06) for i in range(12)]
    people += [(f"LONG_{i:02d}", date(1980, 1, 1), date(2020, 1, 1), 70_000, 0.06) for i in range(6)]
    census = write_census(base / "census.parquet", people)
    two_years = {"minimum_tenure_years": 2, "require_active_at_year_end": False, "minimum_hours_annual": 1000}
    overrides = {**QUIET,
                 "workforce": {"total_termination_rate": 1.0, "new_hire_termination_rate": 0.0},
                 "employer_match": {"eligibility": two_years},
                 "employer_core_contribution": {"eligibility": two_years}}
    result, db = run_scenario(base, census, overrides, years=(2025, 2025))
    return base, db, snapshot_of(db)


def test_a_leavers_service_ends_at_termination(leavers_run):
    """Hired Dec 31, 2023 and leaving before Dec 31, 2025: one completed year, so a 2-year
    service requirement keeps them out of match and core even with 1,000 hours and no
    last-day rule; those with more service get both."""
    _, _, snapshot = leavers_run
    short = [r for (eid, _), r in snapshot.items() if eid.startswith("ONE_YEAR")
             and r["termination_date"] < date(2025, 12, 31)]
    worked = [r for r in short if r["days_employed"] * 2080 / 365 >= 1000]
    assert worked, "no leaver with 1,000 hours: change the seed"
    for r in short:
        assert r["current_tenure"] == 1
        assert r["employer_match_amount"] == 0 and r["employer_core_amount"] == 0
    long = [r for (eid, _), r in snapshot.items() if eid.startswith("LONG")
            and r["days_employed"] * 2080 / 365 >= 1000]
    assert long and all(r["employer_match_amount"] > 0 and r["employer_core_amount"] > 0 for r in long)


def test_every_money_column_of_the_leavers_run_is_exact(leavers_run):
    base, db, _ = leavers_run
    assert_exact(base, db)


# ----- years with published IRS limits ----------------------------------------------------

def test_a_run_can_start_in_2015_with_that_years_published_limits(tmp_path):
    """IRS Notice 2014-70 (2015): 402(g) 18,000, catch-up 6,000; Notice 2015-75 (2016): the same.
    The 2015 HCE test looks back to the 2014 threshold (115,000, Notice 2013-73)."""
    census = write_census(tmp_path / "census.parquet", [
        ("AGE55", date(1960, 6, 15), date(2005, 1, 1), 300_000, 0.5),
        ("AGE40", date(1975, 6, 15), date(2005, 1, 1), 120_000, 0.5),
        ("AGE30", date(1985, 6, 15), date(2010, 1, 1), 60_000, 0.05),
    ])
    run_scenario(tmp_path, census, QUIET, years=(2015, 2016))
    snapshot = snapshot_of(tmp_path / "simulation.duckdb")
    assert snapshot[("AGE55", 2015)]["prorated_annual_contributions"] == Decimal("24000.00")
    assert snapshot[("AGE40", 2015)]["prorated_annual_contributions"] == Decimal("18000.00")
    assert snapshot[("AGE40", 2015)]["is_hce"] is True and snapshot[("AGE30", 2015)]["is_hce"] is False
    assert snapshot[("AGE55", 2016)]["prorated_annual_contributions"] == Decimal("24000.00")
    assert_exact(tmp_path, tmp_path / "simulation.duckdb")


def test_validate_refuses_a_start_year_before_the_published_limits_in_one_line(tmp_path):
    config = tmp_path / "early.yaml"
    config.write_text("simulation:\n  start_year: 2014\n  end_year: 2015\n")
    proc = subprocess.run([sys.executable, "-m", "navigator_orchestrator.cli", "validate", "-c", str(config)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert "start_year 2014 is before 2015" in lines[0] and "set simulation.start_year to 2015 or later" in lines[0]
