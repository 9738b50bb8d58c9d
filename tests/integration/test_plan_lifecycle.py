"""The plan over several years of the default scenario: the snapshot is the fold of the events.

One shared run (the session's default scenario on the 400-person census, 2025-2027) backs every
test here, plus the dbt unit tests (worked examples with their IRS sources) and the plan models'
data tests on a copy of the same database.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import defaultdict
from decimal import Decimal

import duckdb
import pytest

from conftest import copy_database
from navigator_orchestrator.engine import database
from navigator_orchestrator.reporting.compare import estimated_limit_years
from navigator_orchestrator.config.schema import DBT_PROJECT_DIR, load_config
from navigator_orchestrator.engine.dbt_runner import DbtRunner
from money_reference import half_up, recompute
from plan_support import rows


@pytest.fixture(scope="module")
def default_run(finished_2025_2027):
    """The run's result, its database and its config (shared, read-only)."""
    run = finished_2025_2027
    return run.result, run.database, run.config


@pytest.fixture(scope="module")
def snapshot(default_run):
    _, db, _ = default_run
    return {(r["employee_id"], r["simulation_year"]): r
            for r in rows(db, "select * from fct_workforce_snapshot")}


@pytest.fixture(scope="module")
def events(default_run):
    _, db, _ = default_run
    by_person = defaultdict(list)
    for r in rows(db, "select * from fct_yearly_events order by employee_id, simulation_year, event_sequence"):
        by_person[(r["employee_id"], r["simulation_year"])].append(r)
    return by_person


def test_dbt_unit_and_data_tests_of_the_plan_models_pass(default_run, tmp_path):
    """Unit tests: dbt/models/intermediate/plan/_plan_unit_tests.yml (IRS Notices 2024-80, 2025-67)."""
    _, shared, config_path = default_run
    db = copy_database(shared, tmp_path / "simulation.duckdb")
    config = load_config(config_path)
    dbt_vars = {**config.to_dbt_vars(), "simulation_year": 2027, "run_id": "test"}
    runner = DbtRunner(db)
    try:
        # One invocation: every unit test of the project and every test of the plan models (the
        # union runs each test once; check=True raises on any failing test).
        done = runner.invoke(["test", "--select", "test_type:unit", "path:models/intermediate/plan"], dbt_vars)
    finally:
        runner.close()
    ran = {n.name for n in done.nodes}
    unit_tests = {name for spec in DBT_PROJECT_DIR.glob("models/**/*_unit_tests.yml")
                  for name in re.findall(r"^- name: (\w+)", spec.read_text(), re.M)}
    assert len(unit_tests) > 20 and unit_tests <= ran, sorted(unit_tests - ran)
    assert len(ran - unit_tests) > 20  # the plan models' data tests


def test_every_money_column_is_the_exact_decimal_amount_rounded_half_up(default_run, snapshot):
    """Pay earned, deferrals, catch-up, match and core of every employee-year, including mid-year
    hires, terminations, raises and rate changes, recomputed exactly from the event log and the
    config (tests/money_reference.py) and rounded half up to the cent once (docs/money.md).

    Worked example of the deferral rule: hired Jul 1, 2025 at 73,000 and auto-enrolled at 6% on
    Aug 15 (45-day window), still employed on Dec 31: 139 days x 73,000 x 6% / 365 = 1,668.00.
    """
    _, db, config_path = default_run
    checked, problems = recompute(db, load_config(config_path))
    assert checked == len(snapshot) and problems == []
    statuses = {r["detailed_status_code"] for r in snapshot.values() if r["prorated_annual_contributions"] > 0}
    assert {"new_hire_active", "new_hire_termination", "experienced_termination"} <= statuses
    assert half_up(Decimal(139) * 73_000 * Decimal("0.06") / 365) == Decimal("1668.00")


def test_plan_events_fall_inside_employment(default_run):
    _, db, _ = default_run
    bad = rows(db, """
        select e.employee_id, e.simulation_year, e.event_type, e.effective_date
        from fct_yearly_events as e
        join fct_workforce_snapshot as s using (employee_id, simulation_year)
        where e.event_type in ('eligibility', 'enrollment', 'opt_out', 'deferral_change', 'deferral_escalation')
          and (e.effective_date < s.employee_hire_date
               or e.effective_date > coalesce(s.termination_date, make_date(e.simulation_year, 12, 31))
               or year(e.effective_date) <> e.simulation_year)
    """)
    assert bad == []


def test_escalation_raises_by_the_increment_up_to_the_cap_and_stops(snapshot, events):
    reached_cap = []
    for (eid, year), evs in events.items():
        for e in evs:
            if e["event_type"] != "deferral_escalation":
                continue
            before, after = float(e["prev_employee_deferral_rate"]), float(e["employee_deferral_rate"])
            assert before < after <= 0.10
            assert after == pytest.approx(min(before + 0.01, 0.10))
            if after == pytest.approx(0.10):
                reached_cap.append((eid, year))
    assert reached_cap
    # Once at the cap, never escalated again.
    for eid, year in reached_cap:
        later = [e for y in range(year + 1, 2028) for e in events.get((eid, y), [])
                 if e["event_type"] == "deferral_escalation"]
        assert later == []


def test_an_opt_out_is_never_silently_re_enrolled(snapshot, events):
    opted = {eid: year for (eid, year), evs in events.items()
             for e in evs if e["event_type"] == "opt_out"}
    assert opted, "the default scenario should produce some opt-outs"
    for eid, year in opted.items():
        for y in range(year, 2028):
            row = snapshot.get((eid, y))
            if row is None:
                continue
            assert row["ever_opted_out"] is True
            assert row["is_enrolled_flag"] is False and float(row["current_deferral_rate"]) == 0
            later = [e for e in events.get((eid, y), [])
                     if e["event_type"] in ("enrollment", "deferral_escalation", "deferral_change")
                     and (y > year or e["event_sequence"] > _opt_out_sequence(events[(eid, year)]))]
            assert later == [], (eid, y)


def _opt_out_sequence(evs: list[dict]) -> int:
    return next(e["event_sequence"] for e in evs if e["event_type"] == "opt_out")


def test_opt_outs_fall_inside_the_grace_period(events):
    for evs in events.values():
        auto = [e for e in evs if e["event_type"] == "enrollment" and e["event_category"] == "auto"]
        for e in evs:
            if e["event_type"] == "opt_out":
                assert auto, "an opt-out follows an auto-enrollment of the same year"
                assert 0 <= (e["effective_date"] - auto[0]["effective_date"]).days <= 90


def test_census_participants_keep_their_census_rate(default_run, small_census):
    _, db, _ = default_run
    mismatched = rows(db, f"""
        select c.employee_id
        from read_parquet('{small_census}') as c
        join fct_yearly_events as e
          on e.employee_id = c.employee_id and e.event_type = 'enrollment' and e.simulation_year = 2025
        where e.event_category = 'census' and abs(e.employee_deferral_rate - c.employee_deferral_rate) > 1e-6
    """)
    assert mismatched == []
    census_participants = rows(db, f"""
        select count(*) as n from read_parquet('{small_census}')
        where employee_deferral_rate > 0 and employee_termination_date is null""")[0]["n"]
    census_events = rows(db, """select count(*) as n from fct_yearly_events
                                where event_category = 'census'""")[0]["n"]
    assert census_events == census_participants


def test_match_events_mirror_the_snapshot(default_run):
    _, db, _ = default_run
    diff = rows(db, """
        select s.employee_id, s.simulation_year
        from fct_workforce_snapshot as s
        full join fct_employer_match_events as m using (employee_id, simulation_year)
        where coalesce(s.employer_match_amount, 0) <> coalesce(m.amount, 0)
    """)
    assert diff == []
    detail = json.loads(rows(db, "select event_details from fct_employer_match_events limit 1")[0]["event_details"])
    assert {"formula_id", "tiers", "employee_deferral", "match_compensation"} <= set(detail)


def test_match_needs_the_last_day_and_1000_hours(default_run):
    _, db, _ = default_run
    wrong = rows(db, """
        select employee_id from fct_workforce_snapshot
        where employer_match_amount > 0
          and (employment_status <> 'active' or days_employed * 2080.0 / 365 < 999 or not is_eligible)
    """)
    assert wrong == []


def test_participation_among_eligible_actives_is_near_published_figures(default_run):
    """Vanguard How America Saves 2025: about 94% participation in auto-enrollment plans."""
    result, _, _ = default_run
    for year in result.years:
        assert 0.88 <= year.participation_rate <= 0.99, year
        assert 0.06 <= year.average_deferral_rate <= 0.11, year


def test_only_projected_years_carry_an_estimate_note(default_run):
    result, _, _ = default_run
    notes = {y.year: y.notes for y in result.years}
    assert notes[2025] == [] and notes[2026] == []
    assert len(notes[2027]) == 1 and "estimated IRS limits" in notes[2027][0]


def test_compare_names_the_estimated_years_from_the_database_file_alone(default_run, tmp_path):
    """compare's note on projected IRS limits agrees with int_irs_limits.is_estimate, and holds
    for a copy of the database without its work file (where int_irs_limits lives)."""
    _, db, _ = default_run
    with database.connect(db) as conn:
        flagged = [r[0] for r in conn.execute(
            f"select limit_year from {database.WORK_CATALOG}.int_irs_limits "
            "where is_estimate and limit_year between 2025 and 2027 order by 1").fetchall()]
    assert flagged == [2027]
    alone = tmp_path / "alone.duckdb"
    shutil.copy(db, alone)  # the database file only
    with duckdb.connect(str(alone), read_only=True) as conn:
        assert estimated_limit_years(conn, 2025, 2027) == flagged
        assert estimated_limit_years(conn, 2025, 2026) == []
