"""kill -9 at named points leaves a year boundary; --resume then reproduces an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from faults import signal_at
from navigator_orchestrator.cli import main
from navigator_orchestrator.config.schema import PROJECT_ROOT
from navigator_orchestrator.identity import Identity
from navigator_orchestrator.safety.checkpoints import checkpoint_path


@pytest.fixture(scope="module")
def crash_config(finished_2025_2027) -> Path:
    """The default scenario on the small census, 2025-2027: every year named below has one after it."""
    return finished_2025_2027.config


@pytest.fixture(scope="module")
def reference(finished_2025_2027) -> dict:
    """The published tables of an uninterrupted run of that config (the session's)."""
    return published(finished_2025_2027.database)


def published(db: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return {
            t: conn.execute(f"select * exclude (run_id) from {t} order by all").fetchall()
            for t in ("fct_yearly_events", "fct_workforce_snapshot")
        }


def published_years(db: Path) -> list[int]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return [r[0] for r in conn.execute(
            "select distinct simulation_year from fct_workforce_snapshot order by 1").fetchall()]


def start_run(config: Path, db: Path, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "navigator_orchestrator.cli", "run", "-c", str(config), "--database", str(db)],
        cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )


def wait_for(path: Path, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, "the run ended before its first checkpoint"
        assert time.monotonic() < deadline, "no checkpoint in time"
        time.sleep(0.02)


def kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def resume_and_compare(config: Path, db: Path, reference: dict) -> None:
    years = published_years(db)
    assert years == list(range(2025, 2025 + len(years)))  # a year boundary, never a partial year
    assert main(["run", "-c", str(config), "--database", str(db), "--resume"]) == 0
    assert published(db) == reference


def test_kill_9_after_the_first_checkpoint_then_resume_equals_an_uninterrupted_run(
        tmp_path, crash_config, reference):
    db = tmp_path / "simulation.duckdb"
    proc = start_run(crash_config, db, tmp_path)
    wait_for(checkpoint_path(Identity(db, "baseline", "standard_401k"), 2025, tmp_path / ".navigator_checkpoints"), proc)
    kill(proc)
    assert proc.returncode == -signal.SIGKILL
    resume_and_compare(crash_config, db, reference)
    with duckdb.connect(str(db)) as conn:
        statuses = [r[0] for r in conn.execute(
            "select status from int_simulation_run_log order by started_at").fetchall()]
    assert statuses == ["interrupted", "completed"]


@pytest.mark.parametrize("point, delay", [
    ("2026:dbt_build", 0.5),   # inside dbt, between the first checkpoint and the next publish
    ("2026:publish", 0.0),     # the year's transaction is open: it must vanish whole
    ("2026:checkpoint", 0.0),  # published, its checkpoint not yet written
    ("run:flush", 0.0),        # every year committed, the write-ahead log not yet folded in
])
def test_kill_9_at_a_named_point_then_resume_equals_an_uninterrupted_run(
        tmp_path, crash_config, reference, point, delay):
    db = tmp_path / "simulation.duckdb"
    code, _, _ = signal_at(point, signal.SIGKILL, ["run", "-c", str(crash_config), "--database", str(db)],
                           tmp_path, delay)
    assert code == -signal.SIGKILL
    resume_and_compare(crash_config, db, reference)
