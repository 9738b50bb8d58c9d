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


def user_namespace_available() -> bool:
    """Can this process enter a user namespace of its own without a uid mapping (`unshare --user`)?
    Inside it even root is an ordinary user for files outside: no right to override permissions."""
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "--user", "true"], capture_output=True).returncode == 0


def navigator_as_unprivileged_user(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run `navigator ARGV` in a user namespace without a uid mapping: file permissions apply
    to it as to an ordinary user (the owner bits of files this user owns, others' bits otherwise)."""
    return subprocess.run(["unshare", "--user", sys.executable, "-m", "navigator_orchestrator.cli", *argv],
                          capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})


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


# A `navigator` process that stops itself (SIGSTOP) when a named stage starts, so a test can
# deliver a real signal at exactly that point. Points are "YEAR:stage" or "run:stage" with the
# stage names the run reports (Simulation.YEAR_STAGES, census_load, dbt_parse, write_back, flush).
PAUSE_SECONDS = 0.5
PAUSING_NAVIGATOR = f"""
import os, signal, sys, time
from pathlib import Path
from navigator_orchestrator.cli import main
from navigator_orchestrator.reporting.observe import RunObserver

point, marker = sys.argv[1], Path(sys.argv[2])

class PauseAt(RunObserver):
    def stage_started(self, year, stage):
        if f"{{year if year is not None else 'run'}}:{{stage}}" == point:
            marker.write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGSTOP)
            # A signal sent while stopped may be taken by any thread, which the scheduler may
            # run later than this one: Python runs its handler here at the latest, when the
            # sleep ends, so the signal lands at this point.
            time.sleep({PAUSE_SECONDS})

sys.exit(main(sys.argv[3:], observers=[PauseAt()]))
"""


def _stopped(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "T"
    except OSError:
        return False


def signal_at(point: str, signum: int, argv: list[str], cwd: Path, delay: float = 0.0,
              timeout: float = 180) -> tuple[int, str, str]:
    """Run `navigator ARGV` in a child process, send it `signum` when `point` starts (or `delay`
    seconds after it started), wait; returns (exit status, stdout, stderr)."""
    import signal as signals
    import time

    marker = cwd / f".paused-{point.replace(':', '-')}"
    marker.unlink(missing_ok=True)
    out, err = cwd / ".child-stdout", cwd / ".child-stderr"
    with open(out, "w") as stdout, open(err, "w") as stderr:
        proc = subprocess.Popen([sys.executable, "-c", PAUSING_NAVIGATOR, point, str(marker), *argv],
                                cwd=cwd, stdout=stdout, stderr=stderr,
                                env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
        deadline = time.monotonic() + timeout
        try:
            while not (marker.exists() and _stopped(proc.pid)):
                if proc.poll() is not None:
                    raise AssertionError(f"the run ended before {point}: {err.read_text()[-2000:]}")
                assert time.monotonic() < deadline, f"the run did not reach {point} in time"
                time.sleep(0.01)
            if delay:
                os.kill(proc.pid, signals.SIGCONT)
                time.sleep(PAUSE_SECONDS + delay)  # `delay` seconds into the stage itself
                os.kill(proc.pid, signum)
            else:
                os.kill(proc.pid, signum)  # pending until the process continues, at the point
                os.kill(proc.pid, signals.SIGCONT)
            proc.wait(timeout=timeout)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    marker.unlink(missing_ok=True)
    return proc.returncode, out.read_text(), err.read_text()
