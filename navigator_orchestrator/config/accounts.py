"""Plan sections `vesting` and `accounts`: vesting schedules, forfeiture use, investment return.

Both are plan sections (each design of `plan_designs` may override them). Units: a schedule
gives the percent vested (0-100) after a number of completed years of vesting service; returns
are fractions a year (0.05 = 5%, -0.2 = a 20% loss). Sources:

- IRC 411(a)(2)(B) (ERISA 203(a)(2)(B)): employer contributions must vest at least as fast as
  a 3-year cliff (100% after 3 years) or a 6-year graded schedule (20% after 2 years, +20% a
  year, 100% after 6); a schedule slower than both at some year is refused.
- IRC 401(k)(12)(E)(i), Treas. Reg. 1.401(k)-3(b)(1), (c)(1): safe-harbor matching and
  nonelective contributions are 100% vested at all times.
- IRC 401(k)(13)(D)(iii)(I): a QACA's safe-harbor contributions may be subject to a schedule,
  but must be 100% vested after at most 2 years of service (`qaca_2`).
- IRC 411(a)(1): employee deferrals are always 100% vested (no schedule for them).
"""

from __future__ import annotations

import difflib
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BeforeValidator, Discriminator, Field, Tag, model_validator

from navigator_orchestrator.config.sections import _Section

if TYPE_CHECKING:
    from navigator_orchestrator.config.schema import SimulationConfig

# Named schedules: name -> ((completed years of service, percent vested), ...); 0% before the
# first step. graded_3's steps are thirds rounded to the hundredth of a percent.
NAMED_SCHEDULES: dict[str, tuple[tuple[int, Decimal], ...]] = {
    "immediate": ((0, Decimal(100)),),
    "cliff_1": ((1, Decimal(100)),),
    "cliff_2": ((2, Decimal(100)),),
    "cliff_3": ((3, Decimal(100)),),
    "graded_2": ((1, Decimal(50)), (2, Decimal(100))),
    "graded_3": ((1, Decimal("33.33")), (2, Decimal("66.67")), (3, Decimal(100))),
    "graded_4": ((1, Decimal(25)), (2, Decimal(50)), (3, Decimal(75)), (4, Decimal(100))),
    "graded_5": ((1, Decimal(20)), (2, Decimal(40)), (3, Decimal(60)), (4, Decimal(80)), (5, Decimal(100))),
    "graded_6": ((2, Decimal(20)), (3, Decimal(40)), (4, Decimal(60)), (5, Decimal(80)), (6, Decimal(100))),
    "qaca_2": ((2, Decimal(100)),),
}
ScheduleName = Literal["immediate", "cliff_1", "cliff_2", "cliff_3", "graded_2", "graded_3", "graded_4",
                       "graded_5", "graded_6", "qaca_2"]

# The statutory minimums (IRC 411(a)(2)(B)) and the QACA maximum (401(k)(13)(D)(iii)(I)).
CLIFF_3 = NAMED_SCHEDULES["cliff_3"]
GRADED_6 = NAMED_SCHEDULES["graded_6"]
QACA_2 = NAMED_SCHEDULES["qaca_2"]
MAX_STEP_YEARS = 6  # a schedule meeting 411(a)(2)(B) is 100% vested after 6 years at the latest

# ndt.safe_harbor designs whose match or core is the safe-harbor contribution.
SAFE_HARBOR_MATCH = {"basic_match": "immediate", "enhanced_match": "immediate", "qaca_match": "qaca"}
SAFE_HARBOR_CORE = {"nonelective": "immediate", "qaca_nonelective": "qaca"}


class VestingStep(_Section):
    years: int = Field(ge=0, le=100)
    percent: Decimal = Field(ge=0, le=100, decimal_places=2)


def _known_name(value: Any) -> Any:
    # A misspelt name gets a did-you-mean instead of pydantic's list of every allowed literal.
    if not isinstance(value, (str, list)):
        raise ValueError("give a schedule name (e.g. graded_6) or a list of {years, percent}")
    if isinstance(value, str) and value not in NAMED_SCHEDULES:
        close = difflib.get_close_matches(value, NAMED_SCHEDULES, n=1, cutoff=0.5)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ValueError(f"unknown vesting schedule {value!r}; {hint}named schedules: {', '.join(NAMED_SCHEDULES)}, "
                         "or a list of {years, percent}")
    return value


def _kind(value: Any) -> str:
    return "name" if isinstance(value, str) else "steps"


# One branch per input shape, so an error names only the shape that was given.
Schedule = Annotated[Annotated[ScheduleName, Tag("name")] | Annotated[list[VestingStep], Tag("steps")],
                     Discriminator(_kind), BeforeValidator(_known_name)]


def schedule_steps(schedule: str | list[VestingStep]) -> tuple[tuple[int, Decimal], ...]:
    """((completed years, percent vested), ...) of a named or custom schedule, by years."""
    if isinstance(schedule, str):
        return NAMED_SCHEDULES[schedule]
    return tuple(sorted((s.years, s.percent) for s in schedule))


def vested_percent(steps: tuple[tuple[int, Decimal], ...], years: int) -> Decimal:
    """Percent vested (0-100) after `years` completed years of service: the step reached last."""
    reached = [p for y, p in steps if y <= years]
    return reached[-1] if reached else Decimal(0)


def _at_least(steps, floor) -> bool:
    return all(vested_percent(steps, y) >= vested_percent(floor, y) for y in range(MAX_STEP_YEARS + 1))


class VestingSettings(_Section):
    """Vesting of the employer sources and what forfeitures pay for (docs/plan.md, "Vesting").

    `match` and `core`: a named schedule or a custom list of {years, percent}; a custom list must
    rise (years increasing, percent never falling), reach 100% and be at least as fast as a
    3-year cliff or a 6-year graded schedule at every year (IRC 411(a)(2)(B)).
    `forfeiture_use`: reduce_employer_contributions | pay_expenses | reallocate.
    """

    match: Schedule = "immediate"
    core: Schedule = "immediate"
    forfeiture_use: Literal["reduce_employer_contributions", "pay_expenses", "reallocate"] = \
        "reduce_employer_contributions"

    @model_validator(mode="after")
    def _statutory(self) -> "VestingSettings":
        for source in ("match", "core"):
            schedule = getattr(self, source)
            if isinstance(schedule, str):
                continue
            if not schedule:
                raise ValueError(f"{source}: give at least one {{years, percent}} step, e.g. [{{years: 0, percent: 100}}]")
            years = [s.years for s in schedule]
            if years != sorted(set(years)):
                raise ValueError(f"{source}: list the steps by increasing years, each year once (got years {years})")
            percents = [s.percent for s in schedule]
            if percents != sorted(percents):
                raise ValueError(f"{source}: percent vested may not fall as service grows (got {[float(p) for p in percents]})")
            if percents[-1] != 100:
                raise ValueError(f"{source}: the last step must be 100 percent (got {float(percents[-1])})")
            steps = schedule_steps(schedule)
            if not (_at_least(steps, CLIFF_3) or _at_least(steps, GRADED_6)):
                raise ValueError(f"{source}: the schedule vests more slowly than both a 3-year cliff and a 6-year "
                                 "graded schedule (20% after 2 years, +20% a year), the slowest IRC 411(a)(2)(B) "
                                 "allows; speed it up")
        return self


Rate = Annotated[float, Field(ge=-0.99, le=1.0, allow_inf_nan=False)]


class AccountsSettings(_Section):
    """Account balances (docs/plan.md, "Accounts"). `annual_return`: the investment return of
    every source, a fraction a year, either one rate or a mapping year -> rate where each rate
    holds from its year until the next year listed; the first year listed must be at or before
    simulation.start_year."""

    annual_return: Annotated[Annotated[Rate, Tag("rate")] | Annotated[dict[int, Rate], Tag("by_year")],
                             Discriminator(lambda v: "by_year" if isinstance(v, dict) else "rate")] = 0.0

    @model_validator(mode="after")
    def _years(self) -> "AccountsSettings":
        if isinstance(self.annual_return, dict):
            if not self.annual_return:
                raise ValueError("annual_return: give one rate, or a mapping year -> rate with at least one year")
            bad = [y for y in self.annual_return if not 1900 <= y <= 2200]
            if bad:
                raise ValueError(f"annual_return: years must be calendar years (got {bad})")
        return self

    def return_steps(self) -> list[dict[str, Any]]:
        """[{from_year, rate}, ...] by year: the rate of a year is that of the latest from_year at or
        before it. One rate is [{from_year: 0, rate}] (every year)."""
        if not isinstance(self.annual_return, dict):
            return [{"from_year": 0, "rate": self.annual_return}]
        return [{"from_year": y, "rate": r} for y, r in sorted(self.annual_return.items())]


def plan_account_problems(config: "SimulationConfig") -> list[str]:
    """Problems of one design's vesting and accounts sections against the rest of its config:
    a vesting schedule on a safe-harbor contribution slower than the law allows (immediate, or
    100% after 2 years for a QACA), an annual_return mapping that starts after start_year. Each
    problem is `<key>: <what and the fix>`."""
    problems = []
    claim, vesting = config.ndt.safe_harbor, config.vesting
    for source, kinds in (("match", SAFE_HARBOR_MATCH), ("core", SAFE_HARBOR_CORE)):
        kind = kinds.get(claim)
        if kind is None:
            continue
        steps = schedule_steps(getattr(vesting, source))
        if kind == "qaca" and not _at_least(steps, QACA_2):
            problems.append(f"vesting.{source}: ndt.safe_harbor {claim} is a QACA, whose safe-harbor contributions "
                            "must be 100% vested after 2 years of service (IRC 401(k)(13)(D)(iii)); use qaca_2 "
                            "or a faster schedule")
        elif kind == "immediate" and vested_percent(steps, 0) != 100:
            problems.append(f"vesting.{source}: ndt.safe_harbor {claim} makes the {source} a safe-harbor "
                            "contribution, always 100% vested (IRC 401(k)(12)(E)(i)); use immediate, or drop "
                            "the safe-harbor claim")
    returns = config.accounts.annual_return
    if isinstance(returns, dict) and min(returns) > config.simulation.start_year:
        problems.append(f"accounts.annual_return: the first year given is {min(returns)}, after "
                        f"simulation.start_year {config.simulation.start_year}; give a rate from "
                        f"{config.simulation.start_year} on")
    return problems
