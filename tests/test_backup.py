"""Preflight backup beside the database, verified; rotation; disk check; atomic restore."""

from __future__ import annotations

from collections import namedtuple
from pathlib import Path

import duckdb
import pytest

from navigator_orchestrator.safety import backup
from navigator_orchestrator.safety.backup import BackupError, backup_path, preflight_backup, restore, timestamped_backups
from navigator_orchestrator.cli import main


def make_db(path: Path, rows: int) -> Path:
    with duckdb.connect(str(path)) as conn:
        conn.execute("create or replace table t as select range as x from range(?)", [rows])
        conn.execute("create or replace table u as select 1 as y")
    return path


def counts(path: Path) -> dict[str, int]:
    with duckdb.connect(str(path)) as conn:
        return backup.table_counts(conn)


def test_no_backup_when_there_is_no_database_yet(tmp_path):
    assert preflight_backup(tmp_path / "sim.duckdb") is None
    assert list(tmp_path.iterdir()) == []


def test_backup_sits_beside_the_database_with_the_same_tables_and_counts(tmp_path):
    db = make_db(tmp_path / "simulation.duckdb", 1000)
    result = preflight_backup(db)
    assert result.path == tmp_path / "simulation_backup.duckdb"
    assert counts(result.path) == counts(db) == {"t": 1000, "u": 1}


def test_only_the_last_n_timestamped_backups_are_kept(tmp_path):
    db = make_db(tmp_path / "sim.duckdb", 10)
    for _ in range(5):
        preflight_backup(db, keep=3)
    assert len(timestamped_backups(db)) == 3
    assert backup_path(db).exists()


def test_backup_refuses_without_twice_the_database_size_free(tmp_path, monkeypatch):
    db = make_db(tmp_path / "sim.duckdb", 10)
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(backup.shutil, "disk_usage", lambda _: usage(10**9, 10**9, 1024))
    with pytest.raises(BackupError, match=r"need .* free .* have 1\.0 KB"):
        preflight_backup(db)
    assert not backup_path(db).exists()


def test_restore_brings_back_the_backup_and_keeps_the_replaced_database(tmp_path):
    db = make_db(tmp_path / "sim.duckdb", 100)
    preflight_backup(db)
    make_db(db, 7)  # the database moves on after the backup
    assert main(["restore", "--database", str(db)]) == 0
    assert counts(db)["t"] == 100
    # The replaced database was backed up first, so the restore can be undone.
    assert counts(backup_path(db))["t"] == 7
    assert main(["restore", "--database", str(db)]) == 0
    assert counts(db)["t"] == 7


def test_restore_from_a_file_that_is_not_a_database_changes_nothing(tmp_path, capsys):
    db = make_db(tmp_path / "sim.duckdb", 5)
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"not a database")
    before = db.read_bytes()
    assert main(["restore", "--database", str(db), "--from", str(junk)]) == 1
    assert "Error:" in capsys.readouterr().err
    assert db.read_bytes() == before


def test_every_run_on_an_existing_database_backs_it_up_first(simulate, tmp_path):
    one_year = {"simulation": {"end_year": 2025}}
    _, db = simulate(one_year)
    before = counts(db)
    result, _ = simulate(one_year)
    assert result.backup is not None and result.backup.path == backup_path(db)
    assert counts(backup_path(db)) == before


def test_backup_can_be_switched_off_with_a_warning(simulate, make_config, tmp_path, capsys):
    from navigator_orchestrator.config.schema import load_config
    from navigator_orchestrator.engine.simulation import Simulation

    _, db = simulate({"simulation": {"end_year": 2025}})
    messages: list[str] = []
    config = load_config(make_config({"simulation": {"end_year": 2025}, "setup": {"backup": {"enabled": False}}}))
    result = Simulation(config, db, notify=messages.append).run()
    assert result.backup is None and not backup_path(db).exists()
    assert any("without a backup" in m for m in messages)
