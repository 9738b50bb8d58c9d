"""Ctrl-C (SIGINT) and SIGTERM at named points of a real run: one line, run log `interrupted`."""

from __future__ import annotations

import json
import re
import signal
from pathlib import Path

import duckdb
import pytest

from faults import signal_at
from navigator_orchestrator.cli import main

THREE_YEARS = {"simulation": {"start_year": 2025, "end_year": 2027}}


def statuses(db: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return [r[0] for r in conn.execute("select status from int_simulation_run_log order by started_at").fetchall()]


def held_years(db: Path) -> list[int]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return [r[0] for r in conn.execute(
            "select distinct simulation_year from fct_workforce_snapshot order by 1").fetchall()]


def _interrupted_line(name: str, db: Path, config: Path, held: str) -> str:
    """The one line an interrupted run prints: --resume only when a year is held."""
    if held == "no simulated year":  # --resume would refuse: the line says to start again
        return (rf"Interrupted \({name}\): {re.escape(str(db))} holds no year of scenario \w+ that every plan "
                rf"design finished; start again with `navigator run -c {re.escape(str(config))} "
                rf"--database {re.escape(str(db))}`")
    return (rf"Interrupted \({name}\): {re.escape(str(db))} holds {held} of scenario \w+; continue with "
            rf"`navigator run -c {re.escape(str(config))} --database {re.escape(str(db))} --resume`")


@pytest.mark.parametrize("point, signum, delay, held", [
    ("run:census_load", signal.SIGINT, 0.0, "no simulated year"),
    ("2025:dbt_build", signal.SIGTERM, 0.8, "no simulated year"),  # inside dbt, seeds and all
    ("2026:dbt_build", signal.SIGINT, 0.5, "2025"),                # inside dbt's models
    ("2026:tripwires", signal.SIGINT, 0.0, "2025"),                # while the year is appended
    ("2026:publish", signal.SIGTERM, 0.0, "2025"),
    ("2026:checkpoint", signal.SIGINT, 0.0, "2025-2026"),          # published, not yet checkpointed
])
def test_an_interrupt_prints_one_line_and_the_run_log_says_interrupted(
        make_config, tmp_path, point, signum, delay, held):
    config, db = make_config(THREE_YEARS), tmp_path / "simulation.duckdb"
    argv = ["run", "-c", str(config), "--database", str(db)]
    code, out, err = signal_at(point, signum, argv, tmp_path, delay)
    name = signal.Signals(signum).name
    assert code == 128 + signum, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert re.fullmatch(_interrupted_line(name, db, config, held), lines[0]), lines[0]
    assert "Traceback" not in out + err
    assert statuses(db)[-1] == "interrupted"
    log = sorted((tmp_path / "logs").rglob("run_*.jsonl"))[-1].read_text().splitlines()
    finished = json.loads(log[-1])
    assert finished["event"] == "run_finished" and finished["status"] == "interrupted"
    year, stage = point.split(":")
    done = {(str(e["year"] or "run"), e["stage"]) for e in map(json.loads, log) if e["event"] == "stage"}
    assert (year, stage) not in done  # the signal landed in that stage, not after it
    assert main([*argv, "--resume"] if held != "no simulated year" else argv) == 0
    assert held_years(db) == [2025, 2026, 2027]


def test_an_interrupt_before_every_design_has_a_checkpoint_says_to_start_again(make_config, tmp_path):
    """Two designs: 2025 is published for both in one transaction and the interrupt lands in the
    first design's checkpoint; no design has a checkpoint, so --resume has nothing to continue
    from and the line says to start again (one year shows it: what matters is its checkpoint)."""
    config = make_config({"simulation": {"end_year": 2025},
                          "plan_designs": {"no_core": {"employer_core_contribution": {"enabled": False}}}})
    db = tmp_path / "simulation.duckdb"
    argv = ["run", "-c", str(config), "--database", str(db)]
    code, out, err = signal_at("2025:checkpoint", signal.SIGINT, argv, tmp_path)
    assert code == 130, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and re.fullmatch(_interrupted_line("SIGINT", db, config, "no simulated year"), lines[0]), err
    assert main([*argv, "--resume"]) == 1  # what the line no longer suggests
    assert main(argv) == 0  # what it suggests
    assert held_years(db) == [2025]


def test_an_interrupt_during_the_final_flush_leaves_the_run_completed(make_config, tmp_path):
    config, db = make_config({"simulation": {"end_year": 2025}}), tmp_path / "simulation.duckdb"
    code, out, err = signal_at("run:flush", signal.SIGINT, ["run", "-c", str(config), "--database", str(db)],
                               tmp_path)
    assert code == 0, err
    assert "Traceback" not in out + err and "Error" not in err
    assert "interrupted during the final flush" in out
    assert statuses(db) == ["completed"]
    assert held_years(db) == [2025]


# A Ctrl-C while the command's libraries are still being imported (the first second of
# `navigator`): the process signals itself when Python starts importing DuckDB.
CTRL_C_WHILE_IMPORTING = """
import importlib.abc, os, signal, sys

class CtrlCOnImport(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "duckdb":
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, CtrlCOnImport())
sys.argv = ["navigator", *sys.argv[1:]]
from navigator_orchestrator.cli import entry
entry()
"""


def test_a_ctrl_c_while_the_program_starts_prints_one_line(make_config, tmp_path):
    import subprocess
    import sys

    config = make_config()
    proc = subprocess.run([sys.executable, "-c", CTRL_C_WHILE_IMPORTING, "validate", "-c", str(config)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 128 + signal.SIGINT, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "Interrupted (SIGINT): navigator stopped before the command started; nothing was written"]
