"""Benchmark harness: the real `navigator run` CLI path on generated censuses.

For each (employees, years) it generates a census (cached by size and seed), runs
`python -m navigator_orchestrator.cli run` as a child process into a fresh database inside a
fresh working directory, and records wall time, CPU time and peak RSS of that child, the events
written, the dbt invocations, and seconds per stage (from the run's JSONL log when present).
It writes a Markdown and a JSON table and prints the command that reproduces each row.

    python benchmarks/run_benchmarks.py                      # 5k and 60k x 5 and 10 years
    python benchmarks/run_benchmarks.py --sizes 5000 60000 250000 1000000 --years 5 10
    python benchmarks/run_benchmarks.py --sizes 60000 --years 5 --designs 1 10   # plan designs

With --designs N the config holds N plan designs of one scenario (the baseline and N - 1 that
differ in core rate and auto-enrollment default); the table then gives each row's wall time as a
multiple of the one-design row of the same size and years.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import yaml

from navigator_orchestrator.sql import connect_duckdb

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = ROOT / "config" / "simulation_config.yaml"
START_YEAR = 2025


def generate(employees: int, seed: int, cache: Path) -> Path:
    path = cache / f"census_{employees}_{seed}.parquet"
    if not path.exists():
        subprocess.run(
            [sys.executable, "-m", "navigator_orchestrator.cli", "census", "generate",
             "--employees", str(employees), "--seed", str(seed), "--out", str(path)],
            check=True, capture_output=True, text=True,
        )
    return path


def _log_records(workdir: Path, event: str) -> list[dict]:
    records = []
    for log in (workdir / "logs").rglob("run_*.jsonl"):
        records += [r for r in map(json.loads, log.read_text().splitlines()) if r.get("event") == event]
    return records


def _stage_records(workdir: Path) -> list[dict]:
    return _log_records(workdir, "stage")


def heaviest_models(workdir: Path, count: int = 10) -> dict[str, float]:
    """The `count` nodes (models, seeds, tests) with the most dbt seconds, summed over the years
    (the run log's `models` lines): where a year's build time goes."""
    totals: dict[str, float] = defaultdict(float)
    for record in _log_records(workdir, "models"):
        for name, seconds in record.get("seconds", {}).items():
            totals[name] += seconds
    ranked = sorted(totals.items(), key=lambda item: -item[1])[:count]
    return {name: round(seconds, 2) for name, seconds in ranked}


def stage_seconds(workdir: Path) -> dict[str, float]:
    """Sum of seconds per stage over the run's JSONL log lines that carry a stage and a duration."""
    totals: dict[str, float] = defaultdict(float)
    for record in _stage_records(workdir):
        stage, seconds = record.get("stage"), record.get("seconds")
        if stage and isinstance(seconds, (int, float)):
            totals[stage] += seconds
    return {k: round(v, 2) for k, v in sorted(totals.items())}


def per_year_split(workdir: Path) -> dict[str, float | None]:
    """Seconds per simulated year of model build and of orchestration.

    Model build: dbt's own time per model (compile + materialize, `model_ms` of the year's
    dbt_build stage), summed. Orchestration: everything else the year's stages took: starting
    the dbt invocation, tripwires, publish, audit, checkpoint. The first year also pays the
    run's one-time costs (dbt's first invocation builds its schemas and macro templates, seeds
    load), so orchestration is given for the first year and as the mean of the later years.
    With more than one dbt thread models overlap and their summed time exceeds the stage's
    wall time, so the split is exact only with --threads 1.
    """
    stages: dict[int, float] = defaultdict(float)
    models: dict[int, float] = defaultdict(float)
    for record in _stage_records(workdir):
        year = record.get("year")
        if year is None:
            continue
        stages[year] += record["seconds"]
        models[year] += record.get("rows", {}).get("model_ms", 0) / 1000
    years = sorted(stages)
    if not years:
        return {"model": None, "first": None, "later": None}
    later = years[1:]
    return {
        "model": round(sum(models[y] for y in years) / len(years), 3),
        "first": round(stages[years[0]] - models[years[0]], 3),
        "later": round(sum(stages[y] - models[y] for y in later) / len(later), 3) if later else None,
    }


def plan_designs(count: int) -> dict[str, dict]:
    """count - 1 designs beside the baseline, each with its own core rate and auto-enrollment default."""
    return {f"design_{i:02d}": {
        "employer_core_contribution": {"contribution_rate": round(0.005 * i, 4)},
        "enrollment": {"auto_enrollment": {"default_deferral_rate": round(0.03 + 0.005 * i, 4)}},
    } for i in range(1, count)}


def run_one(employees: int, years: int, seed: int, threads: int, cache: Path, keep: bool,
            designs: int = 1) -> dict:
    census = generate(employees, seed, cache)
    workdir = Path(tempfile.mkdtemp(prefix=f"bench_{employees}_{years}_", dir=cache))
    config = yaml.safe_load(DEFAULT_CONFIG.read_text())
    config["simulation"]["start_year"] = START_YEAR
    config["simulation"]["end_year"] = START_YEAR + years - 1
    config["setup"]["census_parquet_path"] = str(census)
    config.setdefault("setup", {}).setdefault("backup", {})["enabled"] = False  # fresh database: nothing to back up
    config["plan_designs"] = plan_designs(designs)
    config_path = workdir / "config.yaml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    database = workdir / "simulation.duckdb"
    command = [sys.executable, "-m", "navigator_orchestrator.cli", "run", "-c", str(config_path),
               "--database", str(database), "--threads", str(threads)]

    # os.wait4 gives this child's own resource usage (RUSAGE_CHILDREN would report the largest
    # child of the whole benchmark as every later row's peak). Output goes to files, so nothing
    # else waits for the child.
    out_path, err_path = workdir / "run.stdout", workdir / "run.stderr"
    started = time.perf_counter()
    with open(out_path, "w") as out, open(err_path, "w") as err:
        child = subprocess.Popen(command, cwd=workdir, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    stdout, stderr = out_path.read_text(), err_path.read_text()
    proc = subprocess.CompletedProcess(command, child.returncode, stdout, stderr)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark run failed ({employees} x {years}):\n{proc.stderr[-2000:]}")

    match = re.search(r"(\d+) dbt invocations", proc.stdout)
    split = per_year_split(workdir)
    with connect_duckdb(database, read_only=True) as conn:
        events = conn.execute("select count(*) from fct_yearly_events").fetchone()[0]
        snapshot_rows = conn.execute("select count(*) from fct_workforce_snapshot").fetchone()[0]
    row = {
        "employees": employees,
        "years": years,
        "designs": designs,
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # KiB on Linux
        "events": events,
        "snapshot_rows": snapshot_rows,
        "dbt_invocations": int(match.group(1)) if match else None,
        "seconds_per_year": round(wall / years, 2),
        "stages": stage_seconds(workdir),
        "heaviest_models": heaviest_models(workdir),
        "threads": threads,
        "model_s_per_year": split["model"],
        # Exact only without overlapping models (see per_year_split).
        "orchestration_s_first_year": split["first"] if threads == 1 else None,
        "orchestration_s_per_later_year": split["later"] if threads == 1 else None,
        "seed": seed,
        "command": reproduce_command(employees, years, seed, threads, designs=designs),
    }
    if not keep:
        database.unlink(missing_ok=True)
    return row


def reproduce_command(employees: int, years: int, seed: int, threads: int, repeat: int = 1,
                      designs: int = 1) -> str:
    return (f"python benchmarks/run_benchmarks.py --sizes {employees} --years {years} "
            f"--seed {seed} --threads {threads}" + (f" --repeat {repeat}" if repeat > 1 else "")
            # With several designs the row's "x one design" needs the one-design row beside it.
            + (f" --designs 1 {designs}" if designs > 1 else ""))


def median_run(runs: list[dict], repeat: int) -> dict:
    """The run with the median wall time (the lower middle one for an even count), with every
    run's wall time: on a shared machine one run says little."""
    ordered = sorted(runs, key=lambda r: r["wall_s"])
    row = dict(ordered[(len(ordered) - 1) // 2])
    row["runs"] = len(runs)
    row["wall_s_all"] = [r["wall_s"] for r in runs]
    row["command"] = reproduce_command(row["employees"], row["years"], row["seed"], row["threads"], repeat,
                                       row["designs"])
    return row


def machine() -> dict:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(mem, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "duckdb": duckdb.__version__,
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def markdown(rows: list[dict], info: dict) -> str:
    lines = [
        f"Machine: {info['cpus']} CPUs, {info['memory_gib']} GiB, Python {info['python']}, "
        f"DuckDB {info['duckdb']}, {info['date']}",
        "",
        "| employees | years | designs | x one design | threads | wall s | runs: wall s | CPU s | peak RSS MB | events | dbt invocations | s / year "
        "| model build s / year | orchestration s, first year | orchestration s / later year "
        "| seconds per stage |",
        "|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    single = {(r["employees"], r["years"]): r["wall_s"] for r in rows if r["designs"] == 1}
    for r in rows:
        base = single.get((r["employees"], r["years"]))
        ratio = f"{r['wall_s'] / base:.2f}" if base else "-"
        stages = ", ".join(f"{k} {v}" for k, v in r["stages"].items()) or "-"
        first, later = (("-" if v is None else v) for v in
                        (r["orchestration_s_first_year"], r["orchestration_s_per_later_year"]))
        lines.append(
            f"| {r['employees']:,} | {r['years']} | {r['designs']} | {ratio} | {r['threads']} | {r['wall_s']} | "
            f"{', '.join(str(w) for w in r.get('wall_s_all', [r['wall_s']]))} | {r['cpu_s']} | "
            f"{r['peak_rss_mb']} | {r['events']:,} | {r['dbt_invocations']} | {r['seconds_per_year']} | "
            f"{r['model_s_per_year']} | {first} | {later} | {stages} |"
        )
    lines += ["", "Wall s: the run with the median wall time when a row was run several times (--repeat); "
              "its other columns are that run's. Runs: every run's wall time, in the order run.",
              "", "Model build: dbt's summed time per model, per simulated year. Orchestration: the rest "
              "of the year's stages (dbt invocation start-up, tripwires, publish, audit, checkpoint); the "
              "first year also carries the run's one-time costs (seeds, dbt's first-invocation set-up). "
              "Exact only with --threads 1, where models do not overlap, so shown only then.",
              "", "Heaviest dbt nodes (seconds summed over the years; with more than one thread they overlap):", ""]
    lines += [f"- {r['employees']:,} x {r['years']} x {r['designs']} design(s): "
              + (", ".join(f"{k} {v}" for k, v in r.get("heaviest_models", {}).items()) or "-") for r in rows]
    lines += ["", "Reproduce a row:", ""] + [f"    {r['command']}" for r in rows]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 60000])
    parser.add_argument("--years", type=int, nargs="+", default=[5, 10])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cache", type=Path, default=ROOT / "benchmarks" / "results" / "work")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--keep-databases", action="store_true")
    parser.add_argument("--designs", type=int, nargs="+", default=[1],
                        help="plan designs per run (the baseline plus N - 1 generated ones)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per row; the row reports the run with the median wall time")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    args.cache.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    info = machine()
    rows = []
    for employees in args.sizes:
        for years in args.years:
            # Designs alternate inside each repetition, so a busier minute of a shared machine
            # does not fall on one design count only.
            runs: dict[int, list[dict]] = defaultdict(list)
            for attempt in range(1, args.repeat + 1):
                for designs in args.designs:
                    counter = f" (run {attempt} of {args.repeat})" if args.repeat > 1 else ""
                    print(f"running {employees:,} employees x {years} years x {designs} design(s){counter} ...",
                          flush=True)
                    run = run_one(employees, years, args.seed, args.threads, args.cache, args.keep_databases,
                                  designs)
                    runs[designs].append(run)
                    print(f"  wall {run['wall_s']} s, CPU {run['cpu_s']} s, peak RSS {run['peak_rss_mb']} MB, "
                          f"{run['events']:,} events, {run['dbt_invocations']} dbt invocations", flush=True)
            for designs in args.designs:
                row = median_run(runs[designs], args.repeat)
                rows.append(row)
                print(f"  reproduce: {row['command']}", flush=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    (args.out / f"benchmark_{stamp}.json").write_text(json.dumps({"machine": info, "rows": rows}, indent=2))
    table = markdown(rows, info)
    (args.out / f"benchmark_{stamp}.md").write_text(table)
    print()
    print(table)
    print(f"written: {args.out / f'benchmark_{stamp}.md'} and .json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
