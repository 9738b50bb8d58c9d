"""Workforce simulation (DESIGN §5 steps 1-5) on real small runs."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import duckdb
import pytest

from conftest import query, write_scenario
from money_reference import half_up
from navigator_orchestrator.config.schema import load_config
from navigator_orchestrator.engine.simulation import Simulation


def round_half_away(x: Decimal) -> int:
    return int(x.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def run_scenario(directory: Path, census: Path, overrides: dict, end_year: int = 2027) -> Path:
    db = directory / "sim.duckdb"
    Simulation(load_config(write_scenario(directory, census, overrides, end_year=end_year)), db).run()
    return db


@pytest.fixture(scope="module")
def default_run(finished_2025_2027) -> Path:
    """One 3-year run with the default assumptions, shared by the read-only checks below."""
    return finished_2025_2027.database


def yearly_counts(db: Path) -> list[tuple]:
    return query(db, """
        select simulation_year,
               count(*) filter (where detailed_status_code in ('continuous_active', 'experienced_termination')) as start_w,
               count(*) filter (where detailed_status_code in ('new_hire_active', 'new_hire_termination')) as hires,
               count(*) filter (where detailed_status_code = 'experienced_termination') as exp_terms,
               count(*) filter (where detailed_status_code = 'new_hire_termination') as nh_terms,
               count(*) filter (where employment_status = 'active') as end_w,
               count(*) filter (where termination_category = 'reduction_in_force') as rif
        from fct_workforce_snapshot group by 1 order by 1
    """)


@pytest.mark.parametrize(
    "growth, termination_rate, new_hire_termination_rate",
    [("0.03", "0.12", "0.25"), ("0", "0.20", "0.10"), ("-0.05", "0.08", "0.30"), ("0.10", "0.35", "0.45")],
)
def test_growth_lands_exactly_on_target(tmp_path, small_census, growth, termination_rate, new_hire_termination_rate):
    g, t, r = Decimal(growth), Decimal(termination_rate), Decimal(new_hire_termination_rate)
    db = run_scenario(tmp_path, small_census, {
        "simulation": {"target_growth_rate": float(g)},
        "workforce": {"total_termination_rate": float(t), "new_hire_termination_rate": float(r)},
    }, end_year=2026)
    rows = yearly_counts(db)
    assert [row[0] for row in rows] == [2025, 2026]
    for year, start, hires, exp_terms, nh_terms, end, rif in rows:
        target = round_half_away(start * (1 + g))
        assert end == target, f"{year}: ended at {end}, target {target}"
        assert exp_terms == round_half_away(start * t), f"{year}: experienced terminations"
        assert rif == 0
        assert nh_terms == round_half_away(hires * r), f"{year}: new-hire terminations"
        # H is the smallest hire count that reaches the target.
        if hires:
            smaller = hires - 1
            assert start - exp_terms + smaller - round_half_away(smaller * r) < target


def test_deep_cut_uses_reduction_in_force_and_no_hires(tmp_path, small_census):
    db = run_scenario(tmp_path, small_census, {
        "simulation": {"target_growth_rate": -0.30},
        "workforce": {"total_termination_rate": 0.05},
    }, end_year=2026)
    for year, start, hires, exp_terms, nh_terms, end, rif in yearly_counts(db):
        assert hires == 0 and nh_terms == 0
        assert end == round_half_away(start * Decimal("0.70"))
        assert exp_terms == start - end
        assert rif == start - end - round_half_away(start * Decimal("0.05"))


def test_no_event_outside_its_year_or_employment(default_run):
    bad = query(default_run, """
        select e.event_type, e.event_category, count(*)
        from fct_yearly_events e
        join fct_workforce_snapshot s using (employee_id, simulation_year)
        where year(e.effective_date) <> e.simulation_year
           or e.effective_date < s.employee_hire_date
           or (s.termination_date is not null and e.effective_date > s.termination_date)
        group by all
    """)
    assert bad == []


def test_new_hire_terminations_fall_after_hire_inside_the_year(default_run):
    rows = query(default_run, """
        select count(*), count(*) filter (where t.effective_date > h.effective_date
                                          and t.effective_date <= make_date(t.simulation_year, 12, 31))
        from fct_yearly_events t
        join fct_yearly_events h on h.employee_id = t.employee_id and h.event_type = 'hire'
        where t.event_category = 'new_hire_termination'
    """)
    total, ok = rows[0]
    assert total > 0 and ok == total


def test_year_end_actives_are_next_year_start_population(default_run):
    gaps = query(default_run, """
        with ends as (select simulation_year + 1 as y, employee_id from fct_workforce_snapshot
                      where employment_status = 'active'),
             starts as (select simulation_year as y, employee_id from fct_workforce_snapshot
                        where not detailed_status_code like 'new_hire%')
        select count(*) from (
            (select * from ends where y <= 2027 except select * from starts)
            union all
            (select * from starts where y > 2025 except select * from ends))
    """)
    assert gaps == [(0,)]


def test_nobody_reappears_after_termination(default_run):
    rows = query(default_run, """
        select count(*) from fct_workforce_snapshot later
        join fct_workforce_snapshot earlier
          on later.employee_id = earlier.employee_id and later.simulation_year > earlier.simulation_year
        where earlier.employment_status = 'terminated'
    """)
    assert rows == [(0,)]


def test_one_snapshot_row_per_employee_year(default_run):
    rows = query(default_run, """
        select count(*) - count(distinct (employee_id, simulation_year)) from fct_workforce_snapshot
    """)
    assert rows == [(0,)]


def test_hire_ids_never_collide_across_years(default_run):
    rows = query(default_run, """
        select count(*), count(distinct employee_id) from fct_yearly_events where event_type = 'hire'
    """)
    total, distinct = rows[0]
    assert total > 0 and total == distinct
    census_ids = query(default_run, "select count(*) from raw_census r join fct_yearly_events e "
                                    "on e.employee_id = r.employee_id and e.event_type = 'hire'")
    assert census_ids == [(0,)]


def test_each_raise_follows_from_its_own_previous_amount_to_the_cent(default_run):
    """previous_compensation x (1 + raise_pct), rounded half up to the cent, event by event.

    A second change in a year starts from the first one's rounded amount (not from the Jan 1
    rate compounded), and the last change is the year-end rate (docs/money.md).
    """
    rows = query(default_run, """
        select e.employee_id, e.simulation_year, e.previous_compensation, e.compensation_amount,
               (e.event_details->>'raise_pct') as raise_pct, s.starting_compensation, s.current_compensation
        from fct_yearly_events e join fct_workforce_snapshot s using (employee_id, simulation_year)
        where e.event_type in ('promotion', 'raise')
        order by e.employee_id, e.simulation_year, e.event_sequence
    """)
    chains: dict[tuple, list] = {}
    for eid, year, previous, amount, pct, starting, current in rows:
        chains.setdefault((eid, year), []).append((previous, amount, Decimal(pct), starting, current))
    assert chains and any(len(c) == 2 for c in chains.values())
    differs_from_compounding = 0
    for key, chain in chains.items():
        rate = chain[0][3]
        factor = Decimal(1)
        for previous, amount, pct, _, _ in chain:
            assert previous == rate, key
            rate = half_up(previous * (1 + pct))
            assert amount == rate, key
            factor *= 1 + pct
        assert chain[-1][4] == rate, key
        differs_from_compounding += rate != half_up(chain[0][3] * factor)
    # The run has second changes where compounding from Jan 1 would land a cent away.
    assert differs_from_compounding > 0


def test_pay_is_prorated_over_employment_and_raise_periods(default_run):
    # A hire with no raise earns rate x days employed / days in year, rounded half up to the cent.
    rows = query(default_run, """
        select s.prorated_annual_compensation, s.starting_compensation,
               date_diff('day', s.employee_hire_date, coalesce(s.termination_date, make_date(s.simulation_year, 12, 31))) + 1,
               date_diff('day', make_date(s.simulation_year, 1, 1), make_date(s.simulation_year, 12, 31)) + 1
        from fct_workforce_snapshot s
        where s.detailed_status_code like 'new_hire%'
    """)
    assert rows
    for earned, rate, days, days_in_year in rows:
        assert earned == half_up(Fraction(rate) * days / days_in_year)
    # Someone with a raise earns between the old and new rates.
    rows = query(default_run, """
        select s.starting_compensation, s.current_compensation, s.prorated_annual_compensation
        from fct_workforce_snapshot s
        where s.detailed_status_code = 'continuous_active' and s.current_compensation > s.starting_compensation
    """)
    assert rows and all(a <= p <= c for a, c, p in rows)


def test_raises_only_for_people_employed_on_the_effective_date(default_run):
    rows = query(default_run, """
        select count(*) from fct_yearly_events e join fct_workforce_snapshot s using (employee_id, simulation_year)
        where e.event_type in ('promotion', 'raise')
          and (s.detailed_status_code like 'new_hire%'
               or (s.termination_date is not null and s.termination_date <= e.effective_date))
    """)
    assert rows == [(0,)]


def test_behaviours_switch_off(tmp_path, small_census):
    db = run_scenario(tmp_path, small_census, {
        "simulation": {"target_growth_rate": 0.0},
        "workforce": {"total_termination_rate": 0.0, "new_hire_termination_rate": 0.0},
        "promotion": {"enabled": False},
        "compensation": {"cola_rate": 0.0, "merit_budget": 0.0},
    }, end_year=2026)
    counts = dict(query(db, "select event_type, count(*) from fct_yearly_events group by 1"))
    assert counts.get("termination", 0) == 0
    assert counts.get("hire", 0) == 0
    assert counts.get("promotion", 0) == 0 and counts.get("raise", 0) == 0
    start = query(db, "select count(*) from raw_census where active")[0][0]
    assert query(db, "select count(*) from fct_workforce_snapshot where simulation_year = 2026 "
                     "and employment_status = 'active'") == [(start,)]


def _published(db: Path, last_year: int) -> tuple[list, list]:
    """Events and snapshot rows up to `last_year` (a year's rows do not depend on how many years
    the run went on to simulate)."""
    events = query(db, "select * exclude (run_id) from fct_yearly_events where simulation_year <= ? "
                       "order by event_id", [last_year])
    snapshot = query(db, "select * exclude (run_id) from fct_workforce_snapshot where simulation_year <= ? "
                         "order by employee_id, simulation_year", [last_year])
    return events, snapshot


def test_same_seed_gives_identical_tables(tmp_path, small_census, default_run):
    again = run_scenario(tmp_path, small_census, {}, end_year=2026)  # a year that continues from another
    assert _published(again, 2026) == _published(default_run, 2026)
    assert _published(again, 2026)[0]


def test_another_seed_gives_different_tables(tmp_path, small_census, default_run):
    other = run_scenario(tmp_path, small_census, {"simulation": {"random_seed": 43}}, end_year=2025)
    assert _published(other, 2025)[0] != _published(default_run, 2025)[0]



def test_termination_events_carry_the_pay_and_level_in_effect(default_run):
    rows = query(default_run, """
        select count(*), count(*) filter (where e.compensation_amount = s.current_compensation
                                          and e.level_id = s.level_id)
        from fct_yearly_events e join fct_workforce_snapshot s using (employee_id, simulation_year)
        where e.event_type = 'termination'
    """)
    total, ok = rows[0]
    assert total > 0 and ok == total
