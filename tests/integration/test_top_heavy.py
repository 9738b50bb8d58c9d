"""The top-heavy test (IRC 416) run through the real dbt models on hand-built years in a temp
DuckDB file. The rules and the worked examples follow public sources:

- IRS, "401(k) Plan Fix-It Guide - The plan was top-heavy and required minimum contributions
  weren't made" and "Fixing Common Plan Mistakes - Top-Heavy Errors in Defined Contribution Plans"
  (irs.gov): a key employee is, during the plan year containing the determination date, a more
  than 5% owner, a more than 1% owner paid over $150,000, or an officer paid over $220,000 (2024);
  the plan is top-heavy when on the last day of the preceding plan year the key employees'
  accounts exceed 60% of all; the employer then contributes up to 3% of pay for every non-key
  employee employed on the last day of the plan year;
- IRC 416(c)(2)(B) and Treas. Reg. 1.416-1 M-7, M-20: the minimum is the lesser of 3% and the
  highest key employee rate, key employees' elective deferrals counted; M-18 (and 416(c)(2)(A)):
  matching contributions count toward it, the non-key employee's deferrals do not;
- IRC 416(g)(3), (g)(4)(B): distributions of the year ending on the determination date are added
  back; former key employees are left out; 416(i)(1)(A): at most 3 officers among 20 employees;
- IRC 416(g)(4)(H): a plan of deferrals and safe-harbor match only is not top-heavy.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from navigator_orchestrator.config.schema import parse_config
from navigator_orchestrator.engine import database
from navigator_orchestrator.engine.dbt_runner import DbtRunner
from top_heavy_support import TOP_HEAVY_MODELS, Member, write_top_heavy_inputs


def run_top_heavy(tmp_path: Path, members: list[Member], year: int = 2025, start_year: int = 2025,
                  ndt: dict[str, Any] | None = None, plan: dict[str, Any] | None = None
                  ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Build the year's top-heavy models over these members: (the test row, detail by employee)."""
    config = parse_config({"simulation": {"start_year": start_year, "end_year": max(year, start_year)},
                           "ndt": ndt or {}, **(plan or {})}, tmp_path)
    tmp_path.mkdir(parents=True, exist_ok=True)
    db = tmp_path / f"top_heavy_{year}.duckdb"
    conn = database.connect(db)
    work = f"{database.WORK_CATALOG}.main"
    try:
        write_top_heavy_inputs(conn, work, members, year)
        runner = DbtRunner(db, threads=1)
        try:
            runner.invoke(["run", "--select", "int_plan_design_parameters", *TOP_HEAVY_MODELS],
                          {**config.to_dbt_vars(), "scenario_id": "s", "simulation_year": year, "run_id": "t"})
        finally:
            runner.close()
        test = _dicts(conn, "select * from int_top_heavy_tests")
        detail = {r["employee_id"]: r for r in _dicts(conn, "select * from int_top_heavy_employee_results")}
        owed = conn.execute("select coalesce(sum(top_heavy_minimum), 0) from int_top_heavy_employee_results").fetchone()[0]
    finally:
        conn.close()
    row = test[0] if test else {}
    if row:
        row["total_minimum"] = owed
    return row, detail


def _dicts(conn, sql: str) -> list[dict[str, Any]]:
    cursor = conn.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def share(row: dict[str, Any]) -> Decimal:
    return Decimal(row["key_num"]) / Decimal(row["key_den"])


# A small employer on 2024-12-31, the determination date of 2025: a 5% owner and an officer paid
# above 2024's $220,000 hold $550,000 of $710,000 (77.5%): top-heavy for 2025.
EMPLOYER = [
    Member("OWNER", balance=400_000, determination_pay=300_000, owner_5pct=True, pay=350_000, deferral=23_500),
    Member("CFO", balance=150_000, determination_pay=250_000, officer=True, pay=260_000),
    Member("VP", balance=60_000, determination_pay=200_000, officer=True, pay=200_000, match=2_000),
    Member("N1", balance=50_000, determination_pay=55_000, pay=60_000, match=1_200),
    Member("N2", balance=30_000, determination_pay=40_000, pay=40_000),
    Member("N3", balance=20_000, determination_pay=45_000, pay=45_000, active_at_year_end=False),
]


def test_key_employees_holding_over_60_percent_make_the_plan_top_heavy(tmp_path):
    row, detail = run_top_heavy(tmp_path, EMPLOYER)
    assert row["method"] == "preceding_year_end"
    assert (row["key_num"], row["key_den"]) == (55_000_000, 71_000_000)  # cents
    assert row["is_top_heavy"] and not row["is_exempt"]
    assert (row["key_count"], row["non_key_count"]) == (2, 4)
    assert [detail[e]["key_employee_basis"] for e in ("OWNER", "CFO", "VP")] == ["owner_5pct", "officer", None]
    assert detail["OWNER"]["top_heavy_balance"] == Decimal("400000.00")


def test_minimum_is_3_percent_less_employer_contributions_to_non_keys_employed_at_year_end(tmp_path):
    # The owner defers 23,500 / 350,000 = 6.71% > 3%: the minimum is 3% (IRC 416(c)(2)(A)). The
    # match counts toward it (M-18): VP 6,000 - 2,000, N1 1,800 - 1,200; N2 gets 1,200; N3 left
    # during the year (M-10); key employees get none.
    row, detail = run_top_heavy(tmp_path, EMPLOYER)
    assert (row["min_num"], row["min_den"]) == (3, 100)
    owed = {e: detail[e]["top_heavy_minimum"] for e in detail}
    assert owed == {"OWNER": 0, "CFO": 0, "VP": Decimal("4000.00"), "N1": Decimal("600.00"),
                    "N2": Decimal("1200.00"), "N3": 0}
    assert row["total_minimum"] == Decimal("5800.00")


def test_minimum_is_the_highest_key_rate_when_below_3_percent(tmp_path):
    # The owner defers 2% (7,000 of 350,000), the officer nothing: 2% is owed (IRC 416(c)(2)(B)).
    members = [Member(**{**m.__dict__, "deferral": 7_000}) if m.employee_id == "OWNER" else m for m in EMPLOYER]
    row, detail = run_top_heavy(tmp_path, members)
    assert Decimal(row["min_num"]) / Decimal(row["min_den"]) == Decimal("0.02")
    assert detail["N1"]["top_heavy_minimum"] == 0            # 1,200 match = 2% of 60,000
    assert detail["N2"]["top_heavy_minimum"] == Decimal("800.00")
    assert detail["VP"]["top_heavy_minimum"] == Decimal("2000.00")


def test_catch_up_contributions_do_not_raise_the_key_rate(tmp_path):
    # 7,000 deferred, all of it catch-up: the key rate is 0%, so nothing is owed (Treas. Reg.
    # 1.414(v)-1(d)(3)(i)); the plan is still top-heavy.
    members = [Member(**{**m.__dict__, "deferral": 7_000, "catch_up": 7_000}) if m.employee_id == "OWNER" else m
               for m in EMPLOYER]
    row, _ = run_top_heavy(tmp_path, members)
    assert row["is_top_heavy"] and row["min_num"] == 0 and row["total_minimum"] == 0


def test_distributions_are_added_back_and_former_key_employees_left_out(tmp_path):
    # 2026: the VP was a key employee before and is not now (left out, IRC 416(g)(4)(B)); N3 was
    # paid $300,000 in 2025 when leaving (added back, 416(g)(3)): keys 550,000 of
    # 550,000 + 100,000 + 300,000 = 57.9%: not top-heavy.
    members = [Member(**{**m.__dict__, "was_key_employee": m.employee_id == "VP",
                         "prior_year_distribution": 300_000 if m.employee_id == "N3" else 0})
               for m in EMPLOYER]
    row, detail = run_top_heavy(tmp_path, members, year=2026, start_year=2025)
    assert detail["VP"]["former_key_employee"] and detail["VP"]["top_heavy_balance"] == 0
    assert detail["N3"]["top_heavy_balance"] == Decimal("320000.00")
    assert (row["key_num"], row["key_den"]) == (55_000_000, 95_000_000)
    assert not row["is_top_heavy"] and row["total_minimum"] == 0


def test_officers_count_only_up_to_the_greater_of_3_and_10_percent_of_employees(tmp_path):
    # 20 employees: at most 3 officers count (IRC 416(i)(1)(A)); the 3 best paid of 5 officers
    # above the 2024 amount are key employees, the other two not.
    officers = [Member(f"O{i}", balance=1_000, determination_pay=300_000 - i * 10_000, officer=True, pay=100_000)
                for i in range(5)]
    staff = [Member(f"S{i:02d}", balance=1_000, determination_pay=50_000, pay=50_000) for i in range(15)]
    _, detail = run_top_heavy(tmp_path, officers + staff)
    assert [detail[f"O{i}"]["is_key_employee"] for i in range(5)] == [True, True, True, False, False]


def test_one_percent_owners_are_key_employees_only_when_paid_over_150000(tmp_path):
    members = [Member("A", balance=1, determination_pay=150_000.01, owner_1pct=True),
               Member("B", balance=1, determination_pay=150_000, owner_1pct=True)]
    _, detail = run_top_heavy(tmp_path, members)
    assert (detail["A"]["key_employee_basis"], detail["B"]["is_key_employee"]) == ("owner_1pct", False)


def test_the_first_plan_year_is_determined_on_its_own_last_day(tmp_path):
    # ndt.first_plan_year: the determination date is 2025-12-31 and the 2025 pay decides (IRC
    # 416(g)(4)(C)(ii)): the officer paid $240,000 in 2025 (> $230,000) is key.
    members = [Member("CFO", balance=10_000, determination_pay=240_000, officer=True, pay=240_000),
               Member("N1", balance=5_000, determination_pay=50_000, pay=50_000)]
    row, detail = run_top_heavy(tmp_path, members, ndt={"first_plan_year": True})
    assert row["method"] == "first_plan_year_end"
    assert detail["CFO"]["is_key_employee"] and row["is_top_heavy"]


def _safe_harbor_basic() -> dict[str, Any]:
    no_conditions = {"minimum_tenure_years": 0, "require_active_at_year_end": False, "minimum_hours_annual": 0}
    return {"employer_match": {"active_formula": "safe_harbor_basic", "eligibility": no_conditions},
            "employer_core_contribution": {"enabled": False}}


def test_a_plan_of_deferrals_and_safe_harbor_match_only_is_exempt(tmp_path):
    row, _ = run_top_heavy(tmp_path, EMPLOYER, ndt={"safe_harbor": "basic_match"}, plan=_safe_harbor_basic())
    assert row["is_exempt"] and row["method"] == "safe_harbor" and row["safe_harbor_status"] == "qualified"
    assert row["total_minimum"] == 0 and row["is_top_heavy"]  # the share is still shown


def test_a_core_contribution_beside_a_safe_harbor_match_ends_the_exemption(tmp_path):
    plan = _safe_harbor_basic()
    plan["employer_core_contribution"] = {"enabled": True, "contribution_rate": 0.01}
    row, _ = run_top_heavy(tmp_path, EMPLOYER, ndt={"safe_harbor": "basic_match"}, plan=plan)
    assert not row["is_exempt"] and row["safe_harbor_status"] == "top_heavy_other_employer_contributions"
    assert row["total_minimum"] > 0


money = st.integers(min_value=0, max_value=50_000_000).map(lambda c: c / 100)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=st.lists(st.tuples(money, st.booleans(), money, money), min_size=1, max_size=6))
def test_the_key_share_is_a_fraction_and_the_minimum_never_negative_nor_owed_when_not_top_heavy(
        tmp_path_factory, people):
    members = [Member(f"P{i}", balance=balance, determination_pay=100_000, owner_5pct=key, pay=80_000,
                      deferral=deferral if key else 0, match=match)
               for i, (balance, key, deferral, match) in enumerate(people)]
    row, detail = run_top_heavy(tmp_path_factory.mktemp("th"), members)
    if row["key_den"]:
        assert 0 <= share(row) <= 1
        assert row["is_top_heavy"] == (share(row) > Decimal("0.6"))
    assert all(r["top_heavy_minimum"] >= 0 for r in detail.values())
    if not row["is_top_heavy"]:
        assert row["total_minimum"] == 0
