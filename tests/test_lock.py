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

from navigator_orchestrator.cli import main
from navigator_orchestrator.safety.lock import LockHeld, database_lock, lock_path, read_lock

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
