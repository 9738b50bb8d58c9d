"""Run metadata: one row per run and plan design in `int_simulation_run_log`, written before and after.

The table belongs to the orchestrator, not to dbt: it is created here if missing and survives
`clear_mode: all`, so the audit trail outlives the simulated data it describes. A row is
inserted with status `running` before the first year, updated after every published year
(wall time and row counts, as JSON), and closed as `completed`, `failed` with the error, or
`interrupted` (SIGINT or SIGTERM). A row still `running` when a later run takes the database lock
belongs to a process that died; it is marked `interrupted` too.
A run of several designs has one row per design (key: run_id, plan_design_id), each with
that design's config hash (everything the SQL sees: workforce assumptions and the design), its
design hash (the plan parameters alone, `SimulationConfig.design_hash`, so `compare` can tell
whether a config still describes the design a year was built with; empty in rows of earlier
versions) and per-year row counts, and the checkpoint directory the run wrote to, so a resume
from another working directory can say where this database's checkpoints are.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata

import duckdb

from navigator_orchestrator.locations import IS_CHECKOUT, PROJECT_ROOT

RUN_LOG_TABLE = "int_simulation_run_log"

_DDL = f"""
create table if not exists {RUN_LOG_TABLE} (
    run_id varchar not null,
    scenario_id varchar not null,
    plan_design_id varchar not null,
    start_year integer not null,
    end_year integer not null,
    first_year integer not null,
    resumed_after_year integer,
    random_seed bigint not null,
    config_hash varchar not null,
    census_hash varchar not null,
    code_version varchar,
    dbt_version varchar,
    duckdb_version varchar,
    status varchar not null,
    error varchar,
    started_at timestamptz not null,
    finished_at timestamptz,
    year_seconds json,
    year_row_counts json,
    checkpoint_dir varchar,
    design_hash varchar,
    primary key (run_id, plan_design_id)
)
"""


@dataclass
class RunRecord:
    run_id: str
    scenario_id: str
    plan_design_id: str
    start_year: int
    end_year: int
    first_year: int
    random_seed: int
    config_hash: str
    census_hash: str
    resumed_after_year: int | None = None
    checkpoint_dir: str | None = None
    design_hash: str | None = None


def code_version() -> str:
    """Package version plus the git commit when run from a checkout (`+dirty` if modified)."""
    try:
        version = metadata.version("planwise-navigator")
    except metadata.PackageNotFoundError:
        version = "unknown"
    if not IS_CHECKOUT:  # an installed package: its version is the whole story
        return version
    try:
        sha = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                             text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return f"{version}+{sha}{'.dirty' if dirty else ''}"
    except (OSError, subprocess.SubprocessError):
        return version


def tool_versions() -> tuple[str, str]:
    try:
        dbt_version = metadata.version("dbt-core")
    except metadata.PackageNotFoundError:
        dbt_version = "unknown"
    return dbt_version, duckdb.__version__


def ensure_table(conn: duckdb.DuckDBPyConnection) -> None:
    """Create the table, or bring one written by an earlier version to this shape (keyed by
    run and design, with the checkpoint directory and design hash) without losing a row."""
    conn.execute(_DDL)
    conn.execute(f"alter table {RUN_LOG_TABLE} add column if not exists design_hash varchar")
    keys = conn.execute(
        "select constraint_column_names from duckdb_constraints() "
        "where table_name = ? and constraint_type = 'PRIMARY KEY' and database_name = current_database()",
        [RUN_LOG_TABLE],
    ).fetchall()
    if keys and list(keys[0][0]) == ["run_id"]:
        old = f"{RUN_LOG_TABLE}_before_designs"
        conn.execute("begin transaction")
        try:
            conn.execute(f"alter table {RUN_LOG_TABLE} rename to {old}")
            conn.execute(_DDL)
            have = {r[0] for r in conn.execute(f"describe {RUN_LOG_TABLE}").fetchall()}
            for name, kind, *_ in conn.execute(f"describe {old}").fetchall():
                if name not in have:  # columns added later by other parts (e.g. data_quality)
                    conn.execute(f'alter table {RUN_LOG_TABLE} add column "{name}" {kind}')
            conn.execute(f"insert into {RUN_LOG_TABLE} by name select * from {old}")
            conn.execute(f"drop table {old}")
            conn.execute("commit")
        except BaseException:
            conn.execute("rollback")
            raise


def _now() -> datetime:
    return datetime.now(timezone.utc)


def start(conn: duckdb.DuckDBPyConnection, record: RunRecord, close_interrupted: bool = True) -> None:
    """Insert the `running` row of one design; with `close_interrupted`, earlier rows left
    `running` by dead processes first become `interrupted` (once per run, before its first row)."""
    ensure_table(conn)
    if close_interrupted:
        conn.execute(
            f"update {RUN_LOG_TABLE} set status = 'interrupted', "
            "error = 'the process ended without closing its run' where status = 'running'"
        )
    dbt_version, duckdb_version = tool_versions()
    conn.execute(
        f"""insert into {RUN_LOG_TABLE} (run_id, scenario_id, plan_design_id, start_year, end_year,
            first_year, resumed_after_year, random_seed, config_hash, census_hash, code_version,
            dbt_version, duckdb_version, status, started_at, year_seconds, year_row_counts, checkpoint_dir,
            design_hash)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, '{{}}', '{{}}', ?, ?)""",
        [record.run_id, record.scenario_id, record.plan_design_id, record.start_year, record.end_year,
         record.first_year, record.resumed_after_year, record.random_seed, record.config_hash,
         record.census_hash, code_version(), dbt_version, duckdb_version, _now(), record.checkpoint_dir,
         record.design_hash],
    )


def year_done(conn: duckdb.DuckDBPyConnection, run_id: str, year: int, seconds: float,
              row_counts: dict[str, int], plan_design_id: str) -> None:
    """Record one design's published year: seconds and row counts per table."""
    conn.execute(
        f"""update {RUN_LOG_TABLE} set
              year_seconds = json_merge_patch(year_seconds, json_object(?, round(?, 3))),
              year_row_counts = json_merge_patch(year_row_counts, json_object(?, ?::json))
            where run_id = ? and plan_design_id = ?""",
        [str(year), seconds, str(year), json.dumps(row_counts), run_id, plan_design_id],
    )


def checkpoint_dirs(conn: duckdb.DuckDBPyConnection, scenario_id: str, plan_design_id: str) -> list[str]:
    """The checkpoint directories runs of this scenario and design wrote to, latest first."""
    exists = conn.execute(
        "select count(*) from information_schema.tables where table_name = ? and table_catalog = current_database()",
        [RUN_LOG_TABLE]).fetchone()[0]
    if not exists:
        return []
    cols = {r[0] for r in conn.execute(f"describe {RUN_LOG_TABLE}").fetchall()}
    if "checkpoint_dir" not in cols:
        return []
    rows = conn.execute(
        f"""select checkpoint_dir from {RUN_LOG_TABLE}
            where scenario_id = ? and plan_design_id = ? and checkpoint_dir is not null
            group by checkpoint_dir order by max(started_at) desc""",
        [scenario_id, plan_design_id]).fetchall()
    return [r[0] for r in rows]


def finish(conn: duckdb.DuckDBPyConnection, run_id: str, error: str | None = None,
           status: str | None = None) -> None:
    """Close the run's row: `completed` without an error, else `failed` (or the status given)."""
    conn.execute(
        f"update {RUN_LOG_TABLE} set status = ?, error = ?, finished_at = ? where run_id = ?",
        [status or ("failed" if error else "completed"), error, _now(), run_id],
    )


def list_runs(conn: duckdb.DuckDBPyConnection, limit: int = 20) -> list[dict]:
    exists = conn.execute(
        "select count(*) from information_schema.tables where table_name = ?", [RUN_LOG_TABLE]
    ).fetchone()[0]
    if not exists:
        return []
    cur = conn.execute(
        f"select * from {RUN_LOG_TABLE} order by started_at desc limit ?", [limit]
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]
