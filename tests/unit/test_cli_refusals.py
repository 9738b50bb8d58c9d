"""Usage the CLI refuses before doing anything: one `Error:` line naming the problem and the fix,
exit status 1, nothing written. In-process, without a simulation."""

from __future__ import annotations

import json

import pytest

from navigator_orchestrator.cli import main


def _one_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and len(err.strip().splitlines()) == 1, err
    return err


@pytest.mark.parametrize("year", [2024, 2027])
def test_dbt_vars_refuses_a_year_outside_the_simulation_years(make_config, capsys, year):
    config = make_config()  # 2025-2026
    assert main(["dbt-vars", "-c", str(config), "--year", str(year)]) == 1
    err = _one_error(capsys)
    assert f"--year {year} is not a simulation year of {config} (2025-2026)" in err
    assert "give a year in 2025-2026" in err
    assert capsys.readouterr().out == ""


def test_dbt_vars_prints_the_vars_of_a_simulation_year(make_config, capsys):
    assert main(["dbt-vars", "-c", str(make_config()), "--year", "2026"]) == 0
    assert json.loads(capsys.readouterr().out)["simulation_year"] == 2026


@pytest.mark.parametrize("given", [["--start-year", "2026"], ["--end-year", "2026"],
                                   ["--start-year", "2025", "--end-year", "2026"]])
def test_run_refuses_years_given_twice(make_config, tmp_path, capsys, given):
    db = tmp_path / "sim.duckdb"
    assert main(["run", "-c", str(make_config()), "--database", str(db), "--years", "2025-2026", *given]) == 1
    err = _one_error(capsys)
    assert f"--years 2025-2026 and {' '.join(given)} both give the years to simulate" in err
    assert "keep one: --years 2025-2026 alone, or --start-year/--end-year without --years" in err
    assert not db.exists() and not (tmp_path / ".navigator_checkpoints").exists()
