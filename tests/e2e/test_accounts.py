"""Accounts, vesting and forfeitures as a user meets them: the worked example through the
`navigator` program, its variants through the same command in this process, and the bad inputs it
refuses with one `Error:` line (docs/plan.md)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from conftest import deep_merge, navigator, query
from plan_support import write_census_csv
from navigator_orchestrator.cli import main
from navigator_orchestrator.config.schema import DEFAULT_CONFIG

# No new money: no enrollment of any kind, no match, no core, no return.
NO_NEW_MONEY = {
    "enrollment": {"auto_enrollment": {"enabled": False}, "proactive_enrollment": {"enabled": False},
                   "voluntary_enrollment": {"enabled": False}, "deferral_change": {"annual_probability": 0}},
    "deferral_auto_escalation": {"enabled": False},
    "employer_match": {"enabled": False},
    "employer_core_contribution": {"enabled": False},
    "accounts": {"annual_return": 0.0},
}


def worked_example_census(path: Path) -> Path:
    """The leaver of the worked example and a few people who stay."""
    rows = [{"employee_id": "LEAVER", "employee_birth_date": "1985-04-12", "employee_hire_date": "2022-07-01",
             "employee_gross_compensation": 64000, "employee_termination_date": "2025-03-31",
             "employer_match_balance": "10000.00", "employee_deferral_balance": "4000.00"}]
    rows += [{"employee_id": f"STAY{i}", "employee_birth_date": "1975-01-15", "employee_hire_date": f"201{i}-03-01",
              "employee_gross_compensation": 70000 + 5000 * i, "employer_match_balance": 1000 * i}
             for i in range(1, 8)]
    return write_census_csv(path, rows)


def write_config(directory: Path, census: Path, overrides: dict) -> Path:
    """The default config on `census` for 2025, no turnover beyond the census's known departures."""
    data = deep_merge(yaml.safe_load(DEFAULT_CONFIG.read_text()), {
        "simulation": {"start_year": 2025, "end_year": 2025, "target_growth_rate": 0.0},
        "setup": {"census_parquet_path": str(census)},
        "workforce": {"total_termination_rate": 0.0, "new_hire_termination_rate": 0.0},
    })
    path = directory / "config.yaml"
    path.write_text(yaml.safe_dump(deep_merge(data, overrides), sort_keys=False))
    return path


def test_worked_example_graded_6_leaver_forfeits_8000_through_the_cli(tmp_path):
    """Hired 2022-07-01, match balance $10,000 at the census date, graded_6, no new money, 0% return,
    a known termination on 2025-03-31: 2 completed years -> 20% vested -> forfeiture $8,000.00."""
    census = worked_example_census(tmp_path / "census.csv")
    config = write_config(tmp_path, census, deep_merge(NO_NEW_MONEY, {"vesting": {"match": "graded_6"}}))
    db = tmp_path / "sim.duckdb"
    proc = navigator("run", "-c", str(config), "--database", str(db), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr

    (event,) = query(db, "select effective_date::varchar, event_details from fct_yearly_events "
                         "where employee_id = 'LEAVER' and event_type = 'forfeiture'")
    details = json.loads(event[1])
    assert event[0] == "2025-03-31"
    assert Decimal(str(details["amount"])) == Decimal("8000.00") == Decimal(str(details["employer_match"]))
    assert details["vesting_years"] == 2 and details["match_vested_percentage"] == 20

    snap = query(db, "select forfeiture_amount, match_vested_percentage, vested_employer_balance, "
                     "employer_match_balance, employee_deferral_balance from fct_workforce_snapshot "
                     "where employee_id = 'LEAVER'")
    assert snap == [(Decimal("8000.00"), Decimal("20.00"), Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))]
    paid = query(db, "select source, distribution, forfeiture from fct_employee_accounts "
                     "where employee_id = 'LEAVER' order by source")
    assert paid == [("employee_deferral", Decimal("4000.00"), Decimal("0.00")),
                    ("employer_match", Decimal("2000.00"), Decimal("8000.00"))]
    # Nobody else left; with no new money the forfeiture is unused against a zero gross cost.
    summary = query(db, "select total_employer_cost, forfeitures, forfeitures_used, net_employer_cost "
                        "from fct_plan_year_summary")
    assert summary == [(Decimal("0.00"), Decimal("8000.00"), Decimal("0.00"), Decimal("0.00"))]

    shown = navigator("employee", "LEAVER", "--database", str(db), cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    events, state = shown.stdout.split("Year-end state")
    assert re.search(r"2025-03-31\s+forfeiture\s+vesting_forfeiture\s+.*8,000\.00", events), events
    header, row = state.strip().splitlines()[1:3]
    cells = dict(zip(re.split(r"\s{2,}", header.strip()), re.split(r"\s{2,}", row.strip())))
    assert cells["match bal $"] == "0.00" and cells["match vested"] == "20%" and cells["forfeited $"] == "8,000.00"
    assert cells["deferral bal $"] == "0.00" and cells["vested employer $"] == "0.00"


@pytest.mark.parametrize("use, used, net", [
    ("reduce_employer_contributions", "8000.00", None),
    ("pay_expenses", "8000.00", "gross"),
    ("reallocate", "8000.00", "gross"),
])
def test_forfeiture_use_sets_forfeitures_used_and_net_employer_cost(tmp_path, capsys, use, used, net):
    """With a match for those who stay, the $8,000.00 forfeiture reduces the employer's cost, pays
    expenses or is reallocated to the eligible actives (whose match balances then hold it)."""
    census = worked_example_census(tmp_path / "census.csv")
    overrides = deep_merge(NO_NEW_MONEY, {
        "vesting": {"match": "graded_6", "forfeiture_use": use},
        "employer_core_contribution": {"enabled": True, "contribution_rate": 0.2,
                                       "eligibility": {"minimum_hours_annual": 0}},
    })
    config = write_config(tmp_path, census, overrides)
    db = tmp_path / "sim.duckdb"
    assert main(["run", "-c", str(config), "--database", str(db)]) == 0, capsys.readouterr().err
    ((gross, forfeitures, forfeitures_used, net_cost),) = query(
        db, "select total_employer_cost, forfeitures, forfeitures_used, net_employer_cost from fct_plan_year_summary")
    assert gross > Decimal("8000") and forfeitures == Decimal("8000.00")
    assert forfeitures_used == Decimal(used)
    assert net_cost == (gross - Decimal(used) if net is None else gross)
    ((allocated,),) = query(db, "select coalesce(sum(forfeitures_allocated), 0) from fct_employee_accounts")
    assert allocated == (Decimal("8000.00") if use == "reallocate" else 0)


def test_a_misspelt_schedule_is_refused_with_a_did_you_mean(tmp_path, make_config):
    proc = navigator("validate", "-c", str(make_config({"vesting": {"match": "graded6"}})), cwd=tmp_path)
    assert proc.returncode != 0
    (line,) = [l for l in proc.stderr.splitlines() if l.strip()]
    assert line.startswith("Error:") and "vesting.match" in line and "did you mean 'graded_6'" in line


@pytest.mark.parametrize("safe_harbor, vesting, fine", [
    ("basic_match", {"match": "cliff_3"}, False),
    ("basic_match", {"core": "graded_6"}, True),      # the core is not the safe-harbor contribution
    ("nonelective", {"core": "cliff_1"}, False),
    ("qaca_match", {"match": "qaca_2"}, True),
    ("qaca_match", {"match": "cliff_3"}, False),
    ("qaca_nonelective", {"core": "graded_2"}, True),
])
def test_a_schedule_on_a_safe_harbor_contribution_is_refused(tmp_path, make_config, safe_harbor, vesting, fine):
    config = make_config({"ndt": {"safe_harbor": safe_harbor}, "vesting": vesting})
    proc = navigator("validate", "-c", str(config), cwd=tmp_path)
    if fine:
        assert proc.returncode == 0, proc.stderr
    else:
        assert proc.returncode != 0
        (line,) = [l for l in proc.stderr.splitlines() if l.strip()]
        assert line.startswith("Error:") and f"ndt.safe_harbor {safe_harbor}" in line and "vesting." in line


def test_a_return_mapping_must_cover_the_first_simulated_year(tmp_path, make_config):
    proc = navigator("validate", "-c", str(make_config({"accounts": {"annual_return": {2026: 0.05}}})), cwd=tmp_path)
    assert proc.returncode != 0
    assert proc.stderr.strip().startswith("Error:") and "accounts.annual_return" in proc.stderr


@pytest.mark.parametrize("cell, problem", [("-250.00", "negative_balance"), ("lots", "unparseable_number")])
def test_a_bad_census_balance_is_refused_before_anything_is_written(tmp_path, cell, problem):
    rows = [{"employee_id": "E1", "employee_birth_date": "1980-01-01", "employee_hire_date": "2015-01-01",
             "employee_gross_compensation": 60000, "employer_match_balance": cell}]
    census = write_census_csv(tmp_path / "census.csv", rows)
    config = write_config(tmp_path, census, {})
    db = tmp_path / "sim.duckdb"
    proc = navigator("run", "-c", str(config), "--database", str(db), cwd=tmp_path)
    assert proc.returncode != 0
    errors = [l for l in proc.stderr.splitlines() if l.startswith("Error:")]
    assert len(errors) == 1 and problem in errors[0] and "employer_match_balance" in errors[0]
    assert not db.exists() or not query(db, "select 1 from information_schema.tables where table_name = 'raw_census'")
    check = navigator("census", "validate", str(census), cwd=tmp_path)
    assert check.returncode != 0 and problem in check.stdout + check.stderr


def test_census_vesting_service_counts_from_the_census_date(tmp_path, capsys):
    """vesting_service_years 2.5 at 2024-12-31 and graded_6: 2 completed years at 2025-03-31 -> 20%,
    though the hire date (2024-10-01) alone would give none."""
    rows = [{"employee_id": "PRIOR", "employee_birth_date": "1980-01-01", "employee_hire_date": "2024-10-01",
             "employee_gross_compensation": 60000, "employee_termination_date": "2025-03-31",
             "employer_match_balance": 500, "vesting_service_years": 2.5},
            {"employee_id": "STAY", "employee_birth_date": "1980-01-01", "employee_hire_date": "2015-01-01",
             "employee_gross_compensation": 60000}]
    census = write_census_csv(tmp_path / "census.csv", rows)
    config = write_config(tmp_path, census, deep_merge(NO_NEW_MONEY, {"vesting": {"match": "graded_6"}}))
    db = tmp_path / "sim.duckdb"
    assert main(["run", "-c", str(config), "--database", str(db)]) == 0, capsys.readouterr().err
    assert query(db, "select vesting_service_start_date::varchar, vesting_years, forfeiture_amount "
                     "from fct_workforce_snapshot where employee_id = 'PRIOR'") == [
        ("2022-06-30", 2, Decimal("400.00"))]
