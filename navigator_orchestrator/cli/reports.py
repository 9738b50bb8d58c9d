"""Reading a simulated database: `report` (HTML), `compare` (designs side by side), `employee`
(one person's timeline) and `ndt` (ADP/ACP and top-heavy results). None of them writes to the database."""

from __future__ import annotations

import argparse
from pathlib import Path

from navigator_orchestrator.cli.context import Context, parse_years
from navigator_orchestrator.cli.options import config_option, database_option, design_option
from navigator_orchestrator.config.schema import ConfigError
from navigator_orchestrator.guard import guarded


@guarded
def cmd_report(args: argparse.Namespace) -> int:
    from navigator_orchestrator.reporting.html import write_report

    ctx = Context(args)
    if args.out is not None:
        if args.out.suffix.lower() not in (".html", ".htm"):
            raise ConfigError(f"--out {args.out}: the report is HTML; name a .html file")
        ctx.refuse_an_input_as_out(args.out)
    identity, conn = ctx.read_database()
    with conn:
        out = write_report(conn, identity, args.out)
    ctx.say(f"Wrote {out}")
    return 0


@guarded
def cmd_compare(args: argparse.Namespace) -> int:
    from navigator_orchestrator.reporting.compare import CompareError, built_from, load_comparison
    from navigator_orchestrator.reporting.compare_html import describe_design
    from navigator_orchestrator.reporting.compare_output import check_out_path, print_console, write
    from navigator_orchestrator.reporting.summary import dq_results

    ctx = Context(args)
    config = ctx.config
    baseline = args.baseline or config.effective_plan_design_id
    years = parse_years(args.years) if args.years else None
    out = check_out_path(args.out) if args.out else None
    if out is not None:
        ctx.refuse_an_input_as_out(out)
    identity, conn = ctx.read_database()
    designs = config.designs()  # each design as this config defines it
    with conn:
        comparison = load_comparison(conn, identity.scenario_id, config.design_ids, baseline, years,
                                     str(identity.database), str(ctx.config_path))
        first, last = comparison.years
        changed, unknown = built_from(conn, identity.scenario_id, {d: c.design_hash() for d, c in designs.items()},
                                      comparison.years)
        if changed:
            ids = ",".join(changed)
            raise CompareError(
                f"{identity.database} holds design(s) {', '.join(changed)} built from another definition than "
                f"{ctx.config_path} gives (their plan sections changed since the run that published them), so "
                f"the descriptions would not match the figures; rerun `navigator run -c {ctx.config_path} "
                f"--database {identity.database} --plan-designs {ids}`, or compare with the config that built them")
        if unknown:
            ctx.note(f"Warning: {identity.database} does not record which definition of design(s) "
                     f"{', '.join(unknown)} its years were built from (written by an earlier version, or published "
                     f"by hand): the descriptions come from {ctx.config_path}, unchecked against the figures")
        dq = [{"plan_design_id": d, **r} for d in comparison.designs
              for r in dq_results(conn, identity.scenario_id, d) or [] if first <= r["simulation_year"] <= last]
    if out is None:
        print_console(comparison)
        return 0
    describe = {d: describe_design(designs[d]) for d in comparison.designs}
    ctx.say(f"Wrote {write(comparison, out, describe, dq)}")
    return 0


@guarded
def cmd_employee(args: argparse.Namespace) -> int:
    from navigator_orchestrator.reporting.timeline import load_timeline, print_timeline

    identity, conn = Context(args).read_database()
    with conn:
        timeline = load_timeline(conn, identity.scenario_id, identity.plan_design_id, args.employee_id)
    print_timeline(timeline)
    return 0


@guarded
def cmd_ndt(args: argparse.Namespace) -> int:
    from navigator_orchestrator.reporting.ndt import load_ndt, print_ndt

    ctx = Context(args)
    identity, conn = ctx.read_database()
    with conn:
        # Every design of the scenario, in the config's order (baseline first), as compare has them.
        report = load_ndt(conn, identity.scenario_id, args.year, ctx.config.design_ids)
    print_ndt(report)
    # A design of the config without rows is named, never silently left out.
    shown = {r["plan_design_id"] for r in report.results}
    top_heavy = {r["plan_design_id"] for r in report.results if r["test"] == "top_heavy"}
    for design_id, design in ctx.config.designs().items():
        if design_id in shown and design_id not in top_heavy:
            ctx.say(f"Design {design_id}: no top-heavy results: the database was written by an earlier "
                    "version, before the top-heavy test; run the simulation again into a new --database "
                    "(or with setup.clear_mode: all) to add them")
        if design_id not in shown:
            why = ("its tests are off (ndt.enabled: false)" if not design.ndt.enabled
                   else "the database holds no results for it; run it with `navigator run --plan-designs "
                        f"{design_id}`")
            ctx.say(f"Design {design_id}: no ADP/ACP or top-heavy results: {why}")
    return 0


def register(sub) -> None:
    rep = sub.add_parser("report", help="write a self-contained HTML report of the scenario's years")
    config_option(rep)
    database_option(rep)
    rep.add_argument("--out", type=Path, default=None,
                     help="HTML file (default: reports/<database>/<scenario>/<design>/simulation_report_<scenario>_<design>_FIRST_LAST.html)")
    design_option(rep)
    rep.set_defaults(func=cmd_report)

    cmp = sub.add_parser("compare", help="set the config's plan designs side by side against a baseline design")
    config_option(cmp)
    database_option(cmp)
    cmp.add_argument("--baseline", metavar="ID", default=None,
                     help="design the others are compared with (default: the top-level plan_design_id)")
    cmp.add_argument("--years", help="year range to compare, e.g. 2025-2029 (default: every year all designs hold)")
    cmp.add_argument("--out", type=Path, default=None,
                     help="write FILE.csv, FILE.xlsx (one sheet per view) or FILE.html (report) instead of the console")
    cmp.set_defaults(func=cmd_compare)

    emp = sub.add_parser("employee", help="show one employee's events and year-end state per year")
    emp.add_argument("employee_id", metavar="ID")
    config_option(emp)
    database_option(emp)
    design_option(emp)
    emp.set_defaults(func=cmd_employee)

    ndt = sub.add_parser("ndt", help="show the ADP/ACP and top-heavy test results and corrections per design and year")
    config_option(ndt)
    database_option(ndt)
    ndt.add_argument("--year", type=int, help="only this simulated year (default: all published years)")
    ndt.set_defaults(func=cmd_ndt)
