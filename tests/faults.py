"""Real faults for the operations tests: damaged blocks, truncated files, small file systems."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from navigator_orchestrator.config.schema import PROJECT_ROOT
from navigator_orchestrator.safety import runlog

# DuckDB's file layout: three 4 KiB headers, then 256 KiB blocks that each start with an 8-byte
# checksum of the block (DuckDB's storage format, https://duckdb.org/docs/internals/storage).
HEADER_BYTES = 3 * 4096
BLOCK_BYTES = 256 * 1024


def make_simulation_like_db(path: Path, rows: int = 200_000, seed: int = 1) -> Path:
    """A DuckDB file holding the simulation's tables (run log and published tables), with data."""
    with duckdb.connect(str(path)) as conn:
        runlog.ensure_table(conn)
        conn.execute(
            "create or replace table fct_yearly_events as select range as event_id, "
            "'EMP_' || (range * ?) as employee_id, 2025 + range % 3 as simulation_year, "
            "hash(range, ?)::varchar as event_details from range(?)", [seed, seed, rows])
        conn.execute("create or replace table fct_workforce_snapshot as select range as employee_id, "
                     "(range * 37 % 100000)::decimal(14, 2) as current_compensation from range(?)", [rows])
        conn.execute("create or replace table fct_employer_match_events as select 1 as event_id")
    return path


def damage_a_data_block(path: Path, table: str = "fct_yearly_events", column: int = 3) -> int:
    """Flip bytes inside a data block of `table` (column index `column`); returns the file offset.

    The block's stored checksum no longer matches, which DuckDB notices when it reads the block,
    not when it answers `count(*)` from the table's metadata.
    """
    with duckdb.connect(str(path), read_only=True) as conn:
        row = conn.execute(
            "select block_id, block_offset from pragma_storage_info(?) where column_id = ? and "
            "persistent and block_id >= 0 order by row_group_id desc limit 1", [table, column]).fetchone()
    assert row is not None, f"{table} has no persistent data block"
    offset = HEADER_BYTES + row[0] * BLOCK_BYTES + 8 + row[1] + 16
    with open(path, "r+b") as fh:
        fh.seek(offset)
        chunk = bytearray(fh.read(32))
        fh.seek(offset)
        fh.write(bytes(b ^ 0xFF for b in chunk))
    return offset


def truncate(path: Path, fraction: float = 0.5) -> None:
    with open(path, "r+b") as fh:
        fh.truncate(int(os.path.getsize(path) * fraction))


def small_filesystem_available() -> bool:
    """Can this user mount a tmpfs in a user namespace of its own (no root, no sudo)?"""
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                            "mount -t tmpfs -o size=1m tmpfs /tmp && echo ok"],
                           capture_output=True, text=True)
    return probe.stdout.strip() == "ok"


def navigator_on_small_filesystem(mount: Path, size: str, setup: str, argv: list[str],
                                  nr_inodes: int | None = None) -> subprocess.CompletedProcess:
    """Run `navigator ARGV` with a fresh tmpfs of `size` mounted at `mount` (a user namespace
    of the test's own); `setup` is shell run first inside it (e.g. copying files in)."""
    options = f"size={size}" + (f",nr_inodes={nr_inodes}" if nr_inodes else "")
    command = " ".join(["'" + a.replace("'", "'\\''") + "'" for a in
                        [sys.executable, "-m", "navigator_orchestrator.cli", *argv]])
    script = f"mount -t tmpfs -o {options} tmpfs '{mount}' && {setup} && exec {command}"
    return subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script],
                          capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
