"""The published tables' columns are a contract: the ones dbt/models/marts/schema.yml documents.

Every `fct_*` table (engine.publish.PUBLISHED_TABLES) holds exactly the columns its model lists
in dbt/models/marts/schema.yml, in that order (a test compares them after a real run, so a
published column cannot be added without being documented there). The same list is what a run
checks an existing database against: a database whose `fct_*` tables were written by an earlier
version lacks some of these columns, and appending a year to it would fail only at the first
year's publish, after the census, the seeds and the year had been written. `navigator run`
refuses such a database before it writes anything (engine.simulation); a read command that
meets a missing column says the same (guard).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from navigator_orchestrator.engine.dbt_runner import DbtRunner
from navigator_orchestrator.engine.publish import PUBLISHED_TABLES
from navigator_orchestrator.sql import connect_duckdb

# Where the contract is written down: the file to edit when a published column is added.
SCHEMA_FILE = "dbt/models/marts/schema.yml"

# Columns named in the refusal before "(and N more)".
_SHOWN = 3


def published_columns(dbt: DbtRunner) -> dict[str, tuple[str, ...]]:
    """Published table -> the columns this version publishes in it, in order (the columns its
    model documents in SCHEMA_FILE, from dbt's parsed manifest)."""
    return dbt.documented_columns(list(PUBLISHED_TABLES))


def existing_published_tables(conn: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The published tables the database file already holds -> their columns, in table order
    (the connection's current catalog: the database file in a run, see database.use_catalogs)."""
    rows = conn.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_catalog = current_database() and table_schema = 'main' and list_contains(?, table_name) "
        "order by table_name, ordinal_position",
        [list(PUBLISHED_TABLES)],
    ).fetchall()
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(table, []).append(column)
    return tables


def missing_columns(existing: dict[str, list[str]], expected: dict[str, tuple[str, ...]]) -> dict[str, list[str]]:
    """Existing published table -> the columns this version publishes that it lacks (in the
    contract's order); tables that lack none are left out. Extra columns are not a problem:
    a year is appended by column name."""
    missing = {}
    for table, columns in expected.items():  # in the publishing order (PUBLISHED_TABLES)
        have = set(existing.get(table, columns))
        lacking = [c for c in columns if c not in have]
        if lacking:
            missing[table] = lacking
    return missing


def earlier_version_message(database: Path, missing: dict[str, list[str]], backup: bool,
                            resume: bool = False) -> str:
    """The one line refusing a database whose published tables lack columns (`missing`, non-empty):
    which table lacks which columns, and the two ways on (`backup`: setup.backup.enabled;
    `resume`: the run was --resume, which never clears)."""
    table, columns = next(iter(missing.items()))
    shown = ", ".join(columns[:_SHOWN]) + (f" (and {len(columns) - _SHOWN} more)" if len(columns) > _SHOWN else "")
    noun = "column" if len(columns) == 1 else "columns"
    others = [t for t in missing if t != table]
    also = f" (and columns of {', '.join(others)})" if others else ""
    afresh = ("it drops every table but the run log, after the backup" if backup
              else "it drops every table but the run log; setup.backup.enabled is false, so no backup is taken")
    return (f"{database} was written by an earlier version of navigator: {table} lacks {noun} {shown}{also}; "
            f"run into a new --database, or set setup.clear_mode: all{' and run without --resume' if resume else ''} "
            f"to start this one afresh ({afresh})")


def check_published_columns(conn: duckdb.DuckDBPyConnection, dbt: DbtRunner, database: Path,
                            backup: bool, resume: bool = False) -> str | None:
    """The refusal line when an existing published table lacks a column this version publishes,
    else None. Reads only: the database is as it was. Parses dbt's project (cached) only when the
    database holds a published table."""
    existing = existing_published_tables(conn)
    if not existing:
        return None
    missing = missing_columns(existing, published_columns(dbt))
    return earlier_version_message(database, missing, backup, resume) if missing else None


def stale_database_line(database: Path, backup: bool) -> str | None:
    """For a command that read `database` and met a column it lacks: the line `navigator run`
    refuses that database with, or None when its published tables lack no column (the error
    then has another cause). Opens the file read-only."""
    if not Path(database).is_file():
        return None
    with connect_duckdb(database, read_only=True) as conn:
        existing = existing_published_tables(conn)
    if not existing:
        return None
    missing = missing_columns(existing, published_columns(DbtRunner(database)))
    return earlier_version_message(Path(database), missing, backup) if missing else None
