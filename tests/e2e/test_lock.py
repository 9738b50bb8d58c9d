"""One run per database: a second run is refused at once; a dead holder's lock is taken over."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import copy_database
from navigator_orchestrator.cli import main
from navigator_orchestrator.safety.lock import LockFileForeign, LockHeld, database_lock, lock_path, read_lock

HOLD = """
import sys, time
from pathlib import Path
from navigator_orchestrator.safety.lock import database_lock
with database_lock(Path(sys.argv[1]), "holder-run"):
    print("locked", flush=True)
    time.sleep(120)
"""


def _hold_in_subprocess(db: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(db)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_second_run_on_the_same_database_fails_naming_the_holder(tmp_path, make_config, capsys):
    db = tmp_path / "sim.duckdb"
    holder = _hold_in_subprocess(db)
    try:
        started = time.perf_counter()
        code = main(["run", "-c", str(make_config()), "--database", str(db)])
        elapsed = time.perf_counter() - started
    finally:
        holder.kill()
        holder.wait()
    err = capsys.readouterr().err
    assert code == 1
    assert f"pid {holder.pid}" in err and "started" in err and "holder-run" in err
    assert elapsed < 5  # refused at once, before any dbt work
    assert not db.exists()


def test_lock_in_the_same_process_is_also_exclusive(tmp_path):
    db = tmp_path / "sim.duckdb"
    with database_lock(db, "first"):
        with pytest.raises(LockHeld, match=f"pid {os.getpid()}"):
            with database_lock(db, "second"):
                pass


def test_lock_left_by_a_killed_process_is_taken_over(tmp_path):
    db = tmp_path / "sim.duckdb"
    holder = _hold_in_subprocess(db)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert read_lock(lock_path(db)).pid == holder.pid  # the file is left behind
    with database_lock(db, "next") as lock:
        assert lock.took_over is not None and lock.took_over.pid == holder.pid
        assert json.loads(lock_path(db).read_text())["run_id"] == "next"
    assert not lock_path(db).exists()


def test_lock_is_released_when_the_body_raises(tmp_path):
    db = tmp_path / "sim.duckdb"
    with pytest.raises(RuntimeError):
        with database_lock(db, "failing"):
            raise RuntimeError("boom")
    with database_lock(db, "after"):
        pass


def test_a_users_file_at_the_lock_name_is_neither_truncated_nor_deleted(tmp_path, make_config, capsys):
    db = tmp_path / "sim.duckdb"
    theirs = lock_path(db)
    theirs.write_text("meeting notes, not a lock\n")
    assert main(["run", "-c", str(make_config()), "--database", str(db)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not a navigator lock file" in err[0] and "move it" in err[0]
    assert theirs.read_text() == "meeting notes, not a lock\n"
    assert not db.exists()


@pytest.mark.parametrize("kind", ["symlink", "directory", "fifo"])
def test_something_else_at_the_lock_name_is_refused_and_left_alone(tmp_path, kind):
    db = tmp_path / "sim.duckdb"
    path = lock_path(db)
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    if kind == "symlink":
        path.symlink_to(target)
    elif kind == "directory":
        path.mkdir()
    else:
        os.mkfifo(path)
    with pytest.raises(LockFileForeign, match="is not a navigator lock file"):
        with database_lock(db, "run"):
            pass
    assert target.read_text() == "keep me"
    assert path.is_symlink() or path.exists()


def test_release_leaves_a_file_put_at_the_lock_name_meanwhile(tmp_path):
    db = tmp_path / "sim.duckdb"
    with database_lock(db, "run"):
        lock_path(db).unlink()
        lock_path(db).write_text("someone else's")
    assert lock_path(db).read_text() == "someone else's"


HOLD_RUN = """
import sys, time
from pathlib import Path
from navigator_orchestrator.engine import database
from navigator_orchestrator.safety.lock import database_lock
db = Path(sys.argv[1])
with database_lock(db, "busy-run"):
    conn = database.connect(db)   # as a run does: DuckDB's own file lock too
    print("locked", flush=True)
    time.sleep(120)
"""


@pytest.mark.parametrize("command", ["runs", "checkpoint", "dq", "report"])
def test_read_commands_during_a_run_name_the_run_that_holds_the_database(
        finished_2025_2026, make_config, tmp_path, capsys, command):
    db = copy_database(finished_2025_2026.database, tmp_path / "simulation.duckdb")
    holder = subprocess.Popen([sys.executable, "-c", HOLD_RUN, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        argv = [command, "--database", str(db)] + ([] if command == "runs" else ["-c", str(make_config())])
        assert main(argv) == 1
    finally:
        holder.kill()
        holder.wait()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert f"run busy-run (pid {holder.pid}" in err[0] and f"rerun `navigator {command}`" in err[0]
    assert "Could not set lock" not in err[0]


@pytest.mark.parametrize("errno_name", ["EROFS", "EACCES", "ENOSPC"])
def test_a_lock_that_cannot_be_created_names_the_disk_not_a_foreign_file(tmp_path, monkeypatch, errno_name):
    """A read-only, unwritable or full directory: nothing is there to move away, so the one
    line names the lock file and the disk's problem (guard.os_error_line), not a foreign file."""
    import errno

    from navigator_orchestrator.guard import os_error_line
    from navigator_orchestrator.safety import lock

    code = getattr(errno, errno_name)

    def refuse(path, flags):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(lock, "_open_regular", refuse)
    with pytest.raises(OSError) as raised:
        with lock.database_lock(tmp_path / "sim.duckdb", "run-1"):
            pass
    assert not isinstance(raised.value, lock.LockFileForeign)
    line = os_error_line(raised.value)
    assert line.startswith(f"cannot use {tmp_path / 'sim.duckdb.lock'}: {os.strerror(code)};")
    assert "not a navigator lock file" not in line
