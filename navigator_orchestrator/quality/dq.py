"""`navigator dq`: the dbt tests and the tripwires over an existing database, as one summary.

dbt tests run in-process through `DbtRunner` on the published models (`tag:publish`) and the
tests beside them, once over every design; the tripwires evaluate every published year of each
plan design of the config (or of the designs selected), and each result names its design. A
check writes nothing into the database it checks: every result goes to one JSON file,
`reports/<db>/dq_<scenario>_<dq run id>.json` (`DqSummary.path`), each tripwire result with its
plan design.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from navigator_orchestrator.engine import database
from navigator_orchestrator.quality import tripwires
from navigator_orchestrator.config.schema import SimulationConfig
from navigator_orchestrator.engine.dbt_runner import DbtRunner
from navigator_orchestrator.engine.simulation import SimulationError, new_run_id
from navigator_orchestrator.files import write_atomically
from navigator_orchestrator.identity import Identity
from navigator_orchestrator.reporting.files import REPORTS_DIR, database_directory
from navigator_orchestrator.safety.permissions import refuse_read_only

DBT_TEST_SELECTION = ("tag:publish",)


@dataclass
class DqRow:
    kind: str          # "dbt test" or "tripwire"
    name: str
    year: str          # a year, or "all" for dbt tests over every published year
    status: str        # pass | warn | fail
    detail: str
    design: str = "all"  # the plan design a tripwire checked; "all" for dbt tests (every design's rows)


@dataclass
class DqSummary:
    run_id: str
    rows: list[DqRow] = field(default_factory=list)
    skipped: int = 0
    path: Path | None = None   # the JSON file of the results

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def ok(self) -> bool:
        return self.count("fail") == 0


def _dbt_status(status: str) -> str:
    return {"pass": "pass", "success": "pass", "warn": "warn"}.get(status, "fail")


def run_dq(config: SimulationConfig, database_path: Path, year: int | None = None,
           threads: int = 2, plan_designs: list[str] | None = None,
           reports_dir: Path = REPORTS_DIR) -> DqSummary:
    """Check every plan design of `config` (or those in `plan_designs`) in an existing database
    and write the results to a JSON file under `reports_dir`; nothing is written to the database.

    Raises SimulationError when the database is missing, a design has no published year, or
    `year` is not published for every design; ConfigError for a design the config lacks;
    SafetyError for a read-only database file (dbt opens it for writing); OSError (the file)."""
    database_path = Path(database_path).resolve()
    designs = config.designs(plan_designs)
    if not database_path.exists():
        raise SimulationError(f"database {database_path} not found; pass --database PATH of a finished run")
    refuse_read_only(database_path, "navigator dq")  # dbt opens the file for writing
    scenario = config.effective_scenario_id
    from navigator_orchestrator.engine.contract import check_published_columns

    # dq reads published tables only (their dbt tests too): the work catalog stays in memory
    # and no work file is created.
    with database.connection(database_path, work_in_memory=True) as conn:
        # A database written by an earlier version fails dbt tests on the columns it lacks: say why.
        runner = DbtRunner(database_path, threads=threads, work_in_memory=True)
        stale = check_published_columns(conn, runner, database_path,
                                        config.setup.backup.enabled)
        if stale:
            raise SimulationError(stale)
        published = {d: database.published_years(conn, scenario, d) for d in designs}
    for design_id, years in published.items():
        if not years:
            raise SimulationError(
                f"{database_path} holds no published year for scenario '{scenario}', design '{design_id}'; "
                "run `navigator run` first, pass the config of the scenario it holds (-c), or name the "
                "designs it holds with --plan-designs")
        if year is not None and year not in years:
            raise SimulationError(f"year {year} is not published in {database_path} for design '{design_id}'; "
                                  f"published: {years}")
    summary = DqSummary(run_id="dq-" + new_run_id())
    last = max(max(years) for years in published.values())

    runner = DbtRunner(database_path, threads=threads, work_in_memory=True)
    try:
        dbt_vars = {**config.to_dbt_vars(list(designs)), "simulation_year": year or last, "run_id": summary.run_id}
        invocation = runner.invoke(["test", "--select", *DBT_TEST_SELECTION], dbt_vars, check=False)
    finally:
        runner.close()
    for node in invocation.nodes:
        status = _dbt_status(node.status)
        detail = "ok" if status == "pass" else (
            f"{node.failures} failing row(s)" if node.failures else node.message.splitlines()[0][:160])
        summary.rows.append(DqRow("dbt test", node.name, "all", status, detail))

    results = []
    with database.connection(database_path, work_in_memory=True) as conn:
        for design_id, design in designs.items():
            reports = tripwires.audit_published(
                conn, design, database_path, [year] if year is not None else published[design_id])
            for report in reports:
                summary.skipped += len(report.skipped)
                for result in report.results:
                    detail = result.message if result.status == "pass" else f"{result.message} | fix: {result.recovery}"
                    summary.rows.append(DqRow("tripwire", result.check_name, str(result.simulation_year),
                                              result.status, detail, design_id))
                    results.append({"plan_design_id": design_id, "simulation_year": result.simulation_year,
                                    "check_name": result.check_name, "severity": result.severity,
                                    "status": result.status, "observed": result.observed,
                                    "message": result.message, "recovery": result.recovery})
    identity = Identity(database_path, scenario, config.effective_plan_design_id)
    path = database_directory(reports_dir, identity) / f"dq_{scenario}_{summary.run_id}.json"
    checked = {d: [year] if year is not None else y for d, y in published.items()}
    body = {"run_id": summary.run_id, "database": str(database_path), "scenario_id": scenario,
            "plan_design_ids": list(designs), "years": checked,
            "checked_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "counts": {s: summary.count(s) for s in ("pass", "warn", "fail")}, "not_applicable": summary.skipped,
            "dbt_tests": [asdict(r) for r in summary.rows if r.kind == "dbt test"], "tripwires": results}
    summary.path = write_atomically(path, json.dumps(body, indent=2, default=str) + "\n", durable=False)
    return summary
