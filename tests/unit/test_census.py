"""Census contract: each defect planted into a valid generated census is refused by name."""

from __future__ import annotations

import functools
import hashlib
import re
from datetime import date
from pathlib import Path

import duckdb
import pytest

from navigator_orchestrator.census.intake import (
    CENSUS_COLUMNS,
    CensusError,
    CensusFileError,
    CensusReport,
    census_file_hash,
    generate_census,
    load_census,
    validate_census,
)

CENSUS_DATE = date(2024, 12, 31)
ROWS = 200


@pytest.fixture(scope="module")
def valid(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_census(ROWS, 7, tmp_path_factory.mktemp("census") / "valid.parquet",
                           CENSUS_DATE)


@functools.cache
def _db() -> duckdb.DuckDBPyConnection:
    """One scratch connection for the helpers (a connection costs ~50 ms)."""
    return duckdb.connect()


def _one(sql: str) -> tuple:
    return _db().execute(sql).fetchone()


def _ids(src: Path, where: str, n: int = 2) -> list[str]:
    """The first n employee ids of the valid census matching `where` (rows to corrupt)."""
    rows = _db().execute(f"SELECT employee_id FROM read_parquet('{src}') WHERE {where} "
                      f"ORDER BY employee_id LIMIT {n}").fetchall()
    assert len(rows) == n, f"fixture has too few rows where {where}"
    return [r[0] for r in rows]


def _plant(src: Path, out: Path, select: str) -> Path:
    """Write `select` (with {src} = the valid census) to `out` as CSV or Parquet."""
    fmt = "FORMAT csv, HEADER true" if out.suffix == ".csv" else "FORMAT parquet"
    sql = select.format(src=f"read_parquet('{src}')")
    _db().execute(f"COPY ({sql}) TO '{out}' ({fmt})")
    return out


def _replace(column: str, ids: list[str], value: str) -> str:
    """SELECT that sets `column` to the SQL `value` on the rows `ids`."""
    in_list = ", ".join(f"'{i}'" for i in ids)
    return (f"SELECT * REPLACE (CASE WHEN employee_id IN ({in_list}) THEN {value} "
            f"ELSE {column} END AS {column}) FROM {{src}}")


def _only_problem(report: CensusReport, name: str, count: int, examples: list[str] | None
                  ) -> None:
    assert not report.ok
    assert [p.name for p in report.problems] == [name], report.format()
    problem = report.problems[0]
    assert problem.count == count, report.format()
    if examples is not None:
        assert problem.examples == examples
    assert problem.fix and name in report.format()


# --- a valid census passes, in both formats -----------------------------------------------

@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_valid_census_passes(valid: Path, tmp_path: Path, suffix: str) -> None:
    path = _plant(valid, tmp_path / f"c{suffix}", "SELECT * FROM {src}")
    report = validate_census(path, CENSUS_DATE)
    assert report.ok, report.format()
    actives = _one(f"SELECT count(*) FILTER (WHERE active) FROM read_parquet('{valid}')")[0]
    assert (report.row_count, report.active_count) == (ROWS, actives)
    assert "valid" in report.format()


# --- every defect, planted, is refused by name with its count and the right ids ----------

def test_missing_columns_named(valid: Path, tmp_path: Path) -> None:
    path = _plant(valid, tmp_path / "c.parquet",
                  "SELECT * EXCLUDE (employee_hire_date, employee_gross_compensation) FROM {src}")
    _only_problem(validate_census(path, CENSUS_DATE), "missing_columns", 2,
                  ["employee_hire_date", "employee_gross_compensation"])


def test_duplicate_ids(valid: Path, tmp_path: Path) -> None:
    ids = _ids(valid, "true", 3)
    path = _plant(valid, tmp_path / "c.parquet", _replace("employee_id", ids[1:], f"'{ids[0]}'"))
    _only_problem(validate_census(path, CENSUS_DATE), "duplicate_employee_id", 3, [ids[0]])


@pytest.mark.parametrize("column", ["employee_birth_date", "employee_hire_date",
                                    "employee_gross_compensation"])
def test_null_required_column(valid: Path, tmp_path: Path, column: str) -> None:
    ids = _ids(valid, "true")
    path = _plant(valid, tmp_path / "c.parquet", _replace(column, ids, "NULL"))
    _only_problem(validate_census(path, CENSUS_DATE), f"null_{column}", 2, ids)


def test_null_and_blank_employee_id_point_at_rows(valid: Path, tmp_path: Path) -> None:
    path = _plant(valid, tmp_path / "c.csv", "SELECT * REPLACE (CASE employee_id "
                  "WHEN 'EMP_000002' THEN NULL WHEN 'EMP_000005' THEN '   ' ELSE employee_id "
                  "END AS employee_id) FROM {src}")
    _only_problem(validate_census(path, CENSUS_DATE), "null_employee_id", 2, ["row 2", "row 5"])


def test_unparseable_dates_in_csv(valid: Path, tmp_path: Path) -> None:
    ids = _ids(valid, "active")
    sql = _replace("employee_hire_date", ids,
                   "CASE WHEN employee_id = '" + ids[0] + "' THEN 'not-a-date' ELSE '2024-02-30' "
                   "END").replace("ELSE employee_hire_date", "ELSE employee_hire_date::VARCHAR")
    report = validate_census(_plant(valid, tmp_path / "c.csv", sql), CENSUS_DATE)
    _only_problem(report, "unparseable_date", 2, ids)
    assert report.problems[0].columns == ["employee_hire_date ('employee_hire_date')"]


def test_bad_csv_value_past_the_type_sniffing_sample(tmp_path: Path) -> None:
    # the sniffer types the column DOUBLE from its sample; the last row must still be
    # reported by id rather than crash the read
    src = generate_census(30_000, 3, tmp_path / "big.parquet", CENSUS_DATE)
    path = _plant(src, tmp_path / "c.csv", _replace("employee_gross_compensation",
                  ["EMP_029999"], "'n/a'").replace("ELSE employee_gross_compensation",
                                                    "ELSE employee_gross_compensation::VARCHAR"))
    _only_problem(validate_census(path, CENSUS_DATE), "unparseable_number", 1, ["EMP_029999"])


def test_wrong_type_date_column(valid: Path, tmp_path: Path) -> None:
    path = _plant(valid, tmp_path / "c.parquet", "SELECT * REPLACE (CAST(strftime("
                  "employee_birth_date, '%Y%m%d') AS INTEGER) AS employee_birth_date) FROM {src}")
    report = validate_census(path, CENSUS_DATE)
    _only_problem(report, "unparseable_date", ROWS, None)
    assert report.problems[0].columns == ["employee_birth_date ('employee_birth_date', file type INTEGER)"]


def test_unparseable_number_and_active(valid: Path, tmp_path: Path) -> None:
    ids = _ids(valid, "active")
    sql = ("SELECT * REPLACE (CASE WHEN employee_id = '" + ids[0] + "' THEN 'fifty thousand' ELSE "
           "employee_gross_compensation::VARCHAR END AS employee_gross_compensation) FROM {src}")
    _only_problem(validate_census(_plant(valid, tmp_path / "n.csv", sql), CENSUS_DATE),
                  "unparseable_number", 1, ids[:1])
    sql = ("SELECT * REPLACE (CASE WHEN employee_id = '" + ids[1] + "' THEN 'maybe' ELSE "
           "active::VARCHAR END AS active) FROM {src}")
    _only_problem(validate_census(_plant(valid, tmp_path / "a.csv", sql), CENSUS_DATE),
                  "unparseable_active", 1, ids[1:])


def test_unparseable_owner_flag(valid: Path, tmp_path: Path) -> None:
    ids = _ids(valid, "active")
    sql = ("SELECT *, CASE WHEN employee_id = '" + ids[0] + "' THEN 'maybe' ELSE 'false' END "
           "AS is_owner_5pct FROM {src}")
    _only_problem(validate_census(_plant(valid, tmp_path / "o.csv", sql), CENSUS_DATE),
                  "unparseable_is_owner_5pct", 1, ids[:1])


@pytest.mark.parametrize("column", ["is_officer", "is_owner_1pct"])
def test_unparseable_officer_and_one_percent_owner_flags(valid: Path, tmp_path: Path, column: str) -> None:
    ids = _ids(valid, "active")
    sql = ("SELECT *, CASE WHEN employee_id = '" + ids[0] + "' THEN 'maybe' ELSE 'false' END "
           f"AS {column} FROM {{src}}")
    _only_problem(validate_census(_plant(valid, tmp_path / "f.csv", sql), CENSUS_DATE),
                  f"unparseable_{column}", 1, ids[:1])


def test_officer_and_one_percent_owner_flags_load_from_their_export_headers(valid: Path, tmp_path: Path) -> None:
    # Key employees for the top-heavy test (IRC 416(i)(1)(A)): `Officer` and `1% Owner` headers,
    # Y/N words; absent columns load as null (false downstream).
    ids = _ids(valid, "active")
    sql = ("SELECT *, CASE WHEN employee_id = '" + ids[0] + "' THEN 'Y' ELSE 'N' END AS \"Officer\", "
           "CASE WHEN employee_id = '" + ids[1] + "' THEN 'yes' ELSE 'no' END AS \"1% Owner\" FROM {src}")
    path = _plant(valid, tmp_path / "k.csv", sql)
    con = duckdb.connect()
    load_census(con, path, CENSUS_DATE)
    rows = dict(((r[0], (r[1], r[2])) for r in con.execute(
        "SELECT employee_id, is_officer, is_owner_1pct FROM raw_census").fetchall()))
    assert rows[ids[0]] == (True, False) and rows[ids[1]] == (False, True)
    assert sum(1 for flags in rows.values() if any(flags)) == 2
    con = duckdb.connect()
    load_census(con, valid, CENSUS_DATE)
    assert con.execute("SELECT count(*) FROM raw_census WHERE is_officer IS NOT NULL "
                       "OR is_owner_1pct IS NOT NULL").fetchone()[0] == 0


@pytest.mark.parametrize("kind", ["DOUBLE", "DECIMAL(3, 1)", "VARCHAR"])
def test_flags_stored_as_numbers_one_and_zero_load_as_true_and_false(valid: Path, tmp_path: Path, kind: str) -> None:
    # A spreadsheet or data frame export writes a flag as 1.0 / 0.0 (a number, or its text).
    ids = _ids(valid, "active")
    one, zero = ("'1.0'", "'0.00'") if kind == "VARCHAR" else ("1.0", "0.0")
    sql = (f"SELECT * REPLACE (CAST(CASE WHEN active THEN {one} ELSE {zero} END AS {kind}) AS active), "
           f"CAST(CASE WHEN employee_id = '{ids[0]}' THEN {one} ELSE {zero} END AS {kind}) AS is_owner_5pct, "
           f"CAST(CASE WHEN employee_id = '{ids[1]}' THEN {one} ELSE {zero} END AS {kind}) AS is_officer FROM {{src}}")
    path = _plant(valid, tmp_path / "n.parquet", sql)
    assert validate_census(path, CENSUS_DATE).ok
    con = duckdb.connect()
    load_census(con, path, CENSUS_DATE)
    flags = {r[0]: r[1:] for r in con.execute(
        "SELECT employee_id, is_owner_5pct, is_officer, active FROM raw_census").fetchall()}
    assert flags[ids[0]] == (True, False, True) and flags[ids[1]] == (False, True, True)
    assert sum(1 for f in flags.values() if f[0] or f[1]) == 2
    con = duckdb.connect()
    load_census(con, valid, CENSUS_DATE)
    assert con.execute("SELECT count(*) FILTER (WHERE active) FROM raw_census").fetchone()[0] == \
        sum(1 for f in flags.values() if f[2])


def test_a_nan_flag_cell_is_blank_as_a_data_frame_means_it(valid: Path, tmp_path: Path) -> None:
    # pandas writes a missing value in a float column as NaN: for a flag it is a blank cell.
    ids = _ids(valid, "active")
    sql = (f"SELECT *, CASE WHEN employee_id = '{ids[0]}' THEN 1.0 WHEN employee_id = '{ids[1]}' THEN 0.0 "
           "ELSE 'NaN'::DOUBLE END AS is_officer FROM {src}")
    path = _plant(valid, tmp_path / "nan.parquet", sql)
    assert validate_census(path, CENSUS_DATE).ok
    con = duckdb.connect()
    load_census(con, path, CENSUS_DATE)
    flags = dict(con.execute("SELECT employee_id, is_officer FROM raw_census").fetchall())
    assert flags[ids[0]] is True and flags[ids[1]] is False
    assert sum(1 for v in flags.values() if v is None) == len(flags) - 2


@pytest.mark.parametrize("name, column, value, where", [
    ("birth_after_hire", "employee_birth_date", "employee_hire_date + 1",
     "employee_hire_date < DATE '2005-01-01'"),
    ("under_14_at_hire", "employee_birth_date",
     "CAST(employee_hire_date - INTERVAL 10 YEAR AS DATE)", "employee_hire_date < DATE '2005-01-01'"),
    ("termination_before_hire", "employee_termination_date", "employee_hire_date - 1",
     "NOT active"),
    ("hire_after_census_date", "employee_hire_date", "DATE '2025-03-01'", "active"),
    ("non_positive_compensation", "employee_gross_compensation",
     "CASE WHEN employee_id LIKE '%1' THEN 0 ELSE -100 END", "true"),
    ("deferral_rate_out_of_range", "employee_deferral_rate",
     "CASE WHEN employee_id LIKE '%1' THEN -0.01 ELSE -0.5 END",
     "true"),
    ("active_contradicts_termination", "employee_termination_date", "DATE '2024-06-30'",
     "active AND employee_hire_date < DATE '2024-06-30'"),
    ("active_contradicts_termination", "employee_termination_date", "NULL", "NOT active"),
    ("invalid_level_id", "level_id", "6", "true"),
])
def test_rule_violation_refused_by_name(valid: Path, tmp_path: Path, name: str, column: str,
                                        value: str, where: str) -> None:
    ids = _ids(valid, where)
    path = _plant(valid, tmp_path / "c.parquet", _replace(column, ids, value))
    _only_problem(validate_census(path, CENSUS_DATE), name, 2, ids)


def test_non_integer_and_alias_level(valid: Path, tmp_path: Path) -> None:
    ids = _ids(valid, "true")
    sql = _replace("level_id", ids, "2.5").replace("FROM {src}", "FROM (SELECT * REPLACE "
                                                    "(level_id::DOUBLE AS level_id) FROM {src})")
    _only_problem(validate_census(_plant(valid, tmp_path / "c.parquet", sql), CENSUS_DATE),
                  "invalid_level_id", 2, ids)
    alias = _plant(valid, tmp_path / "alias.csv",
                   "SELECT * EXCLUDE (level_id), CASE WHEN employee_id IN ('" + "', '".join(ids)
                   + "') THEN 0 ELSE level_id END AS job_level FROM {src}")
    _only_problem(validate_census(alias, CENSUS_DATE), "invalid_level_id", 2, ids)


def test_no_active_employees(valid: Path, tmp_path: Path) -> None:
    path = _plant(valid, tmp_path / "c.parquet", "SELECT * REPLACE (false AS active, "
                  "DATE '2024-12-31' AS employee_termination_date) FROM {src}")
    _only_problem(validate_census(path, CENSUS_DATE), "no_active_employees", ROWS, [])


def test_several_problems_all_listed_without_pii(valid: Path, tmp_path: Path) -> None:
    ids = _ids(valid, "active", 3)
    inner = _replace("employee_deferral_rate", ids[1:], "2")
    sql = _replace("employee_gross_compensation", ids[:1], "-1").replace("{src}", f"({inner})")
    report = validate_census(_plant(valid, tmp_path / "c.parquet", sql), CENSUS_DATE)
    assert {p.name: p.count for p in report.problems} == {
        "non_positive_compensation": 1, "mixed_rate_scale": 2}
    message = str(CensusError(report))
    assert "\n" not in message and "non_positive_compensation" in message
    assert "mixed_rate_scale" in message
    assert len(report.format().splitlines()) == 3
    ssns = [r[0] for r in _db().execute(f"SELECT employee_ssn FROM read_parquet('{valid}') "
                                     "LIMIT 50").fetchall()]
    assert not any(s in report.format() or s in message for s in ssns)


@pytest.mark.parametrize("name, make", [
    ("file_not_found", lambda d: d / "absent.parquet"),
    ("unsupported_format", lambda d: d / "census.json"),
    ("unreadable_file", lambda d: d / "corrupt.parquet"),
    ("not_a_file", lambda d: d / "exports"),
    ("not_a_file", lambda d: d / "folder.csv"),
])
def test_file_level_errors(tmp_path: Path, name: str, make) -> None:
    path = make(tmp_path)
    if name == "not_a_file":
        path.mkdir()
    elif name != "file_not_found":
        path.write_text("this is not a census")
    with pytest.raises(CensusFileError) as err:
        validate_census(path, CENSUS_DATE)
    assert err.value.report.problems[0].name == name and name in str(err.value)
    assert str(path) in str(err.value)


# --- loading: contract columns only, typed, nothing written when invalid -----------------

@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_load_writes_only_contract_columns(valid: Path, tmp_path: Path, suffix: str) -> None:
    path = _plant(valid, tmp_path / f"c{suffix}", "SELECT * FROM {src}")
    con = duckdb.connect(str(tmp_path / "sim.duckdb"))
    report = load_census(con, path, CENSUS_DATE)
    assert report.ok
    described = con.execute("DESCRIBE raw_census").fetchall()
    assert [r[0] for r in described] == list(CENSUS_COLUMNS)
    assert [r[1] for r in described] == ["VARCHAR", "DATE", "DATE", "DOUBLE", "DATE", "BOOLEAN",
                                         "DOUBLE", "INTEGER", "BOOLEAN", "DATE", "DECIMAL(14,2)",
                                         "DECIMAL(14,2)", "DECIMAL(14,2)", "DECIMAL(6,2)", "BOOLEAN", "BOOLEAN"]
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert tables == {"raw_census"}
    same = con.execute(f"""SELECT count(*) FROM raw_census r JOIN read_parquet('{valid}') v
        USING (employee_id) WHERE r.employee_birth_date = v.employee_birth_date
        AND r.employee_gross_compensation = v.employee_gross_compensation
        AND r.active = v.active AND r.level_id = v.level_id""").fetchone()[0]
    assert same == ROWS
    dump = str(con.execute("SELECT * FROM raw_census").fetchall())
    assert "900-" not in dump


def test_load_derives_active_and_nulls_missing_optionals(valid: Path, tmp_path: Path) -> None:
    path = _plant(valid, tmp_path / "c.parquet", "SELECT * EXCLUDE (active, "
                  "employee_deferral_rate, level_id, first_name, last_name) FROM {src}")
    con = duckdb.connect()
    load_census(con, path, CENSUS_DATE, table="census_in")
    row = con.execute("""SELECT count(*) FILTER (WHERE active <> (employee_termination_date
        IS NULL)), count(employee_deferral_rate), count(level_id), count(*) FROM census_in"""
                      ).fetchone()
    assert row == (0, 0, 0, ROWS)


def test_load_refuses_invalid_and_writes_nothing(valid: Path, tmp_path: Path) -> None:
    ids = _ids(valid, "true")
    bad = _plant(valid, tmp_path / "bad.parquet", _replace("employee_gross_compensation", ids,
                                                            "0"))
    con = duckdb.connect(str(tmp_path / "sim.duckdb"))
    con.execute("CREATE TABLE raw_census AS SELECT 'previous' AS marker")
    with pytest.raises(CensusError) as err:
        load_census(con, bad, CENSUS_DATE)
    assert err.value.report.problem("non_positive_compensation").count == 2
    assert con.execute("SELECT * FROM raw_census").fetchall() == [("previous",)]
    with pytest.raises(CensusError):
        load_census(con, bad, CENSUS_DATE, table="fresh")
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert tables == {"raw_census"}


def test_file_hash_is_sha256_of_bytes(valid: Path, tmp_path: Path) -> None:
    assert census_file_hash(valid) == hashlib.sha256(valid.read_bytes()).hexdigest()
    other = _plant(valid, tmp_path / "c.csv", "SELECT * FROM {src}")
    assert census_file_hash(other) != census_file_hash(valid)


# --- the generator: deterministic, seed-sensitive, valid, roughly realistic --------------

@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_generator_deterministic_and_seed_sensitive(tmp_path: Path, suffix: str) -> None:
    a = generate_census(300, 11, tmp_path / f"a{suffix}", CENSUS_DATE)
    b = generate_census(300, 11, tmp_path / f"b{suffix}", CENSUS_DATE)
    c = generate_census(300, 12, tmp_path / f"c{suffix}", CENSUS_DATE)
    assert a.read_bytes() == b.read_bytes()
    assert census_file_hash(a) != census_file_hash(c)
    reader = "read_csv" if suffix == ".csv" else "read_parquet"
    differing = _one(f"""SELECT count(*) FROM {reader}('{a}') x JOIN {reader}('{c}') y
        USING (employee_id) WHERE x.employee_birth_date <> y.employee_birth_date""")[0]
    assert differing > 250  # a new seed redraws (almost) everyone, not a few rows


def test_generator_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate_census(0, 1, tmp_path / "c.parquet", CENSUS_DATE)
    with pytest.raises(ValueError):
        generate_census(10, 1, tmp_path / "c.json", CENSUS_DATE)


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_census(3000, 42, tmp_path_factory.mktemp("big") / "c.parquet", CENSUS_DATE)


def test_generated_census_is_valid_and_well_formed(big: Path) -> None:
    assert validate_census(big, CENSUS_DATE).ok
    rows = _db().execute(f"SELECT employee_id, employee_ssn FROM read_parquet('{big}')").fetchall()
    assert all(re.fullmatch(r"EMP_\d{6}", i) for i, _ in rows)
    assert all(re.fullmatch(r"900-\d{2}-\d{4}", s) for _, s in rows)
    checks = _one(f"""SELECT
        min(date_diff('year', employee_birth_date, employee_hire_date)
            - (strftime(employee_hire_date, '%m%d') < strftime(employee_birth_date, '%m%d'))::INT),
        max(employee_hire_date),
        count(*) FILTER (WHERE active = (employee_termination_date IS NOT NULL)),
        avg((NOT active)::INT),
        count(*) FILTER (WHERE NOT active AND year(employee_termination_date) <> 2024)
        FROM read_parquet('{big}')""")
    min_age_at_hire, last_hire, inconsistent, terminated_share, term_outside_year = checks
    assert min_age_at_hire >= 18 and last_hire <= CENSUS_DATE
    assert inconsistent == 0 and term_outside_year == 0
    assert 0.01 < terminated_share < 0.06


def test_generated_census_is_roughly_realistic(big: Path) -> None:
    stats = _one(f"""SELECT
        median(date_diff('day', employee_hire_date, DATE '2024-12-31') / 365.25),
        median(date_diff('day', employee_birth_date, DATE '2024-12-31') / 365.25),
        avg((employee_deferral_rate > 0)::INT) FILTER (WHERE active),
        avg(employee_deferral_rate) FILTER (WHERE employee_deferral_rate > 0),
        list(DISTINCT level_id ORDER BY level_id),
        avg((level_id = 1)::INT), avg((level_id = 5)::INT)
        FROM read_parquet('{big}')""")
    tenure, age, participation, deferral, levels, share_l1, share_l5 = stats
    assert 2 <= tenure <= 8
    assert 35 <= age <= 48
    assert 0.60 <= participation <= 0.90
    assert 0.05 <= deferral <= 0.10
    assert levels == [1, 2, 3, 4, 5] and 0.3 < share_l1 < 0.5 and 0.01 < share_l5 < 0.06
    out_of_band = _one(f"""SELECT count(*) FROM read_parquet('{big}') c
        JOIN read_csv('{Path(__file__).resolve().parents[2] / "dbt/seeds/config_job_levels.csv"}')
        b USING (level_id) WHERE employee_gross_compensation NOT BETWEEN
        b.min_compensation AND b.max_compensation""")[0]
    assert out_of_band == 0


def test_bundled_census_is_valid_and_reproducible(tmp_path: Path) -> None:
    path = Path(__file__).resolve().parents[2] / "data/census.parquet"
    report = validate_census(path, CENSUS_DATE)
    assert report.ok and report.row_count == 5000, report.format()
    # documented recipe (docs/census.md): regenerating gives the same bytes
    again = generate_census(5000, 42, tmp_path / "census.parquet", CENSUS_DATE)
    assert census_file_hash(again) == census_file_hash(path)
