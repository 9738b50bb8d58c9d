"""A plain, non-editable install runs in an empty directory.

The package is built and installed with `pip install .` (pip's isolated build, as a user gets
it) into a new virtual environment from a copy of the source tree; its dependencies are this
environment's (a `.pth` file), so the test costs a build, not a download of dbt. Then
`navigator` runs from an empty working directory: the dbt project, default config and sample
census must come from inside the installed package, and nothing may be written into it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import duckdb
import pytest

from navigator_orchestrator import locations

SOURCE = Path(__file__).resolve().parents[2]
# What a working tree holds that a build must not need.
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "target", "logs", "reports",
                                    "*.duckdb", "*.duckdb.*", ".navigator_checkpoints", "__pycache__",
                                    ".pytest_cache", "results")


def _copy_source(to: Path) -> Path:
    """The working tree's files (tracked and new, not ignored), as a clean clone would have them."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                            cwd=SOURCE, capture_output=True)
    if listed.returncode != 0:
        shutil.copytree(SOURCE, to, ignore=NOT_SOURCE)
        return to
    for name in filter(None, listed.stdout.decode().split("\0")):
        if (SOURCE / name).is_file():
            (to / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(SOURCE / name, to / name)
    return to


def _purelib(venv: Path) -> Path:
    python = venv / "bin" / "python"
    return Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())


@pytest.mark.install
def test_a_plain_install_runs_in_an_empty_directory(tmp_path):
    source = _copy_source(tmp_path / "source")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    site = _purelib(venv)
    (site / "_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {**os.environ, "HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PYTHONPATH", None)
    install = subprocess.run([venv / "bin" / "pip", "install", "--quiet", "--no-deps", str(source)],
                             capture_output=True, text=True, env=env, timeout=300)
    assert install.returncode == 0, install.stderr[-3000:]

    empty = tmp_path / "empty"
    empty.mkdir()
    where = subprocess.run([venv / "bin" / "python", "-c", "import navigator_orchestrator as n; print(n.__file__)"],
                           cwd=empty, capture_output=True, text=True, env=env, check=True).stdout
    assert where.startswith(str(site)), where  # the installed copy, not the source tree

    validate = subprocess.run([venv / "bin" / "navigator", "validate"], cwd=empty, capture_output=True,
                              text=True, env=env, timeout=120)
    assert validate.returncode == 0, validate.stderr
    assert str(site / "navigator_orchestrator" / "_bundled" / "data" / "census.parquet") in validate.stdout

    run = subprocess.run([venv / "bin" / "navigator", "run", "--years", "2025"], cwd=empty,
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    database = empty / "simulation.duckdb"  # the installed package's default: the working directory
    with duckdb.connect(str(database), read_only=True) as conn:
        assert conn.execute("select count(*) from fct_workforce_snapshot where simulation_year = 2025").fetchone()[0] > 4000
    assert list((empty / "reports").rglob("multi_year_summary_*.csv"))
    assert (empty / "logs" / "dbt.log").exists()
    bundled_dbt = site / "navigator_orchestrator" / "_bundled" / "dbt"
    assert not (bundled_dbt / "target").exists() and not (bundled_dbt / "logs").exists(), \
        "a run wrote into site-packages"


def test_a_checkout_keeps_its_own_project_and_default_database():
    """From the source tree (editable install), the tree's dbt/ and dbt/simulation.duckdb are used,
    so `dbt run` by hand from dbt/ sees the database a run wrote."""
    assert locations.IS_CHECKOUT
    assert locations.DBT_PROJECT_DIR == SOURCE / "dbt"
    assert locations.DEFAULT_CONFIG == SOURCE / "config" / "simulation_config.yaml"
    assert locations.DEFAULT_DATABASE == SOURCE / "dbt" / "simulation.duckdb"
    assert locations.dbt_output_env() == {}
