"""`navigator restore`: replace the database with a verified backup."""

from __future__ import annotations

import argparse
from pathlib import Path

from navigator_orchestrator.cli.context import Context
from navigator_orchestrator.cli.options import database_option
from navigator_orchestrator.guard import guarded


@guarded
def cmd_restore(args: argparse.Namespace) -> int:
    from navigator_orchestrator.safety.restore import restore

    ctx = Context(args)
    db = ctx.database
    with ctx.lock("restore"):
        result = restore(db, args.from_file, keep=args.keep)
    if result.damaged is not None:
        ctx.say(f"The database could not be read in full ({result.damaged_reason}); "
                f"moved it aside to {result.damaged}")
    elif result.kept:
        ctx.say(f"Kept the replaced database as {' and '.join(map(str, result.kept))}")
    ctx.say(f"Restored {db} from {result.source} (every row verified)")
    if result.work_removed is not None:
        ctx.say(f"removed {result.work_removed}: year-only tables built by hand from the replaced database's years")
    return 0


def register(sub) -> None:
    rs = sub.add_parser("restore", help="replace the database with a verified backup (the current one is kept as a backup, "
                          "or moved aside if damaged)")
    database_option(rs)
    rs.add_argument("--from", dest="from_file", type=Path, default=None,
                    help="backup to restore (default: <db>_backup.duckdb beside the database)")
    rs.add_argument("--keep", type=int, default=3, help="timestamped backups to keep (default 3)")
    rs.set_defaults(func=cmd_restore)
