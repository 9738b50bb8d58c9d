"""Advisory config linter: values that parse but are probably mistakes.

Each rule names a dotted key (a `*` matches any mapping key or list index, so rules written for a
section keep working as it grows), a predicate on the value and a message. Rules whose key is
absent from a config are skipped. `validate` prints the findings as warnings; `--strict` makes
them errors.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Iterator

from navigator_orchestrator.config.messages import yaml_value
from navigator_orchestrator.config.schema import ConfigError, SimulationConfig


@dataclass(frozen=True)
class Rule:
    key: str
    check: Callable[[Any], bool]  # True when the value deserves a warning
    message: str


@dataclass(frozen=True)
class Finding:
    key: str
    value: Any
    message: str

    def format(self) -> str:
        return f"{self.key} = {yaml_value(self.value)}: {self.message}"


def _num(predicate: Callable[[float], bool]) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and predicate(v)


RULES: list[Rule] = [
    Rule("workforce.total_termination_rate", _num(lambda v: v > 0.50),
         "more than half the workforce leaving every year; rates are fractions (0.12 = 12%)"),
    Rule("workforce.new_hire_termination_rate", _num(lambda v: v > 0.60),
         "most hires leaving in their first year; rates are fractions (0.25 = 25%)"),
    Rule("simulation.target_growth_rate", _num(lambda v: abs(v) > 0.30),
         "headcount growth outside +/-30% a year; rates are fractions (0.03 = 3%)"),
    Rule("compensation.cola_rate", _num(lambda v: v > 0.10), "COLA above 10% of pay"),
    Rule("compensation.merit_budget", _num(lambda v: v > 0.15), "merit budget above 15% of pay"),
    Rule("promotion.base_rate", _num(lambda v: v > 0.40), "more than 40% promoted a year before multipliers"),
    Rule("promotion.raise_rate", _num(lambda v: v > 0.50), "promotion raises above 50% of pay"),
    Rule("hiring.pay_spread", _num(lambda v: v > 0.60), "hire pay spread over most of the level's band"),
    # Plan-design sections: checked when the schema has them.
    Rule("enrollment.auto_enrollment.default_deferral_rate", _num(lambda v: v > 0.25),
         "default deferral above 25% of pay; rates are fractions (0.06 = 6%)"),
    Rule("deferral_auto_escalation.maximum_rate", _num(lambda v: v > 0.50),
         "escalation cap above 50% of pay"),
    Rule("employer_match.formulas.*.max_match_percentage", _num(lambda v: v > 0.10),
         "match capped above 10% of pay; rates are fractions (0.04 = 4%)"),
    Rule("employer_core_contribution.contribution_rate", _num(lambda v: v > 0.15),
         "core contribution above 15% of pay"),
]

MAX_HORIZON_YEARS = 30
MAX_YEARS_FROM_TODAY = 5


def leaves(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every (dotted key, value) leaf of nested mappings and lists."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from leaves(value, f"{prefix}{key}.")
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from leaves(value, f"{prefix}{i}.")
    else:
        yield prefix[:-1], data


def lint(config: SimulationConfig, today: date | None = None) -> list[Finding]:
    """Warnings for values outside sensible bounds (never raises on a parsed config)."""
    data = config.model_dump(mode="python")
    findings: list[Finding] = []
    # A formula graded by service or points has its caps in its bands; its formula-level
    # max_match_percentage is not used, so it is not held to the bound.
    unused = {f"employer_match.formulas.{fid}.max_match_percentage"
              for fid, f in config.employer_match.formulas.items() if f.graded_by_service or f.graded_by_points}
    for key, value in leaves(data):
        for rule in RULES:
            if fnmatch.fnmatchcase(key, rule.key) and rule.check(value) and key not in unused:
                findings.append(Finding(key, value, rule.message))
    if not config.census_path.exists():
        findings.append(Finding("setup.census_parquet_path", str(config.setup.census_parquet_path),
                                f"no file at {config.census_path}; fix the path or create one with "
                                "`navigator census generate`"))
    findings.extend(_years(config, today or date.today()))
    findings.extend(_ndt(config))
    findings.extend(_payroll(config))
    findings.extend(_same_designs(config))
    return findings


def _same_designs(config: SimulationConfig) -> list[Finding]:
    """A design of plan_designs whose plan parameters equal an earlier design's (an empty or
    null override, or overrides that restate the baseline's values): it would be simulated and
    compared for nothing. One finding per such design, naming the design it equals."""
    out = []
    seen: dict[str, str] = {}  # the parameters (JSON, without the id) -> the first design with them
    for design_id, design in config.designs().items():
        parameters = design.plan_parameters()
        parameters.pop("plan_design_id")
        key = json.dumps(parameters, sort_keys=True, default=str)
        same = seen.setdefault(key, design_id)
        if same == design_id:
            continue
        given = config.plan_designs.get(design_id)
        what = ("it overrides nothing" if not given else
                "its overrides restate the values it inherits")
        equal = f"the baseline {same}" if same == config.effective_plan_design_id else f"design {same}"
        out.append(Finding(f"plan_designs.{design_id}", given,
                           f"design {design_id} equals {equal}: {what}; give it the plan sections that differ, "
                           "or remove it"))
    return out


def _payroll(config: SimulationConfig) -> list[Finding]:
    """A payroll frequency other than the default given for a design whose match is annual has
    no effect (docs/plan.md). The default config states the default frequency: not flagged."""
    out = []
    default = type(config.payroll).model_fields["frequency"].default
    for design_id, design in config.designs().items():
        if design.payroll.frequency == default:
            continue
        overrides = (config.plan_designs.get(design_id) or {}) if design_id != config.effective_plan_design_id else {}
        given = "frequency" in config.payroll.model_fields_set or "frequency" in (overrides.get("payroll") or {})
        if given and design.employer_match.calculation_period == "annual":
            key = "payroll.frequency" if design_id == config.effective_plan_design_id \
                else f"plan_designs.{design_id}.payroll.frequency"
            out.append(Finding(key, design.payroll.frequency,
                               "has no effect while employer_match.calculation_period is annual "
                               "(set calculation_period: pay_period to match each payroll)"))
    return out


def _ndt(config: SimulationConfig) -> list[Finding]:
    """Testing options that do not apply to a design as configured (docs/ndt.md), for the
    baseline (keys `ndt.…`) and every design of `plan_designs` (keys `plan_designs.ID.ndt.…`)."""
    from navigator_orchestrator.config.safe_harbor import safe_harbor_status

    out = []
    for design_id, design in config.designs().items():
        prefix = "ndt" if design_id == config.effective_plan_design_id else f"plan_designs.{design_id}.ndt"
        n = design.ndt
        for problem in safe_harbor_status(design).problems:
            out.append(Finding(f"{prefix}.safe_harbor", n.safe_harbor, problem))
        if n.testing_method == "current_year":
            for key in ("prior_year_nhce_adp", "prior_year_nhce_acp"):
                if getattr(n, key) is not None:
                    out.append(Finding(f"{prefix}.{key}", getattr(n, key), "used only with testing_method: prior_year"))
        elif not n.first_plan_year:
            for key in ("prior_year_nhce_adp", "prior_year_nhce_acp"):
                if getattr(n, key) is None:
                    out.append(Finding(f"{prefix}.{key}", None,
                                       f"prior-year testing of {config.simulation.start_year} needs the NHCE average of "
                                       f"{config.simulation.start_year - 1}; without it that year is tested current-year "
                                       "(set it, or first_plan_year: true for the deemed 3%)"))
    return out


def _years(config: SimulationConfig, today: date) -> list[Finding]:
    sim = config.simulation
    out: list[Finding] = []
    horizon = sim.end_year - sim.start_year + 1
    if horizon > MAX_HORIZON_YEARS:
        out.append(Finding("simulation.end_year", sim.end_year,
                           f"{horizon}-year horizon; projections past {MAX_HORIZON_YEARS} years are mostly assumption"))
    if abs(sim.start_year - today.year) > MAX_YEARS_FROM_TODAY:
        out.append(Finding("simulation.start_year", sim.start_year,
                           f"census date {config.census_date} is more than {MAX_YEARS_FROM_TODAY} years "
                           f"from today ({today}); is the start year right?"))
    latest = _latest_census_date(config)
    if latest is not None and (config.census_date - latest).days > 2 * 366:
        out.append(Finding("simulation.start_year", sim.start_year,
                           f"the census's latest hire or termination is {latest}, more than two years "
                           f"before the census date {config.census_date}; is it the right census?"))
    return out


def _latest_census_date(config: SimulationConfig) -> date | None:
    """Latest hire/termination date in the census file, or None if it cannot be read cheaply."""
    from navigator_orchestrator.sql import connect_duckdb, literal

    path = config.census_path
    if not path.exists():
        return None
    reader = f"read_parquet({literal(path)})" if path.suffix == ".parquet" else f"read_csv_auto({literal(path)})"
    try:
        with connect_duckdb() as conn:
            cols = {r[0] for r in conn.execute(f"describe select * from {reader}").fetchall()}
            dates = [c for c in ("employee_hire_date", "employee_termination_date") if c in cols]
            if not dates:
                return None
            row = conn.execute(
                f"select greatest({', '.join(f'max(try_cast({c} as date))' for c in dates)}) from {reader}"
            ).fetchone()
            return row[0] if row else None
    except Exception:  # the census contract check reports unreadable files; lint stays advisory
        return None


def identifier_hints(config: SimulationConfig) -> list[str]:
    return [
        f"{key} is not set; rows are stamped '{getattr(config, 'effective_' + key)}'. "
        f"Set {key}: <slug> so runs can be told apart (required with --enforce-identifiers)"
        for key in config.missing_identifiers()
    ]


def enforce_identifiers(config: SimulationConfig, source: str = "the config") -> None:
    """--enforce-identifiers: a missing scenario_id or plan_design_id is an error naming the key."""
    missing = config.missing_identifiers()
    if missing:
        keys = " and ".join(missing)
        raise ConfigError(
            f"{keys} missing from {source} (--enforce-identifiers); add "
            + ", ".join(f"'{k}: <slug>'" for k in missing) + " at the top level"
        )
