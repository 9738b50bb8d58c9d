"""Several plan designs of one scenario: identity of rows, checkpoints and reports, and the
contract that each design's rows equal those of running it alone.

Real runs of the 400-person census, 2025-2026. Designs differ in match formula (and its
calculation: annual, or per weekly payroll without a true-up), core rate and auto-enrollment
default, so their plan rows really differ while their workforce is the same.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from conftest import build_year_by_hand, copy_database, deep_merge
from navigator_orchestrator.cli import main
from navigator_orchestrator.config.schema import DEFAULT_CONFIG, ConfigError, load_config, parse_config
from navigator_orchestrator.engine import database
from navigator_orchestrator.engine.publish import PUBLISHED_TABLES
from navigator_orchestrator.engine.simulation import Simulation
from navigator_orchestrator.identity import Identity
from navigator_orchestrator.quality import tripwires
from navigator_orchestrator.quality.tripwires import TripwireError
from navigator_orchestrator.safety import checkpoints

SCENARIO, BASE, RICH = "baseline", "standard_401k", "safe_harbor"
RICH_OVERRIDES = {
    "employer_match": {"active_formula": "safe_harbor_basic", "calculation_period": "pay_period"},
    "payroll": {"frequency": "weekly"},
    "employer_core_contribution": {"contribution_rate": 0.03},
    "enrollment": {"auto_enrollment": {"default_deferral_rate": 0.04}},
}


def config_data(census: Path, end_year: int = 2026, **top: object) -> dict:
    data = deep_merge(yaml.safe_load(DEFAULT_CONFIG.read_text()), {
        "simulation": {"start_year": 2025, "end_year": end_year},
        "setup": {"census_parquet_path": str(census)},
    })
    return deep_merge(data, top)


def write(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def rows_of(db: Path, design: str) -> dict[str, list[tuple]]:
    """Every published row of one design without run_id, sorted, per table."""
    with duckdb.connect(str(db), read_only=True) as conn:
        return {t: conn.execute(f"select * exclude (run_id) from {t} where scenario_id = ? "
                                "and plan_design_id = ? order by all", [SCENARIO, design]).fetchall()
                for t in PUBLISHED_TABLES}


def digests(db: Path, design: str) -> dict[int, dict]:
    """Row digests (run_id included: byte for byte) of one design, per year and table."""
    with duckdb.connect(str(db), read_only=True) as conn:
        return {year: {t: conn.execute(
            f"select count(*), sum(hash(t)::hugeint) from {t} as t where scenario_id = ? "
            "and plan_design_id = ? and simulation_year = ?", [SCENARIO, design, year]).fetchone()
            for t in PUBLISHED_TABLES} for year in (2025, 2026)}


@pytest.fixture(scope="module")
def runs(tmp_path_factory, small_census):
    root = tmp_path_factory.mktemp("designs")
    both = write(root / "both.yaml", config_data(small_census, plan_designs={RICH: RICH_OVERRIDES}))
    alone = write(root / "alone.yaml", config_data(small_census, plan_design_id=RICH, **RICH_OVERRIDES))
    Simulation(load_config(both), root / "both.duckdb", checkpoint_dir=root / "cp").run()
    Simulation(load_config(alone), root / "alone.duckdb", checkpoint_dir=root / "cp").run()
    return {"root": root, "both": both, "db": root / "both.duckdb", "alone": root / "alone.duckdb"}


def test_two_designs_coexist_and_each_equals_its_single_design_run(runs):
    together = rows_of(runs["db"], RICH)
    assert together == rows_of(runs["alone"], RICH)
    assert all(together.values())
    base = rows_of(runs["db"], BASE)
    # The designs really differ in plan money, and share the same workforce.
    assert base["fct_employer_match_events"] != together["fct_employer_match_events"]
    people = "select employee_id, simulation_year, employment_status, current_compensation " \
             "from fct_workforce_snapshot where plan_design_id = ? order by all"
    with duckdb.connect(str(runs["db"]), read_only=True) as conn:
        assert conn.execute(people, [BASE]).fetchall() == conn.execute(people, [RICH]).fetchall()


def test_running_one_design_alone_leaves_the_others_rows_byte_for_byte(runs):
    db = runs["root"] / "rerun.duckdb"
    shutil.copy(runs["db"], db)
    other_before, own_before = digests(db, RICH), rows_of(db, BASE)
    assert main(["run", "-c", str(runs["both"]), "--database", str(db), "--plan-designs", BASE]) == 0
    assert digests(db, RICH) == other_before
    assert rows_of(db, BASE) == own_before  # and the baseline alone gives the rows it gave beside RICH
    with duckdb.connect(str(db), read_only=True) as conn:
        runs_logged = conn.execute("select plan_design_id, status from int_simulation_run_log "
                                   "order by started_at, plan_design_id").fetchall()
    assert runs_logged == [(BASE, "completed"), (RICH, "completed"), (BASE, "completed")]


def test_dq_checks_every_design_and_names_the_design_of_a_failing_check(runs, tmp_path, capsys):
    db = tmp_path / "dq.duckdb"
    shutil.copy(runs["db"], db)
    # A safe_harbor employee without any deferral rate in 2026 who defers $100 anyway.
    with duckdb.connect(str(db)) as conn:
        conn.execute("""
            update fct_workforce_snapshot set prorated_annual_contributions = 100
            where plan_design_id = ? and simulation_year = 2026 and employee_id = (
                select min(s.employee_id) from fct_workforce_snapshot as s
                where s.plan_design_id = ? and s.simulation_year = 2026 and s.current_deferral_rate = 0
                  and s.employee_id not in (
                      select employee_id from fct_yearly_events where plan_design_id = ?
                        and simulation_year = 2026 and (employee_deferral_rate > 0 or prev_employee_deferral_rate > 0)
                      union
                      select employee_id from fct_workforce_snapshot where plan_design_id = ?
                        and simulation_year = 2025 and current_deferral_rate > 0))""", [RICH] * 4)
    capsys.readouterr()
    assert main(["dq", "-c", str(runs["both"]), "--database", str(db)]) == 1
    lines = capsys.readouterr().out.splitlines()
    check = {line.split()[1]: line.split()[3:6] for line in lines
             if line.startswith("tripwire") and " deferrals_for_non_participants " in line}
    assert check == {BASE: ["2", "0", "0"], RICH: ["1", "0", "1"]}  # pass, warn, fail over 2025-2026
    assert main(["dq", "-c", str(runs["both"]), "--database", str(runs["db"]), "--plan-designs", BASE]) == 0
    out = capsys.readouterr().out
    assert f" {BASE} " in out and f" {RICH} " not in out


def test_a_year_of_every_design_is_checked_at_once_and_a_defect_trips_only_its_design(runs, tmp_path):
    db = copy_database(runs["db"], tmp_path / "guard.duckdb")
    build_year_by_hand(runs["both"], db, 2026)  # the work tables of 2026, both designs
    designs = load_config(runs["both"]).designs([])
    with database.connect(db) as conn:
        grouped = tripwires.evaluate_designs(conn, designs, 2026, "year", db)
        alone = {d: tripwires.evaluate(conn, c, 2026, "year", db) for d, c in designs.items()}
        # The hires of one design's event log are lost between its build and its publish.
        conn.execute("delete from int_yearly_events where plan_design_id = ? and event_type = 'hire'", [RICH])
        lines: list[str] = []
        with pytest.raises(TripwireError) as err:
            tripwires.guard_designs(conn, designs, 2026, "guard-test", db, echo=lines.append)
        recorded = dict(conn.execute(
            "select plan_design_id, status from int_data_quality_results "
            "where run_id = 'guard-test' and check_name = 'hiring_demand_without_hires'").fetchall())
    # One query per check gives every design exactly what checking it alone gives.
    for design_id in designs:
        assert [(r.check_name, r.status, r.observed) for r in grouped[design_id].results] == \
               [(r.check_name, r.status, r.observed) for r in alone[design_id].results]
    assert recorded == {BASE: "pass", RICH: "fail"}
    assert {r.check_name for r in err.value.results} == {"hiring_demand_without_hires"}
    assert {r.plan_design_id for r in err.value.results} == {RICH} and f"(plan design {RICH})" in str(err.value)
    failed = [line for line in lines if line.startswith("[FAILED]")]
    assert failed and all(line.endswith(f"(plan design {RICH})") for line in failed)
    # The rebuild names the failing design; the rerun every design of the run, since the failure
    # refused the year for all of them (they are published together).
    recovery = err.value.results[0].recovery
    assert f"--plan-designs {RICH} -- run --select" in recovery
    assert recovery.endswith(f"--plan-designs {','.join(designs)}") and len(designs) > 1


def test_each_designs_run_log_row_summarises_its_own_data_quality_results(runs):
    with duckdb.connect(str(runs["db"]), read_only=True) as conn:
        logged = conn.execute("select run_id, plan_design_id, data_quality from int_simulation_run_log").fetchall()
        recorded = dict(((r[0], r[1]), r[2]) for r in conn.execute(
            "select run_id, plan_design_id, count(*) from int_data_quality_results group by all").fetchall())
    assert {design for _, design, _ in logged} == {BASE, RICH}
    for run_id, design, summary in logged:
        counts = json.loads(summary)
        assert counts["pass"] + counts["warn"] + counts["fail"] == recorded[(run_id, design)] > 0


def test_each_design_has_its_own_checkpoints_and_reports(runs, tmp_path, capsys):
    found = checkpoints.list_checkpoints(runs["root"] / "cp")
    keys = sorted((v.checkpoint.database, v.checkpoint.plan_design_id, v.checkpoint.year) for v in found)
    assert keys == sorted((str(db), d, y) for db, d in ((runs["db"], BASE), (runs["db"], RICH),
                                                       (runs["alone"], RICH)) for y in (2025, 2026))
    assert all(v.ok for v in found) and len({v.path for v in found}) == 6


def test_two_designs_and_two_databases_in_one_directory_resume_each(tmp_path, small_census, capsys):
    one_year = write(tmp_path / "c1.yaml", config_data(small_census, 2025, plan_designs={RICH: RICH_OVERRIDES}))
    two_years = write(tmp_path / "c2.yaml", config_data(small_census, 2026, plan_designs={RICH: RICH_OVERRIDES}))
    a, b = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    assert main(["run", "-c", str(one_year), "--database", str(a)]) == 0
    # Years are counted once, however many designs each was built for.
    assert "Done: 1 year(s) of 2 plan designs in " in capsys.readouterr().out
    assert main(["run", "-c", str(one_year), "--database", str(b), "--plan-designs", RICH]) == 0
    assert "Done: 1 year(s) in " in capsys.readouterr().out
    assert main(["run", "-c", str(two_years), "--database", str(a), "--resume"]) == 0
    out = capsys.readouterr().out
    assert f"verified {BASE} 2025" in out and f"{RICH} 2025" in out and "continuing at 2026" in out
    assert main(["run", "-c", str(two_years), "--database", str(b), "--resume", "--plan-designs", RICH]) == 0
    assert "continuing at 2026" in capsys.readouterr().out
    # b never held the baseline: resuming it there is refused, naming the checkpoints that exist.
    assert main(["run", "-c", str(two_years), "--database", str(b), "--resume", "--plan-designs", BASE]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: cannot resume") and "no checkpoints found" in err
    assert f"of {SCENARIO}/{RICH}: they belong to design '{RICH}'" in err
    for db, designs in ((a, (BASE, RICH)), (b, (RICH,))):
        assert main(["checkpoint", "-c", str(two_years), "--database", str(db)]) == 0
        out = capsys.readouterr().out
        for design in designs:
            assert f"design {design}:" in out
        assert out.count("Last valid checkpoint: 2026") == len(designs)
    # Reports of the two databases and two designs lie side by side, none overwritten.
    csvs = sorted((tmp_path / "reports").rglob("*_2025_2026.csv"))
    assert csvs == sorted(Identity(db, SCENARIO, design).subdirectory(tmp_path / "reports")
                          / f"multi_year_summary_{SCENARIO}_{design}_2025_2026.csv"
                          for db, design in ((a, BASE), (a, RICH), (b, RICH)))


def test_a_moved_database_or_another_directory_is_told_why_checkpoints_do_not_apply(
        tmp_path, small_census, capsys, monkeypatch):
    config = write(tmp_path / "c.yaml", config_data(small_census, 2025))
    a = tmp_path / "a.duckdb"
    assert main(["run", "-c", str(config), "--database", str(a)]) == 0
    moved = tmp_path / "moved.duckdb"
    shutil.copy(a, moved)
    capsys.readouterr()
    assert main(["run", "-c", str(config), "--database", str(moved), "--resume"]) == 1
    err = capsys.readouterr().err
    assert f"checkpoints 2025 of {SCENARIO}/{BASE}: they belong to database {a}, not {moved}" in err
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["run", "-c", str(config), "--database", str(a), "--resume"]) == 1
    err = capsys.readouterr().err
    assert f"wrote checkpoints under {tmp_path / '.navigator_checkpoints'}" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("designs, message", [
    ({"Not a slug!": {}}, "plan_designs.Not a slug!: 'Not a slug!' is not a slug"),
    ({"lean": {"workforce": {"total_termination_rate": 0.2}}},
     "plan_designs.lean.workforce: only plan sections differ between designs"),
    ({"lean": {"employer_macth": {}}}, "did you mean 'plan_designs.lean.employer_match'?"),
    ({"lean": {"employer_match": {"active_fromula": "x"}}},
     "did you mean 'plan_designs.lean.employer_match.active_formula'?"),
    ({"lean": {"eligibility": {"minimum_age": -1}}}, "plan_designs.lean.eligibility.minimum_age"),
    ({BASE: {}}, f"plan_designs.{BASE}: '{BASE}' is the baseline"),
    ({"lean": {"matching": {}}}, "unknown key 'plan_designs.lean.matching'; a design overrides plan sections: "
                                 "eligibility, enrollment, deferral_auto_escalation, employer_match"),
    (["lean", "rich"], "plan_designs must be a mapping from a design id to its plan-section overrides, not a list; "
                       "e.g. plan_designs: {safe_harbor: {employer_match: {active_formula: safe_harbor_basic}}"),
])
def test_bad_designs_are_refused_with_one_line(designs, message, tmp_path, small_census, capsys):
    with pytest.raises(ConfigError, match=None) as exc:
        parse_config(config_data(small_census, plan_designs=designs), tmp_path)
    assert message in str(exc.value)
    assert "scenario_id" not in str(exc.value)  # never the top-level keys as suggestions for a design
    path = write(tmp_path / "bad.yaml", config_data(small_census, plan_designs=designs))
    db = tmp_path / "x.duckdb"
    assert main(["run", "-c", str(path), "--database", str(db)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and len(err.strip().splitlines()) == 1 and not db.exists()


def test_plan_designs_option_must_name_designs_of_the_config(tmp_path, small_census, capsys):
    path = write(tmp_path / "c.yaml", config_data(small_census, plan_designs={RICH: RICH_OVERRIDES}))
    db = tmp_path / "x.duckdb"
    for option, message in (("nope", "--plan-designs names 'nope', which the config does not define; "
                                      f"designs: {BASE}, {RICH}"),
                            ("a b", "--plan-designs 'a b': give design ids (slugs)"),
                            (f"{RICH},{BASE},{RICH}", f"names '{RICH}' more than once; give each design once")):
        assert main(["run", "-c", str(path), "--database", str(db), "--plan-designs", option]) == 1
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1
    assert not db.exists()


def test_a_design_is_the_top_level_with_only_its_plan_sections_changed(small_census, tmp_path):
    config = parse_config(config_data(small_census, plan_designs={RICH: RICH_OVERRIDES}), tmp_path)
    base, rich = config.designs().values()
    assert config.design_ids == [BASE, RICH]
    assert rich.plan_design_id == RICH and rich.plan_designs == {}
    assert rich.employer_match.active_formula == "safe_harbor_basic"
    assert rich.enrollment.auto_enrollment.default_deferral_rate == 0.04
    assert rich.enrollment.auto_enrollment.window_days == base.enrollment.auto_enrollment.window_days
    assert rich.workforce == base.workforce and rich.simulation == base.simulation
    # Same vars (and so the same config hash) as a config holding that design alone.
    alone = parse_config(config_data(small_census, plan_design_id=RICH, **RICH_OVERRIDES), tmp_path)
    assert rich.to_dbt_vars() == alone.to_dbt_vars() and rich.config_hash() == alone.config_hash()
