"""The year loop: census -> baseline -> one dbt invocation per simulated year -> publish.

Within a year the order of work is fixed (DESIGN §5): start population, experienced
terminations, hires, new-hire terminations, promotions and raises, then plan state and money;
dbt resolves that order from the model DAG. The orchestrator publishes each finished year to
the fct_* tables in one transaction, so a failure never leaves a half-written year behind.

A config may hold several plan designs of one scenario (`plan_designs`). The workforce does not
depend on the plan: each year it is built once and shared. The designs' parameters reach dbt as
data (the var `plan_designs`, one entry per design, read by int_plan_design_parameters), and
every plan model carries plan_design_id, so a year of every design is ONE dbt invocation and
one set-based pass over N x the plan rows. Every draw is keyed by (seed, year, employee,
stream), never by design, so each design's rows equal those of running it alone. The year is
published for all designs in one transaction; each design is checked, checkpointed and logged
under its own identity (database, scenario_id, plan_design_id); publishing never touches the
rows of designs outside the run.

Around the years, `run()` applies the operational guards in this order: census check (before
anything is written), database lock, resume point and continuity (a run that refuses or has
nothing to do takes no backup and rotates none out; a database written by an earlier version,
refused with nothing written, engine.contract), preflight backup, run-log rows (one per
design); after each publish a checkpoint and a run-log update; at the end the run-log rows are
closed either way (`completed`, `failed`, or `interrupted` after SIGINT/SIGTERM). Every file the
run creates is owner-only (safety.permissions). Where a run starts (resume points, the previous
year a later start needs) is decided in `engine.resume`; what it returns is `engine.results`.
"""

from __future__ import annotations

import contextlib
import signal
import time
import traceback
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Sequence

import duckdb

from navigator_orchestrator.safety import checkpoints
from navigator_orchestrator.engine import database
from navigator_orchestrator.safety import runlog
from navigator_orchestrator.quality import tripwires
from navigator_orchestrator.safety import interrupts
from navigator_orchestrator.safety.backup import BackupResult, backup_database, backup_path
from navigator_orchestrator.safety.permissions import private_files, refuse_read_only
from navigator_orchestrator.census.intake import Census, CensusError, CensusOptions, load_census, read_census
from navigator_orchestrator.config.schema import DEFAULT_DATABASE, SimulationConfig
from navigator_orchestrator.engine.contract import check_published_columns
from navigator_orchestrator.engine.dbt_runner import WORK_TAG, DbtRunner
from navigator_orchestrator.engine.publish import CheckedPublish
from navigator_orchestrator.engine.results import RunResult, YearSummary, year_summaries
from navigator_orchestrator.engine.resume import missing_previous_year, resume_points
from navigator_orchestrator.identity import Identity
from navigator_orchestrator.safety.lock import database_lock, lock_path
from navigator_orchestrator.reporting.observe import RunInfo, RunObserver, RunOutcome
from navigator_orchestrator.reporting.summary import YearFigures, designs_year_audit
from navigator_orchestrator.sql import check_duckdb_file


class SimulationError(RuntimeError):
    """A run that cannot start or continue; the message says what to do."""


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


@dataclass
class YearPlan:
    """One dbt invocation: a simulated year of every design of the run."""

    year: int
    dbt_command: list[str]
    dbt_vars: dict
    plan_design_ids: tuple[str, ...] = ()


class Simulation:
    """One configured simulation against one DuckDB file."""

    # The timed stages of every simulated year, in order, as observers see them (progress total).
    YEAR_STAGES: tuple[str, ...] = ("dbt_build", "tripwires", "publish", "audit", "checkpoint")
    # Of those, the stages run once per design (the others once per year for every design).
    DESIGN_STAGES: tuple[str, ...] = ("checkpoint",)

    def __init__(
        self,
        config: SimulationConfig,
        database_path: Path | None = None,
        threads: int = 2,
        on_year: Callable[[YearSummary], None] | None = None,
        first_year: int | None = None,
        resume: bool = False,
        checkpoint_dir: Path = checkpoints.CHECKPOINT_DIR,
        notify: Callable[[str], None] | None = None,
        observer: RunObserver | None = None,
        plan_designs: Sequence[str] | None = None,
    ):
        self.config = config
        # Design id -> the config of that design run alone; the baseline first.
        self.designs: dict[str, SimulationConfig] = config.designs(list(plan_designs or []))
        # Years before first_year are already published; the run continues from first_year - 1.
        self.first_year = first_year or config.simulation.start_year
        self.database_path = Path(database_path or DEFAULT_DATABASE).resolve()
        self.threads = threads
        self.on_year = on_year
        # resume: continue after the latest checkpoint that verifies (found under the lock).
        self.resume = resume
        self.checkpoint_dir = Path(checkpoint_dir)
        self.notify = notify or (lambda message: None)
        self.observer = observer or RunObserver()
        self.elsewhere: dict[str, list[str]] = {}  # design -> checkpoint dirs of earlier runs
        self._last_stage_seconds = 0.0
        # The year-only tables live in memory for the run (engine.database).
        self.dbt = DbtRunner(self.database_path, threads=threads, work_in_memory=True)

    # ----- planning -------------------------------------------------------
    @property
    def census_year(self) -> int:
        """The first simulated year: the census is as of Dec 31 of the year before."""
        return self.config.simulation.start_year

    def years(self) -> list[int]:
        return list(range(self.first_year, self.config.simulation.end_year + 1))

    def identity(self, plan_design_id: str) -> Identity:
        return Identity(self.database_path, self.config.effective_scenario_id, plan_design_id)

    def plan(self, run_id: str = "planned") -> list[YearPlan]:
        """The dbt invocations of the run in order: one per simulated year, building the
        workforce once and the plan models of every design of the run."""
        designs = tuple(self.designs)
        scenario_vars = self.config.to_dbt_vars(list(designs))
        plans = []
        for year in self.years():
            dbt_vars = {**scenario_vars, "run_id": run_id, "simulation_year": year}
            select = [f"tag:{WORK_TAG}"] + (["tag:baseline"] if year == self.census_year else [])
            if not plans:
                # The first year also loads the seeds, so every year is one invocation.
                command = ["build", "--select", "resource_type:seed", *select,
                           "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
            else:
                command = ["run", "--select", *select]
            plans.append(YearPlan(year, command, dbt_vars, designs))
        return plans

    def paths(self) -> dict[str, Path | None]:
        """Every file a run may create or change (shown by `run --dry-run`)."""
        backup = self.config.setup.backup
        return {
            "database": self.database_path,
            "lock": lock_path(self.database_path),
            "backup": backup_path(self.database_path) if backup.enabled else None,
            "checkpoints": self.checkpoint_dir.resolve(),
            "census": self.config.census_path,
        }

    # ----- running --------------------------------------------------------
    def run(self, run_id: str | None = None) -> RunResult:
        """Simulate the planned years; see the module docstring for the guards around them.

        Raises CensusError, SafetyError (lock, backup, resume), SimulationError, DbtError,
        TripwireError, or `interrupts.Interrupted` (naming the years the database holds) after
        SIGINT or SIGTERM.
        """
        with private_files(), interrupts.handled():
            return self._run(run_id or new_run_id())

    def _run(self, run_id: str) -> RunResult:
        started = time.perf_counter()
        cfg = self.config
        # Refuse a file that is not a DuckDB database before taking a lock or a backup of it.
        check_duckdb_file(self.database_path)
        refuse_read_only(self.database_path, "navigator run")
        # The census is read once, here: the rows loaded after the lock and the backup are
        # the rows checked now, and the hash recorded is that of the bytes they came from.
        census = read_census(cfg.census_path, cfg.census_date, CensusOptions.from_setup(cfg.setup))
        if not census.report.ok:
            raise CensusError(census.report)
        for warning in census.report.warnings:
            self.notify(f"census warning: {warning.format()}")
        self.database_path.parent.mkdir(parents=True, exist_ok=True)
        with database_lock(self.database_path, run_id) as lock:
            if lock.took_over:
                held = lock.took_over
                self.notify(f"took over a lock left by pid {held.pid} (run {held.run_id}, "
                            f"started {held.started_at}), which is no longer running")
            existed = self.database_path.exists()
            try:
                conn = database.connect(self.database_path, work_in_memory=True)
            except duckdb.Error as exc:
                raise SimulationError(database.open_failure(self.database_path, exc)) from None
            self._writing = False
            try:
                result = self._run_locked(conn, run_id, census, existed)
            finally:
                conn.close()
                self.dbt.close()
                if not self._writing:
                    # Refused before writing anything: the files opening them created go too.
                    database.remove_unwritten(self.database_path, not existed)
        result.seconds = time.perf_counter() - started
        return result

    def _backup(self, conn: duckdb.DuckDBPyConnection) -> BackupResult | None:
        settings = self.config.setup.backup
        if not settings.enabled:
            self.notify(f"warning: setup.backup.enabled is false; {self.database_path} "
                        "is written without a backup")
            return None
        result = backup_database(conn, self.database_path, settings.keep, catalog=database.CATALOG)
        self.notify(f"backup: {result.path} ({result.size_bytes / 1e6:.1f} MB, "
                    f"{result.seconds:.2f}s, every row verified)")
        return result

    def _run_locked(self, conn: duckdb.DuckDBPyConnection, run_id: str, census: Census,
                    existed: bool) -> RunResult:
        cfg = self.config
        scenario = cfg.effective_scenario_id
        designs = list(self.designs)
        census_hash = census.sha256
        hashes = {d: design.config_hash() for d, design in self.designs.items()}
        clearing = cfg.setup.clear_mode == "all" and not self.resume
        # A database written by an earlier version is refused before anything, even a run-log row.
        stale = None if clearing else check_published_columns(conn, self.dbt, self.database_path,
                                                               cfg.setup.backup.enabled, self.resume)
        if stale:
            raise SimulationError(stale)
        # Decide before writing: a run that refuses writes nothing (no backup, no rotation, no
        # run-log row); one with nothing to do takes no backup and rotates none out.
        resumed_after = self._resume_after(conn, hashes, census_hash) if self.resume else None
        year_plans = self.plan(run_id)
        if year_plans:
            gap = missing_previous_year(conn, [self.identity(d) for d in designs], self.years()[0],
                                        self.census_year, clearing)
            if gap:
                raise SimulationError(gap)
        self._writing = True  # from here on the run writes (backup, run log, years)
        if year_plans and database.remove_work_file(self.database_path):
            self.notify(f"removed {database.work_path(self.database_path)}: year-only tables built by hand "
                        "earlier, which must not be published over this run's years (a run keeps its own in memory)")
        backup = self._backup(conn) if existed and year_plans else None
        for design_id in designs:
            runlog.start(conn, runlog.RunRecord(
                run_id=run_id, scenario_id=scenario, plan_design_id=design_id,
                start_year=cfg.simulation.start_year, end_year=cfg.simulation.end_year,
                first_year=self.first_year, random_seed=cfg.simulation.random_seed,
                config_hash=hashes[design_id], census_hash=census_hash, resumed_after_year=resumed_after,
                checkpoint_dir=str(self.checkpoint_dir.resolve()),
                design_hash=self.designs[design_id].design_hash(),
            ), close_interrupted=design_id == designs[0])
        obs = self.observer
        started = time.perf_counter()
        summaries: list[YearSummary] = []
        history: dict[str, list[YearFigures] | None] = {d: None for d in designs}  # years audited so far
        checkpoint_seconds = 0.0
        outcome = RunOutcome()
        completed = False
        try:
            # Inside the try: a log that cannot be written (a full or read-only disk) fails the
            # run with its reason, and the run-log row is closed as failed, never left running.
            obs.run_started(RunInfo(
                run_id=run_id, scenario_id=scenario, plan_design_ids=tuple(designs),
                years=self.years(), start_year=self.census_year, end_year=cfg.simulation.end_year,
                database=str(self.database_path), stages=self.YEAR_STAGES, design_stages=self.DESIGN_STAGES,
            ))
            if clearing:
                database.drop_all_tables(conn, keep={runlog.RUN_LOG_TABLE})
            if year_plans:
                if self.census_year in self.years():
                    with self._stage(None, "census_load") as rows:
                        rows["raw_census"] = load_census(conn, census).row_count
                with self._stage(None, "dbt_parse") as rows:
                    rows["nodes"] = self.dbt.prepare()
            for plan in year_plans:
                year_started = time.perf_counter()
                with self._stage(plan.year, "dbt_build") as rows:
                    invocation = self.dbt.invoke(plan.dbt_command, plan.dbt_vars)
                    rows["models"] = len(invocation.node_timings)
                    # dbt's own time per model (compile + materialize), summed: the rest
                    # of the year's stages is orchestration.
                    rows["model_ms"] = round(1000 * sum(invocation.node_timings.values()))
                obs.models_built(plan.year, invocation.node_timings)
                # Data-quality tripwires on the unpublished year (one query per check gives every
                # design's result), while the year of every design is appended in a transaction
                # that commits only once they pass: an error publishes nothing.
                with CheckedPublish(conn, scenario, plan.plan_design_ids, plan.year) as publish:
                    with self._stage(plan.year, "tripwires") as rows:
                        reports = tripwires.guard_designs(
                            conn, {d: self.designs[d] for d in plan.plan_design_ids}, plan.year, run_id,
                            self.database_path)
                        rows["checks"] = sum(len(r.results) for r in reports.values())
                    with self._stage(plan.year, "publish") as rows:
                        counts = publish.commit()
                        rows.update(counts)
                build_seconds = time.perf_counter() - year_started
                per_design = publish.design_rows
                # Every design's figures, audit and checkpoint digests, one query each for all.
                with self._stage(plan.year, "audit") as rows:
                    audits = designs_year_audit(conn, scenario, plan.plan_design_ids, plan.year, self.census_year,
                                                earlier=history)
                    rows["years_summarised"] = max(len(a.history) for a in audits.values())
                headlines = year_summaries(conn, {d: a.figures for d, a in audits.items()}, plan.year)
                build_seconds += self._last_stage_seconds
                digests = None  # every design's checkpoint digests, in one scan, at the first checkpoint
                for design_id in plan.plan_design_ids:
                    design_started = time.perf_counter()
                    summary, audit = headlines[design_id], audits[design_id]
                    summary.row_counts = per_design[design_id]
                    history[design_id] = audit.history
                    with self._stage(plan.year, "checkpoint") as rows:
                        if digests is None:
                            digests = checkpoints.designs_year_digests(conn, scenario, plan.plan_design_ids, plan.year)
                        checkpoints.write_checkpoint(
                            conn, year=plan.year, identity=self.identity(design_id), run_id=run_id,
                            config_hash=hashes[design_id], census_hash=census_hash,
                            directory=self.checkpoint_dir, tables=digests[design_id],
                        )
                    checkpoint_seconds += self._last_stage_seconds
                    # The shared build, publish and audit are counted once, with the first design.
                    summary.seconds = time.perf_counter() - design_started + build_seconds
                    build_seconds = 0.0
                    runlog.year_done(conn, run_id, plan.year, summary.seconds, summary.row_counts, design_id)
                    summaries.append(summary)
                    obs.year_finished(summary, audit)
                    if self.on_year:
                        self.on_year(summary)
            runlog.finish(conn, run_id)
            completed = True
            if year_plans:
                self._flush(conn)
        except BaseException as exc:
            signum = interrupts.received()
            if signum is None and isinstance(exc, KeyboardInterrupt):  # raised without a signal handler
                signum = getattr(exc, "signum", signal.SIGINT)
            message = (str(exc) or type(exc).__name__).splitlines()[0][:2000]
            if signum is not None:
                message = f"interrupted by {signal.Signals(signum).name}"
            else:
                outcome.traceback = traceback.format_exc()
            outcome.error, outcome.interrupted = message[:500], signum is not None
            # A fresh connection: the interrupted one may be mid-statement or mid-transaction.
            # Never let a broken connection hide the error that broke the run.
            years = self._close_run(conn, run_id, message, signum)
            if signum is not None:
                raise interrupts.Interrupted(signum, years, self.database_path) from None
            raise
        finally:
            result = RunResult(
                run_id=run_id,
                years=summaries,
                dbt_invocations=len(self.dbt.invocations),
                seconds=time.perf_counter() - started,
                backup=backup,
                resumed_after_year=resumed_after,
                checkpoint_seconds=checkpoint_seconds,
            )
            outcome.result, outcome.seconds = result, result.seconds
            try:
                obs.run_finished(outcome)
            except Exception:
                if outcome.error is None:  # otherwise the run's own error is the one to report
                    raise
        return result

    def _flush(self, conn: duckdb.DuckDBPyConnection) -> None:
        """Fold the run's write-ahead log into the database file now (DuckDB would otherwise do it
        when the file is closed), so the cost shows as a stage. The run is complete and recorded
        before this: an interrupt here changes nothing but when the fold happens."""
        try:
            with self._stage(None, "flush"):
                conn.execute("checkpoint")
        except BaseException:
            if interrupts.received() is None:
                raise
            self.notify("interrupted during the final flush: every year is published and the run is "
                        "recorded as completed; DuckDB folds its write-ahead log in when the file is closed")

    def _close_run(self, conn: duckdb.DuckDBPyConnection, run_id: str, message: str,
                   signum: int | None) -> list[int] | None:
        """Close the run-log row as failed or interrupted; the years the database now holds."""
        try:
            cursor = conn.cursor()
        except duckdb.Error:
            return None
        try:
            cursor.execute(f"use {database.CATALOG}")
            with contextlib.suppress(duckdb.Error):
                runlog.finish(cursor, run_id, error=message,
                              status="interrupted" if signum is not None else "failed")
            held = sorted(set.intersection(*(set(database.published_years(cursor, self.config.effective_scenario_id, d))
                                             for d in self.designs)))
            # --resume continues after each design's latest checkpoint: if a design has none yet
            # (stopped before its first checkpoint), there is nothing to resume from.
            found = {v.checkpoint.identity for v in checkpoints.list_checkpoints(self.checkpoint_dir) if v.checkpoint}
            return held if all(self.identity(d) in found for d in self.designs) else []
        except duckdb.Error:
            return None
        finally:
            cursor.close()

    def _resume_after(self, conn: duckdb.DuckDBPyConnection, config_hashes: dict[str, str], census_hash: str) -> int:
        """Move first_year to just after the latest year every design has a valid checkpoint
        for; completed years stay untouched. A design without one refuses the resume."""
        points = resume_points(conn, [self.identity(d) for d in self.designs], config_hashes, census_hash,
                               self.config.simulation.start_year, self.checkpoint_dir, self.notify)
        year = min(cp.year for cp in points.values())
        self.first_year = year + 1
        done = ", ".join(f"{d} {cp.year} (run {cp.run_id})" for d, cp in points.items())
        if self.first_year > self.config.simulation.end_year:
            self.notify(f"resume: every year through {year} is already complete; nothing to run")
        else:
            self.notify(f"resume: verified {done}; continuing at {self.first_year}")
        return year

    @contextmanager
    def _stage(self, year: int | None, stage: str) -> Iterator[dict[str, int]]:
        """Time one stage and report it with the row counts the block fills in."""
        rows: dict[str, int] = {}
        self.observer.stage_started(year, stage)
        started = time.perf_counter()
        yield rows
        self._last_stage_seconds = time.perf_counter() - started
        self.observer.stage_finished(year, stage, self._last_stage_seconds, rows)
