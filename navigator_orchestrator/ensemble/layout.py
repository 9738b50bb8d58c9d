"""An ensemble's directory: what it holds, whose seeds they are, and which seeds are finished.

`DIR` (the `--out` of `navigator ensemble`) holds, for every seed n:

- `seed_<n>.yaml`: the scenario's config with `simulation.random_seed: n`, `scenario_id:
  <scenario>_seed<n>` (each seed is its own scenario identity) and the census path made absolute;
- `seed_<n>.duckdb` (and its backups and lock beside it): an ordinary, complete run
  of every design of that config, written by `navigator run`;

and, run from `DIR` as their working directory, the runs' own `reports/`, `logs/` and
`.navigator_checkpoints/` (each keyed by database, so no two seeds share a file), the console
output of each seed's run in `logs/ensemble/seed_<n>.txt`, and the ensemble's own files:
`ensemble.json` (which config and census the seeds belong to), `ensemble.duckdb`,
`ensemble_summary.csv` and `ensemble_report.html`.

A seed is finished when its database holds, for every design, a checkpoint of the end year that
verifies against the database and was written with that seed's config hash and the census's
hash (the checkpoint of a year is written only after the year is published, and a year is
published only on top of the year before, so every year of every design is complete). Any seed
can be opened, resumed and reported like a normal run: `navigator report -c DIR/seed_<n>.yaml
--database DIR/seed_<n>.duckdb`, run from DIR.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import yaml

from navigator_orchestrator.config.schema import SLUG, SimulationConfig, load_config, parse_config, resolve_config_path
from navigator_orchestrator.config.yaml_text import load_yaml
from navigator_orchestrator.files import write_atomically
from navigator_orchestrator.identity import Identity
from navigator_orchestrator.safety import checkpoints
from navigator_orchestrator.sql import connect_duckdb

MANIFEST = "ensemble.json"
SUMMARY_DATABASE = "ensemble.duckdb"
SUMMARY_CSV = "ensemble_summary.csv"
REPORT = "ensemble_report.html"
SEED_CONSOLE_DIR = Path("logs") / "ensemble"
MAX_SEED = 2**31 - 1  # simulation.random_seed's bound


class EnsembleError(ValueError):
    """An ensemble that cannot run as asked; the message names the problem and the fix."""


def seed_ranges(seeds: list[int]) -> str:
    """`1-3, 7, 9-10`."""
    parts: list[str] = []
    for seed in sorted(seeds):
        if parts and seed == int(parts[-1].rsplit("-", 1)[-1]) + 1:
            parts[-1] = f"{parts[-1].split('-')[0]}-{seed}"
        else:
            parts.append(str(seed))
    return ", ".join(parts) or "none"


def seed_scenario_id(scenario_id: str, seed: int) -> str:
    return f"{scenario_id}_seed{seed}"


@dataclass(frozen=True)
class SeedFiles:
    """Where one seed's run lives inside DIR (absolute paths)."""

    seed: int
    directory: Path

    @property
    def config(self) -> Path:
        return self.directory / f"seed_{self.seed}.yaml"

    @property
    def database(self) -> Path:
        return self.directory / f"seed_{self.seed}.duckdb"

    @property
    def console(self) -> Path:
        return self.directory / SEED_CONSOLE_DIR / f"seed_{self.seed}.txt"

    @property
    def checkpoint_dir(self) -> Path:
        return self.directory / checkpoints.CHECKPOINT_DIR


class Ensemble:
    """N seeds of one scenario config (every design), into one directory.

    Raises EnsembleError (or ConfigError) when the seeds or the directory cannot be used; nothing
    is written before `prepare()`.
    """

    def __init__(self, config_path: Path | str | None, directory: Path, seeds: int, first_seed: int | None = None):
        self.config_path = resolve_config_path(config_path).resolve()
        self.config: SimulationConfig = load_config(self.config_path)  # ConfigError names any problem
        self.raw: dict[str, Any] = load_yaml(self.config_path.read_text(encoding="utf-8")) or {}
        if seeds < 1:
            raise EnsembleError(f"--seeds {seeds}: an ensemble needs at least one seed; give --seeds N with "
                                "N of 1 or more (bands are shown from 10 seeds)")
        first = self.config.simulation.random_seed if first_seed is None else first_seed
        if first < 0 or first + seeds - 1 > MAX_SEED:
            raise EnsembleError(f"seeds {first}-{first + seeds - 1} are outside 0-{MAX_SEED}, the range of "
                                "simulation.random_seed; choose another --first-seed")
        self.seeds = list(range(first, first + seeds))
        self.scenario_id = self.config.effective_scenario_id
        longest = seed_scenario_id(self.scenario_id, self.seeds[-1])
        if not SLUG.match(longest):
            raise EnsembleError(f"scenario_id '{self.scenario_id}' is too long to name seed {self.seeds[-1]}'s "
                                f"scenario ('{longest}' is over 64 characters); shorten scenario_id")
        self.directory = Path(directory).resolve()
        self.designs = self.config.design_ids
        self.baseline = self.config.effective_plan_design_id
        self.years = (self.config.simulation.start_year, self.config.simulation.end_year)

    # ----- seeds ----------------------------------------------------------------
    def files(self, seed: int) -> SeedFiles:
        return SeedFiles(seed, self.directory)

    def seed_raw(self, seed: int) -> dict[str, Any]:
        """The config file's mapping for one seed: its seed, its scenario id, the census by
        absolute path (the file lives in DIR, not beside the original config)."""
        raw = json.loads(json.dumps(self.raw, default=str))
        raw["scenario_id"] = seed_scenario_id(self.scenario_id, seed)
        raw.setdefault("simulation", {})["random_seed"] = seed
        raw.setdefault("setup", {})["census_parquet_path"] = str(self.config.census_path)
        return raw

    def seed_config(self, seed: int) -> SimulationConfig:
        return parse_config(self.seed_raw(seed), self.config_path.parent)

    def config_hashes(self, seed: int) -> dict[str, str]:
        """Design id -> the config hash a run of this seed records (checkpoints, run log)."""
        config = self.seed_config(seed)
        return {d: config.design(d).config_hash() for d in self.designs}

    def key(self, census_hash: str) -> dict[str, Any]:
        """What makes seeds of this DIR comparable: designs, years, each design's config hash
        without the seed (seed 0 of the scenario) and the census's hash."""
        return {"scenario_id": self.scenario_id, "designs": self.designs, "years": list(self.years),
                "config_hashes": self.config_hashes(0), "census_hash": census_hash}

    # ----- the directory ----------------------------------------------------------
    def check_directory(self, census_hash: str) -> None:
        """EnsembleError unless DIR is missing, empty, or an ensemble of this config and census."""
        d = self.directory
        if d.exists() and not d.is_dir():
            raise EnsembleError(f"--out {d} is a file; name a new or empty directory for the ensemble")
        if not d.exists():
            return
        entries = sorted(p.name for p in d.iterdir())
        if not entries:
            return
        manifest = d / MANIFEST
        if not manifest.is_file():
            shown = ", ".join(entries[:3]) + (f" and {len(entries) - 3} more" if len(entries) > 3 else "")
            raise EnsembleError(f"--out {d} holds other files ({shown}) and no {MANIFEST}; name a new or "
                                "empty directory for the ensemble")
        try:
            theirs = json.loads(manifest.read_text())["key"]
        except (OSError, ValueError, KeyError, TypeError):
            raise EnsembleError(f"{manifest} is not an ensemble manifest; name a new or empty directory "
                                "for the ensemble") from None
        ours = self.key(census_hash)
        if theirs != ours:
            differs = [k for k in ours if theirs.get(k) != ours[k]] if isinstance(theirs, dict) else ["all"]
            what = {"scenario_id": "scenario", "designs": "plan designs", "years": "years",
                    "config_hashes": "configuration", "census_hash": "census"}
            names = ", ".join(what.get(k, k) for k in differs)
            raise EnsembleError(f"--out {d} holds seeds of a different config (not the same {names}); pass a new "
                                "--out, or remove that directory to start over")

    def prepare(self, census_hash: str) -> None:
        """Create DIR and write its manifest and every seed's config file (each checked to read back
        as the config the seed runs); a file that already says the same is left untouched."""
        self.directory.mkdir(parents=True, exist_ok=True)
        _write_if_changed(self.directory / MANIFEST, json.dumps(
            {"config": str(self.config_path), "key": self.key(census_hash)}, indent=2) + "\n")
        for seed in self.seeds:
            files = self.files(seed)
            text = (f"# Seed {seed} of the ensemble in this directory, written by `navigator ensemble` from\n"
                    f"# {self.config_path}: that config with simulation.random_seed {seed} and scenario_id\n"
                    f"# {seed_scenario_id(self.scenario_id, seed)}. Run from this directory to resume or report it.\n"
                    + yaml.safe_dump(self.seed_raw(seed), sort_keys=False, allow_unicode=True))
            _write_if_changed(files.config, text)
            written = parse_config(load_yaml(files.config.read_text()), files.directory)
            if written.config_hash() != self.seed_config(seed).config_hash():
                raise EnsembleError(f"{files.config} does not read back as seed {seed}'s config; "
                                    "report this with the config file")

    # ----- which seeds are done -------------------------------------------------------
    def seed_state(self, seed: int, census_hash: str) -> str:
        """`finished`, `resumable` (every design has a valid checkpoint short of the end year) or
        `new` (nothing to continue from: the run starts at the census year)."""
        files = self.files(seed)
        if not files.database.exists():
            return "new"
        hashes = self.config_hashes(seed)
        scenario = seed_scenario_id(self.scenario_id, seed)
        try:
            conn = connect_duckdb(files.database, read_only=True)
        except (duckdb.Error, ValueError):
            return "new"
        years = []
        with conn:
            for design in self.designs:
                try:
                    cp, _ = checkpoints.resume_point(
                        conn, identity=Identity(files.database, scenario, design), config_hash=hashes[design],
                        census_hash=census_hash, start_year=self.years[0], directory=files.checkpoint_dir)
                except (checkpoints.ResumeRefused, duckdb.Error):
                    return "new"
                years.append(cp.year)
        return "finished" if min(years) >= self.years[1] else "resumable"


def _write_if_changed(path: Path, text: str) -> None:
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (OSError, UnicodeDecodeError):
        pass
    write_atomically(path, text, durable=False)
