"""`navigator ensemble`: run the seeds that are not finished, retry a failed one once, summarise.

Order: the census is read and checked once (a bad census refuses before anything is written),
then the directory (`layout.Ensemble.check_directory`) and the executor (Ray installed, the
cluster reachable); only then is DIR created, locked (`ensemble.duckdb.lock`: one coordinator per
directory) and its manifest and seed configs written. Seeds already finished are skipped; a seed
with a valid checkpoint for every design continues with `--resume`; any other starts at the
census year. At most W seeds run at once; a seed whose run fails (an error, or its process
killed) is run once more (resuming from its last checkpoint when it has one) and, if it fails
again, reported by number. The summary covers the finished seeds and says which they are.

SIGINT/SIGTERM: the running seeds are stopped (each closes its run log as interrupted and keeps
the years it published), no summary is written, and `EnsembleInterrupted` says which seeds are
finished; rerunning the same command continues.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Callable

from navigator_orchestrator.census.intake import CensusError, CensusOptions, read_census
from navigator_orchestrator.ensemble import summary as summaries
from navigator_orchestrator.reporting import year_span
from navigator_orchestrator.ensemble.executors import (LocalPool, RayPool, SeedJob, SeedOutcome, available_memory,
                                                       default_workers, threads_per_seed)
from navigator_orchestrator.ensemble.layout import SUMMARY_DATABASE, Ensemble, EnsembleError, seed_ranges
from navigator_orchestrator.ensemble.report import write_report
from navigator_orchestrator.ensemble.stats import MIN_SEEDS_FOR_BANDS
from navigator_orchestrator.safety import interrupts
from navigator_orchestrator.safety.lock import database_lock

ATTEMPTS = 2  # a failed seed is retried once
# Environment variables a seed's run receives from the coordinator wherever it runs (a Ray node
# does not inherit this process's environment): the product's own settings.
ENV_PREFIX = "NAVIGATOR_"


class EnsembleInterrupted(interrupts.Interrupted):
    """SIGINT or SIGTERM stopped the ensemble; `finished` are the seeds complete in DIR."""

    def __init__(self, signum: int, finished: list[int], total: int):
        super().__init__(signum)
        self.finished = finished
        self.total = total


@dataclass
class EnsembleResult:
    summary: summaries.Summary
    skipped: list[int]
    executor: str
    workers: int
    seconds: float


def _memory_limit_env(workers: int) -> dict[str, str]:
    """DuckDB's memory limit per seed when the user set none: the usual 6 GB or, if the seeds
    running at once would not fit in it, an equal share of the available memory."""
    if "NAVIGATOR_DUCKDB_MEMORY_LIMIT" in os.environ:
        return {}
    share = available_memory() // max(workers, 1) // 2**20
    return {"NAVIGATOR_DUCKDB_MEMORY_LIMIT": f"{min(6144, max(share, 256))}MB"}


def run_ensemble(ensemble: Ensemble, executor: str = "local", workers: int | None = None, address: str | None = None,
                 thresholds: list[summaries.Threshold] = (), say: Callable[[str], None] = print,
                 min_seeds_for_bands: int = MIN_SEEDS_FOR_BANDS) -> EnsembleResult:
    """Run and summarise `ensemble`. Raises CensusError, EnsembleError (bad directory, Ray missing
    or unreachable, no seed finished), LockHeld, or EnsembleInterrupted."""
    started = time.perf_counter()
    cfg = ensemble.config
    census = read_census(cfg.census_path, cfg.census_date, CensusOptions.from_setup(cfg.setup))
    if not census.report.ok:
        raise CensusError(census.report)
    census_hash = census.sha256
    ensemble.check_directory(census_hash)
    if workers is not None and workers < 1:
        raise EnsembleError(f"--workers {workers}: give 1 or more (default: what the cores and memory allow)")
    employees, designs = census.report.row_count, len(ensemble.designs)
    states = {seed: ensemble.seed_state(seed, census_hash) for seed in ensemble.seeds}
    to_run = [s for s in ensemble.seeds if states[s] != "finished"]
    local_default = lambda: default_workers(employees, designs, len(to_run))  # noqa: E731

    def start_pool() -> LocalPool | RayPool:
        return (RayPool(workers, address, local_default) if executor == "ray"
                else LocalPool(workers or local_default()))

    # With every seed finished there is nothing to start (no Ray cluster, no workers): the
    # summary is rebuilt from the seed databases.
    pool = start_pool() if to_run else None
    try:
        with database_lock(ensemble.directory / SUMMARY_DATABASE, f"ensemble-{os.getpid()}"):
            # Again under the lock: seeds another command finished meanwhile are not run twice.
            states = {seed: ensemble.seed_state(seed, census_hash) for seed in ensemble.seeds}
            to_run = [s for s in ensemble.seeds if states[s] != "finished"]
            if to_run and pool is None:
                pool = start_pool()
            ensemble.prepare(census_hash)
            skipped = [s for s in ensemble.seeds if states[s] == "finished"]
            head = (f"Ensemble of {len(ensemble.seeds)} seeds ({seed_ranges(ensemble.seeds)}) of scenario "
                    f"{ensemble.scenario_id}, designs {', '.join(ensemble.designs)}, {year_span(*ensemble.years)}, "
                    f"in {ensemble.directory}: ")
            if pool is None:
                say(f"{head}all {len(skipped)} finished already; nothing to run, summarising")
                records = {}
            else:
                where = f"Ray ({pool.cluster})" if executor == "ray" else "the local pool"
                say(f"{head}{len(skipped)} finished already, {len(to_run)} to run on {where} "
                    f"with {pool.workers} worker(s)")
                records = _run_seeds(ensemble, pool, to_run, census_hash, say)
            records.update({seed: summaries.SeedRecord(seed, "finished") for seed in skipped})
            summary = summaries.build(ensemble, [records[s] for s in ensemble.seeds], list(thresholds),
                                      min_seeds_for_bands)
            summaries.write(summary, ensemble)
            write_report(summary, ensemble)
    finally:
        if pool is not None:
            pool.close()
    return EnsembleResult(summary, skipped, executor, pool.workers if pool is not None else 0,
                          time.perf_counter() - started)


def _run_seeds(ensemble: Ensemble, pool: LocalPool | RayPool, to_run: list[int], census_hash: str,
               say: Callable[[str], None]) -> dict[int, summaries.SeedRecord]:
    # On this machine the workers share its cores and memory; a cluster's task gets one CPU.
    threads = threads_per_seed(pool.workers) if pool.on_this_machine else 1
    env = {k: v for k, v in os.environ.items() if k.startswith(ENV_PREFIX)}
    if pool.on_this_machine:
        env.update(_memory_limit_env(pool.workers))
    queue = list(to_run)
    records: dict[int, summaries.SeedRecord] = {}
    attempts: dict[int, int] = {}
    running: dict[object, int] = {}
    done = 0

    def submit(seed: int) -> None:
        attempts[seed] = attempts.get(seed, 0) + 1
        files = ensemble.files(seed)
        resume = ensemble.seed_state(seed, census_hash) == "resumable"
        job = SeedJob(seed=seed, directory=str(ensemble.directory), config=str(files.config),
                      database=str(files.database), console=str(files.console), resume=resume, threads=threads,
                      attempt=attempts[seed], env=env)
        running[pool.submit(job)] = seed

    try:
        while queue or running:
            while queue and len(running) < pool.workers:
                submit(queue.pop(0))
            for handle, outcome in pool.wait(list(running)):
                seed = running.pop(handle)
                done += _settle(seed, outcome, attempts[seed], records, queue, len(to_run), done, say)
    except KeyboardInterrupt as exc:
        signum = interrupts.received() or getattr(exc, "signum", None) or 2
        pool.stop(list(running))
        finished = [s for s in ensemble.seeds if ensemble.seed_state(s, census_hash) == "finished"]
        raise EnsembleInterrupted(signum, finished, len(ensemble.seeds)) from None
    return records


def _settle(seed: int, outcome: SeedOutcome, attempt: int, records: dict[int, summaries.SeedRecord],
            queue: list[int], total: int, done: int, say: Callable[[str], None]) -> int:
    """Record one attempt's outcome; queue a retry after a first failure. Returns 1 when the seed
    is settled (finished, or failed for the last time)."""
    record = records.setdefault(seed, summaries.SeedRecord(seed, "failed"))
    record.attempts, record.seconds = attempt, record.seconds + outcome.seconds
    if outcome.ok:
        record.status, record.error = "finished", ""
        say(f"seed {seed} finished in {outcome.seconds:.1f}s ({done + 1}/{total})")
        return 1
    record.error = outcome.error
    if attempt < ATTEMPTS:
        say(f"seed {seed} failed ({outcome.error}); running it once more")
        queue.insert(0, seed)
        return 0
    say(f"seed {seed} failed again ({outcome.error}); leaving it out ({done + 1}/{total})")
    return 1
