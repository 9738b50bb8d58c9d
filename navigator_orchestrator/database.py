"""DuckDB access for the orchestrator: connections, year publishing and clearing.

dbt builds each simulated year into year-only `int_*` tables; the year reaches the published
`fct_*` tables here, in ONE DuckDB transaction (delete this scenario's years >= Y, append Y).
A crash or a failure therefore leaves the published tables at a year boundary.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

# Published table -> the year-only model it is appended from. The fct_* dbt models are
# `select * from` exactly these refs (a test keeps the two in step).
PUBLISHED_TABLES: dict[str, str] = {
    "fct_yearly_events": "int_yearly_events",
    "fct_workforce_snapshot": "int_yearly_snapshot",
    "fct_employer_match_events": "int_employer_match_events",
}


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    # Same (default) configuration as dbt-duckdb, so both can share the instance in-process.
    return duckdb.connect(str(path))


@contextmanager
def connection(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    conn = connect(path)
    try:
        yield conn
    finally:
        conn.close()


def table_exists(conn: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = conn.execute(
        "select count(*) from information_schema.tables where table_schema = 'main' and table_name = ?",
        [name],
    ).fetchone()
    return bool(row and row[0])


def published_years(conn: duckdb.DuckDBPyConnection, scenario_id: str) -> list[int]:
    if not table_exists(conn, "fct_workforce_snapshot"):
        return []
    rows = conn.execute(
        "select distinct simulation_year from fct_workforce_snapshot where scenario_id = ? order by 1",
        [scenario_id],
    ).fetchall()
    return [r[0] for r in rows]


def clear_from_year(conn: duckdb.DuckDBPyConnection, scenario_id: str, year: int) -> None:
    """Delete this scenario's years >= `year` from every published table (caller owns the txn)."""
    for table in PUBLISHED_TABLES:
        if table_exists(conn, table):
            conn.execute(
                f"delete from {table} where scenario_id = ? and simulation_year >= ?",
                [scenario_id, year],
            )


def publish_year(conn: duckdb.DuckDBPyConnection, scenario_id: str, year: int) -> dict[str, int]:
    """Atomically replace years >= `year` of this scenario with the freshly built year."""
    counts: dict[str, int] = {}
    conn.execute("begin transaction")
    try:
        clear_from_year(conn, scenario_id, year)
        for table, source in PUBLISHED_TABLES.items():
            if table_exists(conn, table):
                conn.execute(f"insert into {table} by name select * from {source}")
            else:
                conn.execute(f"create table {table} as select * from {source}")
            counts[table] = conn.execute(
                f"select count(*) from {table} where scenario_id = ? and simulation_year = ?",
                [scenario_id, year],
            ).fetchone()[0]
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    return counts


def drop_all_tables(conn: duckdb.DuckDBPyConnection, keep: set[str] | frozenset[str] = frozenset()) -> None:
    """clear_mode: all — start from an empty database (except the tables in `keep`)."""
    rows = conn.execute(
        "select table_name, table_type from information_schema.tables where table_schema = 'main'"
    ).fetchall()
    conn.execute("begin transaction")
    for name, kind in rows:
        if name in keep:
            continue
        conn.execute(f'drop {"view" if kind == "VIEW" else "table"} if exists "{name}" cascade')
    conn.execute("commit")
