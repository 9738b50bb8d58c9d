"""HCE status, ADP/ACP results and `navigator ndt` on real simulations, and the safe-harbor rules.

Sources: IRC 414(q) (HCE: 5% owners, look-back pay, top-paid group), IRC 401(k)(12)-(13),
401(m)(11) and Treas. Reg. 1.401(k)-3, 1.401(m)-3 (safe harbors).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from navigator_orchestrator import cli
from navigator_orchestrator.config.safe_harbor import safe_harbor_status
from conftest import deep_merge
from navigator_orchestrator.config.schema import DEFAULT_CONFIG, ConfigError, load_config, parse_config
from navigator_orchestrator.engine.simulation import Simulation

NO_CONDITIONS = {"minimum_tenure_years": 0, "require_active_at_year_end": False, "minimum_hours_annual": 0}


def _owner_census(small_census: Path, tmp_path: Path) -> tuple[Path, str]:
    """The small census, pay x 2.5 (so more than 20% earn above the HCE threshold), with its
    lowest-paid active person marked a 5% owner."""
    out = tmp_path / "owners.parquet"
    with duckdb.connect() as conn:
        owner = conn.execute(
            f"select employee_id from read_parquet('{small_census}') where employee_termination_date is null "
            "order by employee_gross_compensation, employee_id limit 1").fetchone()[0]
        conn.execute(f"copy (select * replace (employee_gross_compensation * 2.5 as employee_gross_compensation), "
                     f"employee_id = '{owner}' as is_owner_5pct from read_parquet('{small_census}')) "
                     f"to '{out}' (format parquet)")
    return out, owner


@pytest.fixture(scope="module")
def owner_runs(tmp_path_factory, small_census) -> dict[str, Any]:
    """2025-2026 on a census with one 5% owner: without and with the top-paid group election."""
    directory = tmp_path_factory.mktemp("owners")
    census, owner = _owner_census(small_census, directory)
    runs: dict[str, Any] = {"owner": owner}
    for name, ndt in (("plain", {}), ("elected", {"top_paid_group": True})):
        data = deep_merge(yaml.safe_load(DEFAULT_CONFIG.read_text()), {
            "simulation": {"start_year": 2025, "end_year": 2026},
            "setup": {"census_parquet_path": str(census)}, "ndt": ndt})
        config = directory / f"{name}.yaml"
        config.write_text(yaml.safe_dump(data))
        db = directory / f"{name}.duckdb"
        Simulation(load_config(config), db, checkpoint_dir=directory / f"cp_{name}").run()
        runs[name] = (config, db)
    return runs


def test_a_five_percent_owner_is_an_hce_whatever_the_pay(owner_runs):
    _, db = owner_runs["plain"]
    owner = owner_runs["owner"]
    with duckdb.connect(str(db), read_only=True) as conn:
        snapshot = conn.execute("select simulation_year, is_hce from fct_workforce_snapshot where employee_id = ? "
                                "order by 1", [owner]).fetchall()
        basis = conn.execute("select distinct hce_basis from fct_ndt_employee_results where employee_id = ?",
                             [owner]).fetchall()
    assert snapshot == [(2025, True), (2026, True)]
    assert basis == [("owner_5pct",)]


def test_hces_by_pay_are_those_paid_above_last_years_threshold(owner_runs):
    _, db = owner_runs["plain"]
    with duckdb.connect(str(db), read_only=True) as conn:
        wrong = conn.execute("""
            select count(*) from fct_workforce_snapshot as s
            join fct_workforce_snapshot as p
              on p.employee_id = s.employee_id and p.simulation_year = s.simulation_year - 1
            join fct_ndt_employee_results as n
              on n.employee_id = s.employee_id and n.simulation_year = s.simulation_year and n.test = 'adp'
            where s.simulation_year = 2026 and coalesce(n.hce_basis, '') <> 'owner_5pct'
              and s.is_hce <> (p.prorated_annual_compensation > 160000)""").fetchone()[0]
        hces = conn.execute("select count(*) from fct_workforce_snapshot where simulation_year = 2026 and is_hce").fetchone()[0]
    assert wrong == 0  # 2025 threshold $160,000 (IRS Notice 2024-80) decides 2026
    assert hces > 1


def test_the_top_paid_group_election_keeps_hces_by_pay_within_20_percent(owner_runs):
    counts = {}
    for name in ("plain", "elected"):
        with duckdb.connect(str(owner_runs[name][1]), read_only=True) as conn:
            counts[name] = conn.execute(
                "select count(*) from fct_ndt_employee_results where simulation_year = 2026 and test = 'adp' "
                "and hce_basis = 'compensation'").fetchone()[0]
            prior = conn.execute("select count(*) from fct_workforce_snapshot where simulation_year = 2025").fetchone()[0]
    assert counts["elected"] <= 0.2 * prior
    assert counts["elected"] < counts["plain"]


def test_navigator_ndt_prints_every_year_and_test(owner_runs, capsys):
    config, db = owner_runs["plain"]
    assert cli.main(["ndt", "-c", str(config), "--database", str(db)]) == 0
    out = capsys.readouterr().out
    assert "ADP/ACP tests, scenario baseline" in out
    for year in ("2025", "2026"):
        assert year in out
    assert "ADP" in out and "ACP" in out and "current_year" in out


def test_navigator_ndt_names_a_design_without_results_and_why(owner_runs, tmp_path, capsys):
    config, db = owner_runs["plain"]
    data = yaml.safe_load(config.read_text())
    data["plan_designs"] = {"tests_off": {"ndt": {"enabled": False}},
                            "not_run": {"employer_core_contribution": {"contribution_rate": 0.02}}}
    more = tmp_path / "more.yaml"
    more.write_text(yaml.safe_dump(data))
    assert cli.main(["ndt", "-c", str(more), "--database", str(db)]) == 0
    out = capsys.readouterr().out
    assert "Design tests_off: no ADP/ACP or top-heavy results: its tests are off (ndt.enabled: false)" in out
    assert ("Design not_run: no ADP/ACP or top-heavy results: the database holds no results for it; "
            "run it with `navigator run --plan-designs not_run`") in out
    assert "Design standard_401k" not in out


def test_navigator_ndt_shows_the_top_heavy_test_in_words(owner_runs, capsys):
    config, db = owner_runs["plain"]
    assert cli.main(["ndt", "-c", str(config), "--database", str(db)]) == 0
    out = capsys.readouterr().out
    assert "Top-heavy test (IRC 416), scenario baseline" in out
    with duckdb.connect(str(db), read_only=True) as conn:
        rows = conn.execute("select simulation_year, hce_average, passed, corrective_amount from fct_ndt_results "
                            "where test = 'top_heavy' order by 1").fetchall()
        owner = conn.execute("select distinct is_key_employee, key_employee_basis from fct_ndt_employee_results "
                             "where test = 'top_heavy' and employee_id = ?", [owner_runs["owner"]]).fetchall()
    assert [r[0] for r in rows] == [2025, 2026] and rows[1][1] is not None  # 2026 counts 2025's balances
    assert owner == [(True, "owner_5pct")]  # a 5% owner is a key employee (IRC 416(i)(1)(A)(ii))
    for year, held, passed, owed in rows:
        line = next(line for line in out.splitlines() if line.startswith(f"  standard_401k {year}: top-heavy: "))
        assert (f"key employees hold {float(held):.2%} of the balances (limit 60%)" if held is not None
                else "no account balances to count (limit 60%)") in line
        assert f"determined on {year - 1}-12-31" in line
        assert ("not top-heavy" in line) == passed
        assert passed or f"minimum contribution owed ${float(owed):,.2f}" in line


def test_a_database_written_before_the_key_employee_columns_is_refused_with_the_fix(owner_runs, tmp_path, capsys):
    from conftest import copy_database

    config, db = owner_runs["plain"]
    old = copy_database(db, tmp_path / "old.duckdb")
    with duckdb.connect(str(old)) as conn:
        conn.execute("delete from fct_ndt_employee_results where test = 'top_heavy'")
        for column in ("is_key_employee", "key_employee_basis", "former_key_employee", "top_heavy_balance",
                       "top_heavy_minimum"):
            conn.execute(f"alter table fct_ndt_employee_results drop column {column}")
        before = conn.execute("select count(*) from fct_ndt_employee_results").fetchone()[0]
    assert cli.main(["run", "-c", str(config), "--database", str(old), "--years", "2026-2026"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and len(err.strip().splitlines()) == 1
    assert "written by an earlier version" in err and "new --database" in err
    with duckdb.connect(str(old), read_only=True) as conn:
        assert conn.execute("select count(*) from fct_ndt_employee_results").fetchone()[0] == before


def test_navigator_ndt_on_a_database_from_before_the_top_heavy_test_says_it_is_missing(owner_runs, tmp_path, capsys):
    from conftest import copy_database

    config, db = owner_runs["plain"]
    old = copy_database(db, tmp_path / "old.duckdb")
    with duckdb.connect(str(old)) as conn:
        conn.execute("delete from fct_ndt_results where test = 'top_heavy'")
    assert cli.main(["ndt", "-c", str(config), "--database", str(old)]) == 0
    out = capsys.readouterr().out
    assert "ADP/ACP tests" in out
    assert ("Design standard_401k: no top-heavy results: the database was written by an earlier version, "
            "before the top-heavy test") in out


def test_navigator_ndt_refuses_a_year_without_results_and_a_missing_database(owner_runs, tmp_path, capsys):
    config, db = owner_runs["plain"]
    assert cli.main(["ndt", "-c", str(config), "--database", str(db), "--year", "2031"]) == 1
    assert capsys.readouterr().err.startswith("Error: no ADP/ACP or top-heavy results for scenario 'baseline' in 2031")
    assert cli.main(["ndt", "-c", str(config), "--database", str(tmp_path / "none.duckdb")]) == 1
    assert "Error: no database at" in capsys.readouterr().err


def test_a_first_plan_year_with_prior_year_averages_is_refused(make_config, capsys):
    config = make_config({"ndt": {"first_plan_year": True, "prior_year_nhce_adp": 0.03}})
    assert cli.main(["validate", "-c", str(config)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and "first_plan_year" in err and "no prior year" in err


# ----- safe harbor rules (pure) ---------------------------------------------------------------

def _status(tmp_path, **sections):
    return safe_harbor_status(parse_config(sections, tmp_path))


def test_basic_safe_harbor_match_exempts_adp_and_acp(tmp_path):
    s = _status(tmp_path, ndt={"safe_harbor": "basic_match"},
                employer_match={"active_formula": "safe_harbor_basic", "eligibility": NO_CONDITIONS})
    assert (s.adp, s.acp) == ("qualified", "qualified")


def test_enhanced_match_of_100_percent_of_4_percent_qualifies(tmp_path):
    s = _status(tmp_path, ndt={"safe_harbor": "enhanced_match"},
                employer_match={"active_formula": "enhanced_safe_harbor", "eligibility": NO_CONDITIONS})
    assert (s.adp, s.acp) == ("qualified", "qualified")


def test_a_stretch_match_is_below_the_basic_formula(tmp_path):
    s = _status(tmp_path, ndt={"safe_harbor": "enhanced_match"},
                employer_match={"active_formula": "stretch_match", "eligibility": NO_CONDITIONS})
    assert s.adp == "match_below_basic" and s.problems


def test_a_match_on_deferrals_above_6_percent_keeps_the_acp_test(tmp_path):
    generous = {"name": "100% of 4% + 50% to 8%", "max_match_percentage": 0.06, "tiers": [
        {"tier": 1, "employee_min": 0.0, "employee_max": 0.04, "match_rate": 1.0},
        {"tier": 2, "employee_min": 0.04, "employee_max": 0.08, "match_rate": 0.5}]}
    s = _status(tmp_path, ndt={"safe_harbor": "enhanced_match"},
                employer_match={"active_formula": "generous", "formulas": {"generous": generous},
                                "eligibility": NO_CONDITIONS})
    assert (s.adp, s.acp) == ("qualified", "match_above_6_percent_of_pay")


def test_a_last_day_rule_disqualifies_a_safe_harbor_match(tmp_path):
    s = _status(tmp_path, ndt={"safe_harbor": "basic_match"}, employer_match={"active_formula": "safe_harbor_basic"})
    assert s.adp == "match_allocation_conditions"


def test_nonelective_safe_harbor_needs_3_percent_core_for_everyone(tmp_path):
    two = _status(tmp_path, ndt={"safe_harbor": "nonelective"},
                  employer_core_contribution={"contribution_rate": 0.02, "eligibility": NO_CONDITIONS})
    three = _status(tmp_path, ndt={"safe_harbor": "nonelective"}, employer_match={"enabled": False},
                    employer_core_contribution={"contribution_rate": 0.03, "eligibility": NO_CONDITIONS})
    assert two.adp == "core_below_3_percent"
    assert (three.adp, three.acp) == ("qualified", "no_match")


def test_a_qaca_needs_automatic_enrollment_that_reaches_6_percent(tmp_path):
    qaca_match = {"active_formula": "qaca_safe_harbor", "eligibility": NO_CONDITIONS}
    low = _status(tmp_path, ndt={"safe_harbor": "qaca_match"}, employer_match=qaca_match,
                  enrollment={"auto_enrollment": {"default_deferral_rate": 0.03}},
                  deferral_auto_escalation={"enabled": False})
    ok = _status(tmp_path, ndt={"safe_harbor": "qaca_match"}, employer_match=qaca_match,
                 enrollment={"auto_enrollment": {"default_deferral_rate": 0.06}})
    assert low.adp == "qaca_escalation_short_of_6_percent"
    assert ok.adp == "qualified"


def test_config_error_for_an_unknown_safe_harbor_type(tmp_path):
    with pytest.raises(ConfigError, match="ndt.safe_harbor"):
        parse_config({"ndt": {"safe_harbor": "basic"}}, tmp_path)


def test_the_html_report_shows_the_tests(owner_runs, tmp_path):
    config, db = owner_runs["plain"]
    out = tmp_path / "report.html"
    assert cli.main(["report", "-c", str(config), "--database", str(db), "--out", str(out)]) == 0
    html = out.read_text()
    section = html[html.index("Nondiscrimination and top-heavy tests"):html.index("<h2>Data quality")]
    assert section.count("<td class=\"\">ADP</td>") == 2 and section.count("<td class=\"\">ACP</td>") == 2
    assert "Top-heavy test (IRC 416)" in section and all(f"standard_401k {y}: top-heavy: " in section for y in (2025, 2026))
    assert "docs/ndt.md" in section
