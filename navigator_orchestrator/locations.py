"""Where the product finds its dbt project, default config and sample census, and its default database.

Two layouts, told apart by what sits beside the package:

- **Source checkout** (`pip install -e .`, or running from the tree): the repository's own `dbt/`,
  `config/` and `data/`; the default database is `dbt/simulation.duckdb` in the checkout, where
  `dbt run` by hand from `dbt/` finds it (its profile's default).
- **Installed package** (`pip install .`, a wheel): the copies shipped inside the package
  (`navigator_orchestrator/_bundled/{dbt,config,data}`, put there by setup.py's build step); the
  default database is `simulation.duckdb` in the working directory, like the run's other outputs
  (reports/, logs/, .navigator_checkpoints/), so nothing is written into site-packages but dbt's
  parse cache (target/), which a read-only install does without.

Nothing here depends on where a source tree happens to be once the package is installed.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE_DIR.parent

# The directory under the package that holds the shipped copies in an installed package.
BUNDLE_DIRNAME = "_bundled"


def _is_checkout(root: Path) -> bool:
    return (root / "pyproject.toml").is_file() and (root / "dbt" / "dbt_project.yml").is_file()


IS_CHECKOUT: bool = _is_checkout(_CHECKOUT)

# The directory that holds dbt/, config/ and data/.
PROJECT_ROOT: Path = _CHECKOUT if IS_CHECKOUT else _PACKAGE_DIR / BUNDLE_DIRNAME
DBT_PROJECT_DIR: Path = PROJECT_ROOT / "dbt"
DEFAULT_CONFIG: Path = PROJECT_ROOT / "config" / "simulation_config.yaml"
SAMPLE_CENSUS: Path = PROJECT_ROOT / "data" / "census.parquet"

# Absolute in a checkout; relative (to the working directory at the time of use) when installed.
DEFAULT_DATABASE: Path = DBT_PROJECT_DIR / "simulation.duckdb" if IS_CHECKOUT else Path("simulation.duckdb")

# How --help names the default database.
DEFAULT_DATABASE_TEXT = "dbt/simulation.duckdb in the checkout" if IS_CHECKOUT else "./simulation.duckdb"


def dbt_output_env() -> dict[str, str]:
    """Where dbt writes its parse cache (target/) and its log, as dbt's environment variables.

    Empty in a checkout: dbt's defaults (`dbt/target/`, `dbt/logs/`), the same as `dbt` by hand.
    Installed, nothing is written into site-packages: the parse cache goes to the user's cache
    directory (`$XDG_CACHE_HOME` or `~/.cache`, then `planwise-navigator/dbt-target`) and dbt's
    log to `logs/` in the working directory, beside the run's own logs.
    """
    if IS_CHECKOUT:
        return {}
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return {"DBT_TARGET_PATH": str(cache / "planwise-navigator" / "dbt-target"),
            "DBT_LOG_PATH": str(Path("logs").resolve())}


def dbt_target_dir(project_dir: Path) -> Path:
    """The target/ directory dbt uses for `project_dir` (see dbt_output_env)."""
    target = dbt_output_env().get("DBT_TARGET_PATH")
    return Path(target) if target else Path(project_dir) / "target"
