"""Shared fixtures of every test kind (unit/, integration/, e2e/): a small census, a config writer,
and finished runs of the default scenario simulated once per session, on DuckDB files in temp
directories. A test that changes a shared database works on `copy_database(...)`."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import yaml

from navigator_orchestrator.census.intake import generate_census
from navigator_orchestrator.config.schema import DEFAULT_CONFIG, SimulationConfig, load_config
from navigator_orchestrator.engine.results import RunResult
from navigator_orchestrator.engine.simulation import Simulation


def deep_merge(base: dict, overrides: dict) -> dict:
    out = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


# The files that take longest (a minute or more each on the 2-core CI machine, measured with
# --durations), longest first. xdist (--dist loadfile) hands files to its workers in collection
# order, one at a time as a worker frees up: sent first, these files run beside each other and
# the short files even out the end, so the workers finish together. The rest keep collection
# order (e2e/, integration/, unit/).
LONGEST_FILES = (
    "integration/test_publish_by_hand.py",
    "e2e/test_interrupts.py",
    "e2e/test_faults.py",
    "e2e/test_crash_resume.py",
    "e2e/test_ensemble.py",
    "integration/test_plan_designs.py",
    "integration/test_publish.py",
    "integration/test_workforce.py",
    "integration/test_tripwires.py",
    "integration/test_money.py",
    "integration/test_checkpoints.py",
)


def pytest_collection_modifyitems(config, items) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FILES)}
    tests = Path(__file__).parent

    def file_rank(item) -> int:
        return rank.get(Path(item.path).relative_to(tests).as_posix(), len(rank))

    items.sort(key=file_rank)  # stable: each file's tests, and the other files, keep their order


@pytest.fixture(autouse=True)
def _work_in_tmp(tmp_path: Path, monkeypatch) -> None:
    """Runs write .navigator_checkpoints/ (and reports) under the working directory: keep it per test."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def small_census(tmp_path_factory) -> Path:
    """A 400-person census as of 2024-12-31 (shared, read-only)."""
    path = tmp_path_factory.mktemp("census") / "census.parquet"
    return generate_census(400, 7, path, date(2024, 12, 31))


def write_scenario(directory: Path, census: Path, overrides: dict[str, Any] | None = None, *,
                   end_year: int = 2026, name: str = "config.yaml") -> Path:
    """Write a config file: the default scenario on `census`, 2025 to `end_year`, plus overrides."""
    data = deep_merge(yaml.safe_load(DEFAULT_CONFIG.read_text()), {
        "simulation": {"start_year": 2025, "end_year": end_year},
        "setup": {"census_parquet_path": str(census)},
    })
    path = Path(directory) / name
    path.write_text(yaml.safe_dump(deep_merge(data, overrides or {}), sort_keys=False))
    return path


@pytest.fixture
def make_config(tmp_path: Path, small_census: Path) -> Callable[..., Path]:
    """Write a config file: the default scenario, a small census, 2025-2026, plus overrides."""

    def _make(overrides: dict[str, Any] | None = None, name: str = "config.yaml") -> Path:
        return write_scenario(tmp_path, small_census, overrides, name=name)

    return _make


@dataclass(frozen=True)
class FinishedRun:
    """A finished run of the default scenario on the small census: its config, database, checkpoint
    directory and the run's result; its last year's year-only tables built by hand into the work
    file (a run keeps them in memory), as `build_year_by_hand` does."""

    config: Path
    database: Path
    checkpoints: Path
    result: RunResult


def _finished_run(tmp_path_factory, census: Path, end_year: int) -> FinishedRun:
    root = tmp_path_factory.mktemp(f"finished_2025_{end_year}")
    config = write_scenario(root, census, end_year=end_year)
    database, checkpoint_dir = root / "simulation.duckdb", root / "checkpoints"
    result = Simulation(load_config(config), database, checkpoint_dir=checkpoint_dir).run()
    build_year_by_hand(config, database, end_year)
    return FinishedRun(config, database, checkpoint_dir, result)


def build_year_by_hand(config: Path, db: Path, year: int) -> None:
    """Build `year`'s year-only tables into the database's work file, as
    `navigator dbt -c CONFIG --database DB --year YEAR -- run --select tag:year` does (a run
    keeps them in memory): with the same vars, through the in-process runner."""
    from navigator_orchestrator.engine.by_hand import dbt_vars
    from navigator_orchestrator.engine.dbt_runner import DbtRunner

    runner = DbtRunner(db)
    try:
        runner.invoke(["run", "--select", "tag:year"], dbt_vars(load_config(config), year))
    finally:
        runner.close()


@pytest.fixture(scope="session")
def finished_2025_2026(tmp_path_factory, small_census: Path) -> FinishedRun:
    """The default scenario, 2025-2026, simulated once for the whole session. Shared: a test that
    changes the database works on `copy_database(run.database, ...)`."""
    return _finished_run(tmp_path_factory, small_census, 2026)


@pytest.fixture(scope="session")
def finished_2025_2027(tmp_path_factory, small_census: Path) -> FinishedRun:
    """The default scenario, 2025-2027, simulated once for the whole session (shared as above)."""
    return _finished_run(tmp_path_factory, small_census, 2027)


@pytest.fixture
def simulate(tmp_path: Path, make_config) -> Callable[..., tuple[RunResult, Path]]:
    """Run a real simulation in-process; returns the result and the database path."""

    def _simulate(overrides: dict[str, Any] | None = None, database: Path | None = None,
                  first_year: int | None = None) -> tuple[RunResult, Path]:
        config: SimulationConfig = load_config(make_config(overrides))
        db = database or tmp_path / "simulation.duckdb"
        result = Simulation(config, db, first_year=first_year).run()
        return result, db

    return _simulate


def navigator(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The `navigator` program as a user runs it: a separate process in `cwd`."""
    return subprocess.run([sys.executable, "-m", "navigator_orchestrator.cli", *args],
                          cwd=cwd, capture_output=True, text=True)


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of `sql` on a database as the orchestrator sees it (its file and its work file)."""
    from navigator_orchestrator.engine.database import connection

    with connection(db) as conn:
        return conn.execute(sql, params or []).fetchall()


def copy_database(source: Path, target: Path) -> Path:
    """Copy a database file and its work file (the year-only tables) to `target`."""
    import shutil

    from navigator_orchestrator.engine.database import work_path

    shutil.copy(source, target)
    if work_path(source).exists():
        shutil.copy(work_path(source), work_path(target))
    return target


@pytest.fixture
def make_immutable() -> Iterator[Callable[[Path], None]]:
    """`make_immutable(path)`: `chattr +i` (root, on ext4/xfs/btrfs; skips the test elsewhere): not even
    root can replace or remove the file until the fixture undoes it."""
    import shutil

    made: list[Path] = []

    def immutable(path: Path) -> None:
        if not shutil.which("chattr") or subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode:
            pytest.skip("chattr +i is not available here (needs root on ext4, xfs or btrfs)")
        made.append(path)

    yield immutable
    for path in made:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)
