"""`navigator run`: simulate the configured years (or print the plan with --dry-run; --resume)."""

from __future__ import annotations

import argparse

from navigator_orchestrator.cli.context import Context
from navigator_orchestrator.cli.options import config_option, database_option, designs_option, enforce_option, threads_option
from navigator_orchestrator.guard import guarded


@guarded
def cmd_run(args: argparse.Namespace) -> int:
    from navigator_orchestrator.engine.simulation import Simulation
    from navigator_orchestrator.reporting.console import console_observer
    from navigator_orchestrator.reporting.files import ReportFiles
    from navigator_orchestrator.reporting.logs import JsonlLog
    from navigator_orchestrator.reporting.observe import Observers

    ctx = Context(args)
    config, first = ctx.configured()
    ctx.identifiers(config)
    if args.fail_on_validation_error:
        dq = config.data_quality.model_copy(update={"fail_on_warning": True})
        config = config.model_copy(update={"data_quality": dq})
    designs = ctx.designs()
    if args.dry_run:
        from navigator_orchestrator.engine.dry_run import describe

        sim = Simulation(config, args.database, threads=args.threads, first_year=first, resume=args.resume,
                         plan_designs=designs)
        ctx.say("\n".join(describe(sim, args.verbose)))  # the plan of the run; touches no file
        return 0
    log, files = JsonlLog(), ReportFiles(notify=print)
    args.run_log = log  # the guard points at it when a defect stops the run
    observer = Observers([console_observer(), log, files, *getattr(args, "observers", ())])
    sim = Simulation(config, args.database, threads=args.threads, first_year=first, resume=args.resume,
                     notify=print, observer=observer, plan_designs=designs)
    sim.run()
    for design_id, path in files.csv_files.items():
        ctx.say(f"Reports: {path} and {path.parent}/year_*_{config.effective_scenario_id}_{design_id}.json "
                f"| log: {log.path}")
    return 0


def register(sub) -> None:
    run = sub.add_parser("run", help="simulate the configured years")
    config_option(run)
    run.add_argument("--years", help="year range to simulate, e.g. 2025-2029 (or --start-year/--end-year, not both)")
    run.add_argument("--start-year", type=int, help="first year to simulate (default: simulation.start_year)")
    run.add_argument("--end-year", type=int, help="last year to simulate (default: simulation.end_year)")
    database_option(run)
    threads_option(run)
    run.add_argument("-v", "--verbose", action="store_true")
    run.add_argument("--resume", action="store_true",
                     help="continue after the latest checkpoint that verifies against the database")
    run.add_argument("--dry-run", action="store_true",
                     help="print the plan (years, dbt selections, vars with -v, paths, backup) and write nothing")
    enforce_option(run)
    run.add_argument("--fail-on-validation-error", action="store_true",
                     help="treat data-quality warnings as errors: the year is not published")
    designs_option(run, "designs to simulate (default: every design of the config)")
    run.set_defaults(func=cmd_run)
