"""Options several commands share, spelled and explained the same way everywhere."""

from __future__ import annotations

import argparse
from pathlib import Path

from navigator_orchestrator.locations import DEFAULT_DATABASE_TEXT


def config_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("-c", "--config", type=Path, default=None,
                   help="scenario YAML (default: config/simulation_config.yaml in the working "
                        "directory if there is one, else the product's default scenario)")


def database_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--database", type=Path, default=None,
                   help=f"DuckDB file (default: {DEFAULT_DATABASE_TEXT})")


def designs_option(p: argparse.ArgumentParser, text: str) -> None:
    p.add_argument("--plan-designs", metavar="ID,ID", default=None, help=text)


def design_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--plan-design", metavar="ID", default=None,
                   help="plan design to show (default: the baseline, plan_design_id)")


def enforce_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--enforce-identifiers", action="store_true",
                   help="refuse a config without scenario_id and plan_design_id")


def positive_int(text: str) -> int:
    """argparse type: a whole number of 1 or more (threads, row limits)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return value


def threads_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--threads", type=positive_int, default=2, help="dbt and DuckDB threads (default 2)")
