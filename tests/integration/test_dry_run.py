"""`run --dry-run -v` shows the plan and writes nothing at all."""

from __future__ import annotations

import os
from pathlib import Path

from navigator_orchestrator.cli import main


def tree(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in root.rglob("*")}


def test_dry_run_on_a_new_database_creates_nothing(tmp_path, make_config, capsys):
    config = make_config()
    before = tree(tmp_path)
    assert main(["run", "-c", str(config), "--database", str(tmp_path / "db" / "new.duckdb"),
                 "--dry-run", "-v"]) == 0
    out = capsys.readouterr().out
    assert tree(tmp_path) == before
    assert "years: 2025-2026" in out
    assert "2025: dbt build --select resource_type:seed tag:year tag:baseline" in out
    assert "2026: dbt run --select tag:year" in out
    assert '"simulation_year": 2026' in out and "backup: none (no database yet" in out


def test_dry_run_leaves_an_existing_database_byte_for_byte_unchanged(simulate, make_config, tmp_path, capsys):
    _, db = simulate({"simulation": {"end_year": 2025}})
    config = make_config(name="dry.yaml")
    before_bytes, before_tree = db.read_bytes(), tree(tmp_path)
    for extra in ([], ["--resume"]):
        assert main(["run", "-c", str(config), "--database", str(db), "--dry-run", "-v", *extra]) == 0
    out = capsys.readouterr().out
    assert db.read_bytes() == before_bytes and tree(tmp_path) == before_tree
    assert f"{db} -> {db.with_name('simulation_backup.duckdb')}" in out
    assert "resume standard_401k: continue after the latest of [2025]" in out


def test_dry_run_refuses_a_gap_as_the_run_does_and_changes_nothing(simulate, make_config, tmp_path, capsys):
    _, db = simulate({"simulation": {"end_year": 2025}})
    config = make_config(name="gap.yaml")
    before_bytes, before_tree = db.read_bytes(), tree(tmp_path)
    assert main(["run", "-c", str(config), "--database", str(db), "--years", "2027-2027", "--dry-run"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"Error: year 2027 starts from year 2026's snapshot, which {db} does not hold for scenario "
                   "'baseline', design 'standard_401k'; run from 2025 (the census year) or from the year after "
                   "the last one published"]
    assert main(["run", "-c", str(config), "--database", str(db), "--years", "2026-2026", "--dry-run"]) == 0
    assert db.read_bytes() == before_bytes and tree(tmp_path) == before_tree
