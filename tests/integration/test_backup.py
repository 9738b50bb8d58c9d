"""Preflight backups verified by reading every row; rotation of only the product's own backups."""

from __future__ import annotations

import os
from collections import namedtuple
from pathlib import Path

import duckdb
import pytest

from conftest import copy_database
from faults import damage_a_data_block, make_simulation_like_db
from navigator_orchestrator.cli import main
from navigator_orchestrator.safety import backup
from navigator_orchestrator.safety.backup import (
    BackupError, backup_path, kept_backups, preflight_backup, read_every_row, verify_copy,
)
from navigator_orchestrator.safety.manifest import manifest_path


def counts(path: Path) -> dict[str, int]:
    return {t: v["rows"] for t, v in read_every_row(path).items()}


def snapshot(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), os.stat(path).st_mtime_ns


def test_no_backup_when_there_is_no_database_yet(tmp_path):
    assert preflight_backup(tmp_path / "sim.duckdb") is None
    assert list(tmp_path.iterdir()) == []


def test_backup_sits_beside_the_database_with_every_row_read_back(tmp_path):
    db = make_simulation_like_db(tmp_path / "simulation.duckdb", 1000)
    result = preflight_backup(db)
    assert result.path == tmp_path / "simulation_backup.duckdb"
    assert read_every_row(result.path) == read_every_row(db) == result.tables
    assert result.tables["fct_yearly_events"]["rows"] == 1000


def test_only_the_last_n_timestamped_backups_are_kept(tmp_path):
    db = make_simulation_like_db(tmp_path / "sim.duckdb", 10)
    for _ in range(5):
        preflight_backup(db, keep=3)
    assert len(kept_backups(db)) == 3
    assert len(list(tmp_path.glob("sim_backup_2*.duckdb"))) == 3
    assert backup_path(db).exists()


def test_a_damaged_block_that_count_does_not_notice_stops_the_backup_and_keeps_the_last_good_one(tmp_path):
    db = make_simulation_like_db(tmp_path / "sim.duckdb")
    preflight_backup(db, keep=2)
    good, kept = snapshot(backup_path(db)), kept_backups(db)
    damage_a_data_block(db)
    with duckdb.connect(str(db), read_only=True) as conn:  # metadata still answers
        assert conn.execute("select count(*) from fct_yearly_events").fetchone()[0] == 200_000
    with pytest.raises(BackupError, match=r"cannot be read in full.*Corrupt database file.*last good backup .* is untouched"):
        preflight_backup(db, keep=2)
    assert snapshot(backup_path(db)) == good
    assert kept_backups(db) == kept
    assert not list(tmp_path.glob(".navigator-*"))  # no half-made copy left behind


def test_a_copy_with_a_damaged_block_does_not_verify(tmp_path):
    db = make_simulation_like_db(tmp_path / "sim.duckdb")
    expected = read_every_row(db)
    damage_a_data_block(db)
    with pytest.raises(BackupError, match="cannot be read in full"):
        verify_copy(db, expected)


def test_a_copy_missing_a_table_does_not_verify(tmp_path):
    db = make_simulation_like_db(tmp_path / "sim.duckdb", 100)
    expected = read_every_row(db)
    with duckdb.connect(str(db)) as conn:
        conn.execute("drop table fct_employer_match_events")
    with pytest.raises(BackupError, match="differs from the database in tables: fct_employer_match_events"):
        verify_copy(db, expected)


def test_backup_refuses_without_twice_the_database_size_free(tmp_path, monkeypatch):
    db = make_simulation_like_db(tmp_path / "sim.duckdb", 10)
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(backup.shutil, "disk_usage", lambda _: usage(10**9, 10**9, 1024))
    with pytest.raises(BackupError, match=r"need .* free .* have 1\.0 KB"):
        preflight_backup(db)
    assert not backup_path(db).exists()


def test_a_users_file_at_the_backup_name_is_never_overwritten(tmp_path):
    db = make_simulation_like_db(tmp_path / "sim.duckdb", 10)
    theirs = backup_path(db)
    theirs.write_text("the user's own notes\n")
    with pytest.raises(BackupError, match="cannot prove it made it"):
        preflight_backup(db)
    assert theirs.read_text() == "the user's own notes\n"


def test_a_backup_replaced_by_the_user_is_no_longer_the_products(tmp_path):
    db = make_simulation_like_db(tmp_path / "sim.duckdb", 10)
    preflight_backup(db)
    other = make_simulation_like_db(tmp_path / "other.duckdb", 20, seed=2)
    os.replace(other, backup_path(db))
    with pytest.raises(BackupError, match="cannot prove it made it"):
        preflight_backup(db)
    assert counts(backup_path(db))["fct_yearly_events"] == 20


def test_pruning_deletes_only_backups_the_product_made(tmp_path):
    db = make_simulation_like_db(tmp_path / "sim.duckdb", 10)
    archive = make_simulation_like_db(tmp_path / "sim_backup_2020_archive.duckdb", 5)
    preflight_backup(db, keep=1)
    made = kept_backups(db)[0]
    # A copy the user took of a backup, under a name of the same pattern: theirs now.
    copied = tmp_path / "sim_backup_20000101T000000000000Z.duckdb"
    copied.write_bytes(made.read_bytes())
    for _ in range(3):
        preflight_backup(db, keep=1)
    assert archive.exists() and counts(archive)["fct_yearly_events"] == 5
    assert copied.exists()
    assert not made.exists()
    assert len(kept_backups(db)) == 1


def test_a_foreign_file_at_the_manifest_name_is_left_alone(tmp_path):
    db = make_simulation_like_db(tmp_path / "sim.duckdb", 10)
    manifest_path(db).write_text("{\"mine\": true}\n")
    with pytest.raises(BackupError, match="not a backup manifest written by navigator"):
        preflight_backup(db)
    assert manifest_path(db).read_text() == "{\"mine\": true}\n"


def test_every_run_on_an_existing_database_backs_it_up_first(simulate, tmp_path, finished_2025_2026):
    one_year = {"simulation": {"end_year": 2025}}
    db = copy_database(finished_2025_2026.database, tmp_path / "simulation.duckdb")  # a run wrote it
    before = read_every_row(db)
    result, _ = simulate(one_year)
    assert result.backup is not None and result.backup.path == backup_path(db)
    assert read_every_row(backup_path(db)) == before


def test_a_run_over_a_damaged_database_stops_with_one_line_and_keeps_the_last_good_backup(
        simulate, make_config, tmp_path, capsys, finished_2025_2026):
    config = make_config({"simulation": {"end_year": 2025}})
    db = copy_database(finished_2025_2026.database, tmp_path / "simulation.duckdb")  # a run wrote it
    simulate({"simulation": {"end_year": 2025}})  # takes the first backup
    good = snapshot(backup_path(db))
    damage_a_data_block(db, "fct_yearly_events", column=0)
    assert main(["run", "-c", str(config), "--database", str(db)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("Error: ") and "cannot be read in full" in err[0]
    assert "navigator restore" in err[0]
    assert snapshot(backup_path(db)) == good


def test_backup_can_be_switched_off_with_a_warning(make_config, tmp_path, capsys, finished_2025_2026):
    from navigator_orchestrator.config.schema import load_config
    from navigator_orchestrator.engine.simulation import Simulation

    db = copy_database(finished_2025_2026.database, tmp_path / "simulation.duckdb")  # a run wrote it
    messages: list[str] = []
    config = load_config(make_config({"simulation": {"end_year": 2025}, "setup": {"backup": {"enabled": False}}}))
    result = Simulation(config, db, notify=messages.append).run()
    assert result.backup is None and not backup_path(db).exists()
    assert any("without a backup" in m for m in messages)


def backups_state(db: Path) -> list[tuple[str, bytes, int]]:
    files = sorted(db.parent.glob(f"{db.stem}_backup*"))
    return [(p.name, p.read_bytes(), os.stat(p).st_mtime_ns) for p in files]


def test_a_resume_with_nothing_left_to_run_takes_no_backup(make_config, tmp_path, capsys):
    config, db = make_config({"simulation": {"end_year": 2025}}), tmp_path / "simulation.duckdb"
    assert main(["run", "-c", str(config), "--database", str(db)]) == 0  # new database: nothing to back up
    assert main(["run", "-c", str(config), "--database", str(db), "--resume"]) == 0
    assert "nothing to run" in capsys.readouterr().out
    assert backups_state(db) == []


def test_a_run_that_refuses_takes_no_backup_and_rotates_nothing_out(make_config, tmp_path, capsys,
                                                                   finished_2025_2026):
    config = make_config({"simulation": {"end_year": 2025}, "setup": {"backup": {"keep": 1}}})
    db = copy_database(finished_2025_2026.database, tmp_path / "simulation.duckdb")  # a run wrote it
    assert backups_state(db) == []
    assert main(["run", "-c", str(config), "--database", str(db)]) == 0  # the one kept backup
    before = backups_state(db)
    assert len(before) == 3  # the backup, its timestamped name, the manifest
    assert main(["run", "-c", str(config), "--database", str(db), "--years", "2027-2027"]) == 1
    assert main(["run", "-c", str(make_config({"simulation": {"end_year": 2025, "random_seed": 9}}, "other.yaml")),
                 "--database", str(db), "--resume"]) == 1
    assert backups_state(db) == before
