"""Data-quality tripwires: each planted defect trips its check with the numbers and the fix.

Most tests plant a defect in the year-only tables of a copy of one real 2-year database (year
2026 built into its work file by hand: built but, for the check, not yet published) and drive
the real tripwire function; two run the real year loop and corrupt the year between its dbt
build and publish.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import copy_database, query, write_scenario as write_config
from navigator_orchestrator import cli
from navigator_orchestrator.engine import database
from navigator_orchestrator.quality import tripwires
from navigator_orchestrator.config.schema import ConfigError, load_config
from navigator_orchestrator.engine.dbt_runner import DbtRunner
from navigator_orchestrator.engine.simulation import Simulation
from navigator_orchestrator.quality.tripwires import TripwireError


@pytest.fixture(scope="module")
def built(finished_2025_2026) -> tuple[Path, Path]:
    """A real 2025-2026 run: published years 2025-2026, year-only tables holding 2026."""
    return finished_2025_2026.database, finished_2025_2026.config


@pytest.fixture
def db_copy(built, tmp_path) -> Path:
    db = tmp_path / "simulation.duckdb"
    copy_database(built[0], db)
    return db


def guard(db: Path, config_path: Path, year: int = 2026, overrides: dict | None = None,
          sql: str | None = None, echo=None) -> tripwires.TripwireReport:
    config = load_config(config_path)
    if overrides:
        config = config.model_copy(update={
            "data_quality": config.data_quality.model_copy(update=overrides)})
    with database.connect(db) as conn:
        if sql:
            conn.execute(sql)
        return tripwires.guard_year(conn, config, year, "test-run", db, echo=echo or (lambda line: None))


def tripped(exc: TripwireError, name: str) -> tripwires.CheckResult:
    return next(r for r in exc.results if r.check_name == name)


def fingerprint(db: Path) -> dict[str, tuple]:
    with database.connect(db) as conn:
        return {t: conn.execute(
            f"select count(*), sum(hash(columns(* exclude (run_id)))) from {t}").fetchone()
            for t in ("fct_workforce_snapshot", "fct_yearly_events")}


# ----- each defect trips its check ---------------------------------------------

def test_clean_year_passes_every_check_and_is_recorded(db_copy, built):
    report = guard(db_copy, built[1])
    assert {r.check_name: r.status for r in report.results} == {
        "hiring_demand_without_hires": "pass", "growth_off_target": "pass", "hires_without_pay": "pass",
        "headcount_swing": "pass", "event_count_swing": "pass", "contributions_without_match": "pass",
        "deferrals_for_non_participants": "pass", "participants_without_deferrals": "pass",
    }
    assert report.skipped == ["census_rows_lost"]  # only in the census year
    rows = query(db_copy, """
        select run_id, scenario_id, simulation_year, check_name, severity, status,
               observed->>'hires', message, recorded_at is not null
        from int_data_quality_results
        where run_id = 'test-run' and check_name = 'hiring_demand_without_hires'""")
    assert rows and rows[0][:6] == ("test-run", "baseline", 2026, "hiring_demand_without_hires", "error", "pass")
    assert int(rows[0][6]) > 0 and rows[0][8]


def test_hiring_demand_without_hires_stops_the_year_with_a_targeted_rebuild(db_copy, built):
    with pytest.raises(TripwireError) as err:
        guard(db_copy, built[1], sql="""
            delete from int_hiring_events;
            delete from int_yearly_events where event_type = 'hire';""")
    result = tripped(err.value, "hiring_demand_without_hires")
    assert result.observed["hires"] == 0 and result.observed["net_hires_needed"] > 0
    assert "0 hire events" in result.message
    assert ("--year 2026 --plan-designs standard_401k -- run --select +int_workforce_needs_by_level,tag:year "
            "+int_hiring_events,tag:year" in result.recovery)
    assert f"navigator dbt -c {built[1]} --database {db_copy} " in result.recovery
    assert "--year 2026" in result.recovery and "config_hiring_mix.csv" in result.recovery
    assert "navigator run" in result.recovery and "--years 2026-2026" in result.recovery
    assert "year 2026 not published" in str(err.value)


@pytest.mark.parametrize("sql, null_pay, zero_pay", [
    ("update int_yearly_events set compensation_amount = null "
     "where employee_id = (select min(employee_id) from int_yearly_events where event_type = 'hire')", 1, 0),
    ("update int_yearly_events set compensation_amount = 0 "
     "where event_type = 'hire' and employee_id in (select employee_id from int_yearly_events "
     "where event_type = 'hire' order by employee_id limit 2)", 0, 2),
])
def test_hire_without_pay_names_the_hires_and_the_pay_bands(db_copy, built, sql, null_pay, zero_pay):
    with pytest.raises(TripwireError) as err:
        guard(db_copy, built[1], sql=sql)
    result = tripped(err.value, "hires_without_pay")
    assert (result.observed["null_pay"], result.observed["zero_pay"]) == (null_pay, zero_pay)
    assert result.observed["example_ids"][0].startswith("NH_2026_")
    assert "config_job_levels.csv" in result.recovery and "int_hiring_events" in result.recovery


def test_new_hire_snapshot_row_without_pay_trips(db_copy, built):
    with pytest.raises(TripwireError) as err:
        guard(db_copy, built[1], sql="""
            update int_yearly_snapshot set current_compensation = null
            where employee_id = (select min(employee_id) from int_yearly_snapshot
                                 where detailed_status_code = 'new_hire_active')""")
    assert tripped(err.value, "hires_without_pay").observed["snapshot_hires_without_pay"] == 1


@pytest.mark.parametrize("lost, trips", [(1, False), (3, True)])
def test_census_rows_lost_between_raw_and_staged(db_copy, built, lost, trips):
    # 400 census rows: 1 lost is 0.25% (inside the 0.5% tolerance), 3 lost is 0.75%.
    sql = f"delete from stg_census_data where employee_id in " \
          f"(select employee_id from stg_census_data order by employee_id limit {lost})"
    if not trips:
        report = guard(db_copy, built[1], year=2025, sql=sql)
        assert next(r for r in report.results if r.check_name == "census_rows_lost").status == "pass"
        return
    with pytest.raises(TripwireError) as err:
        guard(db_copy, built[1], year=2025, sql=sql)
    result = tripped(err.value, "census_rows_lost")
    assert result.observed["raw_rows"] - result.observed["staged_rows"] == lost
    assert "0.75% lost" in result.message
    assert "--select stg_census_data int_baseline_workforce" in result.recovery
    assert "navigator census validate" in result.recovery


def test_headcount_swing_beyond_bounds_warns_and_continues(db_copy, built):
    lines: list[str] = []
    report = guard(db_copy, built[1], overrides={"max_headcount_change": 0.01}, echo=lines.append)
    result = next(r for r in report.results if r.check_name == "headcount_swing")
    assert result.status == "warn" and result.observed["change"] > 0.01
    assert len(lines) == 1 and lines[0].startswith("[WARNING] 2026 headcount_swing: actives")
    assert "data_quality.max_headcount_change" in lines[0]
    status = query(db_copy, "select status from int_data_quality_results "
                            "where run_id = 'test-run' and check_name = 'headcount_swing'")
    assert status == [("warn",)]
    with database.connect(db_copy) as conn:
        summary = tripwires.run_summary(conn, "test-run")
    assert summary["warn"] == 1 and summary["fail"] == 0 and summary["tripped"] == ["2026:headcount_swing:warn"]


def test_fail_on_warning_escalates_a_swing_to_an_error(db_copy, built):
    with pytest.raises(TripwireError) as err:
        guard(db_copy, built[1], overrides={"max_headcount_change": 0.01, "fail_on_warning": True})
    assert [r.check_name for r in err.value.results] == ["headcount_swing"]


def test_event_count_swing_names_the_event_type(db_copy, built):
    report = guard(db_copy, built[1], sql="""
        delete from int_yearly_events where event_type = 'raise' and hash(employee_id) % 4 != 0""")
    result = next(r for r in report.results if r.check_name == "event_count_swing")
    assert result.status == "warn"
    assert [t["event_type"] for t in result.observed["out_of_bounds"]] == ["raise"]
    assert "raise " in result.message and "data_quality.max_event_count_change" in result.recovery


def test_contributions_without_match_events_name_the_match_keys(db_copy, built):
    with pytest.raises(TripwireError) as err:
        guard(db_copy, built[1], sql="delete from int_employer_match_events")
    result = tripped(err.value, "contributions_without_match")
    assert result.observed["match_events"] == 0 and result.observed["total_deferrals"] > 0
    assert "employer_match.active_formula" in result.recovery
    assert "--select +int_employee_contributions,tag:year +int_employer_match_events,tag:year" in result.recovery


def test_no_match_events_pass_when_the_match_is_off(db_copy, built, tmp_path):
    config = load_config(built[1])
    config = config.model_copy(update={"employer_match": config.employer_match.model_copy(update={"enabled": False})})
    with database.connect(db_copy) as conn:
        conn.execute("delete from int_employer_match_events")
        report = tripwires.evaluate(conn, config, 2026, "year", db_copy)
    assert next(r for r in report.results if r.check_name == "contributions_without_match").status == "pass"


def test_no_match_events_pass_when_415c_leaves_no_room_for_match(db_copy, built):
    """A core that uses up every deferrer's 415(c) annual additions lawfully leaves no match."""
    with database.connect(db_copy) as conn:
        conn.execute("delete from int_employer_match_events")
        conn.execute("update int_yearly_snapshot set employer_match_amount = 0, annual_additions_limited = true "
                     "where prorated_annual_contributions > 0")
        report = tripwires.evaluate(conn, load_config(built[1]), 2026, "year", db_copy)
    result = next(r for r in report.results if r.check_name == "contributions_without_match")
    assert result.status == "pass"
    assert result.observed["deferring_at_415c_limit"] == result.observed["deferring_employees"] > 0


def test_match_events_missing_for_deferrers_with_415c_room_still_trip(db_copy, built):
    with database.connect(db_copy) as conn:
        conn.execute("delete from int_employer_match_events")
        conn.execute("""update int_yearly_snapshot set annual_additions_limited = true
                        where employee_id in (select employee_id from int_yearly_snapshot
                                              where prorated_annual_contributions > 0
                                              order by employee_id limit 3)""")
        report = tripwires.evaluate(conn, load_config(built[1]), 2026, "year", db_copy)
    result = next(r for r in report.results if r.check_name == "contributions_without_match")
    assert result.status == "fail" and result.observed["deferring_at_415c_limit"] == 3
    assert "3 of them held at the 415(c) limit" in result.message


def test_deferrals_for_a_non_participant_trip(db_copy, built):
    with pytest.raises(TripwireError) as err:
        guard(db_copy, built[1], sql="""
            update int_yearly_snapshot set prorated_annual_contributions = 1234.56
            where employee_id = (
                select min(s.employee_id) from int_yearly_snapshot as s
                where s.current_deferral_rate = 0
                  and s.employee_id not in (select employee_id from int_yearly_events
                                            where employee_deferral_rate > 0 or prev_employee_deferral_rate > 0)
                  and s.employee_id not in (select employee_id from fct_workforce_snapshot
                                            where simulation_year = 2025 and current_deferral_rate > 0))""")
    result = tripped(err.value, "deferrals_for_non_participants")
    assert result.observed["non_participants_deferring"] == 1 and result.observed["amount"] == 1234.56
    assert "int_employee_contributions" in result.recovery


def test_unknown_skip_check_is_refused(db_copy, built):
    with pytest.raises(ConfigError, match="hires_without_pays"):
        guard(db_copy, built[1], overrides={"skip_checks": ["hires_without_pays"]})


def test_skipped_check_does_not_run(db_copy, built):
    report = guard(db_copy, built[1], overrides={"skip_checks": ["hires_without_pay"]},
                   sql="update int_yearly_events set compensation_amount = null where event_type = 'hire'")
    assert "hires_without_pay" in report.skipped


# ----- the real year loop ----------------------------------------------------------

def corrupt_after_build(monkeypatch, year: int, sql: str) -> None:
    """Run `sql` right after dbt has built `year`, before the orchestrator publishes it."""
    original = DbtRunner.invoke

    def invoke(self, command, dbt_vars, check=True, **options):
        invocation = original(self, command, dbt_vars, check, **options)
        if command[0] == "run" and dbt_vars.get("simulation_year") == year:
            with database.connection(self.database) as conn:  # the run's DuckDB instance
                conn.execute(sql)
        return invocation

    monkeypatch.setattr(DbtRunner, "invoke", invoke)


def test_error_trip_leaves_the_database_at_the_previous_year_boundary(tmp_path, small_census, built, monkeypatch):
    # The same scenario run uninterrupted for 2025 only.
    one_year = tmp_path / "one" / "simulation.duckdb"
    one_year.parent.mkdir()
    Simulation(load_config(write_config(one_year.parent, small_census, end_year=2025)), one_year).run()

    db = tmp_path / "two" / "simulation.duckdb"
    db.parent.mkdir()
    corrupt_after_build(monkeypatch, 2026, "update int_yearly_events set compensation_amount = null "
                                           "where event_type = 'hire'")
    with pytest.raises(TripwireError, match="year 2026 not published"):
        Simulation(load_config(write_config(db.parent, small_census)), db).run()

    # The run kept the year's tables in memory: no work file is left behind.
    assert not database.work_path(db).exists()
    assert query(db, "select distinct simulation_year from fct_workforce_snapshot") == [(2025,)]
    assert fingerprint(db) == fingerprint(one_year)
    statuses = dict(query(db, """select simulation_year || ':' || check_name, status from int_data_quality_results
                                 where check_name = 'hires_without_pay'"""))
    assert statuses == {"2025:hires_without_pay": "pass", "2026:hires_without_pay": "fail"}
    [(status, error, dq)] = query(db, "select status, error, data_quality from int_simulation_run_log")
    assert status == "failed" and "year 2026 not published" in error
    assert '"2026:hires_without_pay:fail"' in dq


def test_the_printed_rebuild_builds_the_failed_years_models_into_the_work_file(tmp_path, small_census, monkeypatch):
    config = write_config(tmp_path, small_census)
    db = tmp_path / "simulation.duckdb"
    corrupt_after_build(monkeypatch, 2026, "delete from int_hiring_events; "
                                           "delete from int_yearly_events where event_type = 'hire'")
    with pytest.raises(TripwireError) as err:
        Simulation(load_config(config), db).run()
    command = tripped(err.value, "hiring_demand_without_hires").recovery.split("rebuild: ")[1].split("; then ")[0]
    assert "--year 2026" in command and not database.work_path(db).exists()
    # The command as an operator pastes it into a shell, with this installation's programs.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env.pop("NAVIGATOR_WORK_PATH", None)
    done = subprocess.run(["bash", "-c", f"umask 022 && {command}"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert database.work_path(db).stat().st_mode & 0o077 == 0  # every employee's pay: owner-only
    hires = query(db, "select count(*), count(compensation_amount), min(simulation_year) from int_hiring_events")
    assert hires[0][0] > 0 and hires[0][0] == hires[0][1] and hires[0][2] == 2026


def test_cli_fail_on_validation_error_stops_at_the_first_warning(tmp_path, small_census, capsys):
    # Two designs share one workforce: its failed check and fix are printed once, naming both.
    config = write_config(tmp_path, small_census, {
        "data_quality": {"max_headcount_change": 0.01}, "plan_design_id": "standard",
        "plan_designs": {"no_core": {"employer_core_contribution": {"enabled": False}}}}, end_year=2025)
    db = tmp_path / "simulation.duckdb"
    code = cli.main(["run", "-c", str(config), "--database", str(db), "--fail-on-validation-error"])
    err = capsys.readouterr().err
    assert code == 1
    failed = [line for line in err.splitlines() if line.startswith("[FAILED] 2025 headcount_swing: actives")]
    assert len(failed) == 1 and "fix: " in failed[0] and failed[0].endswith("(plan designs standard, no_core)")
    assert err.strip().splitlines()[-1].startswith("Error: year 2025 not published")
    with database.connect(db) as conn:
        assert conn.execute("select count(*) from information_schema.tables "
                            "where table_name = 'fct_workforce_snapshot'").fetchone() == (0,)


def test_run_log_summary_per_design_counts_only_that_designs_results(tmp_path):
    """Each design's run-log summary (written for every design of a year at once) counts its own
    results by status and lists its own tripped checks by year and check."""
    conn = database.connect(tmp_path / "dq.duckdb")
    results = {
        "a": [(2025, "growth_off_target", "pass"), (2025, "headcount_swing", "warn"),
              (2026, "headcount_swing", "warn"), (2026, "event_count_swing", "fail")],
        "b": [(2025, "growth_off_target", "pass"), (2026, "event_count_swing", "fail")],
    }
    reports = {}
    for design, rows in results.items():
        reports[design] = tripwires.TripwireReport(2025)
        reports[design].results = [
            tripwires.CheckResult(check_name=name, severity="error", status=status, observed={}, message="m",
                                  recovery="f", simulation_year=year, plan_design_id=design)
            for year, name, status in rows]
    tripwires.record(conn, reports, "run-1", "baseline")
    tripwires.record(conn, {"a": reports["b"]}, "run-2", "baseline")  # another run's results are not counted
    summary = tripwires.designs_run_summary(conn, "run-1", ["a", "b", "c"])
    assert summary["a"] == {"pass": 1, "warn": 2, "fail": 1, "tripped": [
        "2025:headcount_swing:warn", "2026:event_count_swing:fail", "2026:headcount_swing:warn"]}
    assert summary["b"] == {"pass": 1, "warn": 0, "fail": 1, "tripped": ["2026:event_count_swing:fail"]}
    assert summary["c"] == {"pass": 0, "warn": 0, "fail": 0, "tripped": []}
    assert tripwires.run_summary(conn, "run-1", "a") == summary["a"]
    conn.close()


def test_reports_show_the_checks_of_the_run_that_published_the_year_not_of_a_later_refused_run(tmp_path):
    """A run whose checks refused a year records its results too; the reports of the published
    year show the results of the run that published it (else the latest recorded)."""
    from navigator_orchestrator.reporting.summary import dq_results

    conn = database.connect(tmp_path / "dq.duckdb")
    conn.execute("create table fct_plan_year_summary (scenario_id varchar, plan_design_id varchar, run_id varchar, "
                 "simulation_year integer)")
    conn.execute("insert into fct_plan_year_summary values ('baseline', 'a', 'published-run', 2026)")

    def report(status):
        r = tripwires.TripwireReport(2026)
        r.results = [tripwires.CheckResult(check_name="headcount_swing", severity="warn", status=status, observed={},
                                           message=status, recovery="f", simulation_year=2026, plan_design_id="a")]
        return r

    tripwires.record(conn, {"a": report("warn")}, "published-run", "baseline")
    tripwires.record(conn, {"a": report("pass")}, "refused-run", "baseline")  # recorded later, published nothing
    assert [(r["run_id"], r["status"]) for r in dq_results(conn, "baseline", "a", 2026)] == [("published-run", "warn")]
    # A year no recorded run published (e.g. published by hand): the latest recording.
    conn.execute("update fct_plan_year_summary set run_id = 'manual'")
    assert [(r["run_id"], r["status"]) for r in dq_results(conn, "baseline", "a", 2026)] == [("refused-run", "pass")]
    conn.close()
