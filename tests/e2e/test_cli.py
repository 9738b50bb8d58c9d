"""The `navigator` program end to end, as a user runs it (separate process, any working directory)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from conftest import navigator, query, write_scenario


def test_run_prints_a_summary_per_year_and_continues_a_range(tmp_path, make_config):
    config = make_config({"simulation": {"end_year": 2026}})
    db = tmp_path / "out" / "sim.duckdb"
    first = navigator("run", "-c", str(config), "--database", str(db), "--years", "2025-2025", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "2025: actives" in first.stdout and "growth" in first.stdout and "hires" in first.stdout
    # The program leaves without Python's module teardown: output complete, exit handlers run.
    assert first.stdout.rstrip().splitlines()[-1].startswith("Reports: ")
    assert "leaked" not in first.stderr and "Traceback" not in first.stderr, first.stderr

    # A range that starts after the census year continues from the published previous year.
    second = navigator("run", "-c", str(config), "--database", str(db), "--start-year", "2026",
                       "--end-year", "2026", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert query(db, "select distinct simulation_year from fct_workforce_snapshot order by 1") == [(2025,), (2026,)]


def test_run_refuses_a_range_with_no_previous_year(tmp_path, make_config):
    config = make_config({"simulation": {"end_year": 2027}})
    proc = navigator("run", "-c", str(config), "--database", str(tmp_path / "x.duckdb"),
                     "--years", "2026-2027", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1].startswith("Error: year 2026 starts from year 2025's snapshot")


def test_census_generate_then_validate(tmp_path):
    out = tmp_path / "c.csv"
    gen = navigator("census", "generate", "--employees", "150", "--seed", "3", "--out", str(out), cwd=tmp_path)
    assert gen.returncode == 0, gen.stderr
    ok = navigator("census", "validate", str(out), "--census-date", "2024-12-31", cwd=tmp_path)
    assert ok.returncode == 0 and "Census OK: 150 rows" in ok.stdout


def test_census_validate_names_each_problem(tmp_path):
    out = tmp_path / "c.parquet"
    navigator("census", "generate", "--employees", "100", "--seed", "3", "--out", str(out), cwd=tmp_path)
    bad = tmp_path / "bad.parquet"
    with duckdb.connect() as conn:
        conn.execute(f"create table c as select * from read_parquet('{out}')")
        conn.execute("update c set employee_gross_compensation = -5 where rowid < 3")
        conn.execute("update c set employee_deferral_rate = -0.5 where rowid = 10")
        conn.execute(f"copy c to '{bad}' (format parquet)")
    proc = navigator("census", "validate", str(bad), "--census-date", "2024-12-31", cwd=tmp_path)
    assert proc.returncode == 1
    assert "non_positive_compensation [employee_gross_compensation ('employee_gross_compensation')]: 3 rows" in proc.stdout
    assert "deferral_rate_out_of_range [employee_deferral_rate ('employee_deferral_rate')]: 1 row" in proc.stdout
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("Error: census refused") and "(each with its fix above)" in line

    # A run on it: one line that counts the problems and names the command listing them.
    config = write_scenario(tmp_path, bad)
    db = tmp_path / "sim.duckdb"
    run = navigator("run", "-c", str(config), "--database", str(db), cwd=tmp_path)
    assert run.returncode == 1 and not db.exists()
    [line] = run.stderr.strip().splitlines()
    assert line.startswith("Error: census refused: ") and "non_positive_compensation (3)" in line
    assert f"run `navigator census validate {bad} -c {config}` for each one's rows and fix" in line


def test_census_validate_of_a_directory_or_another_format_is_one_error_line(tmp_path):
    (tmp_path / "exports").mkdir()
    (tmp_path / "census.json").write_text('{"employees": []}')
    for path, says in (("exports", "exports is a directory; name the census file itself"),
                       ("census.json", "census.json is not a census file: give the census as a .csv")):
        proc = navigator("census", "validate", path, "--census-date", "2024-12-31", cwd=tmp_path)
        assert proc.returncode == 1
        assert proc.stdout == ""
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: census ") and says in lines[0], proc.stderr
        assert "1 row" not in proc.stderr


def test_dbt_vars_prints_json_for_a_year(tmp_path, make_config):
    proc = navigator("dbt-vars", "-c", str(make_config()), "--year", "2026", cwd=tmp_path)
    assert proc.returncode == 0
    assert '"simulation_year": 2026' in proc.stdout and '"random_seed": 42' in proc.stdout


def test_report_and_compare_refuse_to_write_over_their_inputs(tmp_path, make_config):
    census = tmp_path / "census.csv"
    assert navigator("census", "generate", "--employees", "60", "--seed", "3", "--out", str(census),
                     cwd=tmp_path).returncode == 0
    config = make_config({"setup": {"census_parquet_path": str(census)}})
    db = tmp_path / "sim.duckdb"
    duckdb.connect(str(db)).close()
    before = {p: p.read_bytes() for p in (db, census, config)}
    attempts = [
        ("report", "--out", str(db)),            # the database itself
        ("report", "--out", str(tmp_path / "notes.txt")),  # not HTML
        ("compare", "--out", str(census)),       # the census the config reads
    ]
    for command, *rest in attempts:
        proc = navigator(command, "-c", str(config), "--database", str(db), *rest, cwd=tmp_path)
        assert proc.returncode == 1, (command, rest, proc.stdout)
        assert proc.stderr.strip().splitlines()[-1].startswith("Error: --out "), proc.stderr
        assert "Traceback" not in proc.stderr
    assert {p: p.read_bytes() for p in before} == before
    assert not (tmp_path / "notes.txt").exists()


def test_census_generate_refuses_to_overwrite_a_file(tmp_path):
    census = tmp_path / "census.csv"
    census.write_text("employee_id,employee_birth_date\nREAL_1,1970-01-01\n")
    proc = navigator("census", "generate", "--employees", "10", "--seed", "1", "--out", str(census), cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1].startswith(f"Error: --out {census} already exists")
    assert census.read_text() == "employee_id,employee_birth_date\nREAL_1,1970-01-01\n"


def test_a_usage_mistake_is_one_error_line_with_where_help_is(tmp_path):
    for args, message in (
            (("ndt", "--year", "abc"), "Error: navigator ndt: argument --year: invalid int value: 'abc'; "
                                       "see `navigator ndt --help`"),
            (("employee",), "Error: navigator employee: the following arguments are required: ID; "
                            "see `navigator employee --help`"),
            (("compare", "--bogus"), "Error: navigator: unrecognized arguments: --bogus; see `navigator --help`"),
            (("bogus",), "Error: navigator: argument COMMAND: invalid choice: 'bogus'")):
        result = navigator(*args, cwd=tmp_path)
        assert result.returncode == 2 and result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(message), result.stderr
