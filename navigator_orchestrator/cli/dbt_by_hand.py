"""`navigator dbt-vars` and `navigator dbt`: dbt by hand, with the vars a run gives the models."""

from __future__ import annotations

import argparse

from navigator_orchestrator.cli.context import Context
from navigator_orchestrator.cli.options import config_option, database_option, designs_option
from navigator_orchestrator.config.schema import ConfigError
from navigator_orchestrator.guard import guarded


@guarded
def cmd_dbt_vars(args: argparse.Namespace) -> int:
    from navigator_orchestrator.engine.by_hand import dbt_vars
    from navigator_orchestrator.engine.dbt_runner import vars_json

    ctx = Context(args)
    sim = ctx.config.simulation
    if args.year is not None and not sim.start_year <= args.year <= sim.end_year:
        raise ConfigError(f"--year {args.year} is not a simulation year of {ctx.config_path} "
                          f"({sim.start_year}-{sim.end_year}); give a year in {sim.start_year}-{sim.end_year}, or "
                          "widen simulation.start_year / end_year in the config")
    ctx.say(vars_json(dbt_vars(ctx.config, args.year, ctx.designs())))
    return 0


@guarded
def cmd_dbt(args: argparse.Namespace) -> int:
    from navigator_orchestrator.engine.by_hand import run_dbt
    from navigator_orchestrator.engine.database import remove_work_file, work_file_is_empty, work_path
    from navigator_orchestrator.safety.permissions import refuse_read_only
    from navigator_orchestrator.sql import NotADuckDBFile, check_duckdb_file

    ctx = Context(args)
    config, designs = ctx.config, ctx.designs()
    db = ctx.database
    dbt_args = args.dbt_args[1:] if args.dbt_args[:1] == ["--"] else args.dbt_args
    refuse_read_only(db, "navigator dbt")
    check_duckdb_file(db)
    work = work_path(db)
    try:
        check_duckdb_file(work)
    except NotADuckDBFile:
        kind = "a directory" if work.is_dir() else "not a DuckDB database"
        raise NotADuckDBFile(f"the work file {work} (the year-only tables dbt builds by hand) is {kind}; it holds "
                             "nothing that is not rebuilt: move or delete it, then run the command again") from None
    created = not work.exists()
    with ctx.lock("dbt"):
        try:
            run_dbt(config, db, args.year, dbt_args, designs)
        finally:
            # A command that built nothing (refused before any model ran) leaves no empty work file.
            if created and work_file_is_empty(db):
                remove_work_file(db)
    return 0


def register(sub) -> None:
    dv = sub.add_parser("dbt-vars", help="print the dbt --vars JSON for running models by hand")
    config_option(dv)
    dv.add_argument("--year", type=int,
                    help="simulation year, from the config's start_year to its end_year (default: the start year)")
    designs_option(dv, "plan designs whose parameters the vars hold (default: every design of the config)")
    dv.set_defaults(func=cmd_dbt_vars)

    dbt = sub.add_parser("dbt", help="run a dbt command by hand with the scenario's vars: navigator dbt --year Y -- run --select ...")
    config_option(dbt)
    database_option(dbt)
    dbt.add_argument("--year", type=int, help="simulation year whose vars dbt gets (default: the start year)")
    designs_option(dbt, "plan designs dbt builds or publishes (default: every design of the config)")
    dbt.add_argument("dbt_args", nargs=argparse.REMAINDER, metavar="-- DBT_ARGS",
                     help="the dbt command and its options, after --")
    dbt.set_defaults(func=cmd_dbt)
