"""Build step that ships the dbt project, the default config and the sample census in the package.

An installed package (`pip install .`, a wheel) finds them in `navigator_orchestrator/_bundled/`
(see navigator_orchestrator/locations.py); a source checkout, editable install included, uses the
tree's own `dbt/`, `config/` and `data/`. Project metadata is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = ("dbt", "config", "data")
# What runs and dbt write into the tree: never shipped.
LEFT_OUT = shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml", "*.duckdb", "*.duckdb.*",
                                  "*.lock", "*.tmp", "__pycache__", "*.pyc")


class BuildWithProjectFiles(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):  # the checkout's own files are used
            return
        bundle = Path(self.build_lib) / "navigator_orchestrator" / "_bundled"
        if bundle.exists():
            shutil.rmtree(bundle)
        for name in SHIPPED:
            shutil.copytree(ROOT / name, bundle / name, ignore=LEFT_OUT)


setup(cmdclass={"build_py": BuildWithProjectFiles})
