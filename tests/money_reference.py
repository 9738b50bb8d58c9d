"""Exact money arithmetic the engine's amounts are checked against (docs/money.md).

Everything is Fraction/Decimal, never float: pay rates and amounts are cents, rates are the
decimals the config or census states, and each amount is rounded half up to the cent once,
where the engine stores it. Written from the plan rules, independently of the SQL.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Sequence

import duckdb

from navigator_orchestrator.config.disparity import taxable_wage_base
from navigator_orchestrator.config.schema import SimulationConfig

CENT = Decimal("0.01")


def half_up(value: Fraction | Decimal | int) -> Decimal:
    """A non-negative exact amount rounded half up to the cent (3075.615 -> 3075.62)."""
    f = Fraction(value)
    assert f >= 0, f
    cents = (2 * f.numerator * 100 + f.denominator) // (2 * f.denominator)
    return Decimal(cents).scaleb(-2).quantize(CENT)


def days_in_year(year: int) -> int:
    return (date(year, 12, 31) - date(year, 1, 1)).days + 1


def _in_effect(changes: Sequence[tuple[date, Decimal]], day: date) -> Decimal:
    return [value for when, value in changes if when <= day][-1]


def _boundaries(start: date, end: date, *change_lists: Sequence[tuple[date, Decimal]]) -> list[date]:
    points = {start} | {d for changes in change_lists for d, _ in changes if start < d <= end}
    return sorted(points)


def pay_earned(pay_changes: Sequence[tuple[date, Decimal]], start: date, end: date, year: int) -> Decimal:
    """Sum of pay rate x days at that rate / days in the year, rounded once.

    pay_changes: (effective date, annual rate) in order, the first on or before `start`.
    """
    total = Fraction(0)
    points = _boundaries(start, end, pay_changes) + [None]
    for begin, nxt in zip(points, points[1:]):
        last = end if nxt is None else date.fromordinal(nxt.toordinal() - 1)
        total += Fraction(_in_effect(pay_changes, begin)) * ((last - begin).days + 1)
    return half_up(total / days_in_year(year))


def requested_deferral(pay_changes: Sequence[tuple[date, Decimal]],
                       rate_changes: Sequence[tuple[date, Decimal]],
                       start: date, end: date, year: int) -> Decimal:
    """Sum of pay rate x deferral rate x days / days in the year, rounded once."""
    total = Fraction(0)
    points = _boundaries(start, end, pay_changes, rate_changes) + [None]
    for begin, nxt in zip(points, points[1:]):
        last = end if nxt is None else date.fromordinal(nxt.toordinal() - 1)
        total += (Fraction(_in_effect(pay_changes, begin)) * Fraction(_in_effect(rate_changes, begin))
                  * ((last - begin).days + 1))
    return half_up(total / days_in_year(year))


@dataclass(frozen=True)
class Limits:
    elective: Decimal        # 402(g)(1)
    catch_up: Decimal        # 414(v)(2)(B)(i), age 50+
    catch_up_60_63: Decimal | None  # 414(v)(2)(E)
    compensation: Decimal    # 401(a)(17)
    annual_additions: Decimal  # 415(c)(1)(A)

    def catch_up_for(self, age: int, offer_60_63: bool = True) -> Decimal:
        if offer_60_63 and 60 <= age <= 63 and self.catch_up_60_63 is not None:
            return self.catch_up_60_63
        return self.catch_up if age >= 50 else Decimal(0)


@dataclass(frozen=True)
class Formula:
    tiers: tuple[tuple[Decimal, Decimal, Decimal], ...]  # (employee_min, employee_max, match_rate)
    max_match_percentage: Decimal


def formula_match(deferral: Decimal, match_pay: Decimal, formula: Formula) -> Decimal:
    pay = Fraction(match_pay)
    total = sum((Fraction(rate) * max(Fraction(0), min(Fraction(deferral), Fraction(hi) * pay) - Fraction(lo) * pay)
                 for lo, hi, rate in formula.tiers), Fraction(0))
    return half_up(min(total, Fraction(formula.max_match_percentage) * Fraction(match_pay)))


@dataclass(frozen=True)
class Money:
    deferral: Decimal
    catch_up: Decimal
    match: Decimal
    core: Decimal


def contributions(*, age: int, requested: Decimal, plan_pay: Decimal, limits: Limits,
                  formula: Formula | None, core_rate: Decimal | None,
                  excess_rate: Decimal = Decimal(0), integration_level: Decimal | None = None) -> Money:
    """Deferrals, catch-up, match and core of one person-year.

    formula / core_rate None: not eligible for match / core. An integrated core adds
    excess_rate x the capped pay above integration_level (IRC 401(l)). 415(c): deferrals that are not
    catch-up + match + core <= min(415(c)(1)(A), plan pay); a 50+ participant's deferrals that
    would exceed it are catch-up while room is left (Treas. Reg. §1.414(v)-1(b)(1)(i)), then
    the match is cut, then core.
    """
    room = limits.catch_up_for(age)
    deferral = min(requested, limits.elective + room)
    catch_up = max(Decimal(0), deferral - limits.elective)
    match_pay = min(plan_pay, limits.compensation)
    match = formula_match(deferral, match_pay, formula) if formula is not None and deferral > 0 else Decimal(0)
    above = max(Decimal(0), match_pay - integration_level) if integration_level is not None else Decimal(0)
    core = (half_up(Fraction(core_rate) * Fraction(match_pay) + Fraction(excess_rate) * Fraction(above))
            if core_rate is not None else Decimal(0))
    cap = min(limits.annual_additions, plan_pay)
    excess = max(Decimal(0), deferral - catch_up + match + core - cap)
    more_catch_up = min(excess, room - catch_up, deferral - catch_up)
    catch_up += more_catch_up
    excess -= more_catch_up
    cut_match = min(match, excess)
    return Money(deferral=deferral, catch_up=catch_up, match=match - cut_match,
                 core=max(Decimal(0), core - (excess - cut_match)))


# ----- the published IRS limits and their projection, from the seed (independent of the SQL) ----

SEED = Path(__file__).resolve().parents[1] / "dbt" / "seeds" / "config_irs_limits.csv"


def limits_for(year: int, index_rate: Decimal = Decimal("0.025")) -> Limits:
    """A year's limits: the seed's published value, else the latest one indexed and rounded down
    to the statute's step; ages 60-63 per IRC 414(v)(2)(E)(i): greater of $10,000 indexed after
    2025 and 150% of the 2024 catch-up."""
    with SEED.open() as f:
        seed = [(int(r["limit_year"]), r["limit_name"], Decimal(r["amount"]), int(r["rounding_step"]))
                for r in csv.DictReader(f)]

    def project(amount: Decimal, step: int, years: int) -> Decimal:
        grown = Fraction(amount) * Fraction(1 + index_rate) ** years
        return Decimal((grown // step) * step)

    def value(name: str) -> Decimal | None:
        rows = sorted((y, a, s) for y, n, a, s in seed if n == name)
        if not rows or year < rows[0][0]:
            return None
        exact = [a for y, a, _ in rows if y == year]
        if exact:
            return exact[0]
        last_year, amount, step = rows[-1]
        if name == "catch_up_60_63":
            (base_year, base, base_step), = [(y, a, s) for y, n, a, s in seed if n == "catch_up_60_63_indexed_base"]
            minimum, = [a for y, n, a, s in seed if n == "catch_up_60_63_minimum"]
            return max(project(base, base_step, year - base_year), minimum)
        return project(amount, step, year - last_year)

    return Limits(elective=value("elective_deferral"), catch_up=value("catch_up"),
                  catch_up_60_63=value("catch_up_60_63"), compensation=value("compensation_limit"),
                  annual_additions=value("annual_additions"))


# ----- every money column of a run, recomputed from its own event log -------------------------

RATE_EVENTS = ("enrollment", "opt_out", "deferral_change", "deferral_escalation")


def _dec(x: float | int) -> Decimal:
    return Decimal(str(x))


def completed_years(start: date, end: date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def recompute(db: Path, config: SimulationConfig) -> tuple[int, list[str]]:
    """(person-years checked, mismatches): pay earned, deferrals, catch-up, match and core of
    every snapshot row against the exact computation from the events and the config."""
    conn = duckdb.connect(str(db), read_only=True)
    try:
        cur = conn.execute("select * from fct_workforce_snapshot order by employee_id, simulation_year")
        names = [d[0] for d in cur.description]
        snapshot = {(r["employee_id"], r["simulation_year"]): r for r in (dict(zip(names, t)) for t in cur.fetchall())}
        cur = conn.execute("""select employee_id, simulation_year, event_type, effective_date, compensation_amount,
                                     employee_deferral_rate
                              from fct_yearly_events order by employee_id, simulation_year, event_sequence""")
        events: dict[tuple, list[tuple]] = {}
        for eid, year, etype, eff, comp, rate in cur.fetchall():
            events.setdefault((eid, year), []).append((etype, eff, comp, rate))
    finally:
        conn.close()

    m, core_cfg = config.employer_match, config.employer_core_contribution
    active = m.formulas[m.active_formula]
    bands = [(lo, hi, Formula(tuple((_dec(t.employee_min), _dec(t.employee_max), _dec(t.match_rate)) for t in tiers),
                              _dec(cap))) for lo, hi, tiers, cap in active.band_list()]
    graded = sorted(core_cfg.grades, key=lambda g: g.band[0])
    ssi = core_cfg.social_security_integration

    def band_value(basis: str, age: int, service: int) -> int:
        return {"service": service, "age": age, "points": age + service}.get(basis, 0)

    def in_band(value: int, lo: int, hi: int | None, next_lo: int | None) -> bool:
        return lo <= value and (value <= hi if hi is not None else next_lo is None or value < next_lo)
    index_rate = _dec(config.irs_limits.index_rate)
    limits = {}
    problems: list[str] = []
    for (eid, year), row in snapshot.items():
        lim = limits.setdefault(year, limits_for(year, index_rate))
        if not config.irs_limits.catch_up_60_63_enabled:
            lim = Limits(lim.elective, lim.catch_up, None, lim.compensation, lim.annual_additions)
        start = max(row["employee_hire_date"], date(year, 1, 1))
        end = row["termination_date"] or date(year, 12, 31)
        evs = events.get((eid, year), [])
        pay_changes = [(start, row["starting_compensation"])] + [
            (eff, comp) for etype, eff, comp, _ in evs if etype in ("promotion", "raise")]
        prior = snapshot.get((eid, year - 1))
        rate_at_start = prior["current_deferral_rate"] if prior and prior["employment_status"] == "active" else Decimal(0)
        rate_changes = [(start, rate_at_start)] + [(eff, rate) for etype, eff, _, rate in evs if etype in RATE_EVENTS]
        plan_pay = pay_earned(pay_changes, start, end, year)
        requested = requested_deferral(pay_changes, rate_changes, start, end, year)
        tenure = completed_years(row["employee_hire_date"], end)
        # Formulas by service count elapsed-time service from the date service counts from.
        service = max(0, completed_years(row["vesting_service_start_date"] or row["employee_hire_date"], end))
        age = row["current_age"]
        hours = half_up(Fraction((end - start).days + 1) * 2080 / days_in_year(year)) // 1
        is_active = row["employment_status"] == "active"

        def meets(rules, extra: bool = True) -> bool:
            return (bool(row["is_eligible"]) and extra and tenure >= rules.minimum_tenure_years
                    and hours >= rules.minimum_hours_annual
                    and (is_active or not rules.require_active_at_year_end))

        core_rate = _dec(core_cfg.contribution_rate)
        value = band_value(core_cfg.grade_basis, age, service)
        for g, nxt in zip(graded, [*graded[1:], None]):
            if in_band(value, *g.band, nxt.band[0] if nxt else None):
                core_rate = _dec(g.rate)
        value = band_value(active.band_basis, age, service)
        formula = next(f for (lo, hi, f), nxt in zip(bands, [*bands[1:], None])
                       if in_band(value, lo, hi, nxt[0] if nxt else None))
        level = None
        if ssi.enabled:
            level = (_dec(ssi.integration_level) if ssi.integration_level != "taxable_wage_base" else
                     half_up(Fraction(_dec(ssi.wage_base_fraction))
                             * Fraction(taxable_wage_base(year, config.irs_limits.index_rate)[0])))
        money = contributions(
            age=age, requested=requested, plan_pay=plan_pay, limits=lim,
            formula=formula if m.enabled and meets(m.eligibility) else None,
            core_rate=core_rate if core_cfg.enabled and meets(core_cfg.eligibility) else None,
            excess_rate=_dec(ssi.excess_rate) if ssi.enabled else Decimal(0), integration_level=level)
        expected = {"prorated_annual_compensation": plan_pay, "current_tenure": tenure,
                    "prorated_annual_contributions": money.deferral, "catch_up_contribution": money.catch_up,
                    "employer_match_amount": money.match, "employer_core_amount": money.core,
                    "current_compensation": pay_changes[-1][1]}
        for column, value in expected.items():
            if row[column] != value:
                problems.append(f"{eid} {year} {column}: {row[column]} != {value}")
    return len(snapshot), problems
