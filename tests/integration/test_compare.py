"""`navigator compare`: designs side by side from fct_plan_year_summary, checked against sums over
the fct_* tables written independently; variance rows; the Excel file; the HTML report in a browser;
bad input refused in one line with nothing written."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from decimal import Decimal
from html import escape
from pathlib import Path

import duckdb
import pytest
import yaml

from conftest import copy_database, deep_merge
from navigator_orchestrator.cli import main
from navigator_orchestrator.config.schema import DEFAULT_CONFIG, load_config
from navigator_orchestrator.engine.simulation import Simulation
from navigator_orchestrator.reporting.compare import COLUMNS

BASE, RICH, LEAN = "standard_401k", "safe_harbor", "no_core"
DESIGNS = {
    RICH: {"employer_match": {"active_formula": "safe_harbor_basic"},
           "enrollment": {"auto_enrollment": {"default_deferral_rate": 0.04}}},
    LEAN: {"employer_core_contribution": {"enabled": False}},
}


@pytest.fixture(scope="module")
def compared(tmp_path_factory, small_census):
    root = tmp_path_factory.mktemp("compare")
    data = deep_merge(yaml.safe_load(DEFAULT_CONFIG.read_text()), {
        "simulation": {"start_year": 2025, "end_year": 2026},
        "setup": {"census_parquet_path": str(small_census)}, "plan_designs": DESIGNS})
    config = root / "config.yaml"
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    db = root / "sim.duckdb"
    Simulation(load_config(config), db, checkpoint_dir=root / "cp").run()
    return {"root": root, "config": config, "db": db}


def compare(compared, *extra: str) -> int:
    return main(["compare", "-c", str(compared["config"]), "--database", str(compared["db"]), *extra])


def sums(db: Path) -> dict[tuple[str, int], dict[str, Decimal]]:
    """Per design and year, straight from the published rows."""
    with duckdb.connect(str(db), read_only=True) as conn:
        rows = conn.execute("""
            select plan_design_id, simulation_year, sum(prorated_annual_contributions), sum(employer_match_amount),
                   sum(employer_core_amount), sum(prorated_annual_compensation),
                   count(*) filter (where employment_status = 'active' and is_enrolled_flag),
                   count(*) filter (where employment_status = 'active' and is_eligible),
                   count(*) filter (where employment_status = 'active' and is_eligible and is_enrolled_flag)
            from fct_workforce_snapshot group by all""").fetchall()
        events = dict(((d, y), a) for d, y, a in conn.execute(
            "select plan_design_id, simulation_year, sum(amount) from fct_employer_match_events group by all").fetchall())
    out = {}
    for design, year, ee, match, core, pay, participants, eligible, eligible_part in rows:
        assert events[(design, year)] == match  # the match events agree with the snapshot
        out[(design, year)] = dict(employee_deferrals=ee, employer_match=match, employer_core=core,
                                   employer_cost=match + core, pay=pay, participants=participants,
                                   eligible=eligible, eligible_participants=eligible_part)
    return out


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open() as fh:
        return list(csv.DictReader(fh))


def test_compare_csv_equals_sums_over_the_published_tables(compared, tmp_path):
    out = tmp_path / "cmp.csv"
    assert compare(compared, "--out", str(out)) == 0
    rows = read_csv(out)
    assert list(rows[0]) == COLUMNS
    assert [(r["plan_design_id"], r["simulation_year"]) for r in rows] == [
        (d, y) for d in (BASE, RICH, LEAN) for y in ("2025", "2026", "total")]
    expected = sums(compared["db"])
    for r in rows:
        assert r["scenario_id"] == "baseline"
        years = [2025, 2026] if r["simulation_year"] == "total" else [int(r["simulation_year"])]
        e = {k: sum(expected[(r["plan_design_id"], y)][k] for y in years) for k in expected[(BASE, 2025)]}
        for column in ("employee_deferrals", "employer_match", "employer_core", "employer_cost"):
            assert Decimal(r[column]) == e[column], (r["plan_design_id"], r["simulation_year"], column)
        assert float(r["employer_cost_pct_of_pay"]) == pytest.approx(float(e["employer_cost"] / e["pay"]), abs=1e-6)
        assert float(r["participation_rate"]) == pytest.approx(e["eligible_participants"] / e["eligible"], abs=1e-6)
        per = (e["employer_cost"] / e["participants"]).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
        assert Decimal(r["employer_cost_per_participant"]) == per
    lean = {r["simulation_year"]: r for r in rows if r["plan_design_id"] == LEAN}
    assert all(Decimal(r["employer_core"]) == 0 for r in lean.values())


def test_variance_rows_are_each_design_minus_the_baseline_of_the_same_year(compared, tmp_path):
    out = tmp_path / "cmp.csv"
    assert compare(compared, "--out", str(out), "--baseline", RICH, "--years", "2026") == 0
    rows = {(r["plan_design_id"], r["simulation_year"]): r for r in read_csv(out)}
    assert set(rows) == {(d, y) for d in (BASE, RICH, LEAN) for y in ("2026", "total")}
    for (design, year), r in rows.items():
        base = Decimal(rows[(RICH, year)]["employer_cost"])
        if design == RICH:
            assert r["employer_cost_vs_baseline"] == "" and r["employer_cost_vs_baseline_pct"] == ""
            continue
        diff = Decimal(r["employer_cost"]) - base
        assert Decimal(r["employer_cost_vs_baseline"]) == diff
        assert float(r["employer_cost_vs_baseline_pct"]) == pytest.approx(float(diff / base), abs=1e-6)
    assert Decimal(rows[(LEAN, "2026")]["employer_cost_vs_baseline"]) < 0


def test_excel_has_one_sheet_per_view_with_numbers_not_text(compared, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "cmp.xlsx"
    assert compare(compared, "--out", str(out)) == 0
    book = load_workbook(out)
    assert book.sheetnames == ["comparison", "gain_loss", "ndt"]
    sheet = book["comparison"]
    header = [c.value for c in sheet[1]]
    assert header == COLUMNS
    first = {h: c for h, c in zip(header, sheet[2])}
    assert isinstance(first["employer_cost"].value, float) and "$" in first["employer_cost"].number_format
    assert isinstance(first["participation_rate"].value, float) and first["participation_rate"].number_format == "0.00%"
    years = [row[header.index("simulation_year")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert all(isinstance(y, int) for y in years if y != "total") and "total" in years
    csv_out = tmp_path / "cmp.csv"
    assert compare(compared, "--out", str(csv_out)) == 0
    for row, cells in zip(read_csv(csv_out), sheet.iter_rows(min_row=2)):
        assert float(row["employer_cost"]) == pytest.approx(cells[header.index("employer_cost")].value, abs=0.005)
    gains = book["gain_loss"]
    gl_header = [c.value for c in gains[1]]
    assert gl_header[:3] == ["plan_design_id", "dimension", "band"]
    values = list(gains.iter_rows(min_row=2, values_only=True))
    assert {v[0] for v in values} == {RICH, LEAN}
    assert {v[1] for v in values} == {"age band", "tenure band", "pay band", "HCE status"}


def test_gain_loss_counts_every_employee_once_per_dimension(compared, capsys):
    from navigator_orchestrator.reporting.compare import load_comparison

    with duckdb.connect(str(compared["db"]), read_only=True) as conn:
        c = load_comparison(conn, "baseline", [BASE, RICH, LEAN], BASE)
        people = conn.execute("select count(distinct employee_id) from fct_workforce_snapshot "
                              "where plan_design_id = ?", [BASE]).fetchone()[0]
    for design in (RICH, LEAN):
        for dim in ("age band", "tenure band", "pay band", "HCE status"):
            rows = [r for r in c.gain_loss if r["plan_design_id"] == design and r["dimension"] == dim]
            assert sum(r["employees"] for r in rows) == people
            assert all(r["better_off"] + r["worse_off"] + r["unchanged"] == r["employees"] for r in rows)
    # Without core, nobody gains employer money: everyone is worse off or unchanged.
    assert all(r["better_off"] == 0 for r in c.gain_loss if r["plan_design_id"] == LEAN)
    assert compare(compared) == 0
    out = capsys.readouterr().out
    assert "Who gains and who loses: no_core vs standard_401k" in out and "vs baseline" in out
    assert "│ no_core" in out and "│ total" in out


def _chromium() -> str | None:
    return next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None)


def test_html_report_names_designs_in_plain_words_and_prints_without_cut_columns(compared, tmp_path):
    out = tmp_path / "cmp.html"
    assert compare(compared, "--out", str(out)) == 0
    html = out.read_text()
    assert "Employer match (Safe harbor basic: 100% of 3% + 50% of the next 2%)" in html
    assert "Employer core contribution: none." in html and "Auto-enrollment:" in html
    assert re.search(r"of pay each year on (January|February|March|April|May|June|July|August|September|October"
                     r"|November|December) \d{1,2}, up to", html)  # a date in words, not MM-DD
    assert html.count('<svg class="chart"') == 4 and "Who gains and who loses" in html
    assert "Appendix: data quality" in html
    assert str(compared["root"]) not in html and "/tmp/" not in html  # no machine paths
    assert not re.search(r"https?://|<link|\bsrc=", html)
    browser = _chromium()
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install chromium); the browser check did not run")
    common = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}"]
    # A4 landscape less the 12 mm margins, at 96 px per inch: the width the printed page offers.
    dom = subprocess.run([*common, "--window-size=1032,700", "--dump-dom", out.as_uri()],
                         capture_output=True, text=True, timeout=120)
    body = re.search(r"<body[^>]*>", dom.stdout)
    assert body, dom.stderr[-2000:]
    assert 'data-charts-drawn="4"' in body.group(0)
    assert 'data-overflow-px="0"' in body.group(0), body.group(0)
    pdf = tmp_path / "cmp.pdf"
    printed = subprocess.run([*common, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", out.as_uri()],
                             capture_output=True, text=True, timeout=120)
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000, printed.stderr[-2000:]


@pytest.mark.parametrize("args, message", [
    (["--baseline", "nope"], "--baseline 'nope' names no design of the config"),
    (["--years", "2027-2028"], "years 2027-2028 are not published for every design"),
    (["--out", "x.pdf"], "write .csv, .xlsx or .html"),
    (["--out", "missing_dir/x.csv"], "folder missing_dir does not exist"),
])
def test_bad_compare_requests_are_refused_in_one_line(compared, args, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = compared["db"].read_bytes()
    assert compare(compared, *args) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and message in err and len(err.strip().splitlines()) == 1
    assert compared["db"].read_bytes() == before and not list(tmp_path.iterdir())


def test_compare_on_a_database_without_the_designs_is_refused(compared, tmp_path, small_census, capsys):
    other = tmp_path / "other.yaml"
    data = yaml.safe_load(compared["config"].read_text())
    data["plan_designs"] = {"unheard_of": {"employer_core_contribution": {"contribution_rate": 0.05}}}
    other.write_text(yaml.safe_dump(data))
    out = tmp_path / "x.csv"
    assert main(["compare", "-c", str(other), "--database", str(compared["db"]), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "holds no published years of design(s) unheard_of for scenario 'baseline'" in err
    assert f"); run `navigator run -c {other} --database {compared['db']}` first" in err
    assert "  " not in err
    assert not out.exists()


def test_compare_with_another_scenarios_config_names_the_scenario_the_database_holds(compared, tmp_path, capsys):
    other = tmp_path / "other.yaml"
    data = yaml.safe_load(compared["config"].read_text())
    data["scenario_id"] = "not_this_one"
    other.write_text(yaml.safe_dump(data))
    assert main(["compare", "-c", str(other), "--database", str(compared["db"])]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and len(err.strip().splitlines()) == 1
    assert "for scenario 'not_this_one' (designs there: none)" in err
    assert f"it holds scenario 'baseline' (designs {', '.join(sorted([BASE, RICH, LEAN]))})" in err
    assert "pass -c with the config that names that scenario" in err


def test_compare_shows_every_designs_adp_acp_and_top_heavy_results_and_corrections(compared, tmp_path, capsys):
    from navigator_orchestrator.reporting.compare import load_comparison

    with duckdb.connect(str(compared["db"]), read_only=True) as conn:
        c = load_comparison(conn, "baseline", [BASE, RICH, LEAN], BASE)
        published = conn.execute("select plan_design_id, simulation_year::varchar, test, method, passed, "
                                 "corrective_amount from fct_ndt_results").fetchall()
    assert len(c.ndt) == len(published) == 3 * 2 * 3  # designs x years x (adp, acp, top_heavy)
    expected = {(d, y, t): ("exempt" if m == "safe_harbor" else
                            ("not top-heavy" if p else "top-heavy") if t == "top_heavy" else "pass" if p else "fail", a)
                for d, y, t, m, p, a in published}
    assert {(r["plan_design_id"], r["simulation_year"], r["test"]): (r["result"], r["corrective_amount"])
            for r in c.ndt} == expected
    assert [r["plan_design_id"] for r in c.ndt] == sorted((r["plan_design_id"] for r in c.ndt),
                                                          key=[BASE, RICH, LEAN].index)
    assert [r["test"] for r in c.ndt[:3]] == ["adp", "acp", "top_heavy"]
    heavy = [r for r in c.ndt if r["test"] == "top_heavy"]
    assert all(r["in_words"].startswith("top-heavy: ") and "(limit 60%)" in r["in_words"] for r in heavy)
    assert compare(compared) == 0
    out = capsys.readouterr().out
    assert "Nondiscrimination tests (ADP, ACP)" in out and "Top-heavy (IRC 416)" in out
    assert all(f"{r['plan_design_id']} {r['simulation_year']}: {r['in_words']}" in out for r in heavy)
    html, book = tmp_path / "cmp.html", tmp_path / "cmp.xlsx"
    assert compare(compared, "--out", str(html)) == 0 and compare(compared, "--out", str(book)) == 0
    text = html.read_text()
    assert "<h2>Nondiscrimination and top-heavy tests (ADP, ACP, top-heavy)</h2>" in text
    failed = sum(1 for r in c.ndt if r["result"] == "fail")
    assert f"{failed} of 12 ADP/ACP tests fail" in text
    assert all(escape(r["in_words"]) in text for r in c.ndt)
    from openpyxl import load_workbook

    sheet = load_workbook(book)["ndt"]
    header = [c.value for c in sheet[1]]
    assert sheet.max_row == 1 + 18 and header[:4] == ["plan_design_id", "simulation_year", "test", "result"]
    assert "safe_harbor_status" in header and header[-1] == "in_words"
    assert all(isinstance(row[1], int) for row in sheet.iter_rows(min_row=2, values_only=True))


def test_navigator_ndt_lists_the_designs_in_the_config_order_baseline_first(compared, capsys):
    assert main(["ndt", "-c", str(compared["config"]), "--database", str(compared["db"])]) == 0
    out = capsys.readouterr().out
    words = out[out.index("In words:"):]
    first = [words.index(f"  {d} 2025: ADP") for d in (BASE, RICH, LEAN)]
    assert first == sorted(first)  # standard_401k, safe_harbor, no_core: not alphabetical


def test_testing_options_not_applied_as_asked_are_stated_in_every_output(compared, tmp_path, capsys):
    # The models state them in the row (tests/integration/test_ndt.py): prior-year testing of the
    # first simulated year without the deemed 3% or a stated average runs current-year
    # (current_year_no_prior_year_data); an ACP safe harbor claimed on a match that does not meet
    # it is tested, the reason in safe_harbor_status. Every output says so in words.
    db = copy_database(compared["db"], tmp_path / "stated.duckdb")
    with duckdb.connect(str(db)) as conn:
        conn.execute("update fct_ndt_results set method = 'current_year_no_prior_year_data' "
                     "where plan_design_id = ? and test = 'adp' and simulation_year = 2025", [LEAN])
        conn.execute("update fct_ndt_results set safe_harbor_status = 'match_above_6_percent_of_pay', "
                     "safe_harbor = 'enhanced_match' where plan_design_id = ? and test = 'acp' and simulation_year = 2025",
                     [RICH])
    prior = "prior-year testing asked for, but the year before the first simulated year has no NHCE average"
    unmet = "the safe harbor claimed is not met (the match applies to deferrals above 6% of pay)"
    args = ["-c", str(compared["config"]), "--database", str(db)]
    assert main(["ndt", *args]) == 0
    out = capsys.readouterr().out
    assert f"{LEAN} 2025: ADP: " in out and prior in out and unmet in out
    html, book = tmp_path / "c.html", tmp_path / "c.xlsx"
    assert main(["compare", *args]) == 0
    out = capsys.readouterr().out
    assert prior in out and unmet in out
    assert main(["compare", *args, "--out", str(html)]) == 0 and main(["compare", *args, "--out", str(book)]) == 0
    assert escape(prior) in html.read_text() and escape(unmet) in html.read_text()
    # Each design's own HTML report states its own.
    for design, stated in ((LEAN, prior), (RICH, unmet)):
        report = tmp_path / f"r_{design}.html"
        assert main(["report", *args, "--plan-design", design, "--out", str(report)]) == 0
        assert escape(stated) in report.read_text()
    from openpyxl import load_workbook

    cells = [str(c) for row in load_workbook(book)["ndt"].iter_rows(values_only=True) for c in row]
    assert any(prior in c for c in cells) and any(unmet in c for c in cells)


def test_a_design_without_test_results_is_named_not_left_out_silently(compared, tmp_path, capsys):
    # A design simulated with ndt.enabled: false has no fct_ndt_results rows: compare says so.
    db = copy_database(compared["db"], tmp_path / "untested.duckdb")
    with duckdb.connect(str(db)) as conn:
        conn.execute("delete from fct_ndt_results where plan_design_id = ?", [LEAN])
    args = ["-c", str(compared["config"]), "--database", str(db)]
    note = f"No nondiscrimination or top-heavy results for {LEAN} in 2025-2026: ndt.enabled was false"
    assert main(["compare", *args]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert note in out
    html, book = tmp_path / "c.html", tmp_path / "c.xlsx"
    assert main(["compare", *args, "--out", str(html)]) == 0 and main(["compare", *args, "--out", str(book)]) == 0
    assert escape(note) in html.read_text()
    from openpyxl import load_workbook

    rows = list(load_workbook(book)["ndt"].iter_rows(min_row=2, values_only=True))
    assert [r for r in rows if r[0] == LEAN] == [(LEAN, None, None, "not tested", *[None] * 7, note + rows[-1][-1][len(note):])]
    assert main(["compare", "-c", str(compared["config"]), "--database", str(compared["db"])]) == 0
    assert "No nondiscrimination or top-heavy results" not in capsys.readouterr().out
    # A design's own HTML report shows its own test results only, or says it has none.
    own, untested = tmp_path / "own.html", tmp_path / "lean.html"
    assert main(["report", *args, "--plan-design", RICH, "--out", str(own)]) == 0
    assert main(["report", *args, "--plan-design", LEAN, "--out", str(untested)]) == 0
    text = own.read_text()
    assert f'<td class="">{RICH}</td>' in text and f'<td class="">{BASE}</td>' not in text
    text = untested.read_text()
    assert f"No nondiscrimination or top-heavy results for {LEAN}: ndt.enabled was false" in text
    assert f'<td class="">{RICH}</td>' not in text and f'<td class="">{BASE}</td>' not in text


def _edited(compared, tmp_path, edit) -> Path:
    data = yaml.safe_load(compared["config"].read_text())
    edit(data)
    path = tmp_path / "edited.yaml"
    path.write_text("# edited after the run\n" + yaml.safe_dump(data, sort_keys=False))
    return path


def test_compare_refuses_a_design_whose_definition_changed_since_its_run(compared, tmp_path, capsys):
    # The HTML report would describe the new formula next to the figures of the old one.
    config = _edited(compared, tmp_path, lambda d: d["plan_designs"][RICH]["employer_match"].update(
        active_formula="stretch_match"))
    out = tmp_path / "cmp.html"
    assert main(["compare", "-c", str(config), "--database", str(compared["db"]), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and len(err.strip().splitlines()) == 1
    assert f"holds design(s) {RICH} built from another definition than {config} gives" in err
    assert str(compared["db"]) in err and f"--plan-designs {RICH}`" in err
    assert "or compare with the config that built them" in err
    assert not out.exists()


def test_compare_accepts_a_config_edited_outside_the_designs(compared, tmp_path, capsys):
    # Comments, the backup and data-quality sections and the years change no design.
    def edit(data):
        data["setup"]["backup"]["keep"] = 5
        data["data_quality"]["max_headcount_change"] = 0.3
        data["simulation"]["end_year"] = 2030
    config = _edited(compared, tmp_path, edit)
    assert main(["compare", "-c", str(config), "--database", str(compared["db"]), "--out", str(tmp_path / "c.csv")]) == 0
    assert capsys.readouterr().err == ""


def test_compare_on_a_database_without_design_hashes_warns_in_one_line(compared, tmp_path, capsys):
    # A run log written by an earlier version records no design hash: the check cannot be made.
    db = copy_database(compared["db"], tmp_path / "earlier.duckdb")
    with duckdb.connect(str(db)) as conn:
        conn.execute("alter table int_simulation_run_log drop column design_hash")
    config = _edited(compared, tmp_path, lambda d: d["plan_designs"][RICH]["employer_match"].update(
        active_formula="stretch_match"))
    assert main(["compare", "-c", str(config), "--database", str(db), "--out", str(tmp_path / "c.csv")]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"Warning: {db} does not record which definition of design(s) "
                                               f"{BASE}, {RICH}, {LEAN}")


def _scaled(comparison, factor: int):
    """The comparison with every dollar figure `factor` times larger (a company that size)."""
    from dataclasses import replace

    from navigator_orchestrator.reporting.compare import MONEY

    def scale(row):
        return {k: v * factor if k in MONEY | {"mean_change", "total_change"} and v is not None else v
                for k, v in row.items()}
    return replace(comparison, rows=[scale(r) for r in comparison.rows],
                   gain_loss=[scale(r) for r in comparison.gain_loss], ndt=[scale(r) for r in comparison.ndt])


@pytest.mark.parametrize("width", [120, 160])
def test_console_tables_show_every_number_and_design_id_whole(compared, width):
    import io

    from rich.console import Console

    from navigator_orchestrator.reporting.compare import GAIN_COLUMNS, NDT_COLUMNS, load_comparison
    from navigator_orchestrator.reporting.compare_output import cell_text, print_console
    from navigator_orchestrator.reporting.ndt import _money, _pct, load_ndt, print_ndt

    with duckdb.connect(str(compared["db"]), read_only=True) as conn:
        comparison = load_comparison(conn, "baseline", [BASE, RICH, LEAN], BASE)
        ndt = load_ndt(conn, "baseline", None, [BASE, RICH, LEAN])
    for shown in (comparison, _scaled(comparison, 1000)):
        buffer = io.StringIO()
        print_console(shown, console=Console(file=buffer, width=width, color_system=None))
        lines = buffer.getvalue().splitlines()
        tables = [line for line in lines if line[:1] in "┏┃┡│├└"]
        assert tables and max(map(len, tables)) <= width
        cells = {line_cell.strip() for line in tables for line_cell in line.strip("┃│").split("│" if "│" in line else "┃")}
        wanted = {cell_text(c, r[c]) for r in shown.rows for c in COLUMNS[1:]}
        wanted |= {cell_text(c, r[c]) for r in shown.gain_loss for c in GAIN_COLUMNS[1:]}
        wanted |= {cell_text(c, r[c]) for r in shown.ndt for c in NDT_COLUMNS if c != "in_words"}
        assert wanted - {""} <= cells  # every figure and id a whole cell, none cut across lines
    buffer = io.StringIO()
    print_ndt(ndt, console=Console(file=buffer, width=width, color_system=None))
    tables = [line for line in buffer.getvalue().splitlines() if line[:1] in "┏┃┡│├└"]
    assert max(map(len, tables)) <= width
    cells = {cell.strip() for line in tables for cell in line.strip("┃│").split("│" if "│" in line else "┃")}
    assert {BASE, RICH, LEAN} <= cells
    assert {_pct(r["hce_average"]) for r in ndt.results} | {_money(r["corrective_amount"]) for r in ndt.results} <= cells
