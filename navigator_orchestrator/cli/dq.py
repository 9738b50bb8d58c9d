"""`navigator dq`: the dbt tests and data-quality tripwires on an existing database."""

from __future__ import annotations

import argparse
from pathlib import Path

from navigator_orchestrator.cli.context import Context
from navigator_orchestrator.cli.options import config_option, database_option, designs_option, threads_option
from navigator_orchestrator.guard import fail, guarded


@guarded
def cmd_dq(args: argparse.Namespace) -> int:
    from navigator_orchestrator.engine.simulation import Simulation
    from navigator_orchestrator.quality.dq import run_dq

    ctx = Context(args)
    config = ctx.config
    database = args.database or Simulation(config).database_path
    ctx.refuse_while_running("navigator dq", Path(database))
    summary = run_dq(config, database, year=args.year, threads=args.threads, plan_designs=ctx.designs())
    groups: dict[tuple[str, str, str], dict] = {}
    for row in summary.rows:
        group = groups.setdefault((row.kind, row.design, row.name), {"pass": 0, "warn": 0, "fail": 0, "detail": ""})
        group[row.status] += 1
        if row.status != "pass" and not group["detail"]:
            group["detail"] = f"{row.year}: {row.detail}" if row.year != "all" else row.detail
    width = min(max([len(name) for _, _, name in groups] + [5]), 64)
    dwidth = min(max([len(design) for _, design, _ in groups] + [6]), 64)
    ctx.say(f"{'kind':<9} {'design':<{dwidth}} {'check':<{width}} {'pass':>5} {'warn':>5} {'fail':>5}  detail")
    for (kind, design, name), g in groups.items():
        name = name if len(name) <= width else name[: width - 1] + "…"
        ctx.say(f"{kind:<9} {design:<{dwidth}} {name:<{width}} {g['pass']:>5} {g['warn']:>5} {g['fail']:>5}  {g['detail']}")
    ctx.say(
        f"Data quality: {summary.count('pass')} pass, {summary.count('warn')} warn, "
        f"{summary.count('fail')} fail ({summary.skipped} not applicable) | results: {summary.path}"
    )
    if not summary.ok:
        return fail(f"{summary.count('fail')} data-quality check(s) failed; see the fixes above")
    return 0


def register(sub) -> None:
    dq = sub.add_parser("dq", help="run the dbt tests and data-quality tripwires on an existing database")
    config_option(dq)
    database_option(dq)
    dq.add_argument("--year", type=int, help="check only this published year (default: all)")
    threads_option(dq)
    designs_option(dq, "plan designs to check (default: every design of the config)")
    dq.set_defaults(func=cmd_dq)
