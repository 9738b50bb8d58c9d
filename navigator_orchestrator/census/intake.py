"""Census contract (DESIGN.md §4.2): validate a census file and load it without PII.

Every check is set-based SQL over the whole file in an in-memory DuckDB, so a million rows
validate in seconds. Only the contract columns are ever read into a table; PII such as
employee_ssn or names is never selected, so it cannot reach raw_census, a log or a report
(problem examples name employee ids only, never values).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

import duckdb

from navigator_orchestrator.census.generate import generate_census, read_level_bands
from navigator_orchestrator.sql import connect_duckdb, identifier, literal

__all__ = [
    "CENSUS_COLUMNS", "REQUIRED_COLUMNS", "OPTIONAL_COLUMNS", "CensusProblem", "CensusReport",
    "CensusError", "validate_census", "load_census", "census_file_hash", "generate_census",
]

REQUIRED_COLUMNS: tuple[str, ...] = (
    "employee_id", "employee_birth_date", "employee_hire_date", "employee_gross_compensation",
)
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "employee_termination_date", "active", "employee_deferral_rate", "level_id", "is_owner_5pct",
)
CENSUS_COLUMNS: tuple[str, ...] = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
COLUMN_ALIASES: dict[str, str] = {"job_level": "level_id"}  # used only when level_id is absent
# Contract column -> (parse kind, type written to raw_census).
COLUMN_KINDS: dict[str, tuple[str, str]] = {
    "employee_id": ("id", "VARCHAR"),
    "employee_birth_date": ("date", "DATE"),
    "employee_hire_date": ("date", "DATE"),
    "employee_gross_compensation": ("number", "DOUBLE"),
    "employee_termination_date": ("date", "DATE"),
    "active": ("bool", "BOOLEAN"),
    "employee_deferral_rate": ("number", "DOUBLE"),
    "level_id": ("number", "INTEGER"),
    # More-than-5% owner of the employer (IRC 416(i)(1)(B)), for HCE status (414(q)(1)(A)).
    "is_owner_5pct": ("bool", "BOOLEAN"),
}
MAX_EXAMPLES = 5
_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                  "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
_NUMERIC_TYPES = _INTEGER_TYPES | {"FLOAT", "DOUBLE", "REAL"}
_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


@dataclass
class CensusProblem:
    name: str
    count: int
    examples: list[str]
    fix: str

    def format(self) -> str:
        unit = "column" if self.name == "missing_columns" else "row"
        examples = f" (e.g. {', '.join(self.examples[:MAX_EXAMPLES])})" if self.examples else ""
        return f"{self.name}: {_plural(self.count, unit)}{examples}. Fix: {self.fix}"


@dataclass
class CensusReport:
    path: str
    row_count: int
    active_count: int
    problems: list[CensusProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, name: str) -> CensusProblem | None:
        return next((p for p in self.problems if p.name == name), None)

    def format(self) -> str:
        head = f"Census {self.path}: {self.row_count} rows, {self.active_count} active"
        if self.ok:
            return head + " - valid."
        lines = [head + f" - {len(self.problems)} problem(s):"]
        lines += [f"  - {p.format()}" for p in self.problems]
        return "\n".join(lines)


class CensusError(Exception):
    """An unusable census; `.report` lists every problem found."""

    def __init__(self, report: CensusReport) -> None:
        self.report = report
        if len(report.problems) == 1:  # one problem: name it and its fix on the one line
            detail = f"{report.problems[0].name}: {report.problems[0].fix}"
        else:
            detail = ", ".join(f"{p.name} ({p.count})" for p in report.problems)
            detail += f"; run `navigator census validate {report.path}` for the fixes"
        super().__init__(f"census {report.path} is invalid: {detail}")


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'}"


# The largest annual pay rate a census may give, in dollars. Published pay and money columns
# are DECIMAL(14, 2), below $1,000,000,000,000: this bound leaves a factor of 1,000 for the raises
# of the simulated years (35 years at 22% a year), so a pay that validates never overflows a
# column after a year has been written.
MAX_COMPENSATION = 1_000_000_000


def _file_error(path: Path, name: str, fix: str) -> CensusError:
    return CensusError(CensusReport(str(path), 0, 0, [CensusProblem(name, 1, [], fix)]))


def _reader_sql(path: Path, all_varchar: bool = False) -> str:
    """Table function reading the file; raises CensusError for a missing file or suffix."""
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        sql = f"read_parquet({literal(path)})"
    elif name.endswith((".csv", ".csv.gz")):
        sql = f"read_csv({literal(path)}, auto_detect=true{', all_varchar=true' if all_varchar else ''})"
    else:
        raise _file_error(path, "unsupported_format",
                          "give the census as a .parquet or .csv file")
    if not path.is_file():
        raise _file_error(path, "file_not_found", f"no file at {path}; check the path")
    return sql


def _map_columns(con: duckdb.DuckDBPyConnection, reader: str) -> dict[str, tuple[str, str]]:
    """Contract column -> (quoted source column, source type) for those present in the file.

    Names match case-insensitively; job_level stands in for level_id only when level_id is
    absent. Every other column (PII included) is left out and so never read.
    """
    by_name = {
        name.strip().lower(): (identifier(name), str(dtype).upper())
        for name, dtype, *_ in con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
    }
    for alias, target in COLUMN_ALIASES.items():
        if target not in by_name and alias in by_name:
            by_name[target] = by_name[alias]
    return {c: by_name[c] for c in CENSUS_COLUMNS if c in by_name}


def _create_from_file(con: duckdb.DuckDBPyConnection, path: Path, create: str,
                      select: Callable[[dict[str, tuple[str, str]], str], str],
                      ) -> dict[str, tuple[str, str]]:
    """Run `create` + select(columns, reader) over the file; returns the column mapping.

    CSV type sniffing samples rows, so a bad value further down breaks the typed read: then
    read every column as text and let the parsers flag the bad cells row by row.
    """
    error: Exception | None = None
    for all_varchar in (False, True):
        reader = _reader_sql(path, all_varchar)
        try:
            columns = _map_columns(con, reader)
            con.execute(create + select(columns, reader))
            return columns
        except (duckdb.ConversionException, duckdb.InvalidInputException) as exc:
            error = exc
            if "read_csv" not in reader:
                break
        except duckdb.Error as exc:
            error = exc
            break
    message = str(error).splitlines()[0] if error else "unknown error"
    raise _file_error(path, "unreadable_file", f"cannot read it: {message}") from error


def _present(col: str, dtype: str) -> str:
    """SQL: the cell holds something (blank text counts as missing)."""
    return f"({col} IS NOT NULL AND trim({col}) <> '')" if dtype == "VARCHAR" \
        else f"({col} IS NOT NULL)"


def _parsed(col: str, dtype: str, kind: str) -> str:
    """SQL: the cell converted to the contract type, NULL when absent or not convertible."""
    if kind == "id":
        return f"nullif(trim(CAST({col} AS VARCHAR)), '')"
    if kind == "date":
        if dtype == "DATE":
            return col
        if dtype.startswith("TIMESTAMP"):
            return f"CAST({col} AS DATE)"
        return f"TRY_CAST(nullif(trim({col}), '') AS DATE)" if dtype == "VARCHAR" else "NULL::DATE"
    if kind == "number":
        if dtype in _NUMERIC_TYPES or dtype.startswith("DECIMAL"):
            raw = f"CAST({col} AS DOUBLE)"
        elif dtype == "VARCHAR":
            raw = f"TRY_CAST(nullif(trim({col}), '') AS DOUBLE)"
        else:
            return "NULL::DOUBLE"
        return f"CASE WHEN isfinite({raw}) THEN {raw} END"  # NaN/inf are not pay
    if dtype == "BOOLEAN":
        return col
    if dtype in _INTEGER_TYPES:
        return f"CASE {col} WHEN 1 THEN true WHEN 0 THEN false END"
    if dtype == "VARCHAR":  # DuckDB reads true/false, t/f, yes/no, y/n, 1/0
        return f"TRY_CAST(nullif(trim({col}), '') AS BOOLEAN)"
    return "NULL::BOOLEAN"


def _normalised_select(columns: dict[str, tuple[str, str]], reader: str) -> str:
    """Per contract column: <c> (parsed value) and <c>__bad (present but not convertible)."""
    parts = []
    for name, (kind, _) in COLUMN_KINDS.items():
        if name in columns:
            col, dtype = columns[name]
            value = _parsed(col, dtype, kind)
            parts.append(f"{value} AS {name}")
            bad = f"coalesce({_present(col, dtype)} AND {value} IS NULL, false)"
            parts.append(f"{bad} AS {name}__bad")
        else:
            parts.append(f"NULL::{COLUMN_KINDS[name][1]} AS {name}, false AS {name}__bad")
    return f"SELECT {', '.join(parts)} FROM {reader}"


def _checks(columns: dict[str, tuple[str, str]], census_date: date,
            level_ids: list[int]) -> list[tuple[str, str, str]]:
    """(problem name, SQL condition on one normalised row, fix) for every row-level rule."""
    cd = f"DATE '{census_date.isoformat()}'"
    levels = ", ".join(str(x) for x in level_ids)
    checks = [("duplicate_employee_id", "id_rows > 1",
               "give each person exactly one row; employee_id must be unique")]
    # a missing required column is reported once as missing_columns, not as nulls
    checks += [(f"null_{c}", f"{c} IS NULL AND NOT {c}__bad",
                f"fill {c} on every row (it is required)")
               for c in REQUIRED_COLUMNS if c in columns]
    checks += [
        ("unparseable_date", "employee_birth_date__bad OR employee_hire_date__bad "
         "OR employee_termination_date__bad", "write dates as YYYY-MM-DD (or a Parquet DATE)"),
        ("unparseable_number", "employee_gross_compensation__bad OR employee_deferral_rate__bad",
         "write plain numbers (no $, %, or thousands separators)"),
        ("unparseable_active", "active__bad", "write active as true/false"),
        ("unparseable_is_owner_5pct", "is_owner_5pct__bad", "write is_owner_5pct as true/false"),
        ("birth_after_hire", "employee_birth_date > employee_hire_date",
         "swap or correct the birth and hire dates"),
        ("under_14_at_hire", "employee_hire_date >= employee_birth_date AND "
         "employee_hire_date < employee_birth_date + INTERVAL 14 YEAR",
         "correct the birth or hire date: people are at least 14 when hired"),
        ("termination_before_hire", "employee_termination_date < employee_hire_date",
         "correct the termination or hire date"),
        ("hire_after_census_date", f"employee_hire_date > {cd}",
         f"the census is as of {census_date}: drop future hires or use a later census"),
        ("non_positive_compensation", "employee_gross_compensation <= 0",
         "give the annual pay rate, greater than 0"),
        ("compensation_above_bound", f"employee_gross_compensation > {MAX_COMPENSATION}",
         f"give the annual pay rate in dollars, at most {MAX_COMPENSATION:,}"),
        ("deferral_rate_out_of_range", "employee_deferral_rate NOT BETWEEN 0 AND 1",
         "write deferral rates as fractions between 0 and 1 (0.06 for 6%)"),
        ("active_contradicts_termination",
         f"(active AND employee_termination_date <= {cd}) OR (NOT active AND "
         "employee_termination_date IS NULL AND NOT employee_termination_date__bad)",
         "active=true needs no termination on/before the census date; active=false needs one"),
        ("invalid_level_id", f"level_id__bad OR (level_id IS NOT NULL AND (level_id <> floor("
         f"level_id) OR level_id NOT IN ({levels})))",
         f"use a level_id from config_job_levels ({levels}) or leave it empty"),
    ]
    return checks


def _detail(con: duckdb.DuckDBPyConnection, columns: dict[str, tuple[str, str]],
            names: list[str], expected: str) -> str:
    """Which columns hold unconvertible values, and their counts/types, for the fix text."""
    parts = []
    for name in names:
        n = con.execute(f"SELECT count(*) FILTER (WHERE {name}__bad) FROM census").fetchone()[0]
        if n:
            dtype = columns[name][1]
            typed = f" (file type {dtype}, expected {expected})" if dtype != "VARCHAR" else ""
            parts.append(f"{name}: {_plural(n, 'row')}{typed}")
    return "; ".join(parts)


def _validate_in(con: duckdb.DuckDBPyConnection, path: Path, census_date: date) -> CensusReport:
    """Materialise the normalised contract columns as temp table `census`, then check it."""
    columns = _create_from_file(con, path, "CREATE OR REPLACE TEMP TABLE census AS ",
                                _normalised_select)
    # _row: 1-based data row in file order, to point at rows that have no employee_id
    con.execute("""CREATE TEMP TABLE checked AS SELECT *, rowid + 1 AS _row,
        CASE WHEN employee_id IS NULL THEN 0 ELSE count(*) OVER (PARTITION BY employee_id) END
            AS id_rows,
        row_number() OVER (PARTITION BY employee_id ORDER BY rowid) AS id_seq
        FROM census""")
    problems = []
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        problems.append(CensusProblem("missing_columns", len(missing), missing,
                                      f"add the required column(s) {', '.join(missing)}"))
    checks = _checks(columns, census_date, [b.level_id for b in read_level_bands()])
    example = "coalesce(employee_id, 'row ' || _row)"
    example_only = {"duplicate_employee_id": "id_rows > 1 AND id_seq = 1"}  # distinct ids
    aggregates = ", ".join(
        f"count(*) FILTER (WHERE coalesce({cond}, false)), "
        f"min_by({example}, _row, {MAX_EXAMPLES}) "
        f"FILTER (WHERE coalesce({example_only.get(name, cond)}, false))"
        for name, cond, _ in checks)
    active = "coalesce(active, employee_termination_date IS NULL)"
    row = con.execute(f"SELECT count(*), count(*) FILTER (WHERE {active}), {aggregates} "
                      "FROM checked").fetchone()
    row_count, active_count = int(row[0]), int(row[1])
    details = {
        "unparseable_date": _detail(con, columns, ["employee_birth_date", "employee_hire_date",
                                                   "employee_termination_date"], "DATE"),
        "unparseable_number": _detail(con, columns, ["employee_gross_compensation",
                                                     "employee_deferral_rate"], "a number"),
    }
    for k, (name, _, fix) in enumerate(checks):
        count, examples = int(row[2 + 2 * k]), row[3 + 2 * k] or []
        if count:
            fix = f"{fix} (bad values in {details[name]})" if details.get(name) else fix
            problems.append(CensusProblem(name, count, [str(e) for e in examples], fix))
    if active_count == 0:
        problems.append(CensusProblem("no_active_employees", row_count, [],
                                      "the census needs at least one active employee"))
    return CensusReport(str(path), row_count, active_count, problems)


def validate_census(path: Path | str, census_date: date) -> CensusReport:
    """Check a census against the contract; every problem is named, counted and exemplified.

    Raises CensusError only when the file itself is unusable (missing, wrong suffix,
    unreadable); data problems are returned in the report.
    """
    with connect_duckdb() as con:
        return _validate_in(con, Path(path), census_date)


def load_census(conn: duckdb.DuckDBPyConnection, path: Path | str, census_date: date,
                table: str = "raw_census", report: CensusReport | None = None) -> CensusReport:
    """Validate, then (only if valid) replace `table` with the typed contract columns.

    An invalid census raises CensusError before anything is written to `conn`. A caller that
    has just validated the same file may pass its `report` to skip a second pass.
    """
    if not _TABLE_NAME.match(table):
        raise ValueError(f"invalid table name {table!r}")
    path = Path(path)
    if report is None or report.path != str(path):
        report = validate_census(path, census_date)
    if not report.ok:
        raise CensusError(report)
    # create-or-replace is a single statement: on any failure the old table stays as it was
    _create_from_file(conn, path, f"CREATE OR REPLACE TABLE {table} AS ", _census_select)
    return report


def _census_select(columns: dict[str, tuple[str, str]], reader: str) -> str:
    """Only the contract columns, typed; `active` derived from termination when absent."""
    typed = {c: f"CAST({c} AS {COLUMN_KINDS[c][1]})" for c in CENSUS_COLUMNS}
    typed["active"] = "coalesce(active, employee_termination_date IS NULL)"
    select_list = ", ".join(f"{expr} AS {c}" for c, expr in typed.items())
    return f"SELECT {select_list} FROM ({_normalised_select(columns, reader)})"


def census_file_hash(path: Path | str) -> str:
    """sha256 of the file bytes, streamed, to record exactly which census a run used."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
