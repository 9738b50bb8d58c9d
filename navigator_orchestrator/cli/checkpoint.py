"""`navigator checkpoint` (checkpoints verified against the database) and `navigator runs` (the run log)."""

from __future__ import annotations

import argparse
from pathlib import Path

from navigator_orchestrator.cli.context import Context
from navigator_orchestrator.cli.options import config_option, database_option, designs_option, positive_int
from navigator_orchestrator.guard import guarded


@guarded
def cmd_checkpoint(args: argparse.Namespace) -> int:
    from navigator_orchestrator.engine.database import connection
    from navigator_orchestrator.identity import Identity
    from navigator_orchestrator.safety import checkpoints
    from navigator_orchestrator.sql import check_duckdb_file

    ctx = Context(args)
    config = ctx.config
    db = ctx.database
    check_duckdb_file(db)
    ctx.refuse_while_running("navigator checkpoint")
    scenario = config.effective_scenario_id
    listed = checkpoints.list_checkpoints(args.dir)
    for design_id in config.designs(ctx.designs()):
        identity = Identity(db, scenario, design_id)
        verdicts = checkpoints.for_identity(listed, identity, args.dir)
        ctx.say(f"Checkpoints in {Path(args.dir).resolve()} for {db}, scenario {scenario}, design {design_id}:")
        if not verdicts:
            ctx.say("  none")
            for line in checkpoints.why_others_do_not_apply(listed, identity):
                ctx.say(f"  ({line})")
            continue
        if db.exists():
            with connection(db, work_in_memory=True) as conn:  # published tables only
                verdicts = [checkpoints.verify(conn, v) for v in verdicts]
        else:
            verdicts = [v if not v.ok else checkpoints.Verdict(v.path, v.checkpoint, False, "database missing")
                        for v in verdicts]
        for v in verdicts:
            cp = v.checkpoint
            rows = ", ".join(f"{t} {d.get('rows', 0):,}" for t, d in cp.tables.items()) if cp else ""
            status = "ok" if v.ok else f"INVALID: {v.reason}"
            head = f"{cp.year} run {cp.run_id} at {cp.created_at}" if cp else v.path.name
            ctx.say(f"  {head} | {rows} | {status}")
        valid = [v.checkpoint.year for v in verdicts if v.ok and v.checkpoint]
        ctx.say(f"Last valid checkpoint: {max(valid)}" if valid else "No valid checkpoint: --resume would refuse")
    return 0


@guarded
def cmd_runs(args: argparse.Namespace) -> int:
    from navigator_orchestrator.engine.simulation import SimulationError
    from navigator_orchestrator.safety import runlog
    from navigator_orchestrator.sql import connect_duckdb

    ctx = Context(args)
    db = ctx.database
    if not db.exists():
        raise SimulationError(f"no database at {db}; pass --database PATH")
    ctx.refuse_while_running("navigator runs")
    with connect_duckdb(db, read_only=True) as conn:  # a read-only (archived) database lists too
        rows = runlog.list_runs(conn, args.limit)
    if not rows:
        ctx.say(f"No runs recorded in {db}")
        return 0
    ctx.say(f"{'run_id':<26} {'status':<11} {'scenario':<14} {'plan':<16} {'years':<10} {'seed':>6} "
            f"{'started (UTC)':<20} {'secs':>7}  config   census   code")
    for r in rows:
        secs = (r["finished_at"] - r["started_at"]).total_seconds() if r["finished_at"] else None
        years = f"{r['first_year']}-{r['end_year']}" if r["first_year"] <= r["end_year"] else "none"
        ctx.say(f"{r['run_id']:<26} {r['status']:<11} {r['scenario_id']:<14} {r['plan_design_id']:<16} "
                f"{years:<10} {r['random_seed']:>6} {r['started_at']:%Y-%m-%d %H:%M:%S}  "
                f"{(f'{secs:7.1f}' if secs is not None else '      -')}  {r['config_hash'][:8]} "
                f"{r['census_hash'][:8]} {r['code_version']}")
        if r["error"]:
            ctx.say(f"    error: {r['error']}")
    return 0


def register(sub) -> None:
    cp = sub.add_parser("checkpoint", help="list checkpoints and verify each against the database")
    config_option(cp)
    database_option(cp)
    cp.add_argument("--dir", type=Path, default=Path(".navigator_checkpoints"),
                    help="checkpoint directory (default: .navigator_checkpoints)")
    designs_option(cp, "designs to list (default: every design of the config)")
    cp.set_defaults(func=cmd_checkpoint)

    runs = sub.add_parser("runs", help="list recorded runs (int_simulation_run_log)")
    database_option(runs)
    runs.add_argument("--limit", type=positive_int, default=20)
    runs.set_defaults(func=cmd_runs)
