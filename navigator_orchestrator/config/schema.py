"""The one typed configuration schema and its only bridge to SQL (`to_dbt_vars`).

Every key in the YAML is either consumed by the schema or rejected with a
did-you-mean; relative paths are resolved against the directory that holds the
config file, so a run behaves the same from any working directory.
"""

from __future__ import annotations

import csv
import difflib
import functools
import hashlib
import json
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from navigator_orchestrator.census.columns import CENSUS_COLUMNS
from navigator_orchestrator.census.rules import DEFAULT_PAY_FLOOR
# Re-exported: where the dbt project, default config and default database are (locations.py).
from navigator_orchestrator.locations import DBT_PROJECT_DIR, DEFAULT_CONFIG, DEFAULT_DATABASE, PROJECT_ROOT  # noqa: F401
from navigator_orchestrator.sql import SLUG

IRS_LIMITS_SEED = DBT_PROJECT_DIR / "seeds" / "config_irs_limits.csv"


class ConfigError(ValueError):
    """A configuration that cannot be run; the message names the key and the fix."""


def _slug(value: str) -> str:
    # Identifiers reach SQL, so anything outside the slug alphabet is refused outright.
    if not SLUG.match(value):
        raise ValueError(f"{value!r} is not a slug: use 1-64 characters from A-Z a-z 0-9 _ -")
    return value


# An identifier that reaches SQL: a scenario, plan design, match formula or check name.
Slug = Annotated[str, AfterValidator(_slug)]

# dbt renders every string var as a Jinja template before a model sees it, so free text that
# reaches SQL through a var may not hold Jinja delimiters (the SQL gets it with quotes doubled).
_JINJA = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")


def _label(value: str) -> str:
    if _JINJA.search(value):
        raise ValueError(f"{value!r} holds a template delimiter ({{{{ }}}}, {{% %}} or {{# #}}); remove it")
    if any(ord(ch) < 32 for ch in value):
        raise ValueError(f"{value!r} holds a control character (tab, newline, ...); write it on one line")
    return value


# Free display text that reaches SQL (e.g. a match formula's name): stored as written.
Label = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_label)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


Rate = Field(ge=0.0, le=1.0)


def Rate_default(default: float) -> Any:
    """A fraction in [0, 1] with a default."""
    return Field(default, ge=0.0, le=1.0)


@functools.cache
def first_simulated_year() -> int:
    """The earliest `simulation.start_year`: the year after the first one with published IRS
    limits in dbt/seeds/config_irs_limits.csv (a year's HCE test uses the previous year's
    414(q)(1)(B) threshold). Raises OSError, ValueError or KeyError when the seed cannot be
    read or lacks limit_year."""
    with IRS_LIMITS_SEED.open(newline="") as f:
        return min(int(row["limit_year"]) for row in csv.DictReader(f)) + 1


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
        try:
            first = first_simulated_year()
        except (OSError, ValueError, KeyError) as exc:
            raise ValueError(f"cannot read the IRS limits seed {IRS_LIMITS_SEED} ({exc}); "
                             "restore it from the project's dbt/seeds/") from None
        if self.start_year < first:
            raise ValueError(
                f"start_year {self.start_year} is before {first}, the first year with published IRS "
                f"limits (dbt/seeds/config_irs_limits.csv); set simulation.start_year to {first} or later"
            )
        return self


class BackupSettings(_Section):
    enabled: bool = True
    keep: int = Field(3, ge=0, le=100)


# strftime directives a census date format may use (DuckDB's strptime reads them all).
_DATE_DIRECTIVES = re.compile(r"%(-?[dmyYbBjHMSIp]|%)")


class SetupSettings(_Section):
    census_parquet_path: Path = Path("../data/census.parquet")
    # Census reading (docs/census.md): contract column -> header in the file (null: absent),
    # the Excel sheet, a forced strftime date format, and what the pay column holds.
    census_columns: dict[str, str | None] = Field(default_factory=dict)
    census_sheet: str | None = Field(None, min_length=1)
    census_date_format: str | None = None
    compensation_basis: Literal["annual_rate", "year_to_date"] = "annual_rate"
    census_pay_floor: float = Field(DEFAULT_PAY_FLOOR, ge=0.0)
    clear_mode: Literal["year", "all"] = "year"
    backup: BackupSettings = BackupSettings()

    @field_validator("census_columns")
    @classmethod
    def _contract_columns(cls, value: dict[str, str | None]) -> dict[str, str | None]:
        for key, header in value.items():
            if key not in CENSUS_COLUMNS:
                close = difflib.get_close_matches(key, CENSUS_COLUMNS, n=1, cutoff=0.6)
                hint = f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(CENSUS_COLUMNS)}"
                raise ValueError(f"{key!r} is not a census contract column; {hint}")
            if header is not None and not header.strip():
                raise ValueError(f"{key}: give the header as it appears in the file, or null if absent")
        return value

    @field_validator("census_sheet")
    @classmethod
    def _sheet_name(cls, value: str | None) -> str | None:
        # Excel's own rule for sheet names: no workbook can hold any other name.
        if value is not None and (len(value) > 31 or re.search(r"[:\\/?*\[\]]", value)
                                  or value.startswith("'") or value.endswith("'")):
            raise ValueError(f"{value!r} cannot be an Excel sheet name (at most 31 characters, none of "
                             ": \\ / ? * [ ], not starting or ending with '); give the sheet's name")
        return value

    @field_validator("census_date_format")
    @classmethod
    def _strftime(cls, value: str | None) -> str | None:
        if value is None:
            return value
        stray = re.sub(_DATE_DIRECTIVES, "", value)
        has = set(re.findall(r"%-?(\w)", value))
        if "%" in stray or not ({"d", "j"} & has and ({"m", "b", "B", "j"} & has) and {"Y", "y"} & has):
            raise ValueError(
                f"{value!r} is not a date format: use strftime directives with a day (%d), a month "
                "(%m, %b or %B) and a year (%Y, or %y for two-digit years), e.g. '%m/%d/%Y'")
        return value


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


# ----- DC plan ---------------------------------------------------------------

MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")


def _month_day(value: str) -> str:
    if not MONTH_DAY.match(value):
        raise ValueError(f"{value!r} is not a month-day; write it as MM-DD, e.g. 01-01")
    return value


MonthDay = Annotated[str, AfterValidator(_month_day)]


class EligibilitySettings(_Section):
    minimum_age: int = Field(21, ge=0, le=100)
    waiting_period_days: int = Field(0, ge=0, le=3650)
    entry_dates: Literal["immediate", "monthly", "quarterly"] = "immediate"
    # A census participant is already in the plan: eligible from the census date even when this
    # plan's rules would admit them later (docs/money.md). False applies the entry rules to them.
    grandfather_census_participants: bool = True


class AutoEnrollmentSettings(_Section):
    enabled: bool = True
    scope: Literal["new_hires_only", "all_eligible_employees"] = "all_eligible_employees"
    hire_date_cutoff: date | None = None
    window_days: int = Field(45, ge=0, le=365)
    default_deferral_rate: float = Field(0.06, gt=0.0, le=1.0)
    opt_out_grace_period_days: int = Field(90, ge=0, le=365)
    opt_out_rate_multiplier: float = Field(1.0, ge=0.0, le=10.0)
    re_enrollment_sweep_years: list[int] = Field(default_factory=list)
    re_enrollment_sweep_day: MonthDay = "01-01"


class ProactiveEnrollmentSettings(_Section):
    enabled: bool = True
    probability: float = Rate_default(0.25)


class VoluntaryEnrollmentSettings(_Section):
    enabled: bool = True
    probability_multiplier: float = Field(1.0, ge=0.0, le=10.0)


class DeferralChangeSettings(_Section):
    annual_probability: float = Rate_default(0.04)


class EnrollmentSettings(_Section):
    auto_enrollment: AutoEnrollmentSettings = AutoEnrollmentSettings()
    proactive_enrollment: ProactiveEnrollmentSettings = ProactiveEnrollmentSettings()
    voluntary_enrollment: VoluntaryEnrollmentSettings = VoluntaryEnrollmentSettings()
    deferral_change: DeferralChangeSettings = DeferralChangeSettings()


class EscalationSettings(_Section):
    enabled: bool = True
    effective_day: MonthDay = "01-01"
    increment_amount: float = Field(0.01, gt=0.0, le=1.0)
    maximum_rate: float = Field(0.10, gt=0.0, le=1.0)
    hire_date_cutoff: date | None = None
    first_escalation_delay_days: int = Field(0, ge=0, le=3650)


class IrsLimitSettings(_Section):
    index_rate: float = Field(0.025, ge=0.0, le=0.5)
    catch_up_60_63_enabled: bool = True


class ContributionEligibility(_Section):
    minimum_tenure_years: int = Field(0, ge=0, le=50)
    require_active_at_year_end: bool = True
    minimum_hours_annual: int = Field(1000, ge=0, le=2080)


class MatchTier(_Section):
    tier: int = Field(ge=1)
    employee_min: float = Rate_default(0.0)
    employee_max: float = Rate_default(1.0)
    match_rate: float = Field(ge=0.0, le=10.0)

    @model_validator(mode="after")
    def _ordered(self) -> "MatchTier":
        if self.employee_max <= self.employee_min:
            raise ValueError(f"tier {self.tier}: employee_max must be above employee_min")
        return self


class MatchFormula(_Section):
    name: Label
    type: Literal["tiered"] = "tiered"
    tiers: list[MatchTier] = Field(min_length=1)
    max_match_percentage: float = Rate_default(1.0)

    @model_validator(mode="after")
    def _tiers_do_not_overlap(self) -> "MatchFormula":
        tiers = sorted(self.tiers, key=lambda t: t.employee_min)
        for before, after in zip(tiers, tiers[1:]):
            if after.employee_min < before.employee_max:
                raise ValueError(f"tiers {before.tier} and {after.tier} overlap")
        return self


def _default_formulas() -> dict[str, MatchFormula]:
    def formula(name: str, tiers: list[tuple[float, float, float]], cap: float) -> MatchFormula:
        return MatchFormula(name=name, max_match_percentage=cap, tiers=[
            MatchTier(tier=i + 1, employee_min=lo, employee_max=hi, match_rate=r)
            for i, (lo, hi, r) in enumerate(tiers)
        ])

    return {
        "simple_match": formula("50% of the first 6%", [(0.0, 0.06, 0.5)], 0.03),
        "safe_harbor_basic": formula("Safe harbor basic: 100% of 3% + 50% of the next 2%",
                                     [(0.0, 0.03, 1.0), (0.03, 0.05, 0.5)], 0.04),
        "enhanced_safe_harbor": formula("Enhanced safe harbor: 100% of 4%", [(0.0, 0.04, 1.0)], 0.04),
        "qaca_safe_harbor": formula("QACA safe harbor: 100% of 1% + 50% of the next 5%",
                                    [(0.0, 0.01, 1.0), (0.01, 0.06, 0.5)], 0.035),
        "stretch_match": formula("Stretch: 25% of the first 12%", [(0.0, 0.12, 0.25)], 0.03),
    }


class EmployerMatchSettings(_Section):
    enabled: bool = True
    active_formula: Slug = "simple_match"
    formulas: dict[Slug, MatchFormula] = Field(default_factory=_default_formulas)
    eligibility: ContributionEligibility = ContributionEligibility()

    @model_validator(mode="after")
    def _active_known(self) -> "EmployerMatchSettings":
        if self.active_formula not in self.formulas:
            known = ", ".join(sorted(self.formulas)) or "(none defined)"
            raise ValueError(
                f"active_formula {self.active_formula!r} is not among employer_match.formulas ({known})"
            )
        return self


class ServiceRate(_Section):
    min_years: int = Field(ge=0, le=80)
    rate: float = Rate_default(0.0)


class EmployerCoreSettings(_Section):
    enabled: bool = True
    contribution_rate: float = Rate_default(0.02)
    graded_by_service: list[ServiceRate] = Field(default_factory=list)
    eligibility: ContributionEligibility = ContributionEligibility()


class NdtSettings(_Section):
    """Nondiscrimination testing (ADP/ACP) per simulated year: docs/ndt.md."""

    enabled: bool = True
    # IRC 401(k)(3)(A): the NHCE average of the current year or of the preceding year.
    testing_method: Literal["current_year", "prior_year"] = "current_year"
    # IRC 414(q)(1)(B)(ii): pay above the threshold makes an HCE only inside the top 20% by pay.
    top_paid_group: bool = False
    # The first simulated year is the plan's first plan year: under prior-year testing its NHCE
    # averages are deemed 3% (IRC 401(k)(3)(E), 401(m)(3)).
    first_plan_year: bool = False
    # The NHCE averages of the year before the first simulated year (fractions), from that year's
    # test, for prior-year testing of the first simulated year.
    prior_year_nhce_adp: float | None = Field(None, ge=0.0, le=1.0)
    prior_year_nhce_acp: float | None = Field(None, ge=0.0, le=1.0)
    # Which correction `corrective_amount` reports; both are always computed and shown.
    correction: Literal["corrective_distribution", "qnec"] = "corrective_distribution"
    safe_harbor: Literal["none", "basic_match", "enhanced_match", "qaca_match", "nonelective",
                         "qaca_nonelective"] = "none"

    @model_validator(mode="after")
    def _first_year_has_no_prior_year(self) -> "NdtSettings":
        if self.first_plan_year and (self.prior_year_nhce_adp is not None or self.prior_year_nhce_acp is not None):
            raise ValueError("first_plan_year: a plan's first year has no prior year; drop "
                             "prior_year_nhce_adp/prior_year_nhce_acp or set first_plan_year: false")
        return self


class DataQualitySettings(_Section):
    """Bounds of the data-quality tripwires run after each simulated year (Python only)."""

    max_headcount_change: float = Field(0.25, ge=0.0, le=10.0)
    max_event_count_change: float = Field(0.50, ge=0.0, le=10.0)
    event_count_min_base: int = Field(50, ge=0)
    raw_to_staged_loss_tolerance: float = Field(0.005, ge=0.0, le=1.0)
    fail_on_warning: bool = False
    skip_checks: list[Slug] = Field(default_factory=list)


# The plan sections: what may differ between the designs of one scenario (`plan_designs`).
# Everything else (workforce, pay, promotions, IRS indexing, the run itself) is the scenario's
# and shared by its designs. A plan section added to SimulationConfig joins this tuple.
PLAN_SECTIONS: tuple[str, ...] = (
    "eligibility", "enrollment", "deferral_auto_escalation", "employer_match", "employer_core_contribution",
    "ndt",  # testing method, correction and the safe harbor claimed are choices of the plan
)


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
        typos = unknown_keys({k: overrides[k] for k in others}, SimulationConfig, f"{where}.")
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
                raise ValueError(_format_errors(exc, f"{where}.{key}")) from None
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
            **self._plan_vars(),
        }

    def _plan_vars(self) -> dict[str, Any]:
        el, en, esc = self.eligibility, self.enrollment, self.deferral_auto_escalation
        ae, m, core = en.auto_enrollment, self.employer_match, self.employer_core_contribution
        formula = m.formulas[m.active_formula]
        iso = lambda d: d.isoformat() if d else None  # noqa: E731
        return {
            "eligibility_minimum_age": el.minimum_age,
            "eligibility_waiting_period_days": el.waiting_period_days,
            "eligibility_entry_dates": el.entry_dates,
            "eligibility_grandfather_census_participants": el.grandfather_census_participants,
            "auto_enrollment_enabled": ae.enabled,
            "auto_enrollment_scope": ae.scope,
            "auto_enrollment_hire_date_cutoff": iso(ae.hire_date_cutoff),
            "auto_enrollment_window_days": ae.window_days,
            "auto_enrollment_default_deferral_rate": ae.default_deferral_rate,
            "opt_out_grace_period_days": ae.opt_out_grace_period_days,
            "opt_out_rate_multiplier": ae.opt_out_rate_multiplier,
            "re_enrollment_sweep_years": sorted(set(ae.re_enrollment_sweep_years)),
            "re_enrollment_sweep_day": ae.re_enrollment_sweep_day,
            "proactive_enrollment_enabled": en.proactive_enrollment.enabled,
            "proactive_enrollment_probability": en.proactive_enrollment.probability,
            "voluntary_enrollment_enabled": en.voluntary_enrollment.enabled,
            "voluntary_enrollment_multiplier": en.voluntary_enrollment.probability_multiplier,
            "deferral_change_probability": en.deferral_change.annual_probability,
            "escalation_enabled": esc.enabled,
            "escalation_effective_day": esc.effective_day,
            "escalation_increment": esc.increment_amount,
            "escalation_maximum_rate": esc.maximum_rate,
            "escalation_hire_date_cutoff": iso(esc.hire_date_cutoff),
            "escalation_delay_days": esc.first_escalation_delay_days,
            "irs_limit_index_rate": self.irs_limits.index_rate,
            "catch_up_60_63_enabled": self.irs_limits.catch_up_60_63_enabled,
            "match_enabled": m.enabled,
            "match_formula_id": m.active_formula,
            "match_formula_name": formula.name,
            "match_tiers": [t.model_dump() for t in formula.tiers],
            "match_max_percentage": formula.max_match_percentage,
            "match_minimum_tenure_years": m.eligibility.minimum_tenure_years,
            "match_require_active_at_year_end": m.eligibility.require_active_at_year_end,
            "match_minimum_hours": m.eligibility.minimum_hours_annual,
            "core_enabled": core.enabled,
            "core_contribution_rate": core.contribution_rate,
            "core_graded_by_service": [g.model_dump() for g in sorted(core.graded_by_service, key=lambda g: g.min_years)],
            "core_minimum_tenure_years": core.eligibility.minimum_tenure_years,
            "core_require_active_at_year_end": core.eligibility.require_active_at_year_end,
            "core_minimum_hours": core.eligibility.minimum_hours_annual,
            **self._ndt_vars(),
        }

    def _ndt_vars(self) -> dict[str, Any]:
        from navigator_orchestrator.config.safe_harbor import safe_harbor_status

        n, status = self.ndt, safe_harbor_status(self)
        return {
            "ndt_enabled": n.enabled,
            "ndt_testing_method": n.testing_method,
            "ndt_top_paid_group": n.top_paid_group,
            "ndt_first_plan_year": n.first_plan_year,
            "ndt_prior_year_nhce_adp": n.prior_year_nhce_adp,
            "ndt_prior_year_nhce_acp": n.prior_year_nhce_acp,
            "ndt_correction": n.correction,
            "ndt_safe_harbor": n.safe_harbor,
            "ndt_adp_safe_harbor_status": status.adp,
            "ndt_acp_safe_harbor_status": status.acp,
        }


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


def _format_errors(exc: ValidationError, prefix: str = "") -> str:
    lines = []
    for err in exc.errors():
        loc = ".".join([prefix] * bool(prefix) + [str(p) for p in err["loc"]]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ") if prefix else err["msg"]
        lines.append(f"{loc}: {msg}")
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
        config = SimulationConfig(**data, config_dir=config_dir)
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc)) from None
    for design_id in config.plan_designs:
        if design_id == config.effective_plan_design_id:
            raise ConfigError(f"plan_designs.{design_id}: '{design_id}' is the baseline (plan_design_id, the "
                              "top-level plan sections); give the other design another id")
        try:
            config.design(design_id)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
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
        data = yaml.safe_load(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text; save the config as UTF-8 YAML") from None
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
