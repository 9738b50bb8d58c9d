"""What a published row, a checkpoint, a run-log row, a report and a log file belong to.

Everything a run writes is keyed by (database, scenario_id, plan_design_id): two designs of one
scenario, two scenarios or two database files never share a checkpoint or a report file, and
publishing one design never touches another design's rows. The database is named by its
resolved path; in file names by the file's stem and a short digest of that path, so two files
called `simulation.duckdb` in different folders get different names.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path


def database_tag(database: Path | str) -> str:
    """`<stem>-<8 hex digits>`: a file-name-safe name of one database file (by resolved path)."""
    path = Path(database).resolve()
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:8]
    stem = "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in path.stem)[:40] or "database"
    return f"{stem}-{digest}"


@dataclass(frozen=True)
class Identity:
    """One (database, scenario, plan design): the key of everything a run writes."""

    database: Path
    scenario_id: str
    plan_design_id: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "database", Path(self.database).resolve())

    @property
    def database_tag(self) -> str:
        return database_tag(self.database)

    @property
    def label(self) -> str:
        """`scenario/design`, how messages name the pair."""
        return f"{self.scenario_id}/{self.plan_design_id}"

    def subdirectory(self, root: Path) -> Path:
        """root/<database tag>/<scenario_id>/<plan_design_id>: where this identity's files go.

        Both ids are slugs (validated by the config schema), so they are safe path parts."""
        return Path(root) / self.database_tag / self.scenario_id / self.plan_design_id
