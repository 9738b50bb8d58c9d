"""Sections of the configuration schema: identifiers, run settings, workforce and plan sections.

Each class is one YAML section (unknown keys refused); `schema.SimulationConfig` assembles them.
Rates are fractions of pay (0.03 = 3%), amounts are dollars, periods are days unless named.
"""

from __future__ import annotations

import csv
import difflib
import functools
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from navigator_orchestrator.census.columns import CENSUS_COLUMNS
from navigator_orchestrator.census.rules import DEFAULT_PAY_FLOOR
from navigator_orchestrator.locations import DBT_PROJECT_DIR
from navigator_orchestrator.config.base import (  # noqa: F401  (re-exported: the sections' building blocks)
    ConfigDate, ConfigError, Label, Rate, Rate_default, Slug, _Section, _label, _slug,
)
from navigator_orchestrator.config.formulas import (  # noqa: F401  (re-exported: plan formulas)
    ContributionEligibility, EmployerCoreSettings, MatchFormula, MatchTier, ServiceRate, _default_formulas,
)

IRS_LIMITS_SEED = DBT_PROJECT_DIR / "seeds" / "config_irs_limits.csv"


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
    hire_date_cutoff: ConfigDate | None = None
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


class MatchResponsivenessSettings(_Section):
    """Of the people who choose their own rate (proactive and voluntary enrollment, deferral
    changes) and draw one below the rate that earns the full match, `share` take that rate.
    Default 0.20: Vanguard, "Stretching the match" (2019), reports that in 2016 20% of
    participants deferred at the rate that earns the full match (docs/plan.md)."""

    enabled: bool = True
    share: float = Rate_default(0.20)


class EnrollmentSettings(_Section):
    auto_enrollment: AutoEnrollmentSettings = AutoEnrollmentSettings()
    proactive_enrollment: ProactiveEnrollmentSettings = ProactiveEnrollmentSettings()
    voluntary_enrollment: VoluntaryEnrollmentSettings = VoluntaryEnrollmentSettings()
    deferral_change: DeferralChangeSettings = DeferralChangeSettings()
    match_responsiveness: MatchResponsivenessSettings = MatchResponsivenessSettings()


class EscalationSettings(_Section):
    enabled: bool = True
    effective_day: MonthDay = "01-01"
    increment_amount: float = Field(0.01, gt=0.0, le=1.0)
    maximum_rate: float = Field(0.10, gt=0.0, le=1.0)
    hire_date_cutoff: ConfigDate | None = None
    first_escalation_delay_days: int = Field(0, ge=0, le=3650)


class IrsLimitSettings(_Section):
    index_rate: float = Field(0.025, ge=0.0, le=0.5)
    catch_up_60_63_enabled: bool = True


class EmployerMatchSettings(_Section):
    enabled: bool = True
    active_formula: Slug = "simple_match"
    formulas: dict[Slug, MatchFormula] = Field(default_factory=_default_formulas)
    eligibility: ContributionEligibility = ContributionEligibility()
    # annual: the formula on the year's pay and deferrals; pay_period: on each payroll period's
    # (payroll.frequency), the year's match being their sum unless true_up restores the annual
    # answer (docs/plan.md, "Per-payroll match and true-up").
    calculation_period: Literal["annual", "pay_period"] = "annual"
    true_up: bool = False

    @model_validator(mode="after")
    def _active_known(self) -> "EmployerMatchSettings":
        if self.active_formula not in self.formulas:
            known = ", ".join(sorted(self.formulas)) or "(none defined)"
            raise ValueError(
                f"active_formula {self.active_formula!r} is not among employer_match.formulas ({known})"
            )
        if self.true_up and self.calculation_period == "annual":
            raise ValueError("true_up: an annual match needs no true-up; set calculation_period: pay_period "
                             "or true_up: false")
        return self


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
    skip_checks: list[Slug] = Field(default_factory=list)  # names of quality/checks.py's CHECKS

    @field_validator("skip_checks")
    @classmethod
    def _known_checks(cls, names: list[str]) -> list[str]:
        # The check catalog imports the schema, so it is read when a config is validated.
        from navigator_orchestrator.quality.checks import unknown_checks

        problem = unknown_checks(names)
        if problem:
            raise ValueError(problem)
        return names


# The plan sections: what may differ between the designs of one scenario (`plan_designs`).
# Everything else (workforce, pay, promotions, IRS indexing, the run itself) is the scenario's
# and shared by its designs. A plan section added to SimulationConfig joins this tuple.
PLAN_SECTIONS: tuple[str, ...] = (
    "eligibility", "enrollment", "deferral_auto_escalation", "employer_match", "employer_core_contribution",
    "ndt",  # testing method, correction and the safe harbor claimed are choices of the plan
    "vesting", "accounts",  # schedules, forfeiture use and the return assumption (config/accounts.py)
    "payroll",  # the pay periods a pay-period match is computed on
)


