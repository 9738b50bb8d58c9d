"""The one typed configuration schema and its only bridge to SQL (`to_dbt_vars`).

Every key in the YAML is either consumed by the schema or rejected with a
did-you-mean; relative paths are resolved against the directory that holds the
config file, so a run behaves the same from any working directory.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt"
DEFAULT_CONFIG = PROJECT_ROOT / "config" / "simulation_config.yaml"
DEFAULT_DATABASE = DBT_PROJECT_DIR / "simulation.duckdb"

SLUG = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

# Config sections that never reach SQL: they steer the orchestrator only, so they are exempt
# from the rule that every field must reach a dbt var (and documented as such in the YAML).
PYTHON_ONLY_SECTIONS: tuple[str, ...] = ("data_quality",)


class ConfigError(ValueError):
    """A configuration that cannot be run; the message names the key and the fix."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


Rate = Field(ge=0.0, le=1.0)


class SimulationSettings(_Section):
    start_year: int = Field(2025, ge=1990, le=2200)
    end_year: int = Field(2029, ge=1990, le=2200)
    random_seed: int = Field(42, ge=0, le=2**31 - 1)
    target_growth_rate: float = Field(0.03, gt=-1.0, le=10.0)

    @model_validator(mode="after")
    def _years_ordered(self) -> "SimulationSettings":
        if self.end_year < self.start_year:
            raise ValueError(
                f"end_year {self.end_year} is before start_year {self.start_year}; "
                "set simulation.end_year >= simulation.start_year"
            )
        return self


class BackupSettings(_Section):
    enabled: bool = True
    keep: int = Field(3, ge=0, le=100)


class SetupSettings(_Section):
    census_parquet_path: Path = Path("../data/census.parquet")
    clear_mode: Literal["year", "all"] = "year"
    backup: BackupSettings = BackupSettings()


class HazardWeighting(_Section):
    age: bool = True
    tenure: bool = True
    level: bool = True


class WorkforceSettings(_Section):
    total_termination_rate: float = Field(0.12, ge=0.0, le=1.0)
    new_hire_termination_rate: float = Field(0.25, ge=0.0, lt=1.0)
    hazard_weighting: HazardWeighting = HazardWeighting()


class HiringSettings(_Section):
    pay_band_position: float = Field(0.35, ge=0.0, le=1.0)
    pay_spread: float = Field(0.25, ge=0.0, le=1.0)


class CompensationSettings(_Section):
    cola_rate: float = Field(0.02, ge=0.0, le=0.5)
    merit_budget: float = Field(0.03, ge=0.0, le=0.5)
    merit_by_level: bool = False


class PromotionSettings(_Section):
    enabled: bool = True
    base_rate: float = Field(0.08, ge=0.0, le=1.0)
    raise_rate: float = Field(0.12, ge=0.0, le=1.0)


class DataQualitySettings(_Section):
    """Bounds of the data-quality tripwires run after each simulated year (Python only)."""

    max_headcount_change: float = Field(0.25, ge=0.0, le=10.0)
    max_event_count_change: float = Field(0.50, ge=0.0, le=10.0)
    event_count_min_base: int = Field(50, ge=0)
    raw_to_staged_loss_tolerance: float = Field(0.005, ge=0.0, le=1.0)
    fail_on_warning: bool = False
    skip_checks: list[str] = Field(default_factory=list)


class SimulationConfig(_Section):
    scenario_id: str | None = None
    plan_design_id: str | None = None
    simulation: SimulationSettings = SimulationSettings()
    setup: SetupSettings = SetupSettings()
    workforce: WorkforceSettings = WorkforceSettings()
    hiring: HiringSettings = HiringSettings()
    compensation: CompensationSettings = CompensationSettings()
    promotion: PromotionSettings = PromotionSettings()
    data_quality: DataQualitySettings = DataQualitySettings()

    # Where the file lives; relative paths inside it resolve from here.
    config_dir: Path = Field(default_factory=Path.cwd, exclude=True)
    # The file it was loaded from (None when built in code); recovery hints name it.
    _source_path: Path | None = PrivateAttr(default=None)

    @field_validator("scenario_id", "plan_design_id")
    @classmethod
    def _slug(cls, value: str | None) -> str | None:
        # Identifiers reach SQL, so anything outside the slug alphabet is refused outright.
        if value is not None and not SLUG.match(value):
            raise ValueError(
                f"{value!r} is not a slug: use 1-64 characters from A-Z a-z 0-9 _ -"
            )
        return value

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

    def with_years(self, start: int | None, end: int | None) -> "SimulationConfig":
        sim = self.simulation.model_dump()
        if start is not None:
            sim["start_year"] = start
        if end is not None:
            sim["end_year"] = end
        try:
            settings = SimulationSettings(**sim)
        except ValidationError as exc:
            raise ConfigError(_format_errors(exc)) from None
        return self.model_copy(update={"simulation": settings})

    def missing_identifiers(self) -> list[str]:
        return [k for k in ("scenario_id", "plan_design_id") if getattr(self, k) is None]

    def config_hash(self) -> str:
        """Hash of the effective configuration (what the SQL sees), stable across key order."""
        payload = json.dumps(self.to_dbt_vars(), sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()

    def to_dbt_vars(self) -> dict[str, Any]:
        """The only bridge from configuration to SQL: a flat dict of dbt vars."""
        s, w, c, p, h = self.simulation, self.workforce, self.compensation, self.promotion, self.hiring
        return {
            "scenario_id": self.effective_scenario_id,
            "plan_design_id": self.effective_plan_design_id,
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
        }


# ----- loading -------------------------------------------------------------

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
        path = f"{prefix}{key}"
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            hint = f"; did you mean '{prefix}{close[0]}'?" if close else f"; known keys: {', '.join(known)}"
            problems.append(f"unknown key '{path}'{hint}")
            continue
        sub = _submodel(model, key)
        if sub is not None:
            problems.extend(unknown_keys(value, sub, f"{path}."))
    return problems


def _format_errors(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        lines.append(f"{loc}: {err['msg']}")
    return "; ".join(lines)


def parse_config(data: dict[str, Any], config_dir: Path) -> SimulationConfig:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("the config file must be a YAML mapping of sections")
    typos = unknown_keys(data)
    if typos:
        raise ConfigError("; ".join(typos))
    try:
        return SimulationConfig(**data, config_dir=config_dir)
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc)) from None


def load_config(path: Path | str | None = None) -> SimulationConfig:
    path = resolve_config_path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
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
    return path
