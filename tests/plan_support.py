"""Helpers for the plan tests: module-scoped real runs and the IRS limits they are checked against."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from conftest import deep_merge
from navigator_orchestrator.config.schema import DEFAULT_CONFIG, load_config
from navigator_orchestrator.engine.results import RunResult
from navigator_orchestrator.engine.simulation import Simulation

# irs.gov "COLA increases for dollar limitations on benefits and contributions"; 2025 from
# IRS Notice 2024-80, 2026 from IRS Notice 2025-67. 2027 is the projection at the default
# 2.5% index, rounded down to the statute's steps (an estimate, not a published value).
LIMITS = {
    2025: {"402g": 23_500, "catch_up": 7_500, "catch_up_60_63": 11_250, "401a17": 350_000, "415c": 70_000},
    2026: {"402g": 24_500, "catch_up": 8_000, "catch_up_60_63": 11_250, "401a17": 360_000, "415c": 72_000},
    2027: {"402g": 25_000, "catch_up": 8_000, "catch_up_60_63": 11_250, "401a17": 365_000, "415c": 73_000},
}


def deferral_limit(year: int, age: int, offer_60_63: bool = True) -> int:
    lim = LIMITS[year]
    if offer_60_63 and 60 <= age <= 63:
        return lim["402g"] + lim["catch_up_60_63"]
    return lim["402g"] + (lim["catch_up"] if age >= 50 else 0)


def run_scenario(base_dir: Path, census: Path, overrides: dict[str, Any],
                 years: tuple[int, int] = (2025, 2026)) -> tuple[RunResult, Path]:
    """The default scenario with overrides, on `census`, in a fresh database under base_dir."""
    data = yaml.safe_load(DEFAULT_CONFIG.read_text())
    data = deep_merge(data, {
        "simulation": {"start_year": years[0], "end_year": years[1]},
        "setup": {"census_parquet_path": str(census)},
    })
    data = deep_merge(data, overrides)
    path = base_dir / "config.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    db = base_dir / "simulation.duckdb"
    return Simulation(load_config(path), db).run(), db


def rows(db: Path, sql: str, params: list | None = None) -> list[dict[str, Any]]:
    """Rows of `sql` as dicts, on the database as a run sees it (its file and its work file)."""
    from navigator_orchestrator.engine.database import connection

    with connection(db) as conn:
        cur = conn.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]


def write_census_csv(path: Path, people: list[dict[str, Any]]) -> Path:
    """A CSV census of `people` (contract column -> value; absent keys are empty cells)."""
    columns = list(dict.fromkeys(k for r in people for k in r))
    lines = [",".join(columns)] + [",".join("" if r.get(c) is None else str(r[c]) for c in columns) for r in people]
    path.write_text("\n".join(lines) + "\n")
    return path
