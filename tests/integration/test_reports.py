"""Reports and observability: CSV, year JSON, JSONL log, console audit, HTML report, timelines.

Two real small runs (400 employees): 2025-2026 in-process with every observer, and a one-year
run through the `navigator run` command. Figures are checked against the database with queries
written independently of reporting/summary.py (events rather than status codes where possible).
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import duckdb

import pyarrow.parquet as pq
import pytest
import yaml
from decimal import Decimal

from conftest import copy_database, deep_merge, query
from navigator_orchestrator.engine import database
from navigator_orchestrator.cli import main
from navigator_orchestrator.config.schema import DEFAULT_CONFIG, load_config
from navigator_orchestrator.reporting.console import PlainConsole
from navigator_orchestrator.reporting.logs import JsonlLog
from navigator_orchestrator.reporting.observe import Observers
from navigator_orchestrator.engine.simulation import Simulation
from navigator_orchestrator.reporting.files import ReportFiles
from navigator_orchestrator.reporting.html import write_report
from navigator_orchestrator.reporting.summary import scenario_figures
from navigator_orchestrator.reporting.timeline import load_timeline, print_timeline
from navigator_orchestrator.identity import Identity, database_tag

SCENARIO, DESIGN = "baseline", "standard_401k"


def reports_of(root: Path, db: Path) -> Path:
    """The report folder of one database, scenario and design under a reports root."""
    return root / database_tag(db) / SCENARIO / DESIGN


def summary_csv(root: Path, db: Path, first: int, last: int) -> Path:
    return reports_of(root, db) / f"multi_year_summary_{SCENARIO}_{DESIGN}_{first}_{last}.csv"


def write_config(directory: Path, census: Path, end_year: int) -> Path:
    data = deep_merge(yaml.safe_load(DEFAULT_CONFIG.read_text()), {
        "simulation": {"start_year": 2025, "end_year": end_year},
        "setup": {"census_parquet_path": str(census)},
    })
    path = directory / "config.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def run2(tmp_path_factory, small_census):
    """A 2025-2026 run with the console, log and report observers writing into a temp dir."""
    root = tmp_path_factory.mktemp("reports_run")
    config = load_config(write_config(root, small_census, 2026))
    console = io.StringIO()
    log, files = JsonlLog(root / "logs"), ReportFiles(root / "reports")
    result = Simulation(config, root / "sim.duckdb",
                        observer=Observers([PlainConsole(console), log, files])).run()
    return {"root": root, "db": root / "sim.duckdb", "result": result, "console": console.getvalue(),
            "log": log.path, "reports": root / "reports", "census": small_census}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open() as fh:
        return list(csv.DictReader(fh))


def expected_figures(db: Path) -> dict[int, dict[str, float]]:
    """The CSV's figures recomputed from the published tables."""
    events = {y: dict(hires=h, exp=e, nh=n, promo=p) for y, h, e, n, p in query(db, """
        select simulation_year,
               count(*) filter (where event_type = 'hire'),
               count(*) filter (where event_type = 'termination'
                                and event_category in ('experienced_termination', 'reduction_in_force')),
               count(*) filter (where event_type = 'termination' and event_category = 'new_hire_termination'),
               count(*) filter (where event_type = 'promotion')
        from fct_yearly_events group by 1""")}
    census_actives = query(db, "select count(*) from raw_census where active")[0][0]
    out: dict[int, dict[str, float]] = {}
    rows = query(db, """
        select simulation_year,
               count(*) filter (where employment_status = 'active'),
               sum(prorated_annual_compensation)::double,
               avg(current_compensation) filter (where employment_status = 'active'),
               count(*) filter (where employment_status = 'active' and is_eligible),
               count(*) filter (where employment_status = 'active' and is_enrolled_flag),
               count(*) filter (where employment_status = 'active' and is_enrolled_flag and is_eligible),
               avg(current_deferral_rate::double) filter (where employment_status = 'active' and is_enrolled_flag),
               sum(prorated_annual_contributions)::double,
               sum(employer_match_amount)::double,
               sum(employer_core_amount)::double
        from fct_workforce_snapshot group by 1 order by 1""")
    previous_end = census_actives
    for year, end, pay, avg_pay, elig, part, elig_part, avg_def, ee, match, core in rows:
        e = events[year]
        out[year] = dict(
            year=year, start_actives=previous_end, end_actives=end, hires=e["hires"],
            experienced_terminations=e["exp"], new_hire_terminations=e["nh"], promotions=e["promo"],
            growth_pct=end / previous_end - 1, total_pay=pay, average_pay=float(avg_pay), eligible=elig,
            participants=part, eligible_participants=elig_part, participation_rate=elig_part / elig, average_deferral_rate=avg_def,
            employee_deferrals=ee, employer_match=match, employer_core=core,
            total_employer_cost=match + core, cost_pct_of_pay=(match + core) / pay,
        )
        previous_end = end
    return out


def assert_row_matches(row: dict[str, str], expected: dict[str, float]) -> None:
    for column, value in expected.items():
        assert row[column] != "", f"{column} is empty"
        assert float(row[column]) == pytest.approx(value, rel=1e-5, abs=0.01), column


def test_multi_year_csv_matches_the_database(run2):
    path = summary_csv(run2["reports"], run2["db"], 2025, 2026)
    rows = read_csv(path)
    expected = expected_figures(run2["db"])
    assert [int(r["year"]) for r in rows] == [2025, 2026]
    for row in rows:
        assert (row["scenario_id"], row["plan_design_id"]) == (SCENARIO, DESIGN)
        assert_row_matches(row, expected[int(row["year"])])
    # Only the file for the full range is left behind, not one per year of the run.
    assert sorted(run2["reports"].rglob("*.csv")) == [path]


def test_plan_figures_are_present_and_consistent(run2):
    for row in read_csv(summary_csv(run2["reports"], run2["db"], 2025, 2026)):
        assert int(row["participants"]) > 0 and float(row["employee_deferrals"]) > 0
        assert float(row["employer_match"]) > 0
        assert float(row["total_employer_cost"]) == pytest.approx(
            float(row["employer_match"]) + float(row["employer_core"]), abs=0.011)
        assert 0 < float(row["participation_rate"]) <= 1
        assert int(row["eligible_participants"]) <= min(int(row["participants"]), int(row["eligible"]))


def test_year_json_carries_the_same_figures_events_and_dq_state(run2):
    rows = {int(r["year"]): r for r in read_csv(summary_csv(run2["reports"], run2["db"], 2025, 2026))}
    for year in (2025, 2026):
        doc = json.loads((reports_of(run2["reports"], run2["db"]) / f"year_{year}_{SCENARIO}_{DESIGN}.json").read_text())
        assert doc["year"] == year and (doc["scenario_id"], doc["plan_design_id"]) == (SCENARIO, DESIGN)
        assert doc["run_id"] == run2["result"].run_id
        for column, value in doc["figures"].items():
            assert value == pytest.approx(float(rows[year][column])), column
        by_type = dict(query(run2["db"], "select event_type, count(*) from fct_yearly_events "
                                         "where simulation_year = ? group by 1", [year]))
        assert doc["events_by_type"] == by_type
        assert doc["target_ending_workforce"] == doc["figures"]["end_actives"]
        # The tripwire results recorded for the year, as the database holds them.
        recorded = dict(query(run2["db"], "select check_name, status from int_data_quality_results "
                                          "where simulation_year = ?", [year]))
        assert recorded and doc["dq_recorded"] is True
        assert {r["check_name"]: r["status"] for r in doc["dq"]} == recorded


def test_log_lines_parse_time_every_stage_and_carry_no_pii(run2):
    text = run2["log"].read_text()
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0]["event"] == "run_started" and lines[-1]["event"] == "run_finished"
    assert lines[-1]["status"] == "success" and lines[-1]["years_completed"] == [2025, 2026]
    assert {line["run_id"] for line in lines} == {run2["result"].run_id}
    stages = {(line["year"], line["stage"]): line for line in lines if line["event"] == "stage"}
    for year in (2025, 2026):
        for stage in Simulation.YEAR_STAGES:
            assert stages[(year, stage)]["seconds"] >= 0
        assert stages[(year, "publish")]["rows"]["fct_workforce_snapshot"] == query(
            run2["db"], "select count(*) from fct_workforce_snapshot where simulation_year = ?", [year])[0][0]
        assert 0 < stages[(year, "dbt_build")]["rows"]["model_ms"] <= 1000 * stages[(year, "dbt_build")]["seconds"] * 2
    # Run-level stages: before the years, and after them the flush (the last year is built in
    # the file, so a completed run writes no work tables back).
    assert [s for y, s in stages if y is None] == ["census_load", "dbt_parse", "flush"]
    census = pq.read_table(run2["census"]).to_pylist()
    for person in census:
        for column in ("employee_id", "employee_ssn", "first_name", "last_name", "employee_birth_date"):
            if person.get(column) is not None:
                assert str(person[column]) not in text, f"{column} leaked into the log"


def test_console_audit_is_plain_text_with_the_year_figures(run2):
    out = run2["console"]
    assert "\x1b[" not in out  # no terminal control codes when stdout is not a terminal
    figures = {f.year: f for f in scenario_figures(duckdb.connect(str(run2["db"]), read_only=True), SCENARIO, DESIGN)}
    for year in (2025, 2026):
        f = figures[year]
        assert f"{year}: actives {f.start_actives:,} -> {f.end_actives:,}" in out
        assert f"{f.eligible_participants:,} of {f.eligible:,} eligible enrolled" in out
        assert f"{f.participants:,} participants in all" in out
        assert f"${f.employer_match:,.0f}" in out and f"${f.employer_core:,.0f}" in out
        assert f"  [{year}] dbt build:" in out and f"  [{year}] publish:" in out
    for year in (2025, 2026):
        checks = query(run2["db"], "select count(*) from int_data_quality_results where simulation_year = ? "
                                   "and status = 'pass'", [year])[0][0]
        assert checks > 0 and f"{checks} checks: {checks} passed" in out


def test_single_year_cli_run_writes_csv_json_and_log_in_the_working_directory(
        tmp_path, small_census, monkeypatch, capsys):
    config = write_config(tmp_path, small_census, 2025)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert main(["run", "-c", str(config), "--database", str(tmp_path / "one.duckdb")]) == 0
    out = capsys.readouterr().out
    assert "2025: actives" in out and "Participation:" in out
    db = tmp_path / "one.duckdb"
    rows = read_csv(summary_csv(work / "reports", db, 2025, 2025))
    assert len(rows) == 1
    assert_row_matches(rows[0], expected_figures(db)[2025])
    doc = json.loads((reports_of(work / "reports", db) / f"year_2025_{SCENARIO}_{DESIGN}.json").read_text())
    assert doc["figures"]["end_actives"] == int(rows[0]["end_actives"])
    (log,) = (work / "logs" / database_tag(db)).glob(f"run_{SCENARIO}_*.jsonl")
    assert [json.loads(line)["event"] for line in log.read_text().splitlines()][-1] == "run_finished"


def _chromium() -> str | None:
    return next((shutil.which(name) for name in ("chromium", "chromium-browser") if shutil.which(name)), None)


def test_html_report_is_self_contained_and_its_charts_draw_in_a_browser(run2, tmp_path):
    with duckdb.connect(str(run2["db"]), read_only=True) as conn:
        out = write_report(conn, Identity(run2["db"], SCENARIO, DESIGN), tmp_path / "report.html")
    html = out.read_text()
    assert html.count('<svg class="chart"') == 5
    assert not re.search(r"https?://|<link|\bsrc=", html), "the report must not load anything"
    cost_share = query(run2["db"], "select cost_pct_of_pay from fct_plan_year_summary order by simulation_year")[0][0]
    assert f"<td>{float(cost_share):.2%}</td>" in html, "employer cost as a share of pay is shown as a percent"
    assert "<th>cost pct of pay</th>" in html and "<th>cost_pct_of_pay</th>" not in html
    checks = query(run2["db"], "select count(*) from int_data_quality_results where status = 'pass'")[0][0]
    assert f"{checks} checks: {checks} passed" in html
    browser = _chromium()
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install chromium); the browser rendering check did not run")
    proc = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--dump-dom", out.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    body = re.search(r"<body[^>]*>", proc.stdout)
    assert body, proc.stderr[-2000:]
    assert 'data-charts-total="5"' in body.group(0)
    assert 'data-charts-drawn="5"' in body.group(0), body.group(0)


def test_html_report_lists_recorded_data_quality_results(run2, tmp_path):
    db = tmp_path / "copy.duckdb"
    copy_database(run2["db"], db)
    with database.connect(db) as conn:
        conn.execute("delete from int_data_quality_results")
        conn.execute("""insert into int_data_quality_results by name select * from (values
            ('r1', 'baseline', 'standard_401k', 2025, 'hires_meet_demand', 'error', 'pass', '0', 'ok', now()),
            ('r1', 'baseline', 'standard_401k', 2026, 'match_present', 'warn', 'fail', '0', 'no match events', now()),
            ('r1', 'baseline', 'other_design', 2026, 'not_this_design', 'warn', 'fail', '0', 'elsewhere', now())
        ) t(run_id, scenario_id, plan_design_id, simulation_year, check_name, severity, status, observed,
            message, recorded_at)""")
        html = write_report(conn, Identity(db, SCENARIO, DESIGN), tmp_path / "r.html").read_text()
    assert "2 checks: 1 passed, 1 failed (match_present)." in html
    assert "match_present" in html and "no match events" in html


def test_html_report_goes_to_the_folder_of_its_database_scenario_and_design(run2, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with duckdb.connect(str(run2["db"]), read_only=True) as conn:
        out = write_report(conn, Identity(run2["db"], SCENARIO, DESIGN))
    assert out == reports_of(Path("reports"), run2["db"]) / f"simulation_report_{SCENARIO}_{DESIGN}_2025_2026.html"
    assert (tmp_path / out).read_text().startswith("<!DOCTYPE html>")


def test_employee_timeline_shows_a_known_employees_events(run2, capsys):
    employee, = query(run2["db"], """
        select employee_id from fct_yearly_events where simulation_year = 2025
        group by 1 having count(*) filter (where event_type = 'hire') = 1
                      and count(*) filter (where event_type = 'enrollment') = 1
        order by 1 limit 1""")[0]
    events = query(run2["db"], "select simulation_year, effective_date, event_type from fct_yearly_events "
                               "where employee_id = ? order by simulation_year, event_sequence", [employee])
    with duckdb.connect(str(run2["db"]), read_only=True) as conn:
        timeline = load_timeline(conn, SCENARIO, DESIGN, employee)
    assert [(e["simulation_year"], e["effective_date"], e["event_type"]) for e in timeline.events] == events
    stream = io.StringIO()
    print_timeline(timeline, stream)
    text = stream.getvalue()
    for year, day, kind in events:
        assert re.search(rf"{year}\s+\d+\s+{day.isoformat()}\s+{kind}\b", text), (year, day, kind)
    assert [s["simulation_year"] for s in timeline.states] == [
        y for (y,) in query(run2["db"], "select simulation_year from fct_workforce_snapshot "
                                        "where employee_id = ? order by 1", [employee])]

    assert main(["employee", employee, "--database", str(run2["db"])]) == 0
    assert "hire" in capsys.readouterr().out
    assert main(["employee", "NOBODY", "--database", str(run2["db"])]) == 1
    assert "Error: no employee 'NOBODY'" in capsys.readouterr().err


def test_every_report_takes_its_figures_from_the_summary_mart(run2, tmp_path):
    db = tmp_path / "copy.duckdb"
    shutil.copy(run2["db"], db)
    with duckdb.connect(str(db)) as conn:
        conn.execute("update fct_plan_year_summary set employer_core = 1234567.89 where simulation_year = 2026")
        (f2026,) = scenario_figures(conn, SCENARIO, DESIGN, 2026, 2026)
        html = write_report(conn, Identity(db, SCENARIO, DESIGN), tmp_path / "r.html").read_text()
    assert f2026.employer_core == Decimal("1234567.89")
    assert "1,234,567.89" in html


def test_a_failed_run_still_leaves_the_csv_of_its_published_years_and_a_closing_log_line(
        tmp_path, small_census):
    from navigator_orchestrator.reporting.observe import RunObserver

    class FailSecondYear(RunObserver):
        def stage_started(self, year, stage):
            if (year, stage) == (2026, "dbt_build"):
                raise RuntimeError("simulated failure before building 2026")

    config = load_config(write_config(tmp_path, small_census, 2026))
    log, files = JsonlLog(tmp_path / "logs"), ReportFiles(tmp_path / "reports")
    with pytest.raises(RuntimeError):
        Simulation(config, tmp_path / "f.duckdb", observer=Observers([log, files, FailSecondYear()])).run()
    assert [int(r["year"]) for r in read_csv(summary_csv(tmp_path / "reports", tmp_path / "f.duckdb", 2025, 2025))] == [2025]
    last = json.loads(log.path.read_text().splitlines()[-1])
    assert last["event"] == "run_finished" and last["status"] == "failed"
    assert last["error"] == "simulated failure before building 2026" and last["years_completed"] == [2025]

    # Resumed (a new process: new observers), the run leaves only the CSV of what the database
    # now holds. Files of other identities stay: one whose name has this identity's pattern but
    # whose rows are of scenario `baseline_standard` and design `401k`, and another database's.
    stale = summary_csv(tmp_path / "reports", tmp_path / "f.duckdb", 2025, 2025)
    lookalike = stale.with_name(f"multi_year_summary_{SCENARIO}_{DESIGN}_2024_2024.csv")
    lookalike.write_text(stale.read_text().replace(f"{SCENARIO},{DESIGN},", "baseline_standard,401k,"))
    other_db = summary_csv(tmp_path / "reports", tmp_path / "other.duckdb", 2025, 2025)
    other_db.parent.mkdir(parents=True)
    other_db.write_text(stale.read_text())
    files = ReportFiles(tmp_path / "reports")
    Simulation(config, tmp_path / "f.duckdb", resume=True, observer=files).run()
    final = summary_csv(tmp_path / "reports", tmp_path / "f.duckdb", 2025, 2026)
    assert [int(r["year"]) for r in read_csv(final)] == [2025, 2026] and files.csv_files == {DESIGN: final}
    assert sorted(p.name for p in stale.parent.glob("multi_year_summary_*")) == sorted([final.name, lookalike.name])
    assert other_db.exists()


def test_a_stale_csv_that_cannot_be_removed_warns_and_the_cli_run_simulates_every_year(
        tmp_path, small_census, capsys, make_immutable):
    db = tmp_path / "s.duckdb"
    stuck = summary_csv(tmp_path / "reports", db, 2026, 2026)  # inside 2025-2026: removed when it can be
    stuck.parent.mkdir(parents=True)
    stuck.write_text(f"scenario_id,plan_design_id,year\n{SCENARIO},{DESIGN},2026\n")
    make_immutable(stuck)
    config = write_config(tmp_path, small_census, 2026)
    assert main(["run", "-c", str(config), "--database", str(db)]) == 0
    out = capsys.readouterr().out
    assert [line for line in out.splitlines() if line.startswith("warning: could not remove")] == [
        f"warning: could not remove {summary_csv(Path('reports'), db, 2026, 2026)} (Operation not permitted), the CSV of years 2026-2026 that "
        f"multi_year_summary_{SCENARIO}_{DESIGN}_2025_2026.csv replaces; remove it by hand"]
    # This run's own 2025 CSV is replaced without a line; only others' files are told.
    assert not summary_csv(tmp_path / "reports", db, 2025, 2025).exists() and "removed " not in out
    assert [int(r["year"]) for r in read_csv(summary_csv(tmp_path / "reports", db, 2025, 2026))] == [2025, 2026]


def test_a_directory_at_the_csvs_name_stops_the_run_with_the_path_to_move(tmp_path, small_census, capsys):
    db = tmp_path / "d.duckdb"
    blocked = summary_csv(tmp_path / "reports", db, 2025, 2025)
    blocked.mkdir(parents=True)
    assert main(["run", "-c", str(write_config(tmp_path, small_census, 2025)), "--database", str(db)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"Error: cannot write {summary_csv(Path('reports'), db, 2025, 2025)}: ") and ".tmp" not in err
    assert "move it away and run again" in err
