"""Census facts reaching a real simulation: known terminations, rehires' service, one read."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest
import yaml

from conftest import deep_merge, query
from navigator_orchestrator.census.intake import generate_census
from navigator_orchestrator.config.schema import DEFAULT_CONFIG, load_config
from navigator_orchestrator.engine.simulation import Simulation
from navigator_orchestrator.reporting.observe import RunInfo, RunObserver

# Pay stays flat (no COLA, merit or promotion) so a leaver's pay is checked to the cent.
FLAT_PAY = {
    "compensation": {"cola_rate": 0, "merit_budget": 0}, "promotion": {"enabled": False},
    "deferral_auto_escalation": {"enabled": False},
    "enrollment": {"deferral_change": {"annual_probability": 0}},
    "employer_match": {"active_formula": "safe_harbor_basic",
                       "eligibility": {"require_active_at_year_end": False, "minimum_hours_annual": 0}},
    "employer_core_contribution": {"contribution_rate": 0.03, "eligibility": {
        "require_active_at_year_end": False, "minimum_hours_annual": 0}},
}

# employee_id -> (hire, termination, rehire): the rehire cases of docs/census.md
REHIRES = {
    "EMP_000003": ("2000-01-01", "2019-06-30", "2020-03-01"),  # 8-month break: bridged
    "EMP_000004": ("2010-01-01", "2015-01-01", "2018-01-01"),  # 3-year break < 5: earlier 5 years credited
    "EMP_000005": ("2005-01-01", "2007-01-01", "2014-01-01"),  # 7-year break >= max(5, 2): rule of parity
    "EMP_000006": ("2005-01-01", None, "2016-05-01"),          # earlier termination unknown
}


def census_with_facts(directory: Path) -> Path:
    """A generated census plus two known terminations and the rehire cases, as a CSV."""
    src = generate_census(400, 7, directory / "generated.parquet", date(2024, 12, 31))
    cases = " ".join(
        f"WHEN '{i}' THEN struct_pack(h := DATE '{h}', t := {f'DATE {t!r}' if t else 'NULL::DATE'}, "
        f"r := DATE '{r}')" for i, (h, t, r) in REHIRES.items())
    out = directory / "census.csv"
    with duckdb.connect() as con:
        con.execute(f"""COPY (
            WITH c AS (SELECT *, CASE employee_id {cases} END AS rh FROM read_parquet('{src}'))
            SELECT * EXCLUDE (rh) REPLACE (
                CASE WHEN employee_id IN ('EMP_000001', 'EMP_000002') OR rh IS NOT NULL THEN true
                     ELSE active END AS active,
                CASE WHEN rh IS NOT NULL THEN DATE '1970-01-01' ELSE employee_birth_date END
                    AS employee_birth_date,
                coalesce(rh.h, employee_hire_date) AS employee_hire_date,
                CASE employee_id WHEN 'EMP_000001' THEN DATE '2025-03-15'
                     WHEN 'EMP_000002' THEN DATE '2026-07-01'
                     ELSE CASE WHEN rh IS NOT NULL THEN rh.t ELSE employee_termination_date END
                END AS employee_termination_date,
                CASE WHEN employee_id = 'EMP_000001' THEN 73000 ELSE employee_gross_compensation END
                    AS employee_gross_compensation,
                CASE WHEN employee_id = 'EMP_000001' THEN 0.06 ELSE employee_deferral_rate END
                    AS employee_deferral_rate),
                rh.r AS employee_rehire_date
            FROM c) TO '{out}' (HEADER)""")
    return out


def run(directory: Path, census: Path, overrides: dict, end_year: int = 2026,
        observer: RunObserver | None = None) -> Path:
    data = deep_merge(yaml.safe_load(DEFAULT_CONFIG.read_text()), {
        "simulation": {"start_year": 2025, "end_year": end_year},
        "setup": {"census_parquet_path": str(census)},
    })
    cfg = directory / "config.yaml"
    cfg.write_text(yaml.safe_dump(deep_merge(data, overrides)))
    db = directory / "sim.duckdb"
    Simulation(load_config(cfg), db, observer=observer).run()
    return db


@pytest.fixture(scope="module")
def facts_run(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("facts")
    return run(directory, census_with_facts(directory), FLAT_PAY)


def cents(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_known_termination_leaves_on_its_date_to_the_dollar(facts_run: Path) -> None:
    events = query(facts_run, """select event_category, effective_date from fct_yearly_events
        where employee_id = 'EMP_000001' and event_type = 'termination'""")
    assert events == [("experienced_termination", date(2025, 3, 15))]
    row = query(facts_run, """select simulation_year, employment_status, termination_date,
        prorated_annual_compensation, prorated_annual_contributions, employer_match_amount,
        employer_core_amount from fct_workforce_snapshot where employee_id = 'EMP_000001'""")
    # Jan 1 - Mar 15, 2025 is 74 of 365 days: pay 73,000 x 74 / 365; 6% deferral; safe harbor
    # basic match 100% of 3% + 50% of the next 2% = 4% of pay; core 3% of pay.
    pay = cents(Decimal(73000) * 74 / 365)
    assert pay == Decimal("14800.00")
    assert row == [(2025, "terminated", date(2025, 3, 15), pay, cents(pay * Decimal("0.06")),
                    cents(pay * Decimal("0.04")), cents(pay * Decimal("0.03")))]


def test_a_later_known_termination_waits_for_its_year(facts_run: Path) -> None:
    rows = query(facts_run, """select simulation_year, detailed_status_code, termination_date,
        prorated_annual_compensation from fct_workforce_snapshot where employee_id = 'EMP_000002'
        order by 1""")
    pay = Decimal(str(query(facts_run, "select employee_gross_compensation from raw_census "
                                       "where employee_id = 'EMP_000002'")[0][0]))
    # Jan 1 - Jul 1, 2026 is 182 of 365 days
    assert rows == [(2025, "continuous_active", None, cents(pay)),
                    (2026, "experienced_termination", date(2026, 7, 1), cents(pay * 182 / 365))]


def test_known_terminations_count_toward_the_exact_termination_count(facts_run: Path) -> None:
    for year, start, exp_terms, end in query(facts_run, """select simulation_year,
            count(*) filter (where detailed_status_code in ('continuous_active', 'experienced_termination')),
            count(*) filter (where detailed_status_code = 'experienced_termination'),
            count(*) filter (where employment_status = 'active')
            from fct_workforce_snapshot group by 1 order by 1"""):
        assert exp_terms == int((Decimal(start) * Decimal("0.12")).quantize(1, ROUND_HALF_UP))
        assert end == int((Decimal(start) * Decimal("1.03")).quantize(1, ROUND_HALF_UP))


def test_known_terminations_beyond_the_rate_still_land_on_target(tmp_path: Path) -> None:
    db = run(tmp_path, census_with_facts(tmp_path), {"workforce": {"total_termination_rate": 0.0}},
             end_year=2025)
    (start, exp_terms, end, who), = query(db, """select
        count(*) filter (where detailed_status_code in ('continuous_active', 'experienced_termination')),
        count(*) filter (where detailed_status_code = 'experienced_termination'),
        count(*) filter (where employment_status = 'active'),
        list(employee_id) filter (where detailed_status_code = 'experienced_termination')
        from fct_workforce_snapshot""")
    assert (exp_terms, who) == (1, ["EMP_000001"])
    assert end == int((Decimal(start) * Decimal("1.03")).quantize(1, ROUND_HALF_UP))


def test_rehires_service_follows_the_break_in_service_rule(facts_run: Path) -> None:
    rows = dict((r[0], r[1:]) for r in query(facts_run, """select employee_id, employee_hire_date,
        current_tenure from fct_workforce_snapshot where simulation_year = 2025
        and employee_id in ('EMP_000003', 'EMP_000004', 'EMP_000005', 'EMP_000006')"""))
    assert rows == {
        "EMP_000003": (date(2000, 1, 1), 25),   # bridged: service from the original hire
        "EMP_000004": (date(2013, 1, 1), 12),   # 2018-01-01 less the 1,826 days of 2010-2015
        "EMP_000005": (date(2014, 1, 1), 11),   # earlier service disregarded
        "EMP_000006": (date(2016, 5, 1), 9),    # from the rehire date
    }


class SwapCensusAfterLock(RunObserver):
    """Replaces the census file once the run holds the lock and has backed up the database."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text = path, text

    def run_started(self, info: RunInfo) -> None:
        self.path.write_text(self.text)


def test_a_census_swapped_during_the_lock_and_backup_is_not_loaded(tmp_path: Path) -> None:
    census = tmp_path / "census.csv"
    with duckdb.connect() as con:
        src = generate_census(200, 5, tmp_path / "g.parquet", date(2024, 12, 31))
        con.execute(f"COPY (SELECT * FROM read_parquet('{src}')) TO '{census}' (HEADER)")
    original = census.read_bytes()
    lines = original.decode().splitlines()
    header = lines[0].split(",")
    k = header.index("employee_deferral_rate")
    swapped = "\n".join([lines[0]] + [",".join(f if i != k else "20" for i, f in enumerate(line.split(",")))
                                      for line in lines[1:]]) + "\n"
    db = tmp_path / "sim.duckdb"
    run(tmp_path, census, {}, end_year=2025)  # a database to back up
    run(tmp_path, census, {}, end_year=2025, observer=SwapCensusAfterLock(census, swapped))
    assert census.read_text() == swapped
    assert query(db, "select max(employee_deferral_rate) from raw_census")[0][0] <= 1
    hashes = [r[0] for r in query(db, "select census_hash from int_simulation_run_log order by started_at")]
    assert hashes == [hashlib.sha256(original).hexdigest()] * 2
