"""`navigator dbt`: dbt by hand with the scenario's vars, on a database, under its lock.

Runs any dbt command (run, test, build, seed, compile, ls ...) of the project in this process,
exactly as `dbt <args> --vars "$(navigator dbt-vars ...)"` typed from `dbt/` would, with dbt's
own console output. The models and the `fct_*` publish are the project's own: a `fct_*` model
publishes the year the vars name, or refuses (engine.publish).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from navigator_orchestrator.config.schema import SimulationConfig
from navigator_orchestrator.engine.database import instance_name, work_location
from navigator_orchestrator.engine.dbt_runner import DbtError, node_error_line, vars_json
from navigator_orchestrator.locations import DBT_PROJECT_DIR, dbt_output_env

# Options the command sets itself; a user passing them is refused with the reason.
_OWN_OPTIONS = {"--vars": "the scenario's vars come from the config (-c) and --year",
                "--profiles-dir": "the project's profile attaches the database given with --database"}


def dbt_vars(config: SimulationConfig, year: int | None, plan_designs: list[str] | None = None) -> dict[str, Any]:
    """The vars of one simulated year of the scenario and every plan design of the config, or
    the ids in `plan_designs` (what `navigator dbt-vars` prints). ConfigError for an unknown id."""
    return {**config.to_dbt_vars(plan_designs), "simulation_year": year or config.simulation.start_year}


def run_dbt(config: SimulationConfig, database: Path, year: int | None, args: list[str],
            plan_designs: list[str] | None = None) -> None:
    """Run `dbt <args>` on `database` with the vars of `year` and the designs (default: every
    design of the config); raises DbtError (one line:
    the failing nodes and the line of each one's message that names its error) when dbt reports a failure.

    Raises ValueError for arguments the command sets itself (--vars, --profiles-dir) or none."""
    if not args:
        raise ValueError("give the dbt command after --, e.g. navigator dbt --year 2025 -- run --select tag:year")
    for option, reason in _OWN_OPTIONS.items():
        if any(a == option or a.startswith(option + "=") for a in args):
            raise ValueError(f"leave {option} out: {reason}")
    from dbt.cli.main import dbtRunner

    os.environ["NAVIGATOR_DB_PATH"] = str(Path(database).resolve())
    # By hand the year-only tables live in the work file, so the next command finds them.
    os.environ["NAVIGATOR_WORK_PATH"] = work_location(Path(database), in_memory=False)
    # A named instance (not ':memory:', which dbt-duckdb keeps open for the process): dbt closes
    # it when the command ends, so the files are free again.
    os.environ["NAVIGATOR_DUCKDB_INSTANCE"] = instance_name(Path(database))
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.update(dbt_output_env())  # installed: nothing written into site-packages
    project = [] if any(a.startswith("--project-dir") for a in args) else ["--project-dir", str(DBT_PROJECT_DIR)]
    full = [*args, *project, "--profiles-dir", str(DBT_PROJECT_DIR),
            "--vars", vars_json(dbt_vars(config, year, plan_designs))]
    try:
        result = dbtRunner().invoke(full)
    finally:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager

        DuckDBConnectionManager.close_all_connections()
    if result.success:
        return
    failed = []
    for node_result in getattr(result.result, "results", None) or []:
        status = str(getattr(node_result, "status", "")).split(".")[-1].lower()
        if status in {"error", "fail"}:
            failed.append(f"{getattr(node_result.node, 'name', '?')}: "
                          f"{node_error_line(str(node_result.message or status)) or status}")
    detail = "; ".join(failed) or node_error_line(str(result.exception or "dbt reported a failure"))
    raise DbtError(f"dbt {args[0]} failed: {detail}")
