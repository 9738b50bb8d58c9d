"""`navigator ensemble`: seeds as ordinary runs, percentiles computed again from the seed databases,
an interrupted ensemble that a rerun finishes (skipping finished seeds), a killed worker retried,
local and Ray summaries identical, and bad input refused in one line with nothing written.

One ensemble directory is built in three steps and shared (each seed run costs seconds):
1. three seeds with one worker, interrupted (SIGINT) as soon as the first seed has finished;
2. the same command again, two workers, with the fault point killing seed 3's process once
   after its first year: seed 1 is skipped, seeds 2 and 3 run, seed 3 is retried;
3. the same command once more: every seed is skipped.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from conftest import deep_merge, write_scenario
from navigator_orchestrator.cli import main
from navigator_orchestrator.config.schema import PROJECT_ROOT
from navigator_orchestrator.ensemble import summary as summaries
from navigator_orchestrator.ensemble.layout import Ensemble
from navigator_orchestrator.ensemble.worker import KILL_MARKER, KILL_SEED

BASE, LEAN = "standard_401k", "no_core"
SEEDS = [1, 2, 3]
KILLED = 3
HEADER = ["scenario_id", "plan_design_id", "simulation_year", "metric",
          "p10", "p25", "p50", "p75", "p90", "mean", "sd", "n"]


def navigator(argv: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "navigator_orchestrator.cli", *argv], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **(env or {})})


def write_config(path: Path, census: Path, overrides: dict | None = None) -> Path:
    """The default scenario on `census`, 2025-2026, with a second design (no core contribution)."""
    designs = {"plan_designs": {LEAN: {"employer_core_contribution": {"enabled": False}}}}
    return write_scenario(path.parent, census, deep_merge(designs, overrides or {}), name=path.name)


@pytest.fixture(scope="module")
def tiny_census(tmp_path_factory) -> Path:
    from datetime import date

    from navigator_orchestrator.census.intake import generate_census

    return generate_census(150, 11, tmp_path_factory.mktemp("census") / "census.parquet", date(2024, 12, 31))


@pytest.fixture(scope="module")
def built(tmp_path_factory, tiny_census):
    root = tmp_path_factory.mktemp("ensemble")
    config = write_config(root / "config.yaml", tiny_census)
    out = root / "ens"
    argv = ["ensemble", "-c", str(config), "--seeds", "3", "--first-seed", "1", "--out", str(out)]
    # 1. interrupted once seed 1 has finished
    stdout, stderr = root / "first.out", root / "first.err"
    with stdout.open("w") as so, stderr.open("w") as se:
        proc = subprocess.Popen([sys.executable, "-m", "navigator_orchestrator.cli", *argv, "--workers", "1"], cwd=root,
                                stdout=so, stderr=se, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT),
                                                           "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + 300
        seed_2 = out / "logs" / "ensemble" / "seed_2.txt"  # seed 2's run has started: it prints this first
        while "seed 1 finished" not in stdout.read_text() or not (seed_2.exists() and "Simulating" in seed_2.read_text()):
            assert proc.poll() is None, stderr.read_text()
            assert time.monotonic() < deadline, "seed 2 did not start in time"
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        first_code = proc.wait(timeout=120)
    after_first = sorted(p.name for p in out.glob("seed_*.duckdb") if ".work." not in p.name)
    # 2. rerun: seed 1 skipped, seed 3's process killed once after its first year
    marker = root / "killed-once"
    second = navigator([*argv, "--workers", "2"], root, {KILL_SEED: str(KILLED), KILL_MARKER: str(marker)})
    modified = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    with duckdb.connect(str(out / "ensemble.duckdb"), read_only=True) as conn:
        seeds = conn.execute("select seed, status, attempts from ensemble_seeds order by seed").fetchall()
    # 3. rerun: nothing left to run
    third = navigator([*argv, "--workers", "2"], root)
    return {"root": root, "config": config, "out": out, "argv": argv, "marker": marker,
            "first": (first_code, stdout.read_text(), stderr.read_text()), "second": second, "third": third,
            "modified": modified, "seeds_after_second": seeds,
            "databases_after_first": after_first}


def summary_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def seed_figures(db: Path, scenario: str) -> dict[tuple[str, str, str], Decimal]:
    """Figures read straight from one seed's fct_plan_year_summary (not through the compare code)."""
    with duckdb.connect(str(db), read_only=True) as conn:
        rows = conn.execute(
            "select plan_design_id, simulation_year, employee_deferrals, employer_match, employer_core, "
            "total_employer_cost, participation_rate from fct_plan_year_summary where scenario_id = ?",
            [scenario]).fetchall()
    out: dict[tuple[str, str, str], Decimal] = {}
    for design, year, deferrals, match, core, cost, participation in rows:
        for metric, value in (("employee_deferrals", deferrals), ("employer_match", match), ("employer_core", core),
                              ("employer_cost", cost), ("participation_rate", Decimal(repr(participation)))):
            out[(design, str(year), metric)] = Decimal(value)
            key = (design, "total", metric)
            if metric != "participation_rate":
                out[key] = out.get(key, Decimal(0)) + Decimal(value)
    for year in ("2025", "2026", "total"):
        out[(LEAN, year, "employer_cost_vs_baseline")] = out[(LEAN, year, "employer_cost")] - out[(BASE, year, "employer_cost")]
    return out


def inclusive_percentiles(values: list[Decimal]) -> dict[str, Decimal]:
    """Type 7 percentiles by Python's statistics module (an implementation independent of ours)."""
    cuts = statistics.quantiles(values, n=20, method="inclusive")  # 5%, 10%, ..., 95%
    return {"p10": cuts[1], "p25": cuts[4], "p50": cuts[9], "p75": cuts[14], "p90": cuts[17]}


def test_an_interrupt_stops_the_workers_and_keeps_the_finished_seed(built):
    code, out, err = built["first"]
    assert code == 128 + signal.SIGINT, err
    assert err.strip().splitlines() == [
        f"Interrupted (SIGINT): 1 of 3 seeds are finished in {built['out']} (1), each a complete database; rerun "
        "the same command to run the rest (finished seeds are skipped)"]
    # seed 2 was running: its run was stopped and closed its run log, and it did not start seed 3
    assert built["databases_after_first"] == ["seed_1.duckdb", "seed_2.duckdb"]
    console = (built["out"] / "logs" / "ensemble" / "seed_2.txt").read_text()
    assert "Interrupted (SIGTERM)" in console.split("attempt 1")[1]


def test_a_rerun_skips_finished_seeds(built):
    second, third = built["second"], built["third"]
    assert second.returncode == 0, second.stderr
    assert "1 finished already, 2 to run" in second.stdout
    assert "seed 1 finished" not in second.stdout
    assert third.returncode == 0, third.stderr
    assert "all 3 finished already; nothing to run, summarising" in third.stdout
    # no seed's files changed: only the summary was written again
    changed = [p.name for p, mtime in built["modified"].items() if p.exists() and p.stat().st_mtime_ns != mtime]
    assert sorted(changed) == ["ensemble.duckdb", "ensemble_report.html", "ensemble_summary.csv"]
    # seed 1 ran once, in the first invocation
    assert (built["out"] / "logs" / "ensemble" / "seed_1.txt").read_text().count("--- seed 1,") == 1


def test_a_killed_workers_seed_is_retried(built):
    second, out = built["second"], built["out"]
    assert built["marker"].exists()  # the fault point fired
    assert f"seed {KILLED} failed (the process running it was killed by SIGKILL); running it once more" in second.stdout
    assert f"seed {KILLED} finished" in second.stdout
    console = (out / "logs" / "ensemble" / f"seed_{KILLED}.txt").read_text()
    assert "attempt 2" in console and console.split("attempt 2")[1].splitlines()[0].endswith("--resume")
    assert built["seeds_after_second"] == [(1, "finished", 0), (2, "finished", 1), (KILLED, "finished", 2)]
    with duckdb.connect(str(out / f"seed_{KILLED}.duckdb"), read_only=True) as conn:
        runs = conn.execute("select status, resumed_after_year from int_simulation_run_log "
                            "where plan_design_id = ? order by started_at", [BASE]).fetchall()
    assert runs == [("interrupted", None), ("completed", 2025)]  # the dead run, then the resume


def test_percentiles_equal_those_computed_from_the_seed_databases(built):
    out = built["out"]
    direct = {seed: seed_figures(out / f"seed_{seed}.duckdb", f"baseline_seed{seed}") for seed in SEEDS}
    rows = {(r["plan_design_id"], r["simulation_year"], r["metric"]): r for r in summary_csv(out / "ensemble_summary.csv")}
    ensemble = Ensemble(built["config"], out, 3, 1)
    banded = summaries.build(ensemble, [summaries.SeedRecord(s, "finished") for s in SEEDS], min_seeds_for_bands=2)
    banded_rows = {(r["plan_design_id"], r["simulation_year"], r["metric"]): r for r in banded.rows}
    checked = 0
    for key in direct[1]:
        values = [direct[seed][key] for seed in SEEDS]
        quantum = Decimal("0.000001") if key[2] == "participation_rate" else Decimal("0.01")
        expected = {**inclusive_percentiles(values), "mean": statistics.mean(values), "sd": statistics.stdev(values)}
        expected = {k: v.quantize(quantum, rounding="ROUND_HALF_UP") for k, v in expected.items()}
        # the CSV written by the command: 3 seeds, so the band edges are withheld
        row = rows[key]
        assert [row[c] for c in ("p10", "p25", "p75", "p90")] == ["", "", "", ""]
        assert (Decimal(row["p50"]), Decimal(row["mean"]), Decimal(row["sd"]), int(row["n"])) == (
            expected["p50"], expected["mean"], expected["sd"], 3), key
        # the same seeds with bands allowed from 2 seeds: every percentile
        got = banded_rows[key]
        assert {k: got[k] for k in expected} == expected, key
        checked += 1
    assert checked == 2 * (2 * 5 + 4) + 3  # designs x (years x metrics + totals) + variances


def test_summary_csv_has_exactly_the_stat_columns_plus_the_keys_and_every_design(built):
    rows = summary_csv(built["out"] / "ensemble_summary.csv")
    with (built["out"] / "ensemble_summary.csv").open() as fh:
        assert fh.readline().strip().split(",") == HEADER
    assert {r["plan_design_id"] for r in rows} == {BASE, LEAN}
    assert {r["simulation_year"] for r in rows} == {"2025", "2026", "total"}
    assert not [r for r in rows if r["plan_design_id"] == BASE and r["metric"] == "employer_cost_vs_baseline"]
    assert "Bands withheld: 3 seed(s) are fewer than the 10" in built["third"].stdout
    report = (built["out"] / "ensemble_report.html").read_text()
    assert "Bands withheld" in report and "band-outer" not in report.split("</style>")[1]


def test_seeds_never_share_a_checkpoint_report_or_log(built):
    out = built["out"]
    for kind in (".navigator_checkpoints", "reports", "logs"):
        tags = sorted(p.name for p in (out / kind).iterdir() if p.is_dir() and p.name != "ensemble")
        assert [t.split("-")[0] for t in tags] == [f"seed_{s}" for s in SEEDS], kind
    for seed in SEEDS:
        files = sorted((out / ".navigator_checkpoints").glob(f"seed_{seed}-*/baseline_seed{seed}/*/year_*.json"))
        assert len(files) == 4  # two designs, two years
        assert {json.loads(f.read_text())["database"] for f in files} == {str(out / f"seed_{seed}.duckdb")}
    # the seeds differ from each other (each its own draws)
    costs = {seed: seed_figures(out / f"seed_{seed}.duckdb", f"baseline_seed{seed}")[(BASE, "total", "employer_cost")]
             for seed in SEEDS}
    assert len(set(costs.values())) == 3


def test_a_seed_reports_like_an_ordinary_run(built, capsys, monkeypatch):
    monkeypatch.chdir(built["out"])
    assert main(["report", "-c", "seed_2.yaml", "--database", "seed_2.duckdb", "--out", str(built["root"] / "r.html")]) == 0
    assert "baseline_seed2" in (built["root"] / "r.html").read_text()


def test_local_and_ray_summaries_are_identical(built, tmp_path):
    pytest.importorskip("ray", reason="the ray executor is an extra: pip install -e '.[ray]'")
    ray_out = built["root"] / "ray"
    result = navigator(["ensemble", "-c", str(built["config"]), "--seeds", "2", "--first-seed", "1", "--out",
                        str(ray_out), "--executor", "ray", "--workers", "2"], built["root"])
    assert result.returncode == 0, result.stderr
    assert "on Ray (local) with 2 worker(s)" in result.stdout
    # the local pool's seeds 1 and 2, summarised as the command does
    ensemble = Ensemble(built["config"], built["out"], 2, 1)
    local = summaries.build(ensemble, [summaries.SeedRecord(s, "finished") for s in (1, 2)])
    _, local_csv = summaries.write(local, ensemble, tmp_path)
    assert (ray_out / "ensemble_summary.csv").read_bytes() == local_csv.read_bytes()
    query = "select * exclude (scenario_id) from ensemble_seed_figures order by all"
    with duckdb.connect(str(ray_out / "ensemble.duckdb"), read_only=True) as a, \
            duckdb.connect(str(tmp_path / "ensemble.duckdb"), read_only=True) as b:
        assert a.execute(query).fetchall() == b.execute(query).fetchall()


# ----- bad input: one line, nothing written ----------------------------------------------------

def _refused(argv: list[str], capsys) -> str:
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("Error: "), err
    return err[0]


def test_zero_seeds_is_refused(built, tmp_path, capsys):
    line = _refused(["ensemble", "-c", str(built["config"]), "--seeds", "0", "--out", str(tmp_path / "new")], capsys)
    assert "--seeds 0" in line and "1 or more" in line
    assert not (tmp_path / "new").exists()


def test_a_directory_holding_other_files_is_refused(built, tmp_path, capsys):
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    line = _refused(["ensemble", "-c", str(built["config"]), "--seeds", "2", "--out", str(other)], capsys)
    assert "holds other files (notes.txt)" in line and "new or empty directory" in line
    assert [p.name for p in other.iterdir()] == ["notes.txt"]


def test_a_directory_of_another_configs_seeds_is_refused(built, tiny_census, tmp_path, capsys):
    changed = write_config(tmp_path / "changed.yaml", tiny_census,
                           {"employer_core_contribution": {"contribution_rate": 0.05}})
    before = {p: p.stat().st_mtime_ns for p in built["out"].rglob("*")}
    line = _refused(["ensemble", "-c", str(changed), "--seeds", "3", "--first-seed", "1", "--out", str(built["out"])],
                    capsys)
    assert "holds seeds of a different config (not the same configuration)" in line and "new --out" in line
    assert {p: p.stat().st_mtime_ns for p in built["out"].rglob("*")} == before


def test_an_unknown_threshold_metric_is_refused(built, tmp_path, capsys):
    line = _refused(["ensemble", "-c", str(built["config"]), "--seeds", "2", "--out", str(tmp_path / "new"),
                     "--threshold", "match_cost:5"], capsys)
    assert "--threshold 'match_cost:5'" in line and "employer_cost" in line
    assert not (tmp_path / "new").exists()


def test_an_unreachable_ray_address_is_refused(built, tmp_path, capsys):
    pytest.importorskip("ray", reason="the ray executor is an extra: pip install -e '.[ray]'")
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    line = _refused(["ensemble", "-c", str(built["config"]), "--seeds", "2", "--out", str(tmp_path / "new"),
                     "--executor", "ray", "--address", f"127.0.0.1:{port}"], capsys)
    assert f"nothing answers at 127.0.0.1:{port}" in line
    assert not (tmp_path / "new").exists()


def test_the_ray_executor_without_ray_says_how_to_install_it(built, tmp_path):
    # A None entry in sys.modules makes `import ray` fail as if Ray were not installed.
    script = ("import sys; sys.modules['ray'] = None; from navigator_orchestrator.cli import main; "
              f"sys.exit(main(['ensemble', '-c', {str(built['config'])!r}, '--seeds', '2', '--out', "
              f"{str(tmp_path / 'new')!r}, '--executor', 'ray']))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: the ray executor needs Ray, which is not installed: pip install '.[ray]' (pip install -e '.[ray]' "
        "in a checkout), or use --executor local"]
    assert not (tmp_path / "new").exists()
