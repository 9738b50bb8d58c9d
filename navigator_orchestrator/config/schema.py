"""The one typed configuration schema and its only bridge to SQL (`to_dbt_vars`).

Every key in the YAML is either consumed by the schema or rejected with a
did-you-mean; relative paths are resolved against the directory that holds the
config file, so a run behaves the same from any working directory. The sections it is built
from are in `sections.py`.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, PrivateAttr, ValidationError

from navigator_orchestrator.config.sections import (
    ConfigError,
    Slug,
    _Section,
    SimulationSettings,
    SetupSettings,
    WorkforceSettings,
    HiringSettings,
    CompensationSettings,
    PromotionSettings,
    EligibilitySettings,
    EnrollmentSettings,
    EscalationSettings,
    IrsLimitSettings,
    EmployerMatchSettings,
    EmployerCoreSettings,
    NdtSettings,
    DataQualitySettings,
    PLAN_SECTIONS,
)
from navigator_orchestrator.config.accounts import AccountsSettings, VestingSettings, plan_account_problems
from navigator_orchestrator.config.disparity import integration_problems
from navigator_orchestrator.config.messages import format_errors, yaml_key, yaml_kind
from navigator_orchestrator.config.payroll import PayrollSettings
from navigator_orchestrator.config.yaml_text import DuplicateKeyError, load_yaml
# Re-exported: where the dbt project, default config and default database are (locations.py).
from navigator_orchestrator.locations import DBT_PROJECT_DIR, DEFAULT_CONFIG, DEFAULT_DATABASE, PROJECT_ROOT  # noqa: F401
from navigator_orchestrator.sql import SLUG  # noqa: F401


def _merged(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """`base` with `overrides` laid over it, mapping by mapping (lists and values replace)."""
    out = dict(base)
    for key, value in overrides.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


class SimulationConfig(_Section):
    scenario_id: Slug | None = None
    plan_design_id: Slug | None = None
    # Further designs of the scenario: design id (slug) -> overrides of the plan sections. The
    # top-level plan sections are the baseline design, named by plan_design_id.
    plan_designs: dict[str, Any] = Field(default_factory=dict)
    simulation: SimulationSettings = SimulationSettings()
    setup: SetupSettings = SetupSettings()
    workforce: WorkforceSettings = WorkforceSettings()
    hiring: HiringSettings = HiringSettings()
    compensation: CompensationSettings = CompensationSettings()
    promotion: PromotionSettings = PromotionSettings()
    eligibility: EligibilitySettings = EligibilitySettings()
    enrollment: EnrollmentSettings = EnrollmentSettings()
    deferral_auto_escalation: EscalationSettings = EscalationSettings()
    irs_limits: IrsLimitSettings = IrsLimitSettings()
    employer_match: EmployerMatchSettings = EmployerMatchSettings()
    employer_core_contribution: EmployerCoreSettings = EmployerCoreSettings()
    ndt: NdtSettings = NdtSettings()
    vesting: VestingSettings = VestingSettings()
    accounts: AccountsSettings = AccountsSettings()
    payroll: PayrollSettings = PayrollSettings()
    data_quality: DataQualitySettings = DataQualitySettings()

    # Where the file lives; relative paths inside it resolve from here.
    config_dir: Path = Field(default_factory=Path.cwd, exclude=True)
    # The file it was loaded from (None when built in code); recovery hints name it.
    _source_path: Path | None = PrivateAttr(default=None)

    # ----- derived values -------------------------------------------------
    @property
    def census_path(self) -> Path:
        path = self.setup.census_parquet_path
        return path if path.is_absolute() else (self.config_dir / path).resolve()

    @property
    def source_path(self) -> Path | None:
        return self._source_path

    @property
    def census_date(self) -> date:
        return date(self.simulation.start_year - 1, 12, 31)

    @property
    def effective_scenario_id(self) -> str:
        return self.scenario_id or "default"

    @property
    def effective_plan_design_id(self) -> str:
        return self.plan_design_id or "default"

    # ----- plan designs ---------------------------------------------------
    @property
    def design_ids(self) -> list[str]:
        """Every design of the scenario: the baseline (top level) first, then plan_designs in order."""
        return [self.effective_plan_design_id, *self.plan_designs]

    def design(self, design_id: str) -> "SimulationConfig":
        """The config of one design run alone: the top level with that design's plan overrides
        and `plan_design_id` set to it, and no further designs. ValueError naming the problem
        when the id is not a slug, is the baseline's, overrides a non-plan section or a key
        the schema does not know, or gives a value the schema refuses."""
        if design_id == self.effective_plan_design_id:
            return self.model_copy(update={"plan_designs": {}})
        if design_id not in self.plan_designs:
            raise ValueError(f"no plan design {design_id!r}; designs: {', '.join(self.design_ids)}")
        where = f"plan_designs.{design_id}"
        if not SLUG.match(design_id):
            raise ValueError(f"{where}: {design_id!r} is not a slug: use 1-64 characters from A-Z a-z 0-9 _ -")
        overrides = self.plan_designs[design_id] or {}
        if not isinstance(overrides, dict):
            raise ValueError(f"{where}: write the design as a mapping of plan sections, e.g. employer_match: {{...}}")
        others = [k for k in overrides if k not in PLAN_SECTIONS]
        for key in others:
            if key in SimulationConfig.model_fields:
                raise ValueError(f"{where}.{key}: only plan sections differ between designs "
                                 f"({', '.join(PLAN_SECTIONS)}); put {key} in a config of its own scenario")
        # A design holds plan sections only: an unknown key is matched against those.
        typos = [f"unknown key '{where}.{yaml_key(key)}'" + (
                     f"; did you mean '{where}.{close[0]}'?" if close
                     else f"; a design overrides plan sections: {', '.join(PLAN_SECTIONS)}")
                 for key in others
                 for close in [difflib.get_close_matches(yaml_key(key), PLAN_SECTIONS, n=1, cutoff=0.6)]]
        typos += [p for k in PLAN_SECTIONS if k in overrides
                  for p in unknown_keys({k: overrides[k]}, SimulationConfig, f"{where}.")]
        if typos:
            raise ValueError("; ".join(typos))
        base = self.model_dump(mode="python", include=set(overrides))
        data = {k: _merged(base[k], overrides[k]) if isinstance(overrides[k], dict) else overrides[k]
                for k in overrides}
        sections = {}
        for key, value in data.items():
            try:
                sections[key] = type(getattr(self, key)).model_validate(value)
            except ValidationError as exc:
                raise ValueError(format_errors(exc, type(getattr(self, key)), f"{where}.{key}")) from None
        return self.model_copy(update={**sections, "plan_design_id": design_id, "plan_designs": {}})

    def designs(self, selected: list[str] | None = None) -> dict[str, "SimulationConfig"]:
        """Design id -> its config (see `design`), every design or the `selected` ones in the
        config's order. ConfigError when a selected id names no design."""
        if selected:
            unknown = [d for d in selected if d not in self.design_ids]
            if unknown:
                raise ConfigError(f"--plan-designs names {', '.join(repr(d) for d in unknown)}, which the config "
                                  f"does not define; designs: {', '.join(self.design_ids)}")
        return {d: self.design(d) for d in self.design_ids if not selected or d in selected}

    def with_years(self, start: int | None, end: int | None) -> "SimulationConfig":
        sim = self.simulation.model_dump()
        if start is not None:
            sim["start_year"] = start
        if end is not None:
            sim["end_year"] = end
        try:
            settings = SimulationSettings(**sim)
        except ValidationError as exc:
            raise ConfigError(format_errors(exc, SimulationSettings, "simulation")) from None
        config = self.model_copy(update={"simulation": settings})
        config.check_designs()
        return config

    def check_designs(self) -> None:
        """ConfigError naming the first design whose plan sections disagree with the rest of its
        config (vesting on a safe harbor, a return mapping starting after start_year, an
        integration level above a simulated year's taxable wage base or its disparity limit)."""
        for design_id in self.design_ids:
            where = "" if design_id == self.effective_plan_design_id else f"plan_designs.{design_id}."
            try:
                design = self.design(design_id)
                problems = plan_account_problems(design) + integration_problems(design)
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
            if problems:
                raise ConfigError("; ".join(where + p for p in problems))

    def missing_identifiers(self) -> list[str]:
        return [k for k in ("scenario_id", "plan_design_id") if getattr(self, k) is None]

    def config_hash(self) -> str:
        """Hash of the effective configuration (what the SQL sees), stable across key order."""
        payload = json.dumps(self.to_dbt_vars(), sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()

    def design_hash(self) -> str:
        """Hash of this config's plan design alone (`plan_parameters`: every parameter the plan
        models read, the match formula's name and tiers, core grades, vesting, accounts, NDT
        options), stable across key order. Unlike `config_hash` it leaves out the workforce
        assumptions, the years and every Python-only section, so it changes exactly when the design
        does; `navigator compare` checks it against the run log before describing a design."""
        payload = json.dumps(self.plan_parameters(), sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()

    def to_dbt_vars(self, plan_designs: list[str] | None = None) -> dict[str, Any]:
        """The only bridge from configuration to SQL: the scenario's dbt vars (flat values) and
        `plan_designs`, a list with one mapping of plan parameters per design (`plan_parameters`)
        of every design of the config, or of the ids in `plan_designs`, in the config's order.
        The dbt model int_plan_design_parameters turns that list into one typed row per design.
        ConfigError when an id in `plan_designs` names no design."""
        s, w, c, p, h = self.simulation, self.workforce, self.compensation, self.promotion, self.hiring
        return {
            "scenario_id": self.effective_scenario_id,
            "start_year": s.start_year,
            "random_seed": s.random_seed,
            "target_growth_rate": s.target_growth_rate,
            "total_termination_rate": w.total_termination_rate,
            "new_hire_termination_rate": w.new_hire_termination_rate,
            "termination_weight_by_age": w.hazard_weighting.age,
            "termination_weight_by_tenure": w.hazard_weighting.tenure,
            "termination_weight_by_level": w.hazard_weighting.level,
            "new_hire_pay_band_position": h.pay_band_position,
            "new_hire_pay_spread": h.pay_spread,
            "cola_rate": c.cola_rate,
            "merit_budget": c.merit_budget,
            "merit_by_level": c.merit_by_level,
            "promotion_enabled": p.enabled,
            "promotion_base_rate": p.base_rate,
            "promotion_raise_rate": p.raise_rate,
            "irs_limit_index_rate": self.irs_limits.index_rate,
            "catch_up_60_63_enabled": self.irs_limits.catch_up_60_63_enabled,
            "plan_designs": [d.plan_parameters() for d in self.designs(plan_designs).values()],
        }

    def plan_parameters(self) -> dict[str, Any]:
        """This config's plan design as data (config/plan_parameters.py): `plan_design_id` and
        one value per plan parameter; one element of the `plan_designs` dbt var."""
        from navigator_orchestrator.config.plan_parameters import plan_parameters

        return plan_parameters(self)


# Config fields the orchestrator consumes itself and that never reach SQL (dotted paths; `*`
# matches any key). Every other leaf must change `to_dbt_vars()` when changed: a test proves it.
PYTHON_ONLY_FIELDS: tuple[str, ...] = (
    "simulation.end_year",  # the year loop lives in Python; each year gets simulation_year
    "setup.*",              # census path, clear_mode, backup options: files and run control
    "data_quality.*",       # tripwire bounds: the checks run in Python between build and publish
)


# ----- loading -------------------------------------------------------------

_CONFIG_MAX_BYTES = 5_000_000

def _known_keys(model: type[BaseModel]) -> list[str]:
    return [name for name in model.model_fields if name != "config_dir"]


def _submodel(model: type[BaseModel], key: str) -> type[BaseModel] | None:
    field = model.model_fields.get(key)
    ann = getattr(field, "annotation", None)
    return ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None


def unknown_keys(data: Any, model: type[BaseModel] = SimulationConfig, prefix: str = "") -> list[str]:
    """Every key in `data` the schema does not know, each with a did-you-mean."""
    problems: list[str] = []
    if not isinstance(data, dict):
        return problems
    known = _known_keys(model)
    for key, value in data.items():
        path = f"{prefix}{yaml_key(key)}"  # true, null, 3: as the YAML writes them
        if key not in known:
            close = difflib.get_close_matches(yaml_key(key), known, n=1, cutoff=0.6)
            hint = f"; did you mean '{prefix}{close[0]}'?" if close else f"; known keys: {', '.join(known)}"
            problems.append(f"unknown key '{path}'{hint}")
            continue
        sub = _submodel(model, key)
        if sub is not None:
            problems.extend(unknown_keys(value, sub, f"{path}."))
    return problems


def _refuse_ids_read_as_values(data: dict[str, Any]) -> None:
    """An id written off, no, yes, on, true, false, null or as a bare number is read by YAML as
    a value, not a name: refuse it with the fix (quote it) instead of a type error."""
    places = [("plan_designs", data.get("plan_designs"))]
    for where, section in [("", data), *((f"plan_designs.{d}.", o) for d, o in
                                         (data.get("plan_designs") or {}).items() if isinstance(o, dict))]:
        match = section.get("employer_match") if isinstance(section, dict) else None
        if isinstance(match, dict):
            places.append((f"{where}employer_match.formulas", match.get("formulas")))
    for where, mapping in places:
        for key in (mapping or {}) if isinstance(mapping, dict) else ():
            if not isinstance(key, str):
                shown = "null" if key is None else str(key).lower() if isinstance(key, bool) else key
                raise ConfigError(f"{where}: an id was read as the value {shown} (YAML reads off, on, yes, no, true, "
                                  "false, null and bare numbers as values): quote it, e.g. 'off': or '2025':")


def parse_config(data: dict[str, Any], config_dir: Path) -> SimulationConfig:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("the config file must be a YAML mapping of sections")
    designs = data.get("plan_designs")
    if designs is not None and not isinstance(designs, dict):
        raise ConfigError(
            "plan_designs must be a mapping from a design id to its plan-section overrides, not "
            f"{yaml_kind(designs)}; e.g. plan_designs: "
            "{safe_harbor: {employer_match: {active_formula: safe_harbor_basic}}, "
            "rich_core: {employer_core_contribution: {contribution_rate: 0.04}}}")
    _refuse_ids_read_as_values(data)
    typos = unknown_keys(data)
    if typos:
        raise ConfigError("; ".join(typos))
    try:
        config = SimulationConfig(**data, config_dir=config_dir)
    except ValidationError as exc:
        raise ConfigError(format_errors(exc, SimulationConfig)) from None
    for design_id in config.plan_designs:
        if design_id == config.effective_plan_design_id:
            raise ConfigError(f"plan_designs.{design_id}: '{design_id}' is the baseline (plan_design_id, the "
                              "top-level plan sections); give the other design another id")
        try:
            config.design(design_id)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    config.check_designs()
    return config


def load_config(path: Path | str | None = None) -> SimulationConfig:
    path = resolve_config_path(path)
    try:
        # A config is a few kilobytes; a bound keeps a device or a huge file from being read whole.
        with path.open("rb") as fh:
            raw = fh.read(_CONFIG_MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}; pass -c with a readable YAML file") from None
    if len(raw) > _CONFIG_MAX_BYTES:
        raise ConfigError(f"config {path} is over {_CONFIG_MAX_BYTES // 1_000_000} MB; pass -c with the scenario's YAML file")
    try:
        data = load_yaml(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text; save the config as UTF-8 YAML") from None
    except DuplicateKeyError as exc:
        raise ConfigError(f"{path}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {' '.join(str(exc).split())}") from None
    config = parse_config(data, path.resolve().parent)
    config._source_path = path.resolve()
    return config


def resolve_config_path(path: Path | str | None) -> Path:
    if path is None:
        local = Path("config/simulation_config.yaml")
        path = local if local.exists() else DEFAULT_CONFIG
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"config file {path} not found; pass -c PATH to an existing YAML file")
    if not path.is_file():
        kind = "a directory" if path.is_dir() else "not a regular file"
        raise ConfigError(f"config path {path} is {kind}; pass -c PATH to a YAML file")
    return path
