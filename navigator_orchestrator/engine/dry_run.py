"""`run --dry-run`: describe what a run would do, from the same plan the run executes.

Reads only: the config, the plan, the sizes of existing files, free disk space and, when the
database exists, its published years (opened read-only), so a run that would be refused for a
gap is refused here too. It creates no database, lock, backup, checkpoint or directory.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from navigator_orchestrator.engine.resume import missing_previous_year
from navigator_orchestrator.safety import checkpoints
from navigator_orchestrator.sql import connect_duckdb
from navigator_orchestrator.safety.backup import human_bytes
from navigator_orchestrator.engine.dbt_runner import vars_json
from navigator_orchestrator.engine.simulation import Simulation, SimulationError


def _stages(sim: Simulation) -> list[str]:
    cfg = sim.config
    stages = ["validate census (before anything is written)", f"lock {sim.paths()['lock']}",
              ("find the resume point" if sim.resume else "check the previous year is published")
              + " (a run that refuses or has nothing to do takes no backup)"]
    stages.append("preflight backup, every row verified" if cfg.setup.backup.enabled
                  else "no backup (setup.backup.enabled: false)")
    if not sim.resume:
        stages.append("clear_mode all: drop every table except the run log" if cfg.setup.clear_mode == "all"
                      else "clear_mode year: each published year replaces itself and every later year")
    stages += ["run-log row (running)", "load raw_census (census year only)", "dbt parse (cached)",
               "per year: one dbt invocation"
               + (f" building the workforce once and the plan models of all {len(sim.designs)} designs"
                  if len(sim.designs) > 1 else "")
               + " (the first also loads the seeds) -> tripwires (every design's result per check) -> publish (one transaction) "
               "-> per design: checkpoint -> run-log update",
               "run-log row (completed | failed)"]
    return stages


def _backup_line(sim: Simulation) -> str:
    paths = sim.paths()
    db: Path = paths["database"]  # type: ignore[assignment]
    if paths["backup"] is None:
        return "backup: disabled (setup.backup.enabled: false)"
    if not db.exists():
        return f"backup: none (no database yet at {db})"
    size = db.stat().st_size
    free = shutil.disk_usage(db.parent).free
    verdict = "ok" if free >= 2 * size else "REFUSED: not enough free space"
    keep = sim.config.setup.backup.keep
    return (f"backup: {db} -> {paths['backup']} ({human_bytes(size)}; needs {human_bytes(2 * size)} free, "
            f"have {human_bytes(free)}: {verdict}); keep {keep} timestamped")


def _refuse_a_gap(sim: Simulation) -> None:
    """Raise the run's own SimulationError when its first year does not continue a published
    year of every design (the check `Simulation.run` makes before writing anything)."""
    years = sim.years()
    path = sim.database_path
    if sim.resume or not years or not path.exists():
        return
    clearing = sim.config.setup.clear_mode == "all"
    try:
        with connect_duckdb(path, read_only=True) as conn:
            gap = missing_previous_year(conn, [sim.identity(d) for d in sim.designs], years[0],
                                        sim.census_year, clearing)
    except duckdb.Error:
        return  # in use by a run, or not readable: the run itself says so
    if gap:
        raise SimulationError(gap)


def describe(sim: Simulation, verbose: bool = False) -> list[str]:
    """The run's plan as lines; SimulationError when the run would be refused for a gap."""
    _refuse_a_gap(sim)
    cfg = sim.config
    paths = sim.paths()
    lines = ["Dry run: nothing will be written."]
    if sim.resume:
        listed = checkpoints.list_checkpoints(sim.checkpoint_dir)
        for design_id in sim.designs:
            found = checkpoints.for_identity(listed, sim.identity(design_id), sim.checkpoint_dir)
            years = [v.checkpoint.year for v in found if v.checkpoint]
            lines.append(f"resume {design_id}: continue after the latest of {years or 'no'} checkpoint(s) that "
                         f"verifies (checked against the database when the run starts); years up to "
                         f"{cfg.simulation.end_year}")
    else:
        years = sim.years()
        lines.append(f"years: {years[0]}-{years[-1]} ({len(years)})" if years else "years: none")
    lines.append(f"scenario {cfg.effective_scenario_id} | plan {', '.join(sim.designs)} | "
                 f"seed {cfg.simulation.random_seed} | clear_mode {cfg.setup.clear_mode} | "
                 f"config hash {cfg.config_hash()[:12]}")
    for name in ("database", "census", "checkpoints", "lock"):
        lines.append(f"{name}: {paths[name]}")
    lines.append(_backup_line(sim))
    lines.append("stages:")
    lines += [f"  {i}. {stage}" for i, stage in enumerate(_stages(sim), 1)]
    lines.append("dbt:")
    for plan in sim.plan():
        design = f" [{', '.join(plan.plan_design_ids)}]" if len(sim.designs) > 1 else ""
        lines.append(f"  {plan.year}{design}: dbt {' '.join(plan.dbt_command)}")
        if verbose:
            lines.append(f"    --vars {vars_json(plan.dbt_vars, sort_keys=True)}")
    return lines
