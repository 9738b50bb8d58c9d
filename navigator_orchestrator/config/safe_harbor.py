"""Does a plan design qualify for the ADP and ACP safe harbors it claims?

Pure functions of the configured match formula, core contribution, eligibility conditions and
automatic enrollment. A claim that does not hold is not refused at parse time: the tests are then
run as for any plan, the result row names the reason (`safe_harbor_status`), and
`navigator validate` warns. Sources:

- ADP safe harbor, IRC 401(k)(12) and Treas. Reg. 1.401(k)-3: basic match 100% of deferrals up to
  3% of pay plus 50% of deferrals between 3% and 5% (401(k)(12)(B)(i)); an enhanced match at least
  as large at every deferral rate whose ratio to deferrals does not rise as deferrals rise
  (401(k)(12)(B)(ii), 1.401(k)-3(c)(3)); or a 3% nonelective contribution (401(k)(12)(C)). Safe
  harbor contributions go to every eligible NHCE: no last-day, hours or extra service condition
  (1.401(k)-3(b)(1), (c)(1)).
- QACA, IRC 401(k)(13): match 100% of the first 1% plus 50% of the next 5% (or at least that at
  every rate), or 3% nonelective; automatic enrollment at a qualified percentage of 3%-10% in the
  first year rising to at least 6% (and at most 15%) (401(k)(13)(C)(iii), as amended by SECURE 2.0).
- ACP safe harbor, IRC 401(m)(11) and Treas. Reg. 1.401(m)-3(d): the ADP safe harbor is met, no
  match on deferrals above 6% of pay, and the ratio of match to deferrals does not rise with the
  deferral rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from navigator_orchestrator.config.schema import SimulationConfig

SAFE_HARBOR_TYPES = ("none", "basic_match", "enhanced_match", "qaca_match", "nonelective", "qaca_nonelective")

# Statutory match formulas as (employee_min, employee_max, match_rate) tiers, fractions of pay.
BASIC_MATCH = ((0.0, 0.03, 1.0), (0.03, 0.05, 0.5))
QACA_MATCH = ((0.0, 0.01, 1.0), (0.01, 0.06, 0.5))
NONELECTIVE_RATE = 0.03
ACP_MATCHED_DEFERRAL_CAP = 0.06

# Plain words for every status code a result row can carry.
STATUS_TEXT: dict[str, str] = {
    "not_claimed": "no safe harbor claimed",
    "qualified": "safe harbor requirements met",
    "match_disabled": "a safe-harbor match is claimed but employer_match.enabled is false",
    "match_below_basic": "the match is below 100% of the first 3% plus 50% of the next 2% at some deferral rate",
    "match_below_qaca": "the match is below 100% of the first 1% plus 50% of the next 5% at some deferral rate",
    "match_rate_increases": "the match's ratio to deferrals rises as deferrals rise",
    "match_allocation_conditions": "the match requires last-day employment, hours or service beyond plan entry",
    "core_disabled": "a nonelective safe harbor is claimed but employer_core_contribution.enabled is false",
    "core_below_3_percent": "the core contribution is below 3% of pay for some eligible employee",
    "core_allocation_conditions": "the core contribution requires last-day employment, hours or service beyond plan entry",
    "qaca_auto_enrollment_missing": "a QACA needs automatic enrollment of every eligible employee",
    "qaca_default_rate_outside_3_to_10_percent": "a QACA's first-year default deferral must be 3%-10%",
    "qaca_escalation_short_of_6_percent": "a QACA's default must rise by at least 1 point a year to at least 6% (at most 15%)",
    "adp_safe_harbor_not_met": "the ADP safe harbor is not met, so the ACP safe harbor cannot be",
    "no_match": "no matching contributions: nothing for the ACP test to test",
    "match_above_6_percent_of_pay": "the match applies to deferrals above 6% of pay",
    "top_heavy_other_employer_contributions": "a core contribution beside a safe-harbor match: the plan is not "
                                              "exempt from the top-heavy rules (IRC 416(g)(4)(H))",
}


@dataclass(frozen=True)
class SafeHarborStatus:
    """Status codes (keys of STATUS_TEXT) of the ADP and ACP safe harbors for one design."""

    adp: str
    acp: str
    problems: list[str] = field(default_factory=list)

    @property
    def adp_exempt(self) -> bool:
        return self.adp == "qualified"

    @property
    def acp_exempt(self) -> bool:
        return self.acp == "qualified"


def match_percent(tiers: list[tuple[float, float, float]], cap: float, deferral: float) -> float:
    """Match as a fraction of pay for a deferral of `deferral` (fraction of pay)."""
    total = sum(rate * max(0.0, min(deferral, hi) - lo) for lo, hi, rate in tiers)
    return min(total, cap)


def _grid() -> list[float]:
    return [i / 2000 for i in range(1, 2001)]  # 0.05% steps to 100% of pay


def _at_least(tiers, cap, floor_tiers) -> bool:
    floor_cap = sum(r * (hi - lo) for lo, hi, r in floor_tiers)
    return all(match_percent(tiers, cap, d) + 1e-12 >= match_percent(list(floor_tiers), floor_cap, d)
               for d in _grid())


def _ratio_never_rises(tiers, cap) -> bool:
    ratios = [match_percent(tiers, cap, d) / d for d in _grid()]
    return all(b <= a + 1e-12 for a, b in zip(ratios, ratios[1:]))


def _no_conditions(eligibility) -> bool:
    return (not eligibility.require_active_at_year_end and eligibility.minimum_hours_annual == 0
            and eligibility.minimum_tenure_years == 0)


def _qaca_enrollment(config: "SimulationConfig") -> str | None:
    ae, esc = config.enrollment.auto_enrollment, config.deferral_auto_escalation
    if not ae.enabled or ae.scope != "all_eligible_employees":
        return "qaca_auto_enrollment_missing"
    if not 0.03 <= ae.default_deferral_rate <= 0.10:
        return "qaca_default_rate_outside_3_to_10_percent"
    if ae.default_deferral_rate < 0.06 and not (
            esc.enabled and esc.increment_amount >= 0.01 and 0.06 <= esc.maximum_rate <= 0.15):
        return "qaca_escalation_short_of_6_percent"
    return None


def _bands(config: "SimulationConfig") -> list[tuple[list[tuple[float, float, float]], float]]:
    """(tiers, cap) of every band of the active match formula (one for a tiered formula): a
    safe harbor must hold in each band, whoever falls in it."""
    match = config.employer_match
    return [([(t.employee_min, t.employee_max, t.match_rate) for t in tiers], cap)
            for _, _, tiers, cap in match.formulas[match.active_formula].band_list()]


def _adp_status(config: "SimulationConfig", kind: str) -> str:
    match, core = config.employer_match, config.employer_core_contribution
    if kind.startswith("qaca"):
        problem = _qaca_enrollment(config)
        if problem:
            return problem
    if kind in ("basic_match", "enhanced_match", "qaca_match"):
        if not match.enabled:
            return "match_disabled"
        floor = QACA_MATCH if kind == "qaca_match" else BASIC_MATCH
        if not all(_at_least(tiers, cap, floor) for tiers, cap in _bands(config)):
            return "match_below_qaca" if kind == "qaca_match" else "match_below_basic"
        if not all(_ratio_never_rises(tiers, cap) for tiers, cap in _bands(config)):
            return "match_rate_increases"
        if not _no_conditions(match.eligibility):
            return "match_allocation_conditions"
        return "qualified"
    # nonelective / qaca_nonelective
    if not core.enabled:
        return "core_disabled"
    rates = [core.contribution_rate, *(g.rate for g in core.grades)]
    if min(rates) < NONELECTIVE_RATE:
        return "core_below_3_percent"
    if not _no_conditions(core.eligibility):
        return "core_allocation_conditions"
    return "qualified"


def safe_harbor_status(config: "SimulationConfig") -> SafeHarborStatus:
    """The ADP and ACP safe-harbor status of the config's design (`ndt.safe_harbor`)."""
    kind = config.ndt.safe_harbor
    if kind == "none":
        return SafeHarborStatus("not_claimed", "not_claimed")
    adp = _adp_status(config, kind)
    match, bands = config.employer_match, _bands(config)
    if adp != "qualified":
        acp = "adp_safe_harbor_not_met"
    elif not match.enabled:
        acp = "no_match"
    elif any(match_percent(tiers, cap, 1.0) > match_percent(tiers, cap, ACP_MATCHED_DEFERRAL_CAP) + 1e-12
             for tiers, cap in bands):
        acp = "match_above_6_percent_of_pay"
    elif not all(_ratio_never_rises(tiers, cap) for tiers, cap in bands):
        acp = "match_rate_increases"
    else:
        acp = "qualified"
    problems = []
    if adp != "qualified":
        problems.append(f"ndt.safe_harbor {kind} is not met ({STATUS_TEXT[adp]}); the ADP test is run instead")
    if acp not in ("qualified", "no_match", "adp_safe_harbor_not_met"):
        problems.append(f"the ACP safe harbor is not met ({STATUS_TEXT[acp]}); the ACP test is run")
    return SafeHarborStatus(adp, acp, problems)
