"""The engine runs dbt as dbt ships it: nothing of dbt, dbt-common, dbt-duckdb or mashumaro is
replaced, the garbage collector is left alone, and the program exits the ordinary way."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from navigator_orchestrator import cli

# Records, for every module of the four packages loaded in the process, where each function of
# the module and of each class it defines comes from (file, line, qualified name).
_ORIGINS = r"""
import gc, importlib, inspect, json, sys
from pathlib import Path

mode, out = sys.argv[1], Path(sys.argv[2])
PACKAGES = ("dbt", "dbt_common", "mashumaro")
if mode == "simulated":
    from navigator_orchestrator.config.schema import load_config
    from navigator_orchestrator.engine.simulation import Simulation
    Simulation(load_config(sys.argv[3]), sys.argv[4]).run()
    names = sorted(m for m in list(sys.modules) if m.split(".")[0] in PACKAGES)
else:  # the same modules, freshly imported by a process that runs nothing
    names = json.loads(out.read_text())["modules"]
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:
            pass

def origin(value):
    value = getattr(value, "__func__", value)  # classmethod, staticmethod, bound method
    code = getattr(value, "__code__", None)
    if code is None:
        return None
    return [code.co_filename, code.co_firstlineno, getattr(value, "__qualname__", "")]

record = {}
for name in names:
    module = sys.modules.get(name)
    if module is None:
        continue
    for attr, value in list(vars(module).items()):
        record[f"{name}:{attr}"] = origin(value)
        if isinstance(value, type) and value.__module__ == name:
            for key, member in list(value.__dict__.items()):
                record[f"{name}:{attr}.{key}"] = origin(member)
out.write_text(json.dumps({"modules": names, "origins": record,
                           "gc": [gc.isenabled(), gc.get_freeze_count()]}))
"""


def test_after_a_simulation_every_dbt_and_mashumaro_function_is_the_packages_own(tmp_path, make_config):
    config = make_config({"simulation": {"end_year": 2026}})
    results = {}
    for mode in ("simulated", "fresh"):
        out = tmp_path / "origins.json"
        args = [sys.executable, "-c", _ORIGINS, mode, str(out), str(config), str(tmp_path / "sim.duckdb")]
        proc = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stderr[-3000:]
        results[mode] = json.loads(out.read_text())
    simulated, fresh = results["simulated"], results["fresh"]
    assert any(m.startswith("dbt.adapters.duckdb") for m in simulated["modules"])
    assert any(m.startswith("dbt_common") for m in simulated["modules"])
    assert any(m.startswith("mashumaro") for m in simulated["modules"])
    compared = 0
    for key, where in simulated["origins"].items():
        if where is None or key not in fresh["origins"]:
            continue
        assert "navigator_orchestrator" not in where[0], (key, where)
        assert where == fresh["origins"][key], f"{key} was replaced: {where} != {fresh['origins'][key]}"
        compared += 1
    assert compared > 5_000
    assert not [k for k in simulated["origins"] if "navigator" in k.split(":")[1]]
    assert simulated["gc"] == [True, 0], "the garbage collector is on and nothing was frozen"


def test_the_program_exits_through_pythons_ordinary_exit(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(sys, "argv", ["navigator", "census", "generate", "--employees", "3",
                                      "--out", str(tmp_path / "c.parquet")])
    with pytest.raises(SystemExit) as exit_:
        cli.entry()
    assert exit_.value.code == 0 and "Wrote 3 employees" in capsys.readouterr().out
