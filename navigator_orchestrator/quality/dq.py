"""`navigator dq`: the dbt tests and the tripwires over an existing database, as one summary.

dbt tests run in-process through `DbtRunner` on the published models (`tag:publish`) and the
tests beside them, once over every design; the tripwires evaluate every published year of each
plan design of the config (or of the designs selected), and each result names its design.
Results of the tripwires are recorded in `int_data_quality_results` under a `dq-…` run id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from navigator_orchestrator.engine import database
from navigator_orchestrator.quality import tripwires
from navigator_orchestrator.config.schema import SimulationConfig
from navigator_orchestrator.engine.dbt_runner import DbtRunner
from navigator_orchestrator.engine.simulation import SimulationError, new_run_id
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

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def ok(self) -> bool:
        return self.count("fail") == 0


def _dbt_status(status: str) -> str:
    return {"pass": "pass", "success": "pass", "warn": "warn"}.get(status, "fail")


def run_dq(config: SimulationConfig, database_path: Path, year: int | None = None,
           threads: int = 2, plan_designs: list[str] | None = None) -> DqSummary:
    """Check every plan design of `config` (or those in `plan_designs`) in an existing database.

    Raises SimulationError when the database is missing, a design has no published year, or
    `year` is not published for every design; ConfigError for a design the config lacks."""
    database_path = Path(database_path).resolve()
    designs = config.designs(plan_designs)
    if not database_path.exists():
        raise SimulationError(f"database {database_path} not found; pass --database PATH of a finished run")
    refuse_read_only(database_path, "navigator dq")  # dbt opens the file for writing
    scenario = config.effective_scenario_id
    with database.connection(database_path) as conn:
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

    runner = DbtRunner(database_path, threads=threads)
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

    with database.connection(database_path) as conn:
        for design_id, design in designs.items():
            reports = tripwires.audit_published(
                conn, design, database_path, summary.run_id,
                [year] if year is not None else published[design_id])
            for report in reports:
                summary.skipped += len(report.skipped)
                for result in report.results:
                    detail = result.message if result.status == "pass" else f"{result.message} | fix: {result.recovery}"
                    summary.rows.append(DqRow("tripwire", result.check_name, str(result.simulation_year),
                                              result.status, detail, design_id))
    return summary
