"""Files that hold every employee's pay are created owner-only, whatever the umask."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from faults import make_simulation_like_db, navigator_as_unprivileged_user, user_namespace_available
from navigator_orchestrator.cli import main
from navigator_orchestrator.safety.backup import preflight_backup


def open_to_others(root: Path, exclude: set[Path]) -> list[str]:
    found = []
    for path in [root, *root.rglob("*")]:
        if path in exclude or path.is_symlink():
            continue
        mode = stat.S_IMODE(path.stat().st_mode)
        if path != root and mode & 0o077:
            found.append(f"{path.relative_to(root)} {oct(mode)}")
    return found


def test_a_run_creates_its_database_backups_reports_logs_and_checkpoints_owner_only(make_config, tmp_path):
    config = make_config({"simulation": {"end_year": 2025}})
    db = tmp_path / "data" / "simulation.duckdb"
    previous = os.umask(0)  # the most permissive umask a user could have
    try:
        assert main(["run", "-c", str(config), "--database", str(db)]) == 0
        assert main(["run", "-c", str(config), "--database", str(db)]) == 0  # backs up the first
        assert main(["report", "-c", str(config), "--database", str(db)]) == 0
    finally:
        os.umask(previous)
    created = {p.relative_to(tmp_path).parts[0] for p in tmp_path.iterdir()}
    assert {"data", "reports", "logs", ".navigator_checkpoints"} <= created
    assert (tmp_path / "data" / "simulation_backup.duckdb").exists()
    assert open_to_others(tmp_path, exclude={config}) == []
    assert os.umask(previous) == previous  # the caller's umask is given back


def test_backups_and_a_restored_database_are_owner_only(tmp_path):
    previous = os.umask(0)
    try:
        db = make_simulation_like_db(tmp_path / "sim.duckdb", 10)
        assert stat.S_IMODE(db.stat().st_mode) == 0o666  # what the umask alone gives
        backup = preflight_backup(db)
        assert main(["restore", "--database", str(db)]) == 0
    finally:
        os.umask(previous)
    stamped = [p for p in backup.kept if p != backup.path]  # the preflight copy, under its stamp
    assert len(stamped) == 1
    for path in (stamped[0], tmp_path / "sim.duckdb", tmp_path / "sim_backup_manifest.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_a_read_only_database_is_refused_by_every_command_that_writes_it_whoever_runs_it(
        make_config, tmp_path, capsys):
    config = str(make_config())
    db = make_simulation_like_db(tmp_path / "archived.duckdb", 1000)
    backup = shutil.copy(db, tmp_path / "other_copy.duckdb")
    db.chmod(0o444)  # root (these tests' usual user) could still write it; the mode says no
    before = db.read_bytes()
    for argv in (["run", "-c", config, "--database", str(db)],
                 ["dq", "-c", config, "--database", str(db)],
                 ["restore", "--database", str(db), "--from", str(backup)],
                 ["dbt", "-c", config, "--database", str(db), "--", "run", "--select", "tag:year"]):
        capsys.readouterr()
        assert main(argv) == 1, argv
        errors = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("Hint: ")]
        assert len(errors) == 1, errors
        assert errors[0].startswith(f"Error: {db} is read-only (mode 0444) and `navigator {argv[0]}` writes it")
        assert f"chmod u+w {db}" in errors[0] and "damaged" not in errors[0]
    assert db.read_bytes() == before and stat.S_IMODE(db.stat().st_mode) == 0o444
    assert sorted(p.name for p in tmp_path.iterdir() if "archived" in p.name) == ["archived.duckdb"]


@pytest.mark.skipif(not user_namespace_available(), reason="needs `unshare --user` (an unprivileged user namespace)")
def test_a_database_this_user_may_not_write_names_the_permissions_not_a_restore(make_config, tmp_path):
    config = make_config()
    db = make_simulation_like_db(tmp_path / "theirs.duckdb", 1000)
    os.chown(db, 12345, -1)  # another user's file, readable by others (0644), not writable by them
    db.chmod(0o644)
    proc = navigator_as_unprivileged_user(["run", "-c", str(config), "--database", str(db)], cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if not line.startswith("Hint: ")]
    assert len(errors) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert errors[0].startswith(f"Error: {db} cannot be opened for writing (")
    assert "this user may not write it; check its owner and permissions" in errors[0]
    assert "restore" not in errors[0] and "damaged" not in errors[0]
