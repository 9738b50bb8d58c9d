"""Cell parsing rules of the census, as SQL over the view `census_cells` (the file's used
columns by position, text trimmed).

Every rule is decided per file (or per column) from the whole file before any cell is read,
so one value can never be read two ways:

- **Dates.** ISO `YYYY-MM-DD` (a time or zone after it is ignored: the date as written),
  `YYYYMMDD`, Excel serial numbers (days since 1899-12-30, the 1900 date system), and slash
  dates `a/b/year` (also with `.` or `-`). Slash dates are month-first when some slash date in
  the file has a second field above 12, day-first when some has a first field above 12; both
  is refused (`inconsistent_date_order`), neither is refused (`ambiguous_dates`) unless
  `setup.census_date_format` (strftime, e.g. `%m/%d/%Y`) is set, which then reads every
  non-ISO date. Two-digit years: birth, hire and rehire dates take the latest year ending in
  those digits that is not after the census year (`3/15/62` with a 2024 census is 1962);
  termination dates the latest not more than 10 years after it (`6/30/25` is 2025).
- **Numbers.** `$`, `€`, `£`, spaces and `'` are ignored; thousands separators must group
  three digits. A column is decimal-comma when its values show it (`1.234,56`, `85000,5`,
  `0,06`) and none show a decimal point (`85,000.50`, `0.06`); showing both is refused
  (`mixed_decimal_separators`); a column showing neither follows the rest of the file.
- **Rates.** A deferral-rate column is in percents when a value carries `%` or exceeds 1, in
  fractions when a value without `%` lies strictly between 0 and 1; both is refused
  (`mixed_rate_scale`), and a column of only 0s and 1s is refused as `ambiguous_rate_scale`.
- **Active.** true/t/yes/y/1/active/a and false/f/no/n/0/inactive/i/terminated/term/termed
  (any case); in a column that uses the status words, a bare `t`/`f` is refused (True or
  Terminated?).
"""

from __future__ import annotations

from dataclasses import dataclass, field

DATE_COLUMNS = ("employee_birth_date", "employee_hire_date", "employee_termination_date",
                "employee_rehire_date")
NUMBER_COLUMNS = ("employee_gross_compensation", "employee_deferral_rate", "level_id",
                  "employee_deferral_balance", "employer_match_balance", "employer_core_balance",
                  "vesting_service_years")
# Account balances at the census date (dollars) and years of vesting service.
ACCOUNT_COLUMNS = ("employee_deferral_balance", "employer_match_balance", "employer_core_balance")
RATE_COLUMN = "employee_deferral_rate"
# True/false columns (the active status words aside): ownership and officer flags.
BOOLEAN_COLUMNS = ("active", "is_owner_5pct", "is_officer", "is_owner_1pct")
# Two-digit years resolve to the latest year ending in them that is <= census year + this.
TWO_DIGIT_YEAR_AHEAD = {"employee_termination_date": 10}
STATUS_TRUE = ("true", "t", "yes", "y", "1", "active", "a")
STATUS_FALSE = ("false", "f", "no", "n", "0", "inactive", "i", "terminated", "term", "termed")
STATUS_WORDS = ("active", "a", "inactive", "i", "terminated", "term", "termed")

_ISO = r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ].*)?$"
_SLASH = r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})$"
_SERIAL = r"^\d{1,7}(?:\.\d+)?$"
_YYYYMMDD = r"^(?:19|20)\d{6}$"
_NUMBER_POINT = r"^[-+]?(?:\d{1,3}(?:,\d{3})+|\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?$"
_NUMBER_COMMA = r"^[-+]?(?:\d{1,3}(?:\.\d{3})+|\d*)(?:,\d+)?$"
_COMMA_EVIDENCE = r",\d{1,2}$|,\d{4,}$|^[-+]?0,|\.\d{3},|\.\d{3}\.\d{3}"
_POINT_EVIDENCE = r"\.\d{1,2}$|\.\d{4,}$|^[-+]?0\.|,\d{3}\.|,\d{3},\d{3}|[eE]"
_MAX_SERIAL = 2_958_465  # 9999-12-31


@dataclass
class Column:
    """A mapped contract column: SQL name of its source column and its DuckDB type."""

    name: str
    source: str   # c0, c1, ... (positional, never header text)
    dtype: str

    @property
    def text(self) -> bool:
        return self.dtype == "VARCHAR"


@dataclass
class Decisions:
    """File-wide reading rules decided from the evidence pass (see the module docstring)."""

    date_order: str | None = None              # mdy | dmy | None
    date_order_problem: str | None = None      # ambiguous_dates | inconsistent_date_order
    decimal: dict[str, str] = field(default_factory=dict)   # column -> point | comma
    mixed_decimal: list[str] = field(default_factory=list)
    status_words: bool = False


def _v(col: Column) -> str:
    """A text cell, already trimmed with blanks as NULL (the view `census_cells`)."""
    return col.source


def _clean_number(col: Column) -> str:
    stripped = (f"regexp_replace({_v(col)}, '[\\s\\x{{00A0}}\\x{{202F}}$€£'']', '', 'g')")
    return f"rtrim({stripped}, '%')"


def evidence_sql(columns: dict[str, Column]) -> tuple[str, list[tuple[str, str]]]:
    """One aggregate query over the source; returns (sql, [(column, measure), ...])."""
    parts: list[str] = []
    keys: list[tuple[str, str]] = []
    # count(CASE WHEN cheap THEN CASE WHEN regex ...): CASE is lazy, so the regular
    # expressions only see the cells a cheap test lets through (not ISO dates, not plain numbers).
    for name in DATE_COLUMNS:
        col = columns.get(name)
        if col is None or not col.text:
            continue
        v = _v(col)
        a = f"TRY_CAST(regexp_extract({v}, '{_SLASH}', 1) AS INTEGER)"
        b = f"TRY_CAST(regexp_extract({v}, '{_SLASH}', 2) AS INTEGER)"
        candidate = f"TRY_CAST({v} AS DATE) IS NULL"
        slash = f"regexp_full_match({v}, '{_SLASH}')"
        for measure, test in (("slash", "true"), ("first_over_12", f"{a} > 12"), ("second_over_12", f"{b} > 12")):
            parts.append(f"count(CASE WHEN {candidate} THEN CASE WHEN {slash} AND {test} THEN 1 END END)")
            keys.append((name, measure))
    for name in NUMBER_COLUMNS:
        col = columns.get(name)
        if col is None or not col.text:
            continue
        v, s = _v(col), _clean_number(col)
        marked = f"(contains({v}, ',') OR contains({v}, '.') OR contains(lower({v}), 'e'))"
        # A plain number (DuckDB's own cast reads it; no comma, so no comma evidence) has nothing
        # for the cleaning to remove: the point pattern reads the cell as it is.
        plain = f"(NOT contains({v}, ',') AND NOT contains({v}, '_') AND TRY_CAST({v} AS DOUBLE) IS NOT NULL)"
        parts.append(f"count(CASE WHEN {marked} AND NOT {plain} THEN CASE WHEN "
                     f"regexp_matches({s}, '{_COMMA_EVIDENCE}') THEN 1 END END)")
        parts.append(f"count(CASE WHEN {marked} THEN CASE WHEN CASE WHEN {plain} THEN "
                     f"regexp_matches({v}, '{_POINT_EVIDENCE}') ELSE regexp_matches({s}, '{_POINT_EVIDENCE}') "
                     "END THEN 1 END END)")
        keys += [(name, "comma"), (name, "point")]
    active = columns.get("active")
    if active is not None and active.text:
        words = ", ".join(f"'{w}'" for w in STATUS_WORDS)
        parts.append(f"count(*) FILTER (WHERE lower({_v(active)}) IN ({words}))")
        keys.append(("active", "status_words"))
    if not parts:
        return "", []
    return f"SELECT {', '.join(parts)} FROM census_cells", keys


def decide(measures: dict[tuple[str, str], int], has_format: bool) -> Decisions:
    """Turn the evidence counts into the file's reading rules."""
    d = Decisions()
    slash = sum(v for (c, m), v in measures.items() if m == "slash")
    first = sum(v for (c, m), v in measures.items() if m == "first_over_12")
    second = sum(v for (c, m), v in measures.items() if m == "second_over_12")
    if slash and not has_format:
        if first and second:
            d.date_order_problem = "inconsistent_date_order"
        elif first:
            d.date_order = "dmy"
        elif second:
            d.date_order = "mdy"
        else:
            d.date_order_problem = "ambiguous_dates"
    comma_cols = [c for c in NUMBER_COLUMNS if measures.get((c, "comma")) and not measures.get((c, "point"))]
    point_cols = [c for c in NUMBER_COLUMNS if measures.get((c, "point")) and not measures.get((c, "comma"))]
    default = "comma" if comma_cols and not point_cols else "point"
    for c in NUMBER_COLUMNS:
        if measures.get((c, "comma")) and measures.get((c, "point")):
            d.mixed_decimal.append(c)
        d.decimal[c] = "comma" if c in comma_cols else "point" if c in point_cols else default
    d.status_words = bool(measures.get(("active", "status_words")))
    return d


def _pivot(year2: str, name: str, census_year: int) -> str:
    limit = census_year + TWO_DIGIT_YEAR_AHEAD.get(name, 0)
    return f"({limit} - (({limit} - ({year2})) % 100))"


def _ymd(y: str, m: str, d: str) -> str:
    return f"try_strptime(printf('%04d-%02d-%02d', {y}, {m}, {d}), '%Y-%m-%d')::DATE"


def date_sql(col: Column, d: Decisions, census_year: int, fmt: str | None) -> tuple[str, str, str]:
    """(value, slash-unreadable flag, two-digit-year flag) for a date column."""
    if col.dtype == "DATE":
        return col.source, "false", "false"
    if col.dtype.startswith("TIMESTAMP"):
        return f"CAST({col.source} AS DATE)", "false", "false"
    if not col.text:
        return "NULL::DATE", "false", "false"
    v = _v(col)
    iso = _ymd(*(f"TRY_CAST(regexp_extract({v}, '{_ISO}', {i}) AS INTEGER)" for i in (1, 2, 3)))
    serial_n = f"TRY_CAST({v} AS DOUBLE)"
    serial = (f"CASE WHEN {serial_n} >= 1 AND {serial_n} <= {_MAX_SERIAL} THEN "
              f"DATE '1899-12-30' + CAST(floor({serial_n}) AS INTEGER) END")
    branches = []
    if fmt is not None:
        forced = f"try_strptime({v}, $date_format)::DATE"
        if "%y" in fmt:
            forced = _ymd(_pivot(f"year({forced}) % 100", col.name, census_year),
                          f"month({forced})", f"day({forced})")
        branches.append(f"WHEN try_strptime({v}, $date_format) IS NOT NULL THEN {forced}")
    # Fast path: DuckDB's own date cast reads year-first dates (nothing a later branch reads).
    plain = f"(TRY_CAST(left({v}, 4) AS INTEGER) >= 1000 AND TRY_CAST({v} AS DATE) IS NOT NULL)"
    branches += [f"WHEN {plain} THEN TRY_CAST({v} AS DATE)",
                 f"WHEN regexp_full_match({v}, '{_ISO}') THEN {iso}",
                 f"WHEN regexp_full_match({v}, '{_YYYYMMDD}') THEN try_strptime({v}, '%Y%m%d')::DATE",
                 f"WHEN regexp_full_match({v}, '{_SERIAL}') THEN {serial}"]
    slash = f"regexp_full_match({v}, '{_SLASH}')"
    two_digit = f"({slash} AND length(regexp_extract({v}, '{_SLASH}', 3)) = 2)"
    unreadable_slash = "false"
    if fmt is None and d.date_order is not None:
        a, b, y = (f"CAST(regexp_extract({v}, '{_SLASH}', {i}) AS INTEGER)" for i in (1, 2, 3))
        year = f"CASE WHEN {y} < 100 THEN {_pivot(y, col.name, census_year)} ELSE {y} END"
        month, day = (a, b) if d.date_order == "mdy" else (b, a)
        branches.append(f"WHEN {slash} THEN {_ymd(year, month, day)}")
    elif fmt is None:
        unreadable_slash = f"coalesce({slash}, false)"
    if fmt is not None:
        two_digit = "false" if "%y" not in fmt else f"(try_strptime({v}, $date_format) IS NOT NULL)"
    value = f"CASE {' '.join(branches)} END"
    return value, unreadable_slash, f"coalesce({two_digit}, false)"


def number_sql(col: Column, d: Decisions) -> tuple[str, str]:
    """(value as DOUBLE, written-with-% flag) for a money, rate or level column."""
    if col.dtype in ("DOUBLE", "FLOAT", "REAL") or col.dtype.startswith("DECIMAL") or \
            col.dtype in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                          "USMALLINT", "UINTEGER", "UBIGINT"):
        raw = f"CAST({col.source} AS DOUBLE)"
        return f"CASE WHEN isfinite({raw}) THEN {raw} END", "false"
    if not col.text:
        return "NULL::DOUBLE", "false"
    s = _clean_number(col)
    pct = f"coalesce(ends_with({_v(col)}, '%'), false)"
    signed = f"CASE WHEN {s} LIKE '(%)' THEN '-' || trim({s}, '()') ELSE {s} END"
    if d.decimal.get(col.name) == "comma":
        ok = f"regexp_full_match({signed}, '{_NUMBER_COMMA}')"
        text = f"replace(replace({signed}, '.', ''), ',', '.')"
    else:
        ok = f"regexp_full_match({signed}, '{_NUMBER_POINT}')"
        text = f"replace({signed}, ',', '')"
    raw = f"CASE WHEN {ok} AND regexp_matches({signed}, '\\d') THEN TRY_CAST({text} AS DOUBLE) END"
    # Fast path: a plain number (no symbols, separators a decimal comma could make ambiguous)
    # is read by DuckDB's own cast.
    v = _v(col)
    simple = f"NOT contains({v}, '_') AND NOT contains({v}, '%') AND NOT contains({v}, ',')"
    if d.decimal.get(col.name) == "comma":
        simple += f" AND NOT contains({v}, '.')"
    fast = f"CASE WHEN {simple} THEN TRY_CAST({v} AS DOUBLE) END"
    raw = f"CASE WHEN {fast} IS NOT NULL THEN {fast} ELSE {raw} END"
    return f"CASE WHEN isfinite({raw}) THEN {raw} END", pct


def bool_sql(col: Column, status_words: bool) -> str:
    """A true/false column; `status_words`: the column uses Active/Terminated words."""
    if col.dtype == "BOOLEAN":
        return col.source
    if col.dtype in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT",
                     "UINTEGER", "UBIGINT", "HUGEINT", "FLOAT", "DOUBLE") or col.dtype.startswith("DECIMAL"):
        # Spreadsheets and data frames often store a flag as the number 1.0 / 0.0.
        return f"CASE WHEN {col.source} = 1 THEN true WHEN {col.source} = 0 THEN false END"
    if not col.text:
        return "NULL::BOOLEAN"
    words_true = [w for w in STATUS_TRUE if not (status_words and w == "t")]
    words_false = [w for w in STATUS_FALSE if not (status_words and w == "f")]
    v = f"lower({_v(col)})"
    number = f"TRY_CAST({_v(col)} AS DOUBLE)"  # "1.0" / "0.00" written by a spreadsheet's export
    return (f"CASE WHEN {v} IN ({', '.join(repr(w) for w in words_true)}) OR {number} = 1 THEN true "
            f"WHEN {v} IN ({', '.join(repr(w) for w in words_false)}) OR {number} = 0 THEN false END")


def present_sql(col: Column, nan_is_blank: bool = False) -> str:
    """Whether a cell holds a value; with `nan_is_blank`, a floating-point NaN (how a data frame
    writes a missing value) counts as blank."""
    if nan_is_blank and col.dtype in ("FLOAT", "DOUBLE"):
        return f"({col.source} IS NOT NULL AND NOT isnan({col.source}))"
    return f"({col.source} IS NOT NULL)"

