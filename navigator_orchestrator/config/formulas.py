"""Plan formulas: the employer match (tiers, or tiers by service band or by points) and the core
(non-elective) contribution (a flat rate, graded by service, age or points, or integrated with
Social Security). Both are plan sections (each design of `plan_designs` may override them).

Units: rates are fractions of 401(a)(17)-capped pay (0.03 = 3%); service, age and points are
whole numbers as of Dec 31 of the plan year (docs/plan.md, "Service, age and points"): age is
completed years of age on Dec 31, service completed years of elapsed-time service (Treas. Reg.
1.410(a)-7) from the date service counts from to the termination date or Dec 31, points = age +
service. A band covers its `min_*` through its `max_*` (inclusive; the last band has no
`max_*`); bands are listed from the lowest up, without gaps or overlaps.

Social Security integration (permitted disparity, IRC 401(l)): `contribution_rate` of all pay
plus `excess_rate` of pay above the integration level; its limits are in `disparity.py`.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, model_validator

from navigator_orchestrator.config.base import Label, Rate_default, _Section
from navigator_orchestrator.config.disparity import disparity_problem, fraction_points


class ContributionEligibility(_Section):
    minimum_tenure_years: int = Field(0, ge=0, le=50)
    require_active_at_year_end: bool = True
    minimum_hours_annual: int = Field(1000, ge=0, le=2080)


# ----- bands -----------------------------------------------------------------

def band_problem(bands: list[tuple[int, int | None]], low: str, high: str, *, from_zero: bool) -> str | None:
    """What is wrong with bands given as (min, max or None) in the order listed, or None: not
    listed from the lowest up, a max below its min, an overlap or a gap between neighbours, a
    closed last band, or (from_zero) a first band that does not start at 0."""
    if not bands:
        return None
    mins = [lo for lo, _ in bands]
    if mins != sorted(mins):
        return f"list the bands from the lowest {low} up (got {low} {', '.join(map(str, mins))})"
    for lo, hi in bands:
        if hi is not None and hi < lo:
            return f"{high} {hi} is below {low} {lo}; a band covers {low} through {high}"
    if from_zero and mins[0] != 0:
        return f"the first band starts at {low} {mins[0]}, so lower values fall in no band; start it at {low}: 0"
    for (lo, hi), (next_lo, _) in zip(bands, bands[1:]):
        if next_lo == lo or (hi is not None and hi >= next_lo):
            return (f"bands overlap: the band from {low} {lo} reaches {low} {next_lo}, where the next starts; "
                    f"set its {high} to {next_lo - 1}")
        if hi is not None and hi < next_lo - 1:
            missing = f"{hi + 1} falls" if hi + 1 == next_lo - 1 else f"{hi + 1} to {next_lo - 1} fall"
            return (f"gap: {missing} in no band (a band ends at {high} {hi}, the next starts at {low} {next_lo}); "
                    f"set {high} to {next_lo - 1} or the next {low} to {hi + 1}")
    if bands[-1][1] is not None:
        return f"the last band ends at {high} {bands[-1][1]}, so higher values fall in no band; drop its {high}"
    return None


class _Banded(_Section):
    """Something that applies from `min_*` through `max_*` (inclusive; absent: up to the next)."""

    keys: ClassVar[tuple[str, str]]

    @property
    def band(self) -> tuple[int, int | None]:
        return getattr(self, self.keys[0]), getattr(self, self.keys[1])


class _ByService(_Banded):
    keys: ClassVar[tuple[str, str]] = ("min_years", "max_years")
    min_years: int = Field(ge=0, le=80)
    max_years: int | None = Field(None, ge=0, le=80)


class _ByAge(_Banded):
    keys: ClassVar[tuple[str, str]] = ("min_age", "max_age")
    min_age: int = Field(ge=0, le=120)
    max_age: int | None = Field(None, ge=0, le=120)


class _ByPoints(_Banded):
    keys: ClassVar[tuple[str, str]] = ("min_points", "max_points")
    min_points: int = Field(ge=0, le=200)
    max_points: int | None = Field(None, ge=0, le=200)


class _Grade(_Banded):
    """A core rate over its band."""

    rate: float = Rate_default(0.0)


class ServiceRate(_Grade, _ByService):
    pass


class AgeRate(_Grade, _ByAge):
    pass


class PointsRate(_Grade, _ByPoints):
    pass


# ----- match -------------------------------------------------------------------

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


def _tier_overlap(tiers: list[MatchTier]) -> str | None:
    ordered = sorted(tiers, key=lambda t: t.employee_min)
    for before, after in zip(ordered, ordered[1:]):
        if after.employee_min < before.employee_max:
            return f"tiers {before.tier} and {after.tier} overlap"
    return None


class _MatchBand(_Banded):
    """One band of a graded match formula: its tiers and cap apply over its band."""

    tiers: list[MatchTier] = Field(min_length=1)
    max_match_percentage: float = Rate_default(1.0)

    @model_validator(mode="after")
    def _tiers_do_not_overlap(self) -> "_MatchBand":
        problem = _tier_overlap(self.tiers)
        if problem:
            raise ValueError(problem)
        return self


class ServiceMatchBand(_MatchBand, _ByService):
    pass


class PointsMatchBand(_MatchBand, _ByPoints):
    pass


MATCH_GRADE_FIELDS = {"graded_by_service": "service", "graded_by_points": "points"}


class MatchFormula(_Section):
    """`tiers` and `max_match_percentage` for every participant; or, instead, bands of tiers by
    service (`graded_by_service`) or by points, age + service (`graded_by_points`), each band with
    its own tiers and cap, chosen by the participant's service or points on Dec 31."""

    name: Label
    type: Literal["tiered"] = "tiered"
    tiers: list[MatchTier] = Field(default_factory=list)
    max_match_percentage: float = Rate_default(1.0)
    graded_by_service: list[ServiceMatchBand] = Field(default_factory=list)
    graded_by_points: list[PointsMatchBand] = Field(default_factory=list)

    @model_validator(mode="after")
    def _shape(self) -> "MatchFormula":
        given = [name for name in MATCH_GRADE_FIELDS if getattr(self, name)]
        if len(given) > 1:
            raise ValueError("graded_by_service and graded_by_points: grade the match by service or by points; keep one")
        if not given:
            if not self.tiers:
                raise ValueError("tiers: give at least one tier, e.g. [{tier: 1, employee_min: 0.0, "
                                 "employee_max: 0.06, match_rate: 0.5}]")
            problem = _tier_overlap(self.tiers)
            if problem:
                raise ValueError(problem)
            return self
        name = given[0]
        # A dumped and re-read formula carries the defaults (no tiers, a cap of 1.0): only other values are refused.
        stray = [k for k, given in (("tiers", self.tiers), ("max_match_percentage", self.max_match_percentage != 1.0))
                 if given]
        if stray:
            raise ValueError(f"{stray[0]}: a formula {name} takes tiers and max_match_percentage in each band; drop "
                             f"the formula's own (in a design, give a graded formula a new id)")
        bands = getattr(self, name)
        low, high = bands[0].keys
        problem = band_problem([b.band for b in bands], low, high, from_zero=True)
        if problem:
            raise ValueError(f"{name}: {problem}")
        return self

    @property
    def band_basis(self) -> str:
        """What chooses the band: none (one set of tiers), service or points."""
        return next((basis for name, basis in MATCH_GRADE_FIELDS.items() if getattr(self, name)), "none")

    def band_list(self) -> list[tuple[int, int | None, list[MatchTier], float]]:
        """(min, max or None, tiers, cap) per band, lowest first; one open band for a formula without bands."""
        bands = self.graded_by_service or self.graded_by_points
        if not bands:
            return [(0, None, self.tiers, self.max_match_percentage)]
        return [(*b.band, b.tiers, b.max_match_percentage) for b in bands]


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


# ----- core ----------------------------------------------------------------------

def _level(value: Any) -> Any:
    if isinstance(value, str) and value != "taxable_wage_base":
        raise ValueError(f"{value!r} is not an integration level; write taxable_wage_base or a dollar amount")
    return value


class SocialSecurityIntegration(_Section):
    """Permitted disparity (module docstring): `excess_rate` of pay above the integration level
    on top of contribution_rate. The level is the taxable wage base of the plan year times
    `wage_base_fraction`, or a dollar amount."""

    enabled: bool = False
    excess_rate: float = Rate_default(0.0)
    integration_level: Annotated[Literal["taxable_wage_base"] | Annotated[float, Field(gt=0, le=10_000_000)],
                                 BeforeValidator(_level)] = "taxable_wage_base"
    wage_base_fraction: float = Field(1.0, gt=0.0, le=1.0)

    @model_validator(mode="after")
    def _fraction_of_the_wage_base_only(self) -> "SocialSecurityIntegration":
        if self.integration_level != "taxable_wage_base" and self.wage_base_fraction != 1.0:
            raise ValueError("wage_base_fraction applies to integration_level: taxable_wage_base; give either a "
                             "fraction of the wage base or a dollar amount")
        return self


GRADE_FIELDS = {"graded_by_service": "service", "graded_by_age": "age", "graded_by_points": "points"}


class EmployerCoreSettings(_Section):
    """`contribution_rate` for everyone eligible, or the rate of the grade a person's service, age
    or points (Dec 31) falls in (below the first grade: contribution_rate); or, integrated with
    Social Security, contribution_rate plus excess_rate of pay above the integration level."""

    enabled: bool = True
    contribution_rate: float = Rate_default(0.02)
    graded_by_service: list[ServiceRate] = Field(default_factory=list)
    graded_by_age: list[AgeRate] = Field(default_factory=list)
    graded_by_points: list[PointsRate] = Field(default_factory=list)
    social_security_integration: SocialSecurityIntegration = SocialSecurityIntegration()
    eligibility: ContributionEligibility = ContributionEligibility()

    @model_validator(mode="after")
    def _one_formula(self) -> "EmployerCoreSettings":
        given = [name for name in GRADE_FIELDS if getattr(self, name)]
        if len(given) > 1:
            raise ValueError(f"{given[0]} and {given[1]}: grade the core by one of service, age or points; keep one")
        for name in given:
            grades = getattr(self, name)
            low, high = grades[0].keys
            problem = band_problem([g.band for g in grades], low, high, from_zero=False)
            if problem:
                raise ValueError(f"{name}: {problem}")
        ssi = self.social_security_integration
        if ssi.enabled and given:
            raise ValueError(f"social_security_integration: an integrated core has one base rate for everyone "
                             f"(uniform disparity, Treas. Reg. 1.401(l)-2(c)); drop {given[0]} or the integration")
        if ssi.enabled:
            # A dollar level is checked against each simulated year's wage base (disparity.integration_problems).
            points = (fraction_points(Fraction(str(ssi.wage_base_fraction)))
                      if ssi.integration_level == "taxable_wage_base" else Decimal("5.7"))
            problem = disparity_problem(ssi.excess_rate, self.contribution_rate, points,
                                        "an integration level of " + _level_text(ssi))
            if problem:
                raise ValueError(problem)
        return self

    @property
    def grade_basis(self) -> str:
        return next((basis for name, basis in GRADE_FIELDS.items() if getattr(self, name)), "none")

    @property
    def grades(self) -> list[_Grade]:
        return next((getattr(self, name) for name in GRADE_FIELDS if getattr(self, name)), [])


def _level_text(ssi: SocialSecurityIntegration) -> str:
    if ssi.integration_level != "taxable_wage_base":
        return f"${ssi.integration_level:,.0f}"
    return "the taxable wage base" if ssi.wage_base_fraction == 1.0 else f"{ssi.wage_base_fraction:.0%} of the taxable wage base"


def _closed(bands: list[tuple]) -> list[tuple]:
    """Bands (min, max or None, ...) by min with each open max but the last's set to the next
    min - 1, so a band value falls in exactly one band."""
    return [(lo, hi if hi is not None or nxt is None else nxt[0] - 1, *rest)
            for (lo, hi, *rest), nxt in zip(bands, [*bands[1:], None])]


def formula_parameters(formula: MatchFormula, core: EmployerCoreSettings) -> dict[str, Any]:
    """The match and core formula parameters of plan_parameters() (the columns of
    int_plan_design_parameters), by name."""
    bands = _closed(formula.band_list())
    grades = _closed([(*g.band, g.rate) for g in sorted(core.grades, key=lambda g: g.band[0])])
    ssi = core.social_security_integration
    by_fraction = ssi.integration_level == "taxable_wage_base"
    return {
        "match_band_basis": formula.band_basis,
        "match_tiers": [{"band_min": lo, "band_max": hi, "max_match_percentage": cap, **t.model_dump()}
                        for lo, hi, tiers, cap in bands for t in tiers],
        "match_max_percentage": max(cap for *_, cap in bands),
        "core_contribution_rate": core.contribution_rate,
        "core_grade_basis": core.grade_basis,
        "core_grades": [{"band_min": lo, "band_max": hi, "rate": rate} for lo, hi, rate in grades],
        "core_integration_enabled": ssi.enabled,
        "core_excess_rate": ssi.excess_rate,
        "core_integration_level_amount": None if by_fraction else ssi.integration_level,
        "core_integration_level_fraction": ssi.wage_base_fraction if by_fraction else None,
    }
