"""Files that hold every employee's pay are created owner-only, whatever the umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from faults import make_simulation_like_db
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
