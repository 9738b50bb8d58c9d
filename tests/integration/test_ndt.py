"""ADP and ACP tests (IRC 401(k)(3), 401(m)(2)) and their corrections, run through the real dbt
models on hand-built years in a temp DuckDB file. Worked examples come from public sources:

- the example of the nondiscrimination-testing issue: four NHCEs deferring 2%, 3%, 4%, 5% and
  two HCEs at $200,000 deferring 8% and 10%: NHCE ADP 3.5%, HCE ADP 9%, limit 5.5%, fails,
  excess $14,000 ($9,000 and $5,000);
- IRS, "401(k) Plan Fix-It Guide - The plan failed the 401(k) ADP and ACP nondiscrimination
  tests" (irs.gov): ADP counts elective deferrals but not catch-up contributions; the NHCE ADP
  averages every eligible NHCE, "even those who chose not to defer"; the limit is the greater of
  125% of the NHCE ADP and the lesser of 200% of it and it plus 2 points;
- Treas. Reg. 1.401(k)-2(a)(1)(ii): with no eligible NHCE the test is deemed met;
- IRC 401(k)(3)(E): in a plan's first year, prior-year testing deems the NHCE ADP 3%;
- Treas. Reg. 1.401(k)-2(b)(2): leveling of HCE ratios for the excess, then allocation of the
  excess by dollar amount (IRC 401(k)(8)(C)).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from navigator_orchestrator.config.schema import SimulationConfig, parse_config
from navigator_orchestrator.engine import database
from navigator_orchestrator.engine.dbt_runner import DbtRunner
from top_heavy_support import TOP_HEAVY_MODELS, write_top_heavy_inputs

NDT_MODELS = ["int_ndt_employee_ratios", "int_ndt_tests", "int_ndt_employee_results", "int_ndt_results"]


@dataclass
class Person:
    employee_id: str
    pay: float
    deferral: float = 0.0  # dollars, catch-up included
    is_hce: bool = False
    catch_up: float = 0.0
    match: float = 0.0
    eligible: bool = True


def nhce(i: int, pay: float, rate: float) -> Person:
    return Person(f"N{i}", pay, round(pay * rate, 2))


def hce(i: int, pay: float, rate: float, **kw: Any) -> Person:
    return Person(f"H{i}", pay, round(pay * rate, 2), is_hce=True, **kw)


def _snapshot_rows(people: list[Person], year: int) -> list[tuple]:
    return [("s", "default", year, p.employee_id, p.is_hce, p.eligible, p.pay, p.deferral, p.catch_up, p.match)
            for p in people]


def run_ndt(tmp_path: Path, people: list[Person], year: int = 2025, start_year: int = 2025,
            ndt: dict[str, Any] | None = None, plan: dict[str, Any] | None = None,
            prior_people: list[Person] | None = None) -> tuple[dict[str, dict], dict[tuple, dict]]:
    """Build the year's NDT models over these people; (results by test, detail by (id, test))."""
    config = parse_config({"simulation": {"start_year": start_year, "end_year": max(year, start_year)},
                           "ndt": ndt or {}, **(plan or {})}, tmp_path)
    tmp_path.mkdir(parents=True, exist_ok=True)
    db = tmp_path / f"ndt_{year}.duckdb"
    columns = ("scenario_id varchar, plan_design_id varchar, simulation_year integer, employee_id varchar, "
               "is_hce boolean, is_eligible boolean, prorated_annual_compensation decimal(14,2), "
               "prorated_annual_contributions decimal(14,2), catch_up_contribution decimal(14,2), "
               "employer_match_amount decimal(14,2)")
    conn = database.connect(db)
    work = f"{database.WORK_CATALOG}.main"  # where dbt keeps the year-only tables
    try:
        conn.execute(f"create table {work}.int_yearly_snapshot ({columns})")
        conn.executemany(f"insert into {work}.int_yearly_snapshot values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         _snapshot_rows(people, year))
        # The previous year's population as stg_year_start_state gives it: the prior people's
        # published figures (none in the first simulated year).
        conn.execute(f"create table {work}.stg_year_start_state as select plan_design_id, employee_id, "
                     "true as previous_year_simulated, "
                     "is_hce, is_eligible, prorated_annual_compensation, prorated_annual_contributions, "
                     f"catch_up_contribution, employer_match_amount from {work}.int_yearly_snapshot limit 0")
        if prior_people:
            conn.executemany(f"insert into {work}.stg_year_start_state values (?, ?, true, ?, ?, ?, ?, ?, ?)",
                             [row[1:2] + row[3:] for row in _snapshot_rows(prior_people, year - 1)])
        conn.execute(f"create table {work}.int_irs_limits as select * from (values (2024, 345000), (2025, 350000), "
                     "(2026, 360000)) as t(limit_year, compensation_limit)")
        conn.execute(f"create table {work}.int_hce_determination as select plan_design_id, employee_id, "
                     f"case when is_hce then 'compensation' end as hce_basis from {work}.int_yearly_snapshot")
        write_top_heavy_inputs(conn, work, [], year)  # no balances: the top-heavy row is built beside them
        runner = DbtRunner(db, threads=1)
        try:
            # The design's parameters come from the vars, as in a run.
            runner.invoke(["run", "--select", "int_plan_design_parameters", *TOP_HEAVY_MODELS, *NDT_MODELS],
                          {**config.to_dbt_vars(), "scenario_id": "s", "simulation_year": year, "run_id": "t"})
        finally:
            runner.close()
        results = {r["test"]: r for r in _dicts(conn, "select * from int_ndt_results")}
        detail = {(r["employee_id"], r["test"]): r for r in _dicts(conn, "select * from int_ndt_employee_results")}
    finally:
        conn.close()
    return results, detail


def _dicts(conn, sql: str) -> list[dict[str, Any]]:
    cursor = conn.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


ISSUE_EXAMPLE = [nhce(1, 50000, 0.02), nhce(2, 50000, 0.03), nhce(3, 50000, 0.04), nhce(4, 50000, 0.05),
                 hce(1, 200000, 0.08), hce(2, 200000, 0.10)]


def test_issue_example_fails_with_14000_excess_returned_9000_and_5000(tmp_path):
    results, detail = run_ndt(tmp_path, ISSUE_EXAMPLE)
    adp = results["adp"]
    assert adp["method"] == "current_year"
    assert (adp["nhce_average"], adp["hce_average"], adp["limit"]) == (Decimal("0.0350"), Decimal("0.0900"),
                                                                       Decimal("0.055000"))
    assert adp["limit_rule"] == "alternative_plus_2_points"
    assert adp["passed"] is False
    assert adp["excess_contributions"] == adp["corrective_distribution"] == adp["corrective_amount"] == Decimal("14000.00")
    assert detail[("H2", "adp")]["corrective_distribution"] == Decimal("9000.00")
    assert detail[("H1", "adp")]["corrective_distribution"] == Decimal("5000.00")
    assert detail[("N1", "adp")]["corrective_distribution"] == 0


def test_issue_example_qnec_alternative_raises_nhces_to_7_percent(tmp_path):
    # HCE ADP 9% passes once the NHCE ADP is 7% (7% + 2 points); 3.5 points of $50,000 x 4.
    results, detail = run_ndt(tmp_path, ISSUE_EXAMPLE, ndt={"correction": "qnec"})
    adp = results["adp"]
    assert adp["qnec_rate"] == Decimal("0.0350")
    assert adp["qnec_amount"] == adp["corrective_amount"] == Decimal("7000.00")
    assert detail[("N1", "adp")]["qnec_amount"] == Decimal("1750.00")
    assert detail[("H1", "adp")]["qnec_amount"] is None
    assert adp["corrective_distribution"] == Decimal("14000.00")  # shown beside it


def test_dollar_leveling_takes_from_the_largest_amounts_not_the_highest_ratios(tmp_path):
    # NHCE ADP 2% -> limit 4%. Ratios 10% ($16,000 of $160,000) and 6% ($21,000 of $350,000)
    # level to 4%: excess 9,600 + 7,000 = 16,600. By dollars: 21,000 -> 16,000 (5,000), then
    # 5,800 each: $10,800 and $5,800 (IRC 401(k)(8)(C)).
    people = [nhce(1, 60000, 0.01), nhce(2, 60000, 0.03), hce(1, 160000, 0.10), hce(2, 350000, 0.06)]
    results, detail = run_ndt(tmp_path, people)
    adp = results["adp"]
    assert adp["limit"] == Decimal("0.040000") and adp["limit_rule"] == "alternative_200_percent"
    assert detail[("H1", "adp")]["excess_by_leveling"] == Decimal("9600.00")
    assert detail[("H2", "adp")]["excess_by_leveling"] == Decimal("7000.00")
    assert detail[("H2", "adp")]["corrective_distribution"] == Decimal("10800.00")
    assert detail[("H1", "adp")]["corrective_distribution"] == Decimal("5800.00")
    assert adp["corrective_distribution"] == adp["excess_contributions"] == Decimal("16600.00")


@pytest.mark.parametrize("nhce_rate, limit, rule", [
    (0.01, "0.020000", "alternative_200_percent"),    # 200% of 1%
    (0.03, "0.050000", "alternative_plus_2_points"),  # 3% + 2 points
    (0.10, "0.125000", "basic_125_percent"),          # 125% of 10%
])
def test_limit_is_the_greater_of_125_percent_and_the_lesser_of_200_percent_and_plus_2(tmp_path, nhce_rate, limit, rule):
    results, _ = run_ndt(tmp_path, [nhce(1, 80000, nhce_rate), hce(1, 200000, 0.0)])
    assert (results["adp"]["limit"], results["adp"]["limit_rule"]) == (Decimal(limit), rule)


def test_eligible_nonparticipants_count_at_zero_and_ineligible_people_not_at_all(tmp_path):
    people = [nhce(1, 50000, 0.06), nhce(2, 50000, 0.0),
              Person("OUT", 50000, 5000.0, eligible=False), hce(1, 200000, 0.05)]
    results, detail = run_ndt(tmp_path, people)
    assert results["adp"]["nhce_average"] == Decimal("0.0300")
    assert results["adp"]["eligible_nhce_count"] == 2
    assert ("OUT", "adp") not in detail


def test_catch_up_contributions_are_left_out_of_the_adp(tmp_path):
    # $31,000 deferred of which $7,500 catch-up: the ADR is 23,500 / 200,000 = 11.75%.
    people = [nhce(1, 50000, 0.05), Person("H1", 200000, 31000.0, is_hce=True, catch_up=7500.0)]
    results, detail = run_ndt(tmp_path, people)
    assert detail[("H1", "adp")]["ratio"] == Decimal("0.1175")
    assert detail[("H1", "adp")]["contributions"] == Decimal("23500.00")


def test_testing_pay_is_capped_at_401a17(tmp_path):
    people = [nhce(1, 50000, 0.05), Person("H1", 700000, 23500.0, is_hce=True)]
    _, detail = run_ndt(tmp_path, people)
    assert detail[("H1", "adp")]["testing_compensation"] == Decimal("350000.00")  # 2025 limit
    assert detail[("H1", "adp")]["ratio"] == Decimal("0.0671")  # 23,500 / 350,000 = 6.714%


def test_without_eligible_nhces_the_test_is_deemed_met(tmp_path):
    results, _ = run_ndt(tmp_path, [hce(1, 200000, 0.10), hce(2, 250000, 0.09)])
    assert results["adp"]["passed"] is True
    assert results["adp"]["corrective_amount"] == 0


def test_acp_tests_the_match_and_levels_it_like_the_adp(tmp_path):
    people = [Person("N1", 50000, 1500.0, match=750.0), Person("N2", 50000, 0.0),
              Person("H1", 200000, 12000.0, is_hce=True, match=6000.0)]
    results, detail = run_ndt(tmp_path, people)
    acp = results["acp"]
    # NHCE ACP (1.5% + 0%) / 2 = 0.75% -> limit 1.5%; HCE ACP 3%: excess 1.5% x 200,000.
    assert (acp["nhce_average"], acp["hce_average"], acp["limit"]) == (Decimal("0.0075"), Decimal("0.0300"),
                                                                       Decimal("0.015000"))
    assert acp["passed"] is False
    assert detail[("H1", "acp")]["corrective_distribution"] == Decimal("3000.00")


def test_prior_year_testing_in_the_first_plan_year_deems_the_nhce_average_3_percent(tmp_path):
    results, _ = run_ndt(tmp_path, ISSUE_EXAMPLE, ndt={"testing_method": "prior_year", "first_plan_year": True})
    adp = results["adp"]
    assert adp["method"] == "prior_year_deemed_3_percent"
    assert (adp["nhce_average"], adp["limit"]) == (Decimal("0.0300"), Decimal("0.050000"))
    assert adp["nhce_current_year_average"] == Decimal("0.0350")
    assert adp["passed"] is False
    assert adp["qnec_amount"] is None and adp["corrective_amount"] == adp["corrective_distribution"]


def test_prior_year_testing_uses_last_years_nhces(tmp_path):
    prior = [nhce(1, 50000, 0.06), nhce(2, 50000, 0.08), hce(1, 200000, 0.02)]
    results, _ = run_ndt(tmp_path, ISSUE_EXAMPLE, year=2026, ndt={"testing_method": "prior_year"},
                         prior_people=prior)
    adp = results["adp"]
    assert adp["method"] == "prior_year"
    assert (adp["nhce_average"], adp["limit"], adp["passed"]) == (Decimal("0.0700"), Decimal("0.090000"), True)


def test_prior_year_testing_of_the_first_year_takes_the_stated_averages_or_says_it_had_none(tmp_path):
    stated, _ = run_ndt(tmp_path / "a", ISSUE_EXAMPLE, ndt={"testing_method": "prior_year", "prior_year_nhce_adp": 0.07})
    assert (stated["adp"]["method"], stated["adp"]["nhce_average"]) == ("prior_year_stated", Decimal("0.0700"))
    assert stated["acp"]["method"] == "current_year_no_prior_year_data"
    assert stated["adp"]["passed"] is True


def _safe_harbor_basic(**ndt: Any) -> dict[str, Any]:
    no_conditions = {"minimum_tenure_years": 0, "require_active_at_year_end": False, "minimum_hours_annual": 0}
    return {"employer_match": {"active_formula": "safe_harbor_basic", "eligibility": no_conditions}}


def test_a_qualifying_safe_harbor_design_is_exempt_and_reported_as_such(tmp_path):
    results, detail = run_ndt(tmp_path, ISSUE_EXAMPLE, ndt={"safe_harbor": "basic_match"}, plan=_safe_harbor_basic())
    for test in ("adp", "acp"):
        assert results[test]["method"] == "safe_harbor"
        assert results[test]["safe_harbor_status"] == "qualified"
        assert results[test]["passed"] is True and results[test]["corrective_amount"] == 0
    assert results["adp"]["hce_average"] == Decimal("0.0900")  # still shown
    assert detail[("H2", "adp")]["corrective_distribution"] == 0


def test_a_safe_harbor_claim_the_match_does_not_meet_is_tested_and_says_why(tmp_path):
    # The default simple match (50% of the first 6%) is below the basic safe-harbor match.
    results, _ = run_ndt(tmp_path, ISSUE_EXAMPLE, ndt={"safe_harbor": "basic_match"})
    assert results["adp"]["method"] == "current_year"
    assert results["adp"]["safe_harbor_status"] == "match_below_basic"
    assert results["adp"]["passed"] is False
    assert results["acp"]["safe_harbor_status"] == "adp_safe_harbor_not_met"


def test_ndt_disabled_publishes_no_rows(tmp_path):
    results, detail = run_ndt(tmp_path, ISSUE_EXAMPLE, ndt={"enabled": False})
    assert results == {} and detail == {}


# ----- invariants ----------------------------------------------------------------------------

rates = st.integers(min_value=0, max_value=2000).map(lambda bp: bp / 10000)  # 0%..20%
pays = st.integers(min_value=20_000, max_value=500_000)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(nhces=st.lists(st.tuples(pays, rates), min_size=1, max_size=5),
       hces=st.lists(st.tuples(pays, rates), min_size=1, max_size=5))
def test_corrections_return_exactly_the_leveled_excess_and_leave_a_passing_test(tmp_path_factory, nhces, hces):
    tmp = tmp_path_factory.mktemp("ndt")
    people = [nhce(i, p, r) for i, (p, r) in enumerate(nhces)] + [hce(i, p, r) for i, (p, r) in enumerate(hces)]
    results, detail = run_ndt(tmp, people)
    adp = results["adp"]
    hce_rows = [detail[(f"H{i}", "adp")] for i in range(len(hces))]
    distributed = [r["corrective_distribution"] for r in hce_rows]
    assert all(0 <= d <= r["contributions"] for d, r in zip(distributed, hce_rows))
    # Every amount is rounded half up to the cent once: the total differs from the exact excess by
    # at most half a cent per HCE.
    assert abs(sum(distributed) - adp["excess_contributions"]) <= Decimal("0.005") * len(hces) * 2
    if adp["passed"]:
        assert sum(distributed) == 0
        return
    # Re-test with the excess by leveling removed: the HCE average is at most the limit.
    after = [Fraction(int(r["contributions"] * 100) - int(r["excess_by_leveling"] * 100),
                      int(r["testing_compensation"] * 100)) for r in hce_rows]
    assert sum(after) / len(after) <= Fraction(str(adp["limit"])) + Fraction(1, 10**4)
    # The QNEC rate raises the NHCE average enough to pass.
    raised = Fraction(str(adp["nhce_average"])) + Fraction(str(adp["qnec_rate"]))
    limit = max(raised * Fraction(5, 4), min(raised * 2, raised + Fraction(2, 100)))
    assert Fraction(str(adp["hce_average"])) <= limit
