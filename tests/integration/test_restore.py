"""`navigator restore`: a fully verified source, a damaged database moved aside, a full disk explained."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from faults import (
    damage_a_data_block, make_simulation_like_db, navigator_on_small_filesystem, small_filesystem_available,
    truncate,
)
from navigator_orchestrator.cli import main
from navigator_orchestrator.safety.backup import backup_path, kept_backups, preflight_backup, read_every_row
from navigator_orchestrator.safety.manifest import manifest_path


def rows(path: Path) -> int:
    return read_every_row(path)["fct_yearly_events"]["rows"]


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("Error: "), err
    assert "Traceback" not in err[0]
    return err[0]


@pytest.fixture
def db_with_backup(tmp_path) -> Path:
    db = make_simulation_like_db(tmp_path / "sim.duckdb", 100)
    preflight_backup(db)
    make_simulation_like_db(db, 7)  # the database moves on after the backup
    return db


def test_restore_brings_back_the_backup_and_keeps_the_replaced_database(db_with_backup):
    db = db_with_backup
    assert main(["restore", "--database", str(db)]) == 0
    assert rows(db) == 100
    # The replaced database is kept as the newest backup, so the restore can be undone.
    assert rows(backup_path(db)) == 7
    assert main(["restore", "--database", str(db)]) == 0
    assert rows(db) == 7


def test_restore_removes_the_work_file_built_from_the_replaced_databases_years(db_with_backup, capsys):
    from navigator_orchestrator.engine.database import work_path

    db = db_with_backup
    with duckdb.connect(str(work_path(db))) as conn:  # year-only tables built by hand before the restore
        conn.execute("create table int_yearly_events as select 2027 as simulation_year")
    assert main(["restore", "--database", str(db)]) == 0
    assert not work_path(db).exists()
    assert f"removed {work_path(db)}" in capsys.readouterr().out
    assert rows(db) == 100


@pytest.mark.parametrize("fault", ["truncated", "damaged block", "empty file", "empty database",
                                   "unrelated database", "not a database"])
def test_restore_refuses_a_source_that_is_not_a_whole_simulation_database(db_with_backup, tmp_path, capsys, fault):
    db = db_with_backup
    source = tmp_path / "source.duckdb"
    if fault in ("truncated", "damaged block"):
        make_simulation_like_db(source, 200_000)
        truncate(source) if fault == "truncated" else damage_a_data_block(source)
    elif fault == "empty file":
        source.write_bytes(b"")
    elif fault == "empty database":
        duckdb.connect(str(source)).close()
    elif fault == "unrelated database":
        with duckdb.connect(str(source)) as conn:
            conn.execute("create table orders as select range as id from range(10)")
    else:
        source.write_bytes(b"not a database" * 1000)
    before = db.read_bytes()
    assert main(["restore", "--database", str(db), "--from", str(source)]) == 1
    line = one_error_line(capsys)
    expected = "is not a simulation database" if "database" in fault and fault != "not a database" else "cannot be read in full"
    assert expected in line
    assert db.read_bytes() == before
    assert not list(tmp_path.glob(".navigator-*"))


def test_restore_over_a_damaged_database_moves_it_aside_instead_of_opening_it(tmp_path, capsys):
    db = make_simulation_like_db(tmp_path / "sim.duckdb")
    preflight_backup(db)
    damage_a_data_block(db)
    damaged_bytes = db.read_bytes()
    assert main(["restore", "--database", str(db)]) == 0
    out = capsys.readouterr().out
    aside = list(tmp_path.glob("sim_damaged_*.duckdb"))
    assert len(aside) == 1 and f"moved it aside to {aside[0]}" in out
    assert aside[0].read_bytes() == damaged_bytes
    assert rows(db) == 200_000
    assert aside[0] not in kept_backups(db)  # never pruned by the product


def test_restore_over_a_file_that_is_not_a_database_at_all(db_with_backup, tmp_path):
    db = db_with_backup
    db.write_bytes(b"\0" * 5000)
    Path(str(db) + ".wal").write_bytes(b"junk")
    assert main(["restore", "--database", str(db)]) == 0
    assert rows(db) == 100
    aside = list(tmp_path.glob("sim_damaged_*.duckdb"))
    assert len(aside) == 1 and Path(str(aside[0]) + ".wal").read_bytes() == b"junk"
    assert not Path(str(db) + ".wal").exists()


def test_restore_refuses_a_backup_that_no_longer_reads_as_recorded(db_with_backup, capsys):
    """The manifest keeps each backup's checksums: content that changed under an unchanged file
    identity (bit rot, a restore of the directory from elsewhere) is refused."""
    db = db_with_backup
    path = manifest_path(db)
    manifest = json.loads(path.read_text())
    for entry in manifest["entries"]:
        entry["tables"]["fct_yearly_events"]["checksum"] = "12345"
    path.write_text(json.dumps(manifest))
    before = db.read_bytes()
    assert main(["restore", "--database", str(db)]) == 1
    assert "no longer holds what was verified" in one_error_line(capsys)
    assert db.read_bytes() == before


needs_small_fs = pytest.mark.skipif(not small_filesystem_available(),
                                    reason="no user namespaces here to mount a small tmpfs without root")


@needs_small_fs
def test_restore_on_a_full_disk_explains_it_and_changes_nothing(tmp_path):
    """A real 2 MB tmpfs holds the database; the 4 MB backup cannot be copied next to it."""
    big = make_simulation_like_db(tmp_path / "big.duckdb", 200_000)
    small = make_simulation_like_db(tmp_path / "small.duckdb", 10)
    mount = tmp_path / "disk"
    mount.mkdir()
    db = mount / "sim.duckdb"
    result = navigator_on_small_filesystem(
        mount, "2m", f"cp '{small}' '{db}'",
        ["restore", "--database", str(db), "--from", str(big)])
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: not enough disk space to restore"), lines
    assert "free space there and rerun" in lines[0]


@needs_small_fs
def test_a_disk_out_of_room_for_new_files_is_explained_too(tmp_path):
    """A real tmpfs with no inode left: creating the copy itself fails with ENOSPC."""
    source = make_simulation_like_db(tmp_path / "good.duckdb", 10)
    mount = tmp_path / "disk"
    mount.mkdir()
    db = mount / "sim.duckdb"
    # nr_inodes counts the root directory, the database and the lock file.
    result = navigator_on_small_filesystem(
        mount, "8m", f"cp '{source}' '{db}' && touch '{db}.lock'",
        ["restore", "--database", str(db), "--from", str(source)], nr_inodes=3)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "is full" in lines[0], lines
