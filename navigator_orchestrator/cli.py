"""`navigator` command line: parse options, call one object, print.

`navigator <cmd>` and `python -m navigator_orchestrator.cli <cmd>` are the same program.
Every failure ends with a one-line `Error: ...` on stderr and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import sys
from pathlib import Path
from typing import Callable

from .census import CensusError, validate_census
from .config import ConfigError, SimulationConfig, load_config
from .dbt_runner import DbtError
from .pipeline import Simulation, SimulationError, YearSummary
from .tripwires import TripwireError

EXIT_ERROR = 1


def _fail(message: str) -> int:
    print(f"Error: {message}", file=sys.stderr)
    return EXIT_ERROR


def guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn every expected failure into a one-line error and a non-zero exit."""

    @functools.wraps(command)
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except CensusError as exc:
            print(exc.report.format() if hasattr(exc, "report") else str(exc), file=sys.stderr)
            return _fail(f"census refused: {exc}")
        except TripwireError as exc:
            for result in exc.results:
                print(result.line(), file=sys.stderr)
            return _fail(str(exc))
        except (ConfigError, SimulationError, DbtError, FileNotFoundError, ValueError) as exc:
            return _fail(str(exc))
        except KeyboardInterrupt:
            return _fail("interrupted; the database holds every year published before the interruption")

    return wrapper


# ----- helpers ---------------------------------------------------------------

def _parse_years(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d{4})\s*(?:-\s*(\d{4}))?\s*", text)
    if not match:
        raise ConfigError(f"--years {text!r} is not a year range; write it as 2025-2029 (or a single year)")
    start = int(match.group(1))
    end = int(match.group(2) or start)
    if end < start:
        raise ConfigError(f"--years {text}: the end year is before the start year")
    return start, end


def _configured(args: argparse.Namespace) -> tuple[SimulationConfig, int]:
    """The config with CLI year overrides applied, and the first year to simulate.

    A range starting at or before the configured start year simulates from the census (whose
    date moves with it); a later start continues from the previous year's published snapshot.
    """
    config = load_config(args.config)
    start, end = getattr(args, "start_year", None), getattr(args, "end_year", None)
    if getattr(args, "years", None):
        start, end = _parse_years(args.years)
    configured_start = config.simulation.start_year
    first = start if start is not None else configured_start
    census_start = min(first, configured_start)
    config = config.with_years(census_start, end)
    if config.simulation.end_year < first:
        raise ConfigError(f"end year {config.simulation.end_year} is before the first year {first}")
    return config, first


def _print_year(summary: YearSummary) -> None:
    print(
        f"{summary.year}: actives {summary.start_workforce:,} -> {summary.ending_workforce:,} "
        f"(target {summary.target_ending_workforce:,}, growth {summary.growth:+.2%}) | "
        f"hires {summary.hires:,} | terminations {summary.experienced_terminations:,} experienced, "
        f"{summary.new_hire_terminations:,} new-hire | {summary.seconds:.2f}s"
    )
    if summary.participation_rate is not None:
        print(
            f"      plan: participation {summary.participation_rate:.1%} of eligible actives, "
            f"average deferral {summary.average_deferral_rate or 0:.2%}"
        )
    for note in summary.notes:
        print(f"      note: {note}")


# ----- commands --------------------------------------------------------------

@guarded
def cmd_run(args: argparse.Namespace) -> int:
    config, first = _configured(args)
    if args.fail_on_validation_error:
        dq = config.data_quality.model_copy(update={"fail_on_warning": True})
        config = config.model_copy(update={"data_quality": dq})
    sim = Simulation(config, args.database, threads=args.threads, on_year=_print_year, first_year=first)
    print(
        f"Simulating {first}-{config.simulation.end_year} | scenario {config.effective_scenario_id} | "
        f"plan {config.effective_plan_design_id} | database {sim.database_path}"
    )
    result = sim.run()
    print(
        f"Done: {len(result.years)} year(s) in {result.seconds:.1f}s, "
        f"{result.dbt_invocations} dbt invocations, run {result.run_id}"
    )
    return 0


@guarded
def cmd_validate(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    print(
        f"Config OK: scenario {config.effective_scenario_id}, plan {config.effective_plan_design_id}, "
        f"years {config.simulation.start_year}-{config.simulation.end_year}, census {config.census_path}"
    )
    return 0


@guarded
def cmd_census_validate(args: argparse.Namespace) -> int:
    from datetime import date

    census_date = date.fromisoformat(args.census_date) if args.census_date else None
    if census_date is None:
        census_date = load_config(None).census_date
    report = validate_census(Path(args.path), census_date)
    if not report.ok:
        raise CensusError(report)
    print(f"Census OK: {report.row_count:,} rows, {report.active_count:,} active as of {census_date}")
    return 0


@guarded
def cmd_census_generate(args: argparse.Namespace) -> int:
    from datetime import date

    from .census import generate_census

    census_date = date.fromisoformat(args.census_date)
    out = Path(args.out)
    generate_census(args.employees, args.seed, out, census_date)
    print(f"Wrote {args.employees:,} employees (seed {args.seed}, as of {census_date}) to {out}")
    return 0


@guarded
def cmd_dq(args: argparse.Namespace) -> int:
    from .dq import run_dq

    config = load_config(args.config)
    database = args.database or Simulation(config).database_path
    summary = run_dq(config, database, year=args.year, threads=args.threads)
    groups: dict[tuple[str, str], dict] = {}
    for row in summary.rows:
        group = groups.setdefault((row.kind, row.name), {"pass": 0, "warn": 0, "fail": 0, "detail": ""})
        group[row.status] += 1
        if row.status != "pass" and not group["detail"]:
            group["detail"] = f"{row.year}: {row.detail}" if row.year != "all" else row.detail
    width = min(max([len(name) for _, name in groups] + [5]), 64)
    print(f"{'kind':<9} {'check':<{width}} {'pass':>5} {'warn':>5} {'fail':>5}  detail")
    for (kind, name), g in groups.items():
        name = name if len(name) <= width else name[: width - 1] + "…"
        print(f"{kind:<9} {name:<{width}} {g['pass']:>5} {g['warn']:>5} {g['fail']:>5}  {g['detail']}")
    print(
        f"Data quality: {summary.count('pass')} pass, {summary.count('warn')} warn, "
        f"{summary.count('fail')} fail ({summary.skipped} not applicable) | recorded as {summary.run_id}"
    )
    if not summary.ok:
        return _fail(f"{summary.count('fail')} data-quality check(s) failed; see the fixes above")
    return 0


@guarded
def cmd_dbt_vars(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    dbt_vars = {**config.to_dbt_vars(), "simulation_year": args.year or config.simulation.start_year}
    print(json.dumps(dbt_vars))
    return 0


# ----- parser ----------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="navigator",
        description="PlanWise Navigator: workforce and DC plan simulation on dbt + DuckDB.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def config_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("-c", "--config", type=Path, default=None,
                       help="scenario YAML (default: config/simulation_config.yaml)")

    run = sub.add_parser("run", help="simulate the configured years")
    config_option(run)
    run.add_argument("--years", help="year range to simulate, e.g. 2025-2029")
    run.add_argument("--start-year", type=int)
    run.add_argument("--end-year", type=int)
    run.add_argument("--database", type=Path, default=None,
                     help="DuckDB file (default: dbt/simulation.duckdb)")
    run.add_argument("--threads", type=int, default=2, help="dbt and DuckDB threads (default 2)")
    run.add_argument("-v", "--verbose", action="store_true")
    run.add_argument("--fail-on-validation-error", action="store_true",
                     help="treat data-quality warnings as errors: the year is not published")
    run.set_defaults(func=cmd_run)

    dq = sub.add_parser("dq", help="run the dbt tests and data-quality tripwires on an existing database")
    config_option(dq)
    dq.add_argument("--database", type=Path, default=None,
                    help="DuckDB file (default: dbt/simulation.duckdb)")
    dq.add_argument("--year", type=int, help="check only this published year (default: all)")
    dq.add_argument("--threads", type=int, default=2, help="dbt and DuckDB threads (default 2)")
    dq.set_defaults(func=cmd_dq)

    validate = sub.add_parser("validate", help="check a config file")
    config_option(validate)
    validate.set_defaults(func=cmd_validate)

    census = sub.add_parser("census", help="validate or generate a census file")
    census_sub = census.add_subparsers(dest="census_command", required=True, metavar="ACTION")
    cv = census_sub.add_parser("validate", help="check a census file against the contract")
    cv.add_argument("path")
    cv.add_argument("--census-date", help="YYYY-MM-DD (default: Dec 31 before the configured start year)")
    cv.set_defaults(func=cmd_census_validate)
    cg = census_sub.add_parser("generate", help="write a realistic synthetic census")
    cg.add_argument("--employees", type=int, required=True)
    cg.add_argument("--seed", type=int, default=42)
    cg.add_argument("--out", required=True, help="output path (.parquet or .csv)")
    cg.add_argument("--census-date", default="2024-12-31", help="YYYY-MM-DD (default 2024-12-31)")
    cg.set_defaults(func=cmd_census_generate)

    dv = sub.add_parser("dbt-vars", help="print the dbt --vars JSON for running models by hand")
    config_option(dv)
    dv.add_argument("--year", type=int, help="simulation year (default: the start year)")
    dv.set_defaults(func=cmd_dbt_vars)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
