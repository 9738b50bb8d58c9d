"""The one object every command works through: options in, config, database, identity, lock out.

A command builds `Context(args)` and asks it for what it needs; nothing is read before it is
asked for, so a command that needs no config never loads one. Errors are the ones the guard
turns into one `Error: ...` line (`ConfigError`, `SimulationError`, `FileNotFoundError`).
"""

from __future__ import annotations

import argparse
import re
import sys
from contextlib import AbstractContextManager
from functools import cached_property
from pathlib import Path

from navigator_orchestrator.config.schema import DEFAULT_DATABASE, ConfigError, SimulationConfig, load_config, resolve_config_path


def parse_years(text: str) -> tuple[int, int]:
    """`--years 2025-2029` (or `2025`) -> (first, last); ConfigError when it is not a range."""
    match = re.fullmatch(r"\s*(\d{4})\s*(?:-\s*(\d{4}))?\s*", text)
    if not match:
        raise ConfigError(f"--years {text!r} is not a year range; write it as 2025-2029 (or a single year)")
    start = int(match.group(1))
    end = int(match.group(2) or start)
    if end < start:
        raise ConfigError(f"--years {text}: the end year is before the start year")
    return start, end


def design_list(text: str | None) -> list[str] | None:
    """--plan-designs a,b -> ['a', 'b'] (each a slug; the config must define it)."""
    if text is None:
        return None
    from navigator_orchestrator.config.schema import SLUG

    ids = [part.strip() for part in text.split(",") if part.strip()]
    bad = [i for i in ids if not SLUG.match(i)]
    if not ids or bad:
        raise ConfigError(f"--plan-designs {text!r}: give design ids (slugs) separated by commas, e.g. "
                          "--plan-designs standard_401k,safe_harbor")
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ConfigError(f"--plan-designs {text!r} names {', '.join(repr(i) for i in repeated)} more than once; "
                          "give each design once")
    return ids


class Context:
    """What a command needs from its parsed options, resolved once and on demand.

    - `config`: the scenario YAML (`-c`, else the default), loaded once;
    - `design_config`: the config of `--plan-design` (default: the baseline design);
    - `database`: the absolute path of `--database` (default: the product's database);
    - `read_database()`: the identity and a read-only connection, refused while a run writes;
    - `lock(label)`: the database lock for a command that writes;
    - `say` / `note`: the console (stdout for results, stderr for hints and warnings).
    """

    def __init__(self, args: argparse.Namespace):
        self.args = args

    # ----- console -------------------------------------------------------------

    @staticmethod
    def say(text: str = "") -> None:
        """A line of the command's result, on stdout."""
        print(text)

    @staticmethod
    def note(text: str) -> None:
        """A hint or warning, on stderr."""
        print(text, file=sys.stderr)

    # ----- config --------------------------------------------------------------

    @cached_property
    def config(self) -> SimulationConfig:
        """The scenario config named by -c/--config (ConfigError when it is not valid)."""
        return load_config(self.args.config)

    @property
    def config_path(self) -> Path:
        return resolve_config_path(self.args.config)

    @cached_property
    def design_config(self) -> SimulationConfig:
        """The config of the design named by --plan-design (default: the baseline)."""
        config = self.config
        design = getattr(self.args, "plan_design", None) or config.effective_plan_design_id
        if design not in config.design_ids:
            raise ConfigError(f"--plan-design {design!r} is not a design of {self.config_path}; "
                              f"designs: {', '.join(config.design_ids)}")
        return config.design(design)

    def designs(self) -> list[str] | None:
        """The ids of --plan-designs (None: every design of the config)."""
        return design_list(self.args.plan_designs)

    def configured(self) -> tuple[SimulationConfig, int]:
        """The config with CLI year overrides applied, and the first year to simulate.
        --years and --start-year/--end-year are two spellings of the same thing: both at once is
        a ConfigError.

        A range starting at or before the configured start year simulates from the census (whose
        date moves with it); a later start continues from the previous year's published snapshot.
        """
        args = self.args
        config = self.config
        start, end = getattr(args, "start_year", None), getattr(args, "end_year", None)
        if getattr(args, "years", None) and (start is not None or end is not None):
            given = " ".join(f"--{name}-year {value}" for name, value in (("start", start), ("end", end))
                             if value is not None)
            raise ConfigError(f"--years {args.years} and {given} both give the years to simulate; keep one: "
                              f"--years {args.years} alone, or --start-year/--end-year without --years")
        if getattr(args, "years", None):
            start, end = parse_years(args.years)
        configured_start = config.simulation.start_year
        first = start if start is not None else configured_start
        census_start = min(first, configured_start)
        config = config.with_years(census_start, end)
        if config.simulation.end_year < first:
            raise ConfigError(f"end year {config.simulation.end_year} is before the first year {first}")
        return config, first

    def identifiers(self, config: SimulationConfig) -> None:
        """Missing identifiers: an error with --enforce-identifiers, otherwise a hint."""
        from navigator_orchestrator.config.lint import enforce_identifiers, identifier_hints

        if getattr(self.args, "enforce_identifiers", False):
            enforce_identifiers(config, str(self.config_path))
        for hint in identifier_hints(config):
            self.note(f"Hint: {hint}")

    # ----- database ------------------------------------------------------------

    @property
    def database(self) -> Path:
        """--database as an absolute path (default: the product's database)."""
        return Path(self.args.database or DEFAULT_DATABASE).resolve()

    def refuse_while_running(self, what: str, database: Path | None = None) -> None:
        """SafetyError when a run holds the database's lock."""
        from navigator_orchestrator.safety.lock import refuse_while_running

        refuse_while_running(database if database is not None else self.database, what)

    def lock(self, label: str) -> AbstractContextManager:
        """The database lock, held by `label-<new run id>` for the block."""
        from navigator_orchestrator.engine.simulation import new_run_id
        from navigator_orchestrator.safety.lock import database_lock

        return database_lock(self.database, f"{label}-{new_run_id()}")

    def refuse_an_input_as_out(self, out: Path) -> None:
        """Raise ConfigError when --out names a file the command reads: the database (or its
        write-ahead log), the config or the config's census, which writing would destroy."""
        db = self.database
        inputs = {db: "the database", Path(f"{db}.wal"): "the database's write-ahead log",
                  self.config_path: "the config", self.config.census_path: "the census"}
        target = Path(out).resolve()
        for path, what in inputs.items():
            path = Path(path).resolve()
            if target == path or (target.exists() and path.exists() and target.samefile(path)):
                raise ConfigError(f"--out {out} is {what} ({path}); name another file for the output")

    def read_database(self):
        """The identity (database, scenario, design: --plan-design or the baseline) and a read-only
        connection to an existing database."""
        import duckdb

        from navigator_orchestrator.engine.simulation import SimulationError
        from navigator_orchestrator.identity import Identity
        from navigator_orchestrator.sql import connect_duckdb

        config = self.design_config
        path = self.database
        if not path.exists():
            raise FileNotFoundError(f"no database at {path}; run `navigator run` first or pass --database")
        self.refuse_while_running(f"navigator {self.args.command}", path)
        try:
            conn = connect_duckdb(path, read_only=True)
        except duckdb.Error as exc:
            raise SimulationError(f"cannot open {path} for reading ({exc}); if a run is writing it, "
                                  "wait for it to finish") from None
        return Identity(path, config.effective_scenario_id, config.effective_plan_design_id), conn
