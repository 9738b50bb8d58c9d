"""`navigator census validate` and `navigator census generate`."""

from __future__ import annotations

import argparse
from pathlib import Path

from navigator_orchestrator.cli.context import Context
from navigator_orchestrator.config.schema import ConfigError
from navigator_orchestrator.guard import guarded


@guarded
def cmd_census_validate(args: argparse.Namespace) -> int:
    from datetime import date

    from navigator_orchestrator.census.intake import CensusError, CensusOptions, validate_census

    ctx = Context(args)
    config = ctx.config
    try:
        census_date = date.fromisoformat(args.census_date) if args.census_date else config.census_date
    except ValueError:
        raise ValueError(f"--census-date {args.census_date!r} is not a date; write YYYY-MM-DD") from None
    report = validate_census(Path(args.path), census_date, CensusOptions.from_setup(config.setup))
    ctx.say("Columns used:")
    for line in report.mapping:
        ctx.say(f"  {line}")
    ctx.say("Columns not used (never read): " + (", ".join(repr(h) for h in report.unmapped) or "none"))
    for warning in report.warnings:
        ctx.say(f"warning: {warning.format()}")
    if not report.ok:
        ctx.say(report.format())  # every problem, its column, counts, example ids and fix
        raise CensusError(report, listed=True)
    ctx.say(f"Census OK: {report.row_count:,} rows, {report.active_count:,} active as of {census_date}")
    return 0


@guarded
def cmd_census_generate(args: argparse.Namespace) -> int:
    from datetime import date

    from navigator_orchestrator.census.intake import generate_census

    ctx = Context(args)
    census_date = date.fromisoformat(args.census_date)
    out = Path(args.out)
    if out.exists() or out.is_symlink():
        raise ConfigError(f"--out {out} already exists; navigator does not overwrite it (it may be a real "
                          "census): name a new file or move that one away")
    generate_census(args.employees, args.seed, out, census_date)
    ctx.say(f"Wrote {args.employees:,} employees (seed {args.seed}, as of {census_date}) to {out}")
    return 0


def register(sub) -> None:
    census = sub.add_parser("census", help="validate or generate a census file")
    census_sub = census.add_subparsers(dest="census_command", required=True, metavar="ACTION")
    cv = census_sub.add_parser("validate", help="check a census file against the contract")
    cv.add_argument("path")
    cv.add_argument("-c", "--config", default=None,
                    help="config whose setup.census_* keys say how to read the file and whose start "
                         "year sets the census date (default: config/simulation_config.yaml)")
    cv.add_argument("--census-date", help="YYYY-MM-DD (default: Dec 31 before the configured start year)")
    cv.set_defaults(func=cmd_census_validate)
    cg = census_sub.add_parser("generate", help="write a realistic synthetic census")
    cg.add_argument("--employees", type=int, required=True)
    cg.add_argument("--seed", type=int, default=42)
    cg.add_argument("--out", required=True, help="new output path (.parquet or .csv); an existing file is refused")
    cg.add_argument("--census-date", default="2024-12-31", help="YYYY-MM-DD (default 2024-12-31)")
    cg.set_defaults(func=cmd_census_generate)
