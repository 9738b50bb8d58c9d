"""What a data-quality check is and what it reads: the check's context (year, mode, plan
designs and their configurations), the named relations its SQL reads, and the query that runs it.

The relations (`dq_events`, `dq_snapshot`, `dq_prev_snapshot`, `dq_prev_events`,
`dq_match_events`, and `dq_designs`: one row per plan design under test with its
`match_active` flag) point at the year-only `int_*` tables while a run guards a year before
publishing it (mode "year"), and at the published `fct_*` tables when `navigator dq` audits
(mode "published"), so the same query serves both. The checks themselves are in `checks.py`.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Literal

from navigator_orchestrator.config.schema import DEFAULT_CONFIG, DataQualitySettings, SimulationConfig
from navigator_orchestrator.engine.dbt_runner import WORK_TAG
from navigator_orchestrator.sql import literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Context:
    """What a check may know besides the data: the year, the mode and the configuration.

    `config` is one plan design's configuration (its recovery commands name that design; the
    scenario-level settings, such as data_quality and the growth rate, are the same in every
    design); `designs` maps every design checked in the same query to its configuration (by
    default only `config`'s)."""

    config: SimulationConfig
    year: int
    mode: Literal["year", "published"]
    database_path: Path
    tables: frozenset[str]
    columns: dict[str, frozenset[str]]
    designs: dict[str, SimulationConfig] = field(default_factory=dict)
    # The year-only tables hold exactly `designs` (their build's int_plan_design_parameters lists
    # no other): they are read whole, without a filter on plan_design_id.
    work_holds_only_these: bool = False

    def __post_init__(self) -> None:
        if not self.designs:
            object.__setattr__(self, "designs", {self.config.effective_plan_design_id: self.config})

    def for_design(self, design_id: str) -> "Context":
        """This context with `config` the named design's (its recovery commands)."""
        return replace(self, config=self.designs[design_id])

    @property
    def settings(self) -> DataQualitySettings:
        return self.config.data_quality

    @property
    def scenario(self) -> str:
        return self.config.effective_scenario_id

    @property
    def design(self) -> str:
        return self.config.effective_plan_design_id

    @property
    def is_census_year(self) -> bool:
        return self.year == self.config.simulation.start_year

    # ----- recovery commands ------------------------------------------------
    def _config_arg(self) -> str:
        return str(self.config.source_path or DEFAULT_CONFIG)

    def dbt_run(self, *models: str, year_inputs: bool = True) -> str:
        """`navigator dbt` rebuilding `models` of this year and design into the work file (under
        the database's lock, files owner-only). With `year_inputs` (year-only models) each
        selector is `+MODEL,tag:year`: the model and the year-only models it reads, since a run
        keeps the year's tables in memory, not in the work file."""
        selectors = [f"+{m},tag:{WORK_TAG}" if year_inputs else m for m in models]
        return (f"navigator dbt -c {shlex.quote(self._config_arg())} --database {shlex.quote(str(self.database_path))} "
                f"--year {self.year} --plan-designs {self.design} -- run --select {' '.join(selectors)}")

    def rerun(self) -> str:
        """`navigator run` of this year onwards for every design checked with this one: a failed
        check refuses the year for all of them (they are published together)."""
        end = max(self.config.simulation.end_year, self.year)
        return (f"navigator run -c {shlex.quote(self._config_arg())} --database {shlex.quote(str(self.database_path))} "
                f"--years {self.year}-{end} --plan-designs {','.join(self.designs)}")


@dataclass(frozen=True)
class Check:
    name: str
    severity: Severity
    sql: str                                   # a row of observed numbers per plan_design_id; {placeholders} from query()
    trips: Callable[[dict[str, Any], DataQualitySettings], bool]
    message: str                               # formatted with the observed numbers and the settings
    recovery: Callable[[Context], str]
    requires: tuple[str, ...] = ()             # further tables that must exist, else the check does not apply
    snapshot_columns: tuple[str, ...] = ()     # snapshot columns it reads beyond the workforce ones
    applies: Callable[[Context], bool] = lambda ctx: True




# ----- the relations a check reads -------------------------------------------

def relations(ctx: Context) -> dict[str, tuple[str, str]]:
    """Name -> (SQL, table it reads) of the year under test, for the mode."""
    scen, year = literal(ctx.scenario), ctx.year
    designs = ", ".join(literal(d) for d in ctx.designs)

    def published(table: str, y: int) -> tuple[str, str]:
        return (f"select * from {table} where scenario_id = {scen} and plan_design_id in ({designs}) "
                f"and simulation_year = {y}", table)

    def year_only(table: str) -> tuple[str, str]:
        # The work tables hold the year of every design of the run: check the designs under test.
        if ctx.work_holds_only_these:
            return f"select * from {table}", table
        return f"select * from {table} where plan_design_id in ({designs})", table

    rels = {
        "dq_prev_snapshot": published("fct_workforce_snapshot", year - 1),
        "dq_prev_events": published("fct_yearly_events", year - 1),
    }
    if ctx.mode == "year":
        rels["dq_events"] = year_only("int_yearly_events")
        rels["dq_snapshot"] = year_only("int_yearly_snapshot")
        rels["dq_match_events"] = year_only("int_employer_match_events")
    else:
        rels["dq_events"] = published("fct_yearly_events", year)
        rels["dq_snapshot"] = published("fct_workforce_snapshot", year)
        rels["dq_match_events"] = published("fct_employer_match_events", year)
    # Before the first publish there is no previous year: read it as empty, not as an error.
    for name, current in (("dq_prev_snapshot", "dq_snapshot"), ("dq_prev_events", "dq_events")):
        if rels[name][1] not in ctx.tables:
            rels[name] = (f"select * from ({rels[current][0]}) where false", rels[current][1])
    rows = ", ".join(f"({literal(d)}, {str(match_active(c)).lower()})" for d, c in ctx.designs.items())
    rels["dq_designs"] = (f"select * from (values {rows}) as t(plan_design_id, match_active)", "")
    return rels


def match_active(config: SimulationConfig) -> bool:
    """Whether the design's active match formula gives a match to anyone who defers."""
    m = config.employer_match
    formula = m.formulas[m.active_formula]
    return m.enabled and any(cap > 0 and any(t.match_rate > 0 for t in tiers)
                             for _, _, tiers, cap in formula.band_list())


def _used(check: Check, rels: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    return {name: rel for name, rel in rels.items() if name in check.sql}


def missing(ctx: Context, check: Check) -> list[str]:
    """Tables or snapshot columns the check needs that this database does not have."""
    rels = _used(check, relations(ctx))
    missing = [t for t in sorted({table for _, table in rels.values() if table} | set(check.requires))
               if t not in ctx.tables]
    snapshot_table = relations(ctx)["dq_snapshot"][1]
    have = ctx.columns.get(snapshot_table, frozenset())
    missing += [f"{snapshot_table}.{c}" for c in check.snapshot_columns if c not in have]
    return missing


def query(ctx: Context, check: Check) -> str:
    rels = _used(check, relations(ctx))
    prefix = "".join(f"{name} as ({sql}),\n" for name, (sql, _) in rels.items())
    s = ctx.settings
    body = check.sql.format(
        growth=f"({ctx.config.simulation.target_growth_rate!r})::decimal(18, 8)",
        max_event_count_change=s.max_event_count_change,
        event_count_min_base=s.event_count_min_base,
        previous_is_census_year=str(ctx.year - 1 == ctx.config.simulation.start_year).lower(),
    )
    return f"with {prefix}observed as ({body})\nselect * from observed"
