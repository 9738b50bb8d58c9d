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
from .pipeline import Simulation, SimulationError

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


# ----- commands --------------------------------------------------------------

@guarded
def cmd_run(args: argparse.Namespace) -> int:
    from .console import console_observer
    from .logs import JsonlLog
    from .observe import Observers
    from .report_files import ReportFiles

    config, first = _configured(args)
    log, files = JsonlLog(), ReportFiles()
    observer = Observers([console_observer(), log, files])
    sim = Simulation(config, args.database, threads=args.threads, first_year=first, observer=observer)
    sim.run()
    if files.csv_file:
        print(f"Reports: {files.csv_file} and {files.directory}/year_*.json | log: {log.path}")
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


def _read_database(args: argparse.Namespace):
    """The scenario id and a read-only connection to an existing database."""
    import duckdb

    from .config import DEFAULT_DATABASE

    config = load_config(args.config)
    path = Path(args.database or DEFAULT_DATABASE).resolve()
    if not path.exists():
        raise FileNotFoundError(f"no database at {path}; run `navigator run` first or pass --database")
    try:
        conn = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise SimulationError(f"cannot open {path} for reading ({exc}); if a run is writing it, "
                              "wait for it to finish") from None
    return config.effective_scenario_id, path, conn


@guarded
def cmd_report(args: argparse.Namespace) -> int:
    from .report_html import write_report

    scenario, path, conn = _read_database(args)
    with conn:
        out = write_report(conn, scenario, str(path), args.out)
    print(f"Wrote {out}")
    return 0


@guarded
def cmd_employee(args: argparse.Namespace) -> int:
    from .timeline import load_timeline, print_timeline

    scenario, _, conn = _read_database(args)
    with conn:
        timeline = load_timeline(conn, scenario, args.employee_id)
    print_timeline(timeline)
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
    run.set_defaults(func=cmd_run)

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

    def database_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--database", type=Path, default=None,
                       help="DuckDB file to read (default: dbt/simulation.duckdb)")

    rep = sub.add_parser("report", help="write a self-contained HTML report of the scenario's years")
    config_option(rep)
    database_option(rep)
    rep.add_argument("--out", type=Path, default=None,
                     help="HTML file (default: reports/simulation_report_FIRST_LAST.html)")
    rep.set_defaults(func=cmd_report)

    emp = sub.add_parser("employee", help="show one employee's events and year-end state per year")
    emp.add_argument("employee_id", metavar="ID")
    config_option(emp)
    database_option(emp)
    emp.set_defaults(func=cmd_employee)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
