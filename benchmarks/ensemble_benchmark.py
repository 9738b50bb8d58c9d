"""Ensemble benchmark: N seeds with W workers against the same seeds one after another.

Both legs run the real command, `python -m navigator_orchestrator.cli ensemble`, as a child process
on the same generated census (cached), each into a fresh directory: the parallel leg with
`--workers W`, the sequential leg with `--workers 1` (each seed's run then gets every core as
dbt/DuckDB threads, as a lone `navigator run` would). Legs alternate (parallel, sequential,
parallel, ...) so a change in the machine's load hits both; the medians and their ratio are
reported with the machine's load average before and after, per-seed seconds from the ensemble's
own table, and the largest peak RSS of one seed's run.

    python benchmarks/ensemble_benchmark.py                                 # 8 seeds of 20,000 x 5, 2 workers
    python benchmarks/ensemble_benchmark.py --seeds 8 --employees 20000 --years 5 --workers 2 --repeat 3

Writes benchmarks/results/ensemble_<UTC time>.md and .json and prints the table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = ROOT / "config" / "simulation_config.yaml"
START_YEAR = 2025


def census(employees: int, cache: Path) -> Path:
    path = cache / f"census_{employees}_42.parquet"
    if not path.exists():
        subprocess.run([sys.executable, "-m", "navigator_orchestrator.cli", "census", "generate", "--employees",
                        str(employees), "--seed", "42", "--out", str(path)], check=True, capture_output=True)
    return path


def config(census_path: Path, years: int, directory: Path) -> Path:
    data = yaml.safe_load(DEFAULT_CONFIG.read_text())
    data["simulation"].update(start_year=START_YEAR, end_year=START_YEAR + years - 1)
    data["setup"]["census_parquet_path"] = str(census_path)
    path = directory / "config.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def leg(cfg: Path, seeds: int, workers: int, work: Path) -> dict:
    out = work / f"ens_w{workers}_{time.time_ns()}"
    argv = [sys.executable, "-m", "navigator_orchestrator.cli", "ensemble", "-c", str(cfg), "--seeds", str(seeds),
            "--first-seed", "1", "--out", str(out), "--workers", str(workers)]
    load_before = os.getloadavg()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(argv, cwd=work, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"ensemble failed: {result.stderr[-2000:]}")
    with duckdb.connect(str(out / "ensemble.duckdb"), read_only=True) as conn:
        per_seed = [r[0] for r in conn.execute("select seconds from ensemble_seeds order by seed").fetchall()]
    return {"workers": workers, "wall_s": round(wall, 1),
            "cpu_s": round((after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), 1),
            "seed_s_median": round(statistics.median(per_seed), 1), "peak_rss_mb_max": round(after.ru_maxrss / 1024),
            "load_before": [round(x, 2) for x in load_before], "load_after": [round(x, 2) for x in os.getloadavg()],
            "command": " ".join(argv[1:]).replace(str(work), "WORK")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--employees", type=int, default=20_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="pairs of legs, alternated")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "navigator-bench-census")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="navigator-ensemble-bench-") as tmp:
        work = Path(tmp)
        cfg = config(census(args.employees, args.cache), args.years, work)
        runs: list[dict] = []
        for _ in range(args.repeat):
            for workers in (args.workers, 1):
                runs.append(leg(cfg, args.seeds, workers, work))
                print(json.dumps(runs[-1]), flush=True)
    parallel = statistics.median(r["wall_s"] for r in runs if r["workers"] == args.workers)
    sequential = statistics.median(r["wall_s"] for r in runs if r["workers"] == 1)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    info = {"seeds": args.seeds, "employees": args.employees, "years": args.years, "workers": args.workers,
            "repeat": args.repeat, "cores": len(os.sched_getaffinity(0)), "python": sys.version.split()[0],
            "parallel_wall_s_median": parallel, "sequential_wall_s_median": sequential,
            "ratio": round(parallel / sequential, 3), "runs": runs}
    lines = [f"# Ensemble benchmark {stamp}", "",
             f"{args.seeds} seeds of {args.employees:,} employees x {args.years} years, {info['cores']} cores; "
             f"{args.repeat} alternated pair(s).", "",
             "| workers | wall s | CPU s | median s per seed | max peak RSS MB | load avg before | load avg after |",
             "|---:|---:|---:|---:|---:|---|---|"]
    lines += [f"| {r['workers']} | {r['wall_s']} | {r['cpu_s']} | {r['seed_s_median']} | {r['peak_rss_mb_max']} | "
              f"{r['load_before']} | {r['load_after']} |" for r in runs]
    lines += ["", f"Median wall time: {parallel} s with {args.workers} workers, {sequential} s one after another: "
                  f"ratio {info['ratio']}.", "", f"Reproduce: `{sys.executable} {' '.join(sys.argv)}`"]
    results = ROOT / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / f"ensemble_{stamp}.md").write_text("\n".join(lines) + "\n")
    (results / f"ensemble_{stamp}.json").write_text(json.dumps(info, indent=2) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
