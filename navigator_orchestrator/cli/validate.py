"""`navigator validate`: check a config file and lint its values."""

from __future__ import annotations

import argparse

from navigator_orchestrator.cli.context import Context
from navigator_orchestrator.cli.options import config_option, enforce_option
from navigator_orchestrator.config.schema import ConfigError
from navigator_orchestrator.guard import guarded


@guarded
def cmd_validate(args: argparse.Namespace) -> int:
    from navigator_orchestrator.config.lint import lint

    ctx = Context(args)
    config = ctx.config
    ctx.identifiers(config)
    findings = lint(config)
    for finding in findings:
        ctx.note(f"Warning: {finding.format()}")
    if findings and args.strict:
        raise ConfigError(f"{len(findings)} lint warning(s) and --strict; fix the values above")
    ctx.say(
        f"Config OK: scenario {config.effective_scenario_id}, "
        + (f"plan {config.effective_plan_design_id}, " if len(config.designs()) == 1 else
           f"plan designs {', '.join(config.designs())} (baseline {config.effective_plan_design_id}), ")
        + f"years {config.simulation.start_year}-{config.simulation.end_year}, census {config.census_path}"
        + (f" ({len(findings)} warning(s))" if findings else "")
    )
    return 0


def register(sub) -> None:
    validate = sub.add_parser("validate", help="check a config file and lint its values")
    config_option(validate)
    enforce_option(validate)
    validate.add_argument("--strict", action="store_true", help="treat lint warnings as errors")
    validate.set_defaults(func=cmd_validate)
