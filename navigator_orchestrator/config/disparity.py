"""Permitted disparity for a core contribution integrated with Social Security (IRC 401(l)).

Treas. Reg. 1.401(l)-2, a defined contribution excess plan: the core is the base contribution
percentage (`contribution_rate`) of all pay plus the disparity (`excess_rate`) of pay above the
integration level. The disparity may not exceed the maximum excess allowance, the lesser of the
base contribution percentage and 5.7 percentage points (1.401(l)-2(b)(2)), the 5.7 reduced to
4.3 for an integration level above the greater of $10,000 and 20% of the taxable wage base up to
80% of it, and to 5.4 above 80% and below 100% (1.401(l)-2(d)(4)); the integration level may not
exceed the taxable wage base (1.401(l)-2(d)(2)); the disparity is uniform for all employees
(1.401(l)-2(c)). The taxable wage base is the SSA's (dbt/seeds/config_social_security_wage_base.csv),
projected past the last published year as int_irs_limits projects it.
"""

from __future__ import annotations

import csv
import functools
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from navigator_orchestrator.locations import DBT_PROJECT_DIR

if TYPE_CHECKING:
    from navigator_orchestrator.config.schema import SimulationConfig

WAGE_BASE_SEED = DBT_PROJECT_DIR / "seeds" / "config_social_security_wage_base.csv"
WAGE_BASE_STEP = 300  # 42 U.S.C. 430(b)(1): the base is rounded to the nearest multiple of $300


def fraction_points(fraction: Fraction) -> Decimal:
    """The 5.7 / 5.4 / 4.3 points of Treas. Reg. 1.401(l)-2(d)(4) for a level that is `fraction`
    of the taxable wage base (the greater of $10,000 and 20% of every published base is 20%)."""
    if fraction == 1 or fraction <= Fraction(1, 5):
        return Decimal("5.7")
    return Decimal("4.3") if fraction <= Fraction(4, 5) else Decimal("5.4")


def amount_points(level: Decimal, wage_base: Decimal) -> Decimal:
    """The same for a dollar integration level against a year's taxable wage base."""
    if level >= wage_base or level <= max(Decimal(10_000), wage_base / 5):
        return Decimal("5.7")
    return Decimal("4.3") if level <= wage_base * 4 / 5 else Decimal("5.4")


def maximum_excess_allowance(base_rate: Decimal, points: Decimal) -> Decimal:
    """Treas. Reg. 1.401(l)-2(b)(2): the lesser of the base contribution percentage and `points`
    percentage points, as a fraction of pay."""
    return min(base_rate, points / 100)


def disparity_problem(excess: float, base: float, points: Decimal, level: str) -> str | None:
    """The refusal of an excess_rate above the maximum excess allowance, or None."""
    allowance = maximum_excess_allowance(Decimal(str(base)), points)
    if Decimal(str(excess)) <= allowance:
        return None
    most = f"{allowance.normalize():f}"
    return (f"social_security_integration.excess_rate {excess:g} is above the maximum permitted disparity {most} "
            f"for {level}: the lesser of the base contribution percentage (contribution_rate {base:g}) and "
            f"{points} percentage points (IRC 401(l)(2); Treas. Reg. 1.401(l)-2(b)(2), (d)(4)); set excess_rate "
            f"to at most {most}")


@functools.cache
def _published_wage_bases() -> dict[int, Decimal]:
    with WAGE_BASE_SEED.open(newline="") as f:
        return {int(row["wage_base_year"]): Decimal(row["amount"]) for row in csv.DictReader(f)}


def taxable_wage_base(year: int, index_rate: float) -> tuple[Decimal, bool]:
    """(The Social Security taxable wage base of `year` in dollars, whether it is an estimate):
    the SSA's published amount from the seed, or the last published one grown at `index_rate` a
    year and rounded to the nearest $300 (as int_irs_limits projects it). Raises KeyError for a
    year before the seed's first."""
    published = _published_wage_bases()
    if year in published:
        return published[year], False
    last = max(published)
    if year < last:
        raise KeyError(year)
    grown = published[last] * Decimal(str(1 + index_rate)) ** (year - last)
    return (grown / WAGE_BASE_STEP).quantize(Decimal(1), ROUND_HALF_UP) * WAGE_BASE_STEP, True


def integration_problems(config: "SimulationConfig") -> list[str]:
    """Problems of one design's integrated core against its simulated years: a dollar
    integration level above a year's taxable wage base (1.401(l)-2(d)(2)) or a disparity above
    the maximum a year's level allows (1.401(l)-2(d)(4)). Each problem is `<key>: <what and the fix>`."""
    core = config.employer_core_contribution
    ssi = core.social_security_integration
    if not (core.enabled and ssi.enabled) or ssi.integration_level == "taxable_wage_base":
        return []
    key = "employer_core_contribution.social_security_integration"
    level, sim = Decimal(str(ssi.integration_level)), config.simulation
    for year in range(sim.start_year, sim.end_year + 1):
        wage_base, estimate = taxable_wage_base(year, config.irs_limits.index_rate)
        note = " (projected)" if estimate else ""
        if level > wage_base:
            return [f"{key}.integration_level: ${level:,.0f} is above the {year} taxable wage base ${wage_base:,.0f}"
                    f"{note}; the level may not exceed it (Treas. Reg. 1.401(l)-2(d)(2)): lower it or use "
                    "taxable_wage_base"]
        problem = disparity_problem(ssi.excess_rate, core.contribution_rate, amount_points(level, wage_base),
                                    f"an integration level of ${level:,.0f} against the {year} taxable wage base "
                                    f"${wage_base:,.0f}{note}")
        if problem:
            return [f"employer_core_contribution.{problem}"]
    return []
