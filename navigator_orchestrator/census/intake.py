"""Census contract (DESIGN.md §4.2): read a census file once, check it, load what was checked.

`read_census` reads the file's bytes once (read.py), maps its headers to the contract columns
(columns.py), parses every cell by file-wide rules (parse.py) and checks every row rule
(rules.py), all as set-based SQL in an in-memory DuckDB. The result holds the typed contract
rows and the sha256 of the bytes they came from; `load_census` writes exactly those rows, so
what a run validated, hashed and loaded is one and the same read. Only contract columns are
ever parsed: PII such as employee_ssn or names never reaches raw_census, a log or a report
(problem examples name employee ids or row numbers, never values).
"""

from __future__ import annotations

import hashlib
import re
import shlex
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from navigator_orchestrator.census import parse
from navigator_orchestrator.census.columns import (
    CENSUS_COLUMNS, OPTIONAL_COLUMNS, REQUIRED_COLUMNS, ColumnMapping, map_columns,
)
from navigator_orchestrator.census.generate import generate_census, read_level_bands
from navigator_orchestrator.census.read import CensusSource, SourceError, read_source
from navigator_orchestrator.census.rules import DEFAULT_PAY_FLOOR, MAX_COMPENSATION, row_rules
from navigator_orchestrator.sql import connect_duckdb

__all__ = [
    "CENSUS_COLUMNS", "REQUIRED_COLUMNS", "OPTIONAL_COLUMNS", "CensusOptions", "CensusProblem",
    "CensusReport", "CensusError", "Census", "read_census", "validate_census", "load_census",
    "census_file_hash", "generate_census", "MAX_COMPENSATION",
]

# Contract column -> type written to raw_census.
COLUMN_TYPES: dict[str, str] = {
    "employee_id": "VARCHAR", "employee_birth_date": "DATE", "employee_hire_date": "DATE",
    "employee_gross_compensation": "DOUBLE", "employee_termination_date": "DATE",
    "active": "BOOLEAN", "employee_deferral_rate": "DOUBLE", "level_id": "INTEGER",
    # More-than-5% owner of the employer (IRC 416(i)(1)(B)), for HCE status (414(q)(1)(A)).
    "is_owner_5pct": "BOOLEAN",
    "employee_rehire_date": "DATE",
    # Account balances per source at the census date, dollars taken to the cent (docs/money.md),
    # and completed-or-partial years of vesting service at the census date (docs/plan.md).
    "employee_deferral_balance": "DECIMAL(14, 2)", "employer_match_balance": "DECIMAL(14, 2)",
    "employer_core_balance": "DECIMAL(14, 2)", "vesting_service_years": "DECIMAL(6, 2)",
    # Officer, and more-than-1% owner, of the employer: key employees for the top-heavy test
    # (IRC 416(i)(1)(A)(i), (iii)).
    "is_officer": "BOOLEAN", "is_owner_1pct": "BOOLEAN",
}
MAX_EXAMPLES = 5
_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


@dataclass(frozen=True)
class CensusOptions:
    """How to read a census: the `setup.census_*` and `setup.compensation_basis` keys."""

    columns: dict[str, str | None] = field(default_factory=dict)  # contract name -> header
    sheet: str | None = None
    date_format: str | None = None
    compensation_basis: str = "annual_rate"   # annual_rate | year_to_date
    pay_floor: float = DEFAULT_PAY_FLOOR      # dollars a year

    @classmethod
    def from_setup(cls, setup: Any) -> "CensusOptions":
        return cls(columns=dict(setup.census_columns), sheet=setup.census_sheet,
                   date_format=setup.census_date_format,
                   compensation_basis=setup.compensation_basis, pay_floor=setup.census_pay_floor)


@dataclass
class CensusProblem:
    name: str
    count: int
    examples: list[str]
    fix: str
    columns: list[str] = field(default_factory=list)   # e.g. ["employee_birth_date ('DOB')"]

    def format(self) -> str:
        unit = "column" if self.name in ("missing_columns", "duplicate_columns") else "row"
        where = f" [{', '.join(self.columns)}]" if self.columns else ""
        examples = f" (e.g. {', '.join(self.examples[:MAX_EXAMPLES])})" if self.examples else ""
        return f"{self.name}{where}: {_plural(self.count, unit)}{examples}. Fix: {self.fix}"


@dataclass
class CensusReport:
    path: str
    row_count: int
    active_count: int
    problems: list[CensusProblem] = field(default_factory=list)
    warnings: list[CensusProblem] = field(default_factory=list)
    mapping: list[str] = field(default_factory=list)      # one line per contract column
    unmapped: list[str] = field(default_factory=list)     # headers never read
    sha256: str | None = None                             # of the bytes that were checked

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, name: str) -> CensusProblem | None:
        return next((p for p in self.problems if p.name == name), None)

    def warning(self, name: str) -> CensusProblem | None:
        return next((p for p in self.warnings if p.name == name), None)

    def format(self) -> str:
        head = f"Census {self.path}: {self.row_count} rows, {self.active_count} active"
        lines = [head + (" - valid." if self.ok else f" - {len(self.problems)} problem(s):")]
        lines += [f"  - {p.format()}" for p in self.problems]
        lines += [f"  warning: {w.format()}" for w in self.warnings]
        return "\n".join(lines)


class CensusError(Exception):
    """An unusable census; `.report` lists every problem found. `listed`: the caller has
    printed the list (`navigator census validate`)."""

    def __init__(self, report: CensusReport, listed: bool = False) -> None:
        self.report = report
        self.listed = listed
        super().__init__(self.describe())

    def describe(self, config: Path | None = None) -> str:
        """The one line of the refusal: one problem with its fix; or the problems counted, and
        the command that lists each one's column, example ids and fix (`navigator census
        validate PATH`, with `-c CONFIG` when the census was read with that config's settings)."""
        report = self.report
        if len(report.problems) == 1:  # one problem: name it and its fix on the one line
            p = report.problems[0]
            where = f" in {', '.join(p.columns)}" if p.columns else ""
            detail = f"{p.name}{where}: {p.fix}"
        else:
            detail = ", ".join(f"{p.name} ({p.count})" for p in report.problems)
            if self.listed:
                detail += " (each with its fix above)"
            else:
                command = f"navigator census validate {shlex.quote(str(report.path))}"
                command += f" -c {shlex.quote(str(config))}" if config is not None else ""
                detail += f"; run `{command}` for each one's rows and fix"
        return f"census {report.path} is invalid: {detail}"


class CensusFileError(CensusError):
    """The file itself cannot be read as a census (a directory, a missing file, another format, a
    damaged file, no such sheet): one problem, and nothing about rows to list."""

    def __init__(self, report: CensusReport) -> None:
        super().__init__(report)
        p = report.problems[0]
        Exception.__init__(self, f"census {report.path} cannot be read ({p.name}): {p.fix}")


@dataclass
class Census:
    """One read of a census file: its report and (when valid) the rows raw_census receives."""

    report: CensusReport
    rows: pa.Table | None = None

    @property
    def sha256(self) -> str | None:
        return self.report.sha256


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'}"


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple:
    return con.execute(sql).fetchall()[0]


def read_census(path: Path | str, census_date: date, options: CensusOptions | None = None) -> Census:
    """Read, map, parse and check a census file, reading its bytes exactly once.

    Returns a Census whose `report` names every problem (`report.ok` is false then and `rows`
    is None) and every warning. Raises CensusError (one problem) only when the file itself is
    unusable: CensusFileError when it is a directory, missing, of another format, damaged or has
    no such sheet; CensusError for malformed CSV rows (with their line numbers).
    `census_date` is the Dec 31 the file describes.
    """
    path, options = Path(path), options or CensusOptions()
    try:
        source = read_source(path, options.sheet)
    except SourceError as exc:
        # Rows that could not be split (malformed_rows) are listed like any row problem.
        error = CensusError if exc.examples else CensusFileError
        raise error(CensusReport(str(path), 0, 0, [
            CensusProblem(exc.name, exc.count, exc.examples, exc.fix)])) from None
    mapping = map_columns(source.headers, options.columns)
    report = CensusReport(str(path), source.table.num_rows, 0, mapping=mapping.describe(),
                          unmapped=mapping.unmapped, sha256=source.sha256)
    if mapping.problems:
        report.problems = [CensusProblem(p.name, len(p.examples), p.examples, p.fix, p.columns)
                           for p in mapping.problems]
        return Census(report)
    with connect_duckdb() as con:
        # _row: 1-based data row in file order, to point at rows that have no employee_id
        con.register("census_source", source.table.append_column(
            "_row", pa.array(range(1, source.table.num_rows + 1), pa.int64())))
        rows = _check(con, source, mapping, census_date, options, report)
    return Census(report, rows if report.ok else None)


def validate_census(path: Path | str, census_date: date, options: CensusOptions | None = None,
                    ) -> CensusReport:
    """The report of `read_census` (see there)."""
    return read_census(path, census_date, options).report


def load_census(conn: duckdb.DuckDBPyConnection, census: Census | Path | str,
                census_date: date | None = None, table: str = "raw_census",
                options: CensusOptions | None = None) -> CensusReport:
    """Replace `table` with the rows `census` checked; an invalid census raises CensusError
    and writes nothing (an existing table stays as it was). Given a path instead of a Census,
    reads it first with `read_census(path, census_date, options)` (one read either way)."""
    if not _TABLE_NAME.match(table):
        raise ValueError(f"invalid table name {table!r}")
    if not isinstance(census, Census):
        if census_date is None:
            raise ValueError("load_census needs the census date to read a census file")
        census = read_census(census, census_date, options)
    if not census.report.ok or census.rows is None:
        raise CensusError(census.report)
    view = "census_checked_rows"
    conn.register(view, census.rows)
    try:
        # create-or-replace is a single statement: on any failure the old table stays as it was
        conn.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {view}")
    finally:
        conn.unregister(view)
    return census.report


def census_file_hash(path: Path | str) -> str:
    """sha256 of the file bytes, streamed (the hash a run records is `Census.sha256`)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ----- the checks ------------------------------------------------------------------------

def _label(mapping: ColumnMapping, column: str, dtype: str | None = None) -> str:
    """`employee_birth_date ('DOB')`, with the file's type when it is not text."""
    if column not in mapping.used:
        return column
    typed = f", file type {dtype}" if dtype and dtype != "VARCHAR" else ""
    return f"{column} ({mapping.header(column)!r}{typed})"


def _check(con: duckdb.DuckDBPyConnection, source: CensusSource, mapping: ColumnMapping,
           census_date: date, options: CensusOptions, report: CensusReport) -> pa.Table | None:
    types = {r[0]: str(r[1]).upper() for r in con.execute("DESCRIBE census_source").fetchall()}
    columns = {c: parse.Column(c, f"c{i}", types[f"c{i}"]) for c, i in mapping.used.items()}
    # Every used text cell trimmed once, blanks as NULL; other columns (PII) are never selected.
    cells = ", ".join(f"nullif(trim({c.source}), '') AS {c.source}" if c.text else c.source
                      for c in columns.values())
    con.execute(f"CREATE TEMP TABLE census_cells AS SELECT _row, {cells} FROM census_source")
    params = {"date_format": options.date_format} if options.date_format else {}
    sql, keys = parse.evidence_sql(columns)
    measures = dict(zip(keys, _one(con, sql))) if sql else {}
    decisions = parse.decide(measures, options.date_format is not None)
    con.execute(f"CREATE TEMP TABLE census AS {_parsed_select(columns, decisions, census_date, options)}",
                params)
    rate_problem = _rate_scale(con, columns, mapping)
    for c in decisions.mixed_decimal:
        report.problems.append(CensusProblem(
            "mixed_decimal_separators", measures.get((c, "comma"), 0), [],
            "the column writes decimals both with a comma (1.234,56) and with a point "
            "(1,234.56): use one way for the whole file", [_label(mapping, c)]))
    if rate_problem:
        report.problems.append(rate_problem)

    # A column whose reading rule is itself refused is not also reported value by value.
    unreadable = set(decisions.mixed_decimal) | ({parse.RATE_COLUMN} if rate_problem else set())
    rules = [r for r in row_rules(set(columns), census_date, [b.level_id for b in read_level_bands()],
                      decisions.date_order_problem, options.pay_floor, options.date_format)
             if not (r.name in ("unparseable_number", "deferral_rate_out_of_range")
                     and unreadable & set(r.columns))]
    cd = f"DATE '{census_date.isoformat()}'"
    active = f"coalesce(active, current_termination IS NULL OR current_termination > {cd})"
    con.execute(f"""CREATE TEMP TABLE checked AS SELECT *, {active} AS is_active,
        {_annual_pay(census_date, options.compensation_basis)} AS annual_compensation,
        CASE WHEN employee_id IS NULL THEN 0 ELSE count(*) OVER (PARTITION BY employee_id) END
            AS id_rows,
        row_number() OVER (PARTITION BY employee_id ORDER BY _row) AS id_seq
        FROM census""")
    example = "coalesce(employee_id, 'row ' || _row)"
    example_only = {"duplicate_employee_id": "id_rows > 1 AND id_seq = 1"}  # distinct ids
    counts = ", ".join(f"count(*) FILTER (WHERE coalesce({r.condition}, false))" for r in rules)
    row = _one(con, f"SELECT count(*), count(*) FILTER (WHERE is_active), {counts} FROM checked")
    report.row_count, report.active_count = int(row[0]), int(row[1])
    # Examples (the first ids by file order) only for the rules that found rows: a valid file
    # needs no second pass.
    found = [(rule, int(count)) for rule, count in zip(rules, row[2:]) if count]
    examples_of: list = []
    if found:
        examples_of = list(_one(con, "SELECT " + ", ".join(
            f"min_by({example}, _row, {MAX_EXAMPLES}) FILTER (WHERE coalesce("
            f"{example_only.get(rule.name, rule.condition)}, false))" for rule, _ in found) + " FROM checked"))
    for (rule, count), examples in zip(found, examples_of):
        problem = CensusProblem(rule.name, count, [str(e) for e in examples or []], rule.fix,
                                [_label(mapping, c, columns[c].dtype if c in columns
                                        and rule.name.startswith("unparseable") else None)
                                 for c in rule.columns])
        (report.warnings if rule.warning else report.problems).append(problem)
    if report.active_count == 0:
        report.problems.append(CensusProblem("no_active_employees", report.row_count, [],
                                             "the census needs at least one active employee"))
    if report.problems:
        return None
    return con.sql(_raw_census_select(active)).to_arrow_table()


def _parsed_select(columns: dict[str, parse.Column], d: parse.Decisions, census_date: date,
                   options: CensusOptions) -> str:
    """Per contract column: the parsed value, `<c>__bad`, and the flags the rules read.

    Each value is computed once (inner select); `<c>__bad` (a cell present but unreadable) reads
    the computed value in the select around it instead of parsing the cell a second time."""
    parts, bad_flags = ["_row"], []
    for name in CENSUS_COLUMNS:
        col = columns.get(name)
        flags: dict[str, str] = {}
        if col is None:
            value, bad = f"NULL::{COLUMN_TYPES[name]}", "false"
            if name in parse.DATE_COLUMNS:
                flags = {"slash": "false", "yy": "false"}
            if name == parse.RATE_COLUMN:
                flags = {"pct": "false"}
        else:
            if name in parse.DATE_COLUMNS:
                value, slash, yy = parse.date_sql(col, d, census_date.year, options.date_format)
                flags = {"slash": slash, "yy": yy}
            elif name in parse.NUMBER_COLUMNS:
                value, pct = parse.number_sql(col, d)
                if name == parse.RATE_COLUMN:
                    flags = {"pct": pct}
            elif name in parse.BOOLEAN_COLUMNS:
                value = parse.bool_sql(col, d.status_words and name == "active")
            else:  # employee_id
                value = f"nullif(trim(CAST({col.source} AS VARCHAR)), '')"
            parts.append(f"{parse.present_sql(col, name in parse.BOOLEAN_COLUMNS)} AS {name}__present")
            bad = f"coalesce({name}__present AND {name} IS NULL, false)"
            if "slash" in flags:
                bad = f"({bad} AND NOT {name}__slash)"
        parts.append(f"{value} AS {name}")
        bad_flags.append(f"{bad} AS {name}__bad")
        parts += [f"{expr} AS {name}__{flag}" for flag, expr in flags.items()]
    present = [p.rsplit(" AS ", 1)[1] for p in parts if p.endswith("__present")]
    parsed = f"SELECT {', '.join(parts)} FROM census_cells"
    # A termination before the rehire date ended an earlier employment, not the current one.
    current_termination = ("CASE WHEN employee_rehire_date IS NOT NULL AND employee_termination_date < "
                           "employee_rehire_date THEN NULL ELSE employee_termination_date END")
    exclude = f" EXCLUDE ({', '.join(present)})" if present else ""
    return (f"SELECT *{exclude}, {', '.join(bad_flags)}, {current_termination} AS current_termination "
            f"FROM ({parsed})")


def _rate_scale(con: duckdb.DuckDBPyConnection, columns: dict[str, parse.Column],
                mapping: ColumnMapping) -> CensusProblem | None:
    """Read the deferral-rate column as percents or fractions (parse.py), or say why not."""
    name = parse.RATE_COLUMN
    if name not in columns:
        return None
    r = f"{name}"
    pct = f"({name}__pct OR {r} > 1)"
    frac = f"(NOT {name}__pct AND {r} > 0 AND {r} < 1)"
    percents, fractions, ones, pct_ids, frac_ids = _one(con, f"""SELECT
        count(*) FILTER (WHERE {pct}), count(*) FILTER (WHERE {frac}),
        count(*) FILTER (WHERE NOT {name}__pct AND {r} = 1),
        min_by(coalesce(employee_id, 'row ' || _row), _row, {MAX_EXAMPLES}) FILTER (WHERE {pct}),
        min_by(coalesce(employee_id, 'row ' || _row), _row, {MAX_EXAMPLES}) FILTER (WHERE {frac})
        FROM census""")
    label = [_label(mapping, name)]
    if percents and fractions:
        few, few_ids, many, kind = ((percents, pct_ids, fractions, "fractions") if percents <= fractions
                                    else (fractions, frac_ids, percents, "percents"))
        return CensusProblem(
            "mixed_rate_scale", few, [str(i) for i in few_ids or []],
            f"these rows look like {'percents (6 or 6%)' if kind == 'fractions' else 'fractions (0.06)'} "
            f"while {many} rows look like {kind}: write every rate one way (6, 6% or 0.06)", label)
    if not percents and not fractions and ones:
        return CensusProblem(
            "ambiguous_rate_scale", ones, [],
            "every rate is 0 or 1, so 1 could mean 1% or 100%: write 1% or 0.01 (or 100%)", label)
    if percents:
        con.execute(f"UPDATE census SET {name} = {name} / 100")
    return None


def _annual_pay(census_date: date, basis: str) -> str:
    """SQL: the annual pay rate. Year-to-date pay is divided by the days worked in the census
    year and multiplied by the days in it, in exact decimals, rounded half up to the cent."""
    if basis != "year_to_date":
        return "employee_gross_compensation"
    jan1 = f"DATE '{census_date.year}-01-01'"
    cd = f"DATE '{census_date.isoformat()}'"
    days_in_year = (census_date - date(census_date.year, 1, 1)).days + 1
    start = f"greatest(coalesce(employee_rehire_date, employee_hire_date), {jan1})"
    end = f"least(coalesce(current_termination, {cd}), {cd})"
    worked = f"(({end}) - ({start}) + 1)"
    return (f"CASE WHEN {worked} > 0 AND {worked} < {days_in_year} THEN CAST(round("
            f"CAST(employee_gross_compensation AS DECIMAL(18, 2)) * {days_in_year} / {worked}, 2)"
            " AS DOUBLE) ELSE employee_gross_compensation END")


def _raw_census_select(active: str) -> str:
    """The rows raw_census receives: contract columns only, typed, in contract order."""
    typed = {c: f"CAST({c} AS {t})" for c, t in COLUMN_TYPES.items()}
    typed["active"] = active
    typed["employee_gross_compensation"] = "CAST(annual_compensation AS DOUBLE)"
    return (f"SELECT {', '.join(f'{typed[c]} AS {c}' for c in CENSUS_COLUMNS)} "
            "FROM checked ORDER BY _row")
