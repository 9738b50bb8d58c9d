"""How the product opens DuckDB and writes text into SQL.

Every DuckDB connection the product opens goes through `connect_duckdb`: DuckDB's automatic
extension install and load are off, so a file that is not a DuckDB database (a SQLite file, a
Parquet file named `.duckdb`) is refused instead of making DuckDB download an extension. The dbt
profile (dbt/profiles.yml, `config_options`) sets the same options, which DuckDB requires of two
connections to one in-process instance.

Text reaches SQL only as a bound parameter, as a literal from `literal` (quotes doubled) or as an
identifier from `identifier`. Config identifiers are slugs (`SLUG`), validated before they get
here; the dbt macros `slug_var` and `sql_string` (dbt/macros/literals.sql) do the same in SQL.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

# What a scenario, plan design, match formula or run id may look like (DESIGN 4.3).
SLUG = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

# DuckDB options of every connection (and of the dbt profile's `config_options`).
DUCKDB_CONFIG: dict[str, object] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}

# A DuckDB database file carries this magic at byte 8 of its first block.
_DUCKDB_MAGIC = b"DUCK"


class NotADuckDBFile(ValueError):
    """The path names a file that is not a DuckDB database; the message names the fix."""


def literal(text: object) -> str:
    """`text` as a single-quoted SQL string literal (DuckDB: quotes doubled, nothing else special)."""
    return "'" + str(text).replace("'", "''") + "'"


def identifier(name: str) -> str:
    """`name` as a double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def check_duckdb_file(path: Path, creates: bool = True) -> None:
    """Refuse an existing, non-empty file that is not a DuckDB database.

    Raises NotADuckDBFile naming the file and what it seems to be. A missing or empty file
    passes (DuckDB creates the database); a directory is refused. `creates`: whether the
    caller would create a database at a new path (a reader would not; its fix says so).
    """
    path = Path(path)
    if path.is_dir():
        raise NotADuckDBFile(f"{path} is a directory, not a DuckDB database file; pass --database FILE")
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise NotADuckDBFile(f"cannot read {path} ({exc.strerror or exc}); check the path and its permissions") from None
    if not head or head[8:12] == _DUCKDB_MAGIC:
        return
    kind = "a SQLite database" if head.startswith(b"SQLite format 3") else "not a DuckDB database"
    fix = "pass --database with a DuckDB file" + (" (or a new path, which is created)" if creates else "")
    raise NotADuckDBFile(f"{path} is {kind}; {fix}")


def connect_duckdb(database: str | Path = ":memory:", read_only: bool = False,
                   config: dict[str, object] | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with automatic extension install and load off.

    `database` is a file path, ":memory:" or a named in-memory instance (":memory:NAME");
    `config` adds instance options (it cannot turn the extension options back on).
    A file path is checked first (check_duckdb_file)."""
    name = str(database)
    if not name.startswith(":memory:"):
        check_duckdb_file(Path(name), creates=not read_only)
    return duckdb.connect(name, read_only=read_only, config={**(config or {}), **DUCKDB_CONFIG})
