"""`navigator` command line: parse options, call one object, print.

`navigator <cmd>` and `python -m navigator_orchestrator.cli <cmd>` are the same program.
Every failure ends with a one-line `Error: ...` on stderr and a non-zero exit status.

Layout: `context` (the `Context` every command works through: config, database, identity,
lock, console), `options` (options several commands share) and one module per command group,
each with its `cmd_*` functions and a `register(sub)` that adds its sub-commands to the parser:
`run`, `dq`, `validate`, `checkpoint` (checkpoint, runs), `restore`, `census`, `dbt_by_hand`
(dbt-vars, dbt), `reports` (report, compare, employee, ndt), `ensemble` (seed ensembles).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, NoReturn, Sequence

from navigator_orchestrator.safety import interrupts
from navigator_orchestrator.safety.permissions import private_files

if TYPE_CHECKING:
    from navigator_orchestrator.reporting.observe import RunObserver


class _Parser(argparse.ArgumentParser):
    """A usage mistake (an unknown option, a missing argument, a value of the wrong type) ends
    like every other failure: one `Error:` line on stderr naming it and where help is, exit
    status 2. Sub-command parsers are of this class too (argparse makes them of the parent's)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"Error: {self.prog}: {message}; see `{self.prog} --help`\n")


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command; each command group adds its own sub-commands."""
    from navigator_orchestrator.cli import census, checkpoint, dbt_by_hand, dq, ensemble, reports, restore, run, validate

    parser = _Parser(
        prog="navigator",
        description="PlanWise Navigator: workforce and DC plan simulation on dbt + DuckDB.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in (run, dq, validate, checkpoint, restore, census, dbt_by_hand, reports, ensemble):
        group.register(sub)
    return parser


def main(argv: list[str] | None = None, observers: Sequence[RunObserver] = ()) -> int:
    """Run one command; files it creates are owner-only, SIGINT/SIGTERM end it with one line.

    `observers` also follow a `run` (progress in a program that embeds the CLI).
    """
    with private_files(), interrupts.handled():
        try:  # the command modules import DuckDB, dbt and pydantic: the first second or so
            args = build_parser().parse_args(argv)
        except interrupts.Interrupted as exc:
            print(f"Interrupted ({exc}): navigator stopped before the command started; nothing was "
                  "written", file=sys.stderr)
            return exc.exit_code
        args.observers = list(observers)
        return args.func(args)


def entry() -> None:
    """The `navigator` program. This module imports nothing heavy: SIGINT and SIGTERM are handled
    (`main`) before the command modules and their libraries load, so a Ctrl-C at once prints
    one line, not a traceback."""
    sys.exit(main())
