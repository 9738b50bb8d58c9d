"""The product opens DuckDB with automatic extension install and load off, everywhere.

A `--database` that names a SQLite file once made DuckDB try to download its SQLite extension;
now every command refuses such a file in one line, and nothing is downloaded or installed.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import navigator_orchestrator
from navigator_orchestrator.config.schema import DBT_PROJECT_DIR
from navigator_orchestrator.sql import DUCKDB_CONFIG, NotADuckDBFile, check_duckdb_file, connect_duckdb

PACKAGE = Path(navigator_orchestrator.__file__).parent


def _navigator(args: list[str], cwd: Path, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "navigator_orchestrator.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    path = tmp_path / "results.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table t (x)")
    return path


@pytest.mark.parametrize("command", [["run", "--years", "2025"], ["runs"], ["checkpoint"], ["report"],
                                     ["employee", "E1"], ["dq"]])
def test_a_sqlite_database_is_refused_in_one_line_without_a_download(tmp_path, make_config, sqlite_file, command):
    home = tmp_path / "home"
    home.mkdir()
    config = ["-c", str(make_config())] if command[0] != "runs" else []
    before = sqlite_file.read_bytes()
    proc = _navigator([*command, *config, "--database", str(sqlite_file)], tmp_path, home)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), proc.stderr
    assert "SQLite" in lines[0] and "--database" in lines[0]
    assert "extension" not in proc.stderr.lower() and "download" not in proc.stderr.lower()
    assert not (home / ".duckdb").exists(), "DuckDB installed an extension"
    assert sqlite_file.read_bytes() == before
    assert not list(tmp_path.glob("results*backup*")), "a backup was taken of a file that is not ours"


def test_connections_refuse_extension_autoload(tmp_path, sqlite_file):
    with pytest.raises(NotADuckDBFile, match="SQLite"):
        connect_duckdb(sqlite_file)
    with connect_duckdb() as conn:
        settings = dict(conn.execute(
            "select name, value from duckdb_settings() where name in "
            "('autoinstall_known_extensions', 'autoload_known_extensions')").fetchall())
    assert settings == {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}


def test_other_files_are_refused_by_what_they_are(tmp_path):
    parquet_named_duckdb = tmp_path / "data.duckdb"
    parquet_named_duckdb.write_bytes(b"PAR1" + b"\0" * 64)
    with pytest.raises(NotADuckDBFile, match=r"not a DuckDB database; .*\(or a new path, which is created\)"):
        check_duckdb_file(parquet_named_duckdb)
    # A reader (compare, ndt, report) creates nothing: its fix does not offer a new path.
    with pytest.raises(NotADuckDBFile) as refused:
        connect_duckdb(parquet_named_duckdb, read_only=True)
    assert str(refused.value).endswith("pass --database with a DuckDB file")
    with pytest.raises(NotADuckDBFile, match="directory"):
        check_duckdb_file(tmp_path)
    check_duckdb_file(tmp_path / "new.duckdb")  # missing: DuckDB creates it
    (tmp_path / "empty.duckdb").touch()
    check_duckdb_file(tmp_path / "empty.duckdb")


def test_the_dbt_profile_opens_duckdb_with_the_same_options():
    """In a run dbt shares the orchestrator's DuckDB instance, which needs the same options."""
    profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())
    outputs = profile["planwise_navigator"]["outputs"]
    for name, output in outputs.items():
        assert DUCKDB_CONFIG.items() <= (output.get("config_options") or {}).items(), name


def test_the_product_opens_duckdb_only_through_connect_duckdb():
    offenders = [f"{p.relative_to(PACKAGE)}:{i}" for p in PACKAGE.rglob("*.py") if p.name != "sql.py"
                 for i, line in enumerate(p.read_text().splitlines(), 1)
                 if re.search(r"\bduckdb\.connect\(", line)]
    assert not offenders
