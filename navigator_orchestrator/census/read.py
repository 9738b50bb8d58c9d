"""Read a census file once: its bytes, their sha256, and its cells as an Arrow table.

The file is read into memory exactly once; the hash, the validation and the load all use those
bytes, so a file replaced while a run waits for its lock or backup cannot be loaded unchecked.
Columns are renamed to their positions (`c0`, `c1`, ...): header text never reaches SQL.

- CSV (`.csv`, `.csv.gz`, `.tsv`, `.txt`): the delimiter is the one of `, ; TAB |` that the
  header line holds most often; UTF-8 (with or without a byte-order mark), else Windows-1252
  (Excel's default on Windows). Every cell is kept as text. A row with more or fewer fields
  than the header is refused with its line number.
- Parquet (`.parquet`, `.pq`): typed columns. A timestamp with a time zone is an instant, so
  its calendar date is taken as the UTC date of the nearest midnight: a date written as local
  midnight anywhere from UTC-11 to UTC+11 keeps its day, whatever this machine's time zone.
  A timestamp without a time zone keeps its own date.
- Excel (`.xlsx`, `.xlsm`, read with python-calamine): the first sheet, or
  `setup.census_sheet`; the first non-empty row is the header. Cells become text: a date cell
  its ISO date, a whole number its digits, a number its shortest decimal form.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

CSV_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
DELIMITERS = (",", ";", "\t", "|")
MAX_LINE_EXAMPLES = 5
_DAY_US = 86_400 * 10**6


class SourceError(Exception):
    """A file that cannot be read as a census: `name` and `fix` say why and what to do."""

    def __init__(self, name: str, fix: str, examples: list[str] | None = None, count: int = 1):
        super().__init__(f"{name}: {fix}")
        self.name, self.fix, self.examples, self.count = name, fix, examples or [], count


@dataclass
class CensusSource:
    """One read of a census file: headers in file order and cells in columns c0..cN."""

    path: Path
    sha256: str
    kind: str                  # csv | parquet | xlsx
    headers: list[str]
    table: pa.Table
    delimiter: str | None = None
    sheet: str | None = None


def read_source(path: Path | str, sheet: str | None = None) -> CensusSource:
    """Read the file at `path` once and return its cells; raises SourceError when unusable.

    Errors: `not_a_file` (a directory), `unsupported_format` (suffix), `file_not_found`,
    `unreadable_file` (damaged or
    not the format its suffix says), `sheet_not_found`, `empty_file`, `malformed_rows`
    (CSV rows whose field count differs from the header's, with their line numbers).
    """
    path = Path(path)
    if path.is_dir():
        raise SourceError("not_a_file", f"{path} is a directory; name the census file itself "
                                        "(.csv, .parquet or .xlsx)")
    name = path.name.lower()
    kind = ("csv" if name.endswith(CSV_SUFFIXES) else "parquet" if name.endswith(PARQUET_SUFFIXES)
            else "xlsx" if name.endswith(EXCEL_SUFFIXES) else None)
    if kind is None:
        raise SourceError("unsupported_format", f"{path} is not a census file: give the census as a .csv, "
                                                ".parquet or .xlsx file")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceError("file_not_found", f"no file at {path}; check the path") from None
    except OSError as exc:
        raise SourceError("unreadable_file", f"cannot read {path}: {exc.strerror or exc}") from None
    digest = hashlib.sha256(data).hexdigest()
    try:
        if kind == "csv":
            if name.endswith(".gz"):
                data = gzip.decompress(data)
            headers, table, delimiter = _read_csv(data)
            return CensusSource(path, digest, kind, headers, table, delimiter=delimiter)
        if kind == "parquet":
            headers, table = _read_parquet(data)
            return CensusSource(path, digest, kind, headers, table)
        headers, table, sheet_name = _read_excel(data, sheet)
        return CensusSource(path, digest, kind, headers, table, sheet=sheet_name)
    except SourceError:
        raise
    except (pa.ArrowException, OSError, EOFError, ValueError, UnicodeError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SourceError("unreadable_file", f"cannot read it as {kind}: {message[:300]}") from None


def _positional(columns: list[pa.Array | pa.ChunkedArray]) -> pa.Table:
    return pa.table({f"c{i}": col for i, col in enumerate(columns)})


# ----- CSV ---------------------------------------------------------------------------------

def _decode_check(data: bytes) -> str:
    try:
        data.decode("utf-8")
        return "utf8"
    except UnicodeDecodeError:
        return "cp1252"


def _header_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line
    raise SourceError("empty_file", "the file has no header row; the first line must name the columns")


def _read_csv(data: bytes) -> tuple[list[str], pa.Table, str]:
    encoding = _decode_check(data)
    text_head = data[:65536].decode("utf-8" if encoding == "utf8" else "cp1252", errors="replace")
    text_head = text_head.lstrip("\ufeff")
    header = _header_line(text_head)
    delimiter = max(DELIMITERS, key=lambda d: (header.count(d), -DELIMITERS.index(d)))
    # Every cell stays text (the header row is read as data, and the parse rules are ours).
    width = len(next(csv.reader([header], delimiter=delimiter)))
    invalid: list[int] = []

    def on_invalid(row: pa_csv.InvalidRow) -> str:
        invalid.append(row.number)
        return "skip"

    table = pa_csv.read_csv(
        io.BytesIO(data),
        read_options=pa_csv.ReadOptions(autogenerate_column_names=True, use_threads=False,
                                        encoding=encoding),
        parse_options=pa_csv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                          invalid_row_handler=on_invalid),
        convert_options=pa_csv.ConvertOptions(
            column_types={f"f{i}": pa.string() for i in range(width)},
            strings_can_be_null=False, quoted_strings_can_be_null=False, auto_dict_encode=False),
    )
    if invalid:
        _refuse_malformed(data, encoding, delimiter, invalid)
    if table.num_rows == 0:
        raise SourceError("empty_file", "the file has no header row; the first line must name the columns")
    headers = [str(v) for v in table.slice(0, 1).to_pylist()[0].values()]
    headers[0] = headers[0].lstrip("\ufeff")
    body = table.slice(1)
    return headers, _positional([body.column(i) for i in range(body.num_columns)]), delimiter


def _refuse_malformed(data: bytes, encoding: str, delimiter: str, records: list[int]) -> None:
    """Name the physical line of each bad record (Arrow counts records, not lines)."""
    text = data.decode("utf-8-sig" if encoding == "utf8" else "cp1252", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    wanted, lines, record, width = set(records), [], 0, None
    start = 1
    for fields in reader:
        if fields:
            record += 1
            width = len(fields) if width is None else width
            if record in wanted:
                lines.append(f"line {start} ({len(fields)} fields, the header has {width})")
        start = reader.line_num + 1
    label = repr(delimiter) if delimiter != "\t" else "TAB"
    raise SourceError(
        "malformed_rows",
        f"these rows do not have one field per column (delimiter {label}); quote values that "
        f"contain {label} (e.g. \"Smith, Jr.\") or remove the extra fields, then try again",
        lines[:MAX_LINE_EXAMPLES] or [f"record {n}" for n in records[:MAX_LINE_EXAMPLES]],
        len(records))


# ----- Parquet -----------------------------------------------------------------------------

def _calendar_dates(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """Timestamps as calendar dates: with a zone, the UTC date of the nearest midnight."""
    if col.type.tz is None:
        return pc.cast(col, pa.date32())
    micros = pc.cast(pc.cast(col, pa.timestamp("us", tz="UTC")), pa.int64())
    days = pc.floor(pc.divide(pc.add(pc.cast(micros, pa.float64()), _DAY_US / 2), _DAY_US))
    return pc.cast(pc.cast(days, pa.int32()), pa.date32())


def _read_parquet(data: bytes) -> tuple[list[str], pa.Table]:
    table = pq.read_table(pa.BufferReader(data))
    headers = list(table.column_names)
    columns = []
    for i in range(table.num_columns):
        col = table.column(i)
        columns.append(_calendar_dates(col) if pa.types.is_timestamp(col.type) else col)
    return headers, _positional(columns)


# ----- Excel -------------------------------------------------------------------------------

def _cell_text(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _read_excel(data: bytes, sheet: str | None) -> tuple[list[str], pa.Table, str]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types for damaged workbooks
        raise SourceError("unreadable_file", f"cannot read it as an Excel workbook: "
                          f"{str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__}") from None
    names = list(book.sheet_names)
    if not names:
        raise SourceError("empty_file", "the workbook has no sheets")
    chosen = names[0] if sheet is None else sheet
    if chosen not in names:
        raise SourceError("sheet_not_found", f"the workbook has no sheet {sheet!r}; its sheets "
                          f"are {', '.join(repr(n) for n in names)}: fix setup.census_sheet")
    rows = book.get_sheet_by_name(chosen).to_python(skip_empty_area=True)
    rows = [r for r in rows if any(c not in (None, "") for c in r)]
    if not rows:
        raise SourceError("empty_file", f"sheet {chosen!r} is empty; the first row must name the columns")
    width = max(len(r) for r in rows)
    headers = [_cell_text(c) or "" for c in rows[0]] + [""] * (width - len(rows[0]))
    body = rows[1:]
    columns = [pa.array([_cell_text(r[i]) if i < len(r) else None for r in body], pa.string())
               for i in range(width)]
    return headers, _positional(columns), chosen
