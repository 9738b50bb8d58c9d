"""Census intake of real HR exports: header spellings, Excel, dates, numbers, rates, plausibility.

Each test writes a small hand-made file (CSV or .xlsx) and checks what the intake reads or
refuses; the realistic export must load to exactly the raw_census of the clean contract file.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from navigator_orchestrator.census.columns import CENSUS_COLUMNS, SYNONYMS, normalise
from navigator_orchestrator.census.intake import (
    CensusError, CensusOptions, load_census, read_census, validate_census,
)
from navigator_orchestrator.config.schema import ConfigError, parse_config

CD = date(2024, 12, 31)

CONTRACT = """employee_id,employee_birth_date,employee_hire_date,employee_gross_compensation,employee_termination_date,active,employee_deferral_rate,level_id,employee_rehire_date
E001,1962-03-15,2010-02-01,85000.00,,true,0.06,2,
E002,1980-12-03,2015-06-14,52500.50,2025-06-30,true,0.1,1,
E003,1990-02-28,2020-03-01,120000,2024-08-15,false,0,3,
E004,1975-01-01,2000-01-01,60000,2018-06-01,true,0.045,2,2019-09-01
E005,1999-07-04,2023-11-20,1234567.89,,true,0,5,
"""

# The same people as an HR system exports them: HR headers, semicolons and decimal commas,
# US slash dates (two-digit years for birth), $ and thousands separators, percents, status
# words, PII and an unused column, columns in another order.
HR_EXPORT = """Emp #;Last Name;SSN;Date of Birth;Hire Date;Annual Salary;Status;Term Date;Deferral %;Grade;Rehire Date;Location
E001;Smith;900-11-1111;3/15/62;02/01/2010;"$85.000,00";Active;;6%;2;;NY
E002;Jones;900-11-1112;12/3/80;06/14/2015;$52.500,50;A;06/30/2025;10%;1;;TX
E003;Brown;900-11-1113;2/28/90;03/01/2020;120.000;Terminated;08/15/2024;0%;3;;CA
E004;Green;900-11-1114;1/1/75;01/01/2000;60.000,00;Active;06/01/2018;4,5%;2;09/01/2019;NY
E005;White;900-11-1115;7/4/99;11/20/2023;"1.234.567,89";active;;0;5;;WA
"""


def write(tmp_path: Path, text: str, name: str = "census.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def write_xlsx(tmp_path: Path, rows: list[list], name: str = "census.xlsx",
               sheet: str = "Census", extra_first: str | None = None) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    if extra_first:  # a sheet before the census one (e.g. a cover page)
        ws.title = extra_first
        ws.append(["Exported by HR", "2025-01-02"])
        ws = book.create_sheet(sheet)
    else:
        ws.title = sheet
    for row in rows:
        ws.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def raw(path: Path, options: CensusOptions | None = None) -> list[tuple]:
    con = duckdb.connect()
    load_census(con, path, CD, options=options)
    return con.execute("SELECT * FROM raw_census ORDER BY employee_id").fetchall()


def names(report) -> list[str]:
    return [p.name for p in report.problems]


# --- the realistic export ------------------------------------------------------------------

def test_hr_export_loads_exactly_like_the_contract_file(tmp_path: Path) -> None:
    clean = raw(write(tmp_path, CONTRACT, "contract.csv"))
    export = write(tmp_path, HR_EXPORT, "export.csv")
    report = validate_census(export, CD)
    assert report.ok, report.format()
    assert raw(export) == clean
    assert report.unmapped == ["Last Name", "SSN", "Location"]
    assert "900-11" not in str(raw(export))
    # the contract file is read as typed: E002 leaves after the census date, E004 was rehired
    by_id = {r[0]: r for r in clean}
    assert by_id["E002"][4:6] == (date(2025, 6, 30), True)
    assert by_id["E004"][5] is True and by_id["E004"][9] == date(2019, 9, 1)


def test_hr_export_as_xlsx_loads_exactly_like_the_contract_file(tmp_path: Path) -> None:
    clean = raw(write(tmp_path, CONTRACT, "contract.csv"))
    rows = [["Employee ID", "First Name", "DOB", "Hire Date", "Salary", "Term Date", "Active",
             "Deferral Rate", "Job Level", "Rehire Date"],
            ["E001", "Ann", date(1962, 3, 15), datetime(2010, 2, 1), 85000, None, "Y", 0.06, 2, None],
            ["E002", "Bo", 29558, "2015-06-14", "$52,500.50", 45838, "Y", 0.1, 1, None],
            ["E003", "Cy", date(1990, 2, 28), date(2020, 3, 1), 120000.0, date(2024, 8, 15), "N", 0, 3, None],
            ["E004", "Di", date(1975, 1, 1), date(2000, 1, 1), 60000, date(2018, 6, 1), "Y", 0.045, 2,
             date(2019, 9, 1)],
            ["E005", "Ed", date(1999, 7, 4), date(2023, 11, 20), 1234567.89, None, True, 0, 5, None]]
    path = write_xlsx(tmp_path, rows, extra_first=None)
    assert raw(path) == clean
    # 29558 and 45838 are Excel serial numbers of 1980-12-03 and 2025-06-30


def test_xlsx_first_sheet_or_the_named_sheet(tmp_path: Path) -> None:
    rows = [["employee_id", "employee_birth_date", "employee_hire_date", "employee_gross_compensation"],
            ["E1", date(1980, 5, 5), date(2010, 5, 5), 50000]]
    path = write_xlsx(tmp_path, rows, extra_first="Cover")
    with pytest.raises(CensusError):  # the first sheet is the cover page: no contract columns
        if not validate_census(path, CD).ok:
            raise CensusError(validate_census(path, CD))
    assert validate_census(path, CD, CensusOptions(sheet="Census")).ok
    with pytest.raises(CensusError) as err:
        validate_census(path, CD, CensusOptions(sheet="Staff"))
    assert err.value.report.problems[0].name == "sheet_not_found"
    assert "'Cover', 'Census'" in str(err.value)


# --- column mapping ------------------------------------------------------------------------

def test_every_contract_column_has_spellings_and_none_is_shared() -> None:
    seen: dict[str, str] = {}
    for column in CENSUS_COLUMNS:
        assert SYNONYMS[column], column
        for spelling in {normalise(column), *SYNONYMS[column]}:
            assert seen.setdefault(spelling, column) == column, spelling


@pytest.mark.parametrize("header, column", [
    ("EmployeeID", "employee_id"), ("Employee #", "employee_id"), ("DOB", "employee_birth_date"),
    ("Hire_Date", "employee_hire_date"), ("Base Salary", "employee_gross_compensation"),
    ("TERM DATE", "employee_termination_date"), ("Employment Status", "active"),
    ("Deferral %", "employee_deferral_rate"), ("Job Level", "level_id"),
    ("Rehire Date", "employee_rehire_date"),
])
def test_hr_spellings_map_to_contract_columns(tmp_path: Path, header: str, column: str) -> None:
    text = CONTRACT.replace(column, header, 1)
    report = validate_census(write(tmp_path, text), CD)
    assert report.ok, report.format()
    assert any(line.startswith(f"{column:<28} <- {header!r} (") for line in report.mapping)


def test_optional_hr_columns_are_read_not_dropped(tmp_path: Path) -> None:
    # contract names for the required columns, HR names for the optional ones
    text = (CONTRACT.replace("employee_termination_date", "Term Date")
            .replace("employee_deferral_rate", "Deferral Rate").replace("level_id", "Job Level")
            .replace(",active,", ",Active,"))
    rows = {r[0]: r for r in raw(write(tmp_path, text))}
    assert rows["E003"][5] is False and rows["E003"][4] == date(2024, 8, 15)
    assert rows["E002"][6] == 0.1 and rows["E005"][7] == 5
    assert validate_census(write(tmp_path, text), CD).active_count == 4


def test_config_mapping_wins_over_spellings(tmp_path: Path) -> None:
    text = CONTRACT.replace("employee_gross_compensation", "Pay Rate Annual").replace(
        "employee_id,", "Badge,", 1)
    path = write(tmp_path, "Salary," + text.replace("\n", "\n1,").rstrip("1,"))
    report = validate_census(path, CD, CensusOptions(columns={
        "employee_id": "Badge", "employee_gross_compensation": "pay rate annual"}))
    assert report.ok, report.format()
    assert any(line.startswith("employee_gross_compensation") and "'Pay Rate Annual' "
               "(setup.census_columns)" in line for line in report.mapping)
    assert "Salary" in report.unmapped


def test_missing_required_columns_list_the_files_columns(tmp_path: Path) -> None:
    text = CONTRACT.replace("employee_id", "Worker Key").replace("employee_birth_date", "Born")
    report = validate_census(write(tmp_path, text), CD)
    assert names(report) == ["missing_columns"]
    problem = report.problems[0]
    assert problem.examples == ["employee_id", "employee_birth_date"]
    assert "'Worker Key'" in problem.fix and "'Born'" in problem.fix and "setup.census_columns" in problem.fix
    assert "active_contradicts_termination" not in report.format()


def test_a_column_that_looks_like_a_contract_column_is_refused(tmp_path: Path) -> None:
    text = CONTRACT.replace("employee_termination_date", "Termn Date")
    report = validate_census(write(tmp_path, text), CD)
    assert names(report) == ["unmapped_lookalike_column"]
    assert report.problems[0].examples == ["'Termn Date'"]
    assert "setup.census_columns" in report.problems[0].fix
    mapped = CensusOptions(columns={"employee_termination_date": "Termn Date"})
    assert validate_census(write(tmp_path, text), CD, mapped).ok
    absent = validate_census(write(tmp_path, text.replace("2025-06-30", "").replace(
        "2024-08-15", "").replace("2018-06-01", "")), CD,
        CensusOptions(columns={"employee_termination_date": None}))
    assert "unmapped_lookalike_column" not in names(absent)


def test_two_spellings_of_one_column_are_refused(tmp_path: Path) -> None:
    text = CONTRACT.replace("employee_gross_compensation", "Salary").replace(
        "level_id", "Annual Salary")
    report = validate_census(write(tmp_path, text), CD)
    assert names(report) == ["ambiguous_columns"]
    assert report.problems[0].examples == ["'Salary'", "'Annual Salary'"]


def test_duplicate_column_names_ignoring_case_are_refused(tmp_path: Path) -> None:
    text = CONTRACT.replace("level_id", "EMPLOYEE_ID")
    report = validate_census(write(tmp_path, text), CD)
    assert names(report) == ["duplicate_columns"]
    assert "'EMPLOYEE_ID' (column 8)" in report.problems[0].examples


def test_malformed_csv_row_reported_with_its_line_number(tmp_path: Path) -> None:
    lines = CONTRACT.splitlines()
    lines[3] += ",extra"
    with pytest.raises(CensusError) as err:
        validate_census(write(tmp_path, "\n".join(lines) + "\n"), CD)
    problem = err.value.report.problems[0]
    assert problem.name == "malformed_rows" and problem.count == 1
    assert problem.examples == ["line 4 (10 fields, the header has 9)"]


# --- dates -----------------------------------------------------------------------------------

def small(rows: list[str], header: str = "employee_id,employee_birth_date,employee_hire_date,"
          "employee_gross_compensation") -> str:
    return header + "\n" + "\n".join(rows) + "\n"


def test_slash_dates_with_no_day_above_12_are_refused_unless_a_format_is_set(tmp_path: Path) -> None:
    path = write(tmp_path, small(["E1,01/02/1980,03/04/2010,50000", "E2,05/06/1985,07/08/2012,60000"]))
    report = validate_census(path, CD)
    assert names(report) == ["ambiguous_dates", "ambiguous_dates"]
    assert report.problems[0].count == 2 and "setup.census_date_format" in report.problems[0].fix
    assert raw(path, CensusOptions(date_format="%m/%d/%Y"))[0][1:3] == (date(1980, 1, 2), date(2010, 3, 4))
    assert raw(path, CensusOptions(date_format="%d/%m/%Y"))[0][1:3] == (date(1980, 2, 1), date(2010, 4, 3))


def test_slash_date_order_is_taken_from_the_whole_file(tmp_path: Path) -> None:
    us = write(tmp_path, small(["E1,01/02/1980,03/04/2010,50000", "E2,05/26/1985,07/08/2012,60000"]))
    assert raw(us)[0][1] == date(1980, 1, 2)
    eu = write(tmp_path, small(["E1,01/02/1980,03/04/2010,50000", "E2,26/05/1985,07/08/2012,60000"]))
    assert raw(eu)[0][1] == date(1980, 2, 1)
    both = write(tmp_path, small(["E1,13/02/1980,03/04/2010,50000", "E2,05/26/1985,07/08/2012,60000"]))
    assert set(names(validate_census(both, CD))) == {"inconsistent_date_order"}


def test_two_digit_years_use_the_census_year_pivot(tmp_path: Path) -> None:
    path = write(tmp_path, small(["E1,3/15/62,3/1/24,50000", "E2,12/31/04,6/15/22,60000"],
                                 "employee_id,employee_birth_date,employee_hire_date,employee_gross_compensation"))
    rows = raw(path)
    assert rows[0][1:3] == (date(1962, 3, 15), date(2024, 3, 1))
    assert rows[1][1:3] == (date(2004, 12, 31), date(2022, 6, 15))
    # 10/1/24 is 2024 for a birth date (the latest year ending in 24): refused, the hint says why
    report = validate_census(write(tmp_path, small(["E1,10/1/24,3/15/2024,50000"])), CD)
    assert "implausible_age" in names(report)
    assert "Two-digit years" in report.problem("implausible_age").fix


def test_forced_date_format_with_two_digit_years_uses_the_pivot(tmp_path: Path) -> None:
    path = write(tmp_path, small(["E1,15-Mar-62,01-Feb-10,50000"]))
    assert raw(path, CensusOptions(date_format="%d-%b-%y"))[0][1:3] == (date(1962, 3, 15), date(2010, 2, 1))


def test_excel_serial_and_compact_dates(tmp_path: Path) -> None:
    path = write(tmp_path, small(["E1,22720,40210,50000", "E2,19800102,2010-02-01T00:00:00-05:00,60000"]))
    rows = raw(path)
    assert rows[0][1:3] == (date(1962, 3, 15), date(2010, 2, 1))
    assert rows[1][1:3] == (date(1980, 1, 2), date(2010, 2, 1))


@pytest.mark.parametrize("zone", [timezone.utc, timezone(timedelta(hours=9)), timezone(timedelta(hours=-5)),
                                  timezone(timedelta(hours=11)), timezone(timedelta(hours=-11))])
def test_zoned_timestamps_keep_their_calendar_date(tmp_path: Path, zone: timezone, monkeypatch) -> None:
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    at_midnight = [datetime(1980, 1, 2, tzinfo=zone), datetime(2010, 2, 1, tzinfo=zone)]
    table = pa.table({
        "employee_id": ["E1"], "employee_birth_date": pa.array(at_midnight[:1], pa.timestamp("us", tz="UTC")),
        "employee_hire_date": pa.array(at_midnight[1:], pa.timestamp("ms", tz="America/New_York")),
        "employee_gross_compensation": [50000.0]})
    pq.write_table(table, tmp_path / "c.parquet")
    assert raw(tmp_path / "c.parquet")[0][1:3] == (date(1980, 1, 2), date(2010, 2, 1))


def test_placeholder_dates_and_implausible_ages_are_refused_by_row(tmp_path: Path) -> None:
    path = write(tmp_path, small(["E1,1900-01-01,2010-01-01,50000", "E2,1800-05-05,2010-01-01,50000",
                                  "E3,2015-01-01,2024-06-01,50000", "E4,1980-01-01,2010-01-01,50000"]))
    report = validate_census(path, CD)
    assert report.problem("placeholder_date").examples == ["E1"]
    assert report.problem("implausible_age").examples == ["E2", "E3"]
    assert "employee_birth_date ('employee_birth_date')" in report.problem("implausible_age").columns


# --- numbers, rates, status --------------------------------------------------------------------

def test_money_with_symbols_separators_and_decimal_commas(tmp_path: Path) -> None:
    point = write(tmp_path, small(['E1,1980-01-01,2010-01-01,"$85,000.00"', "E2,1980-01-01,2010-01-01,\"$ 1,234,567.5\"",
                                   "E3,1980-01-01,2010-01-01,60000"]))
    assert [r[3] for r in raw(point)] == [85000.0, 1234567.5, 60000.0]
    comma = write(tmp_path, small(["E1;1980-01-01;2010-01-01;85.000,00", "E2;1980-01-01;2010-01-01;1.234.567,5",
                                   "E3;1980-01-01;2010-01-01;60000"],
                                  "employee_id;employee_birth_date;employee_hire_date;employee_gross_compensation"))
    assert [r[3] for r in raw(comma)] == [85000.0, 1234567.5, 60000.0]
    mixed = write(tmp_path, small(['E1;1980-01-01;2010-01-01;85.000,00', "E2;1980-01-01;2010-01-01;1,234.50"],
                                  "employee_id;employee_birth_date;employee_hire_date;employee_gross_compensation"))
    assert names(validate_census(mixed, CD)) == ["mixed_decimal_separators"]


@pytest.mark.parametrize("values, expected", [
    (["6%", "10%", "0%"], [0.06, 0.1, 0.0]), (["6", "10", "0"], [0.06, 0.1, 0.0]),
    (["0.06", "0.1", "0"], [0.06, 0.1, 0.0]), (["6", "4.5%", "0.5%"], [0.06, 0.045, 0.005]),
])
def test_rates_as_percents_or_fractions(tmp_path: Path, values: list[str], expected: list[float]) -> None:
    rows = [f"E{i},1980-01-01,2010-01-01,50000,{v}" for i, v in enumerate(values)]
    path = write(tmp_path, small(rows, "employee_id,employee_birth_date,employee_hire_date,"
                                 "employee_gross_compensation,employee_deferral_rate"))
    assert [round(r[6], 10) for r in raw(path)] == expected


def test_a_column_mixing_fractions_and_percents_is_refused(tmp_path: Path) -> None:
    rows = [f"E{i},1980-01-01,2010-01-01,50000,{v}" for i, v in enumerate(["0.06", "0.05", "6", "0.04"])]
    report = validate_census(write(tmp_path, small(rows, "employee_id,employee_birth_date,employee_hire_date,"
                                                   "employee_gross_compensation,Deferral Rate")), CD)
    assert names(report) == ["mixed_rate_scale"]
    assert report.problems[0].examples == ["E2"] and "3 rows look like fractions" in report.problems[0].fix
    ones = [f"E{i},1980-01-01,2010-01-01,50000,{v}" for i, v in enumerate(["1", "0", "1"])]
    report = validate_census(write(tmp_path, small(ones, "employee_id,employee_birth_date,employee_hire_date,"
                                                   "employee_gross_compensation,employee_deferral_rate")), CD)
    assert names(report) == ["ambiguous_rate_scale"]


def test_status_words_and_yes_no(tmp_path: Path) -> None:
    header = "employee_id,employee_birth_date,employee_hire_date,employee_gross_compensation,Status,Term Date"
    rows = ["E1,1980-01-01,2010-01-01,50000,Active,", "E2,1980-01-01,2010-01-01,50000,terminated,2024-05-01",
            "E3,1980-01-01,2010-01-01,50000,A,", "E4,1980-01-01,2010-01-01,50000,I,2024-05-01"]
    assert [r[5] for r in raw(write(tmp_path, small(rows, header)))] == [True, False, True, False]
    yn = [r.replace("Active", "Y").replace("terminated", "N").replace(",A,", ",yes,").replace(",I,", ",no,")
          for r in rows]
    assert [r[5] for r in raw(write(tmp_path, small(yn, header)))] == [True, False, True, False]
    ambiguous = rows + ["E5,1980-01-01,2010-01-01,50000,T,2024-05-01"]
    assert names(validate_census(write(tmp_path, small(ambiguous, header)), CD)) == ["unparseable_active"]


# --- terminations, rehires, pay basis -----------------------------------------------------------

def test_inactive_row_with_a_future_termination_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, CONTRACT.replace("2025-06-30,true", "2025-06-30,false"))
    report = validate_census(path, CD)
    assert names(report) == ["inactive_with_future_termination"]
    assert report.problems[0].examples == ["E002"]


def test_without_an_active_column_a_future_termination_is_active(tmp_path: Path) -> None:
    text = "\n".join(",".join(f for i, f in enumerate(line.split(",")) if i != 5)
                     for line in CONTRACT.splitlines()) + "\n"
    assert [r[5] for r in raw(write(tmp_path, text))] == [True, True, False, True, True]


def test_rehire_problems_and_the_unknown_break_warning(tmp_path: Path) -> None:
    header = ("employee_id,employee_birth_date,employee_hire_date,employee_gross_compensation,"
              "employee_termination_date,employee_rehire_date")
    rows = ["E1,1980-01-01,2010-01-01,50000,,2009-01-01", "E2,1980-01-01,2010-01-01,50000,,2025-02-01",
            "E3,1980-01-01,2010-01-01,50000,,2015-01-01"]
    report = validate_census(write(tmp_path, small(rows, header)), CD)
    assert report.problem("rehire_before_hire").examples == ["E1"]
    assert report.problem("rehire_after_census_date").examples == ["E2"]
    assert report.warning("rehire_break_unknown").examples == ["E3"]


def test_low_pay_warns_and_year_to_date_pay_is_annualised(tmp_path: Path) -> None:
    rows = ["E1,1980-01-01,2024-10-01,23000,", "E2,1980-01-01,2010-01-01,60000,",
            "E3,1980-01-01,2010-01-01,9100,2024-06-30"]
    header = "employee_id,employee_birth_date,employee_hire_date,employee_gross_compensation,employee_termination_date"
    path = write(tmp_path, small(rows, header))
    assert validate_census(path, CD).warnings == []
    low = write(tmp_path, small([rows[0].replace("23000", "5000"), rows[1]], header), "low.csv")
    warning = validate_census(low, CD).warning("possible_year_to_date_pay")
    assert warning.examples == ["E1"] and "setup.compensation_basis: year_to_date" in warning.fix
    # 2024 has 366 days; E1 worked Oct 1 - Dec 31 (92 days), E3 Jan 1 - Jun 30 (182 days)
    ytd = raw(path, CensusOptions(compensation_basis="year_to_date"))
    assert [r[3] for r in ytd] == [91500.0, 60000.0, 18300.0]


# --- the config keys ------------------------------------------------------------------------

def test_census_config_keys_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="did you mean 'employee_hire_date'"):
        parse_config({"setup": {"census_columns": {"employee_hire_dat": "Hire"}}}, tmp_path)
    with pytest.raises(ConfigError, match="not a date format"):
        parse_config({"setup": {"census_date_format": "%m/%Y"}}, tmp_path)
    with pytest.raises(ConfigError, match="compensation_basis"):
        parse_config({"setup": {"compensation_basis": "monthly"}}, tmp_path)
    config = parse_config({"setup": {"census_columns": {"employee_id": "Emp #", "level_id": None},
                                     "census_date_format": "%d.%m.%Y", "census_sheet": "Staff",
                                     "compensation_basis": "year_to_date", "census_pay_floor": 20000}},
                          tmp_path)
    options = CensusOptions.from_setup(config.setup)
    assert options == CensusOptions({"employee_id": "Emp #", "level_id": None}, "Staff", "%d.%m.%Y",
                                    "year_to_date", 20000.0)


def test_read_once_hashes_the_bytes_it_checked(tmp_path: Path) -> None:
    import hashlib

    path = write(tmp_path, CONTRACT)
    census = read_census(path, CD)
    path.write_text(CONTRACT.replace("0.06", "20"))  # replaced after the read
    con = duckdb.connect()
    load_census(con, census)
    assert census.sha256 == hashlib.sha256(CONTRACT.encode()).hexdigest()
    assert con.execute("SELECT max(employee_deferral_rate) FROM raw_census").fetchone()[0] == 0.1


def test_personal_data_is_never_suggested_or_accepted_as_the_employee_id(tmp_path: Path) -> None:
    """A file without employee_id but with employee_ssn: the SSN is not offered as the id (it
    would then be in every published table, report and log), and mapping it is refused."""
    text = CONTRACT.replace("employee_id", "Staff Ref").replace("Staff Ref,", "Staff Ref,employee_ssn,", 1)
    lines = text.splitlines()
    lines[1:] = [line.replace(",", ",123-45-6789,", 1) for line in lines[1:]]
    text = "\n".join(lines) + "\n"
    report = validate_census(write(tmp_path, text), CD)
    assert "missing_columns" in names(report)
    assert "employee_ssn" not in " ".join(p.fix for p in report.problems if p.name != "missing_columns")
    assert "unmapped_lookalike_column" not in names(report)
    mapped = validate_census(write(tmp_path, text), CD, CensusOptions(columns={"employee_id": "employee_ssn"}))
    assert names(mapped)[0] == "personal_data_as_employee_id"
    assert "map a payroll or HR employee number instead" in mapped.problems[0].fix
    assert validate_census(write(tmp_path, text), CD, CensusOptions(columns={"employee_id": "Staff Ref"})).ok
