"""Where a run starts: after the checkpoints `--resume` verifies, or after the published year a
later first year continues from.

Both decisions are taken under the database lock, before anything is written: a run that
refuses or has nothing to do takes no backup and rotates none out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import duckdb

from navigator_orchestrator.engine import database
from navigator_orchestrator.identity import Identity
from navigator_orchestrator.safety import checkpoints, runlog


def resume_points(conn: duckdb.DuckDBPyConnection, identities: Sequence[Identity], config_hashes: dict[str, str],
                  census_hash: str, start_year: int, directory: Path,
                  notify: Callable[[str], None]) -> dict[str, checkpoints.Checkpoint]:
    """Design -> its latest checkpoint that verifies against the database (this run's checkpoint
    directory first, then those earlier runs of the identity recorded). Checkpoints passed over
    are named through `notify`. Raises checkpoints.ResumeRefused (a SafetyError) for a design
    without a valid checkpoint."""
    points = {}
    for identity in identities:
        design_id = identity.plan_design_id
        cp, skipped = checkpoints.resume_point(
            conn, identity=identity, config_hash=config_hashes[design_id], census_hash=census_hash,
            start_year=start_year, directory=directory,
            elsewhere=runlog.checkpoint_dirs(conn, identity.scenario_id, design_id),
        )
        for reason in skipped:
            notify(f"resume {identity.label}: passed over {reason}")
        points[design_id] = cp
    return points


def missing_previous_year(conn: duckdb.DuckDBPyConnection, identities: Sequence[Identity], first: int,
                          census_year: int, clearing: bool = False) -> str | None:
    """Why a run whose first year is `first` cannot start (None when it can): a year after the
    census year starts from the previous year's published snapshot, which every design needs
    (none is left when `clearing`, setup.clear_mode all)."""
    if first == census_year:
        return None
    for identity in identities:
        have = [] if clearing else database.published_years(conn, identity.scenario_id, identity.plan_design_id)
        if first - 1 not in have:
            return (f"year {first} starts from year {first - 1}'s snapshot, which {identity.database} "
                    f"does not hold for scenario '{identity.scenario_id}', design '{identity.plan_design_id}'; "
                    f"run from {census_year} (the census year) or from the year after the last one published")
    return None
