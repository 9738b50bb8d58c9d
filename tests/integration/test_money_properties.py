"""Property: whatever the pay, rates, formula and year, every money column the engine publishes
equals the exact-decimal computation rounded half up to the cent once (docs/money.md).

Each example is a real run (one year, a random hand-made census, a random match formula, flat
or graded by service or points, a random core, flat, graded by service, age or points, or
integrated with Social Security, raises, promotions and turnover) recomputed from its event log
by tests/money_reference.py.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from money_reference import recompute
from navigator_orchestrator.config.schema import load_config
from plan_support import run_scenario
from test_money import write_census


def fraction(max_ten_thousandths: int, min_ten_thousandths: int = 0) -> st.SearchStrategy[float]:
    """A rate with at most four decimals, as the config states it (0.0375)."""
    return st.integers(min_ten_thousandths, max_ten_thousandths).map(lambda n: float(Decimal(n) / 10_000))


@st.composite
def scenarios(draw):
    year = draw(st.sampled_from([2016, 2020, 2025, 2027]))
    census_date = date(year - 1, 12, 31)
    people = []
    for i in range(draw(st.integers(6, 14))):
        born = date(draw(st.integers(year - 66, year - 22)), draw(st.integers(1, 12)), draw(st.integers(1, 28)))
        hired = census_date - timedelta(days=draw(st.integers(0, 365 * 15)))
        hired = max(hired, date(born.year + 18, born.month, born.day))
        pay = Decimal(draw(st.integers(1_500_000, 50_000_000))) / 100
        rate = Decimal(draw(st.integers(0, 3000))) / 10_000
        people.append((f"P{i:02d}", born, hired, pay, rate))
    def tiers():
        # Tier bounds on a 0.25% grid up to 15% of pay, match rates 10%-100%.
        cuts = sorted(draw(st.lists(st.integers(0, 60), min_size=2, max_size=4, unique=True)))
        return [{"tier": i + 1, "employee_min": float(Decimal(lo) / 400), "employee_max": float(Decimal(hi) / 400),
                 "match_rate": draw(fraction(10_000, 1000))}
                for i, (lo, hi) in enumerate(zip(cuts, cuts[1:]))]

    def band_starts(top: int) -> list[int]:
        return [0, *sorted(draw(st.lists(st.integers(1, top), max_size=3, unique=True)))]

    # The match: tiers and a cap of 1%-10% of pay, or such bands by service or points.
    match_by = draw(st.sampled_from(["tiers", "service", "points"]))
    if match_by == "tiers":
        formula = {"name": "random", "tiers": tiers(), "max_match_percentage": draw(fraction(1000, 100))}
    else:
        low = "min_years" if match_by == "service" else "min_points"
        formula = {"name": "random", f"graded_by_{match_by}": [
            {low: lo, "tiers": tiers(), "max_match_percentage": draw(fraction(1000, 100))}
            for lo in band_starts(20 if match_by == "service" else 90)]}
    # The core: a flat rate, grades by service, age or points, or integrated with Social Security.
    core_rate = draw(fraction(1000))
    core: dict = {"contribution_rate": core_rate}
    core_by = draw(st.sampled_from(["flat", "service", "age", "points", "integrated"]))
    if core_by == "integrated":
        core["social_security_integration"] = {
            "enabled": True, "excess_rate": draw(fraction(min(int(core_rate * 10_000), 570))),
            "wage_base_fraction": draw(st.sampled_from([1.0, 0.2, 0.8]))}
    elif core_by != "flat":
        low = {"service": "min_years", "age": "min_age", "points": "min_points"}[core_by]
        core[f"graded_by_{core_by}"] = [{low: lo, "rate": draw(fraction(1000))}
                                        for lo in band_starts({"service": 20, "age": 70, "points": 90}[core_by])]
    overrides = {
        "simulation": {"target_growth_rate": draw(fraction(1000))},
        "workforce": {"total_termination_rate": draw(fraction(3000)), "new_hire_termination_rate": draw(fraction(3000))},
        "compensation": {"cola_rate": draw(fraction(300)), "merit_budget": draw(fraction(600))},
        "promotion": {"base_rate": 0.5, "raise_rate": draw(fraction(2000))},
        "employer_match": {"active_formula": "random", "formulas": {"random": formula}},
        "employer_core_contribution": core,
    }
    return year, people, overrides


@settings(max_examples=5, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(scenario=scenarios())
def test_every_money_column_equals_the_exact_decimal_computation(tmp_path_factory, scenario):
    year, people, overrides = scenario
    base = tmp_path_factory.mktemp("money_property")
    census = write_census(base / "census.parquet", people)
    run_scenario(base, census, overrides, years=(year, year))
    checked, problems = recompute(base / "simulation.duckdb", load_config(base / "config.yaml"))
    assert checked >= len(people) and problems == []
