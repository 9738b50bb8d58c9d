"""`navigator ensemble`: N seeds of a scenario, then percentile bands of the compare figures."""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path

from navigator_orchestrator.cli.options import config_option
from navigator_orchestrator.guard import guarded


def _print_headline(result, say) -> None:
    """Per design, the horizon's employer cost: median and, with enough seeds, P10-P90."""
    from navigator_orchestrator.reporting.compare_output import cell_text

    summary = result.summary
    first, last = summary.years
    for design in summary.designs:
        row = summary.stats(design, "total", "employer_cost")
        if row is None:
            continue
        band = (f" (P10 {cell_text('employer_cost', row['p10'])} – P90 {cell_text('employer_cost', row['p90'])})"
                if row["p10"] is not None else "")
        say(f"  {design}: employer cost {first}-{last} median {cell_text('employer_cost', row['p50'])}{band}, "
            f"{row['n']} seeds")


def _print_thresholds(summary, say) -> None:
    from navigator_orchestrator.reporting.compare_output import cell_text

    seen: list[tuple[str, object]] = []
    for t in summary.thresholds:
        key = (t["metric"], t["threshold"])
        if key not in seen:
            seen.append(key)
            say(f"Share of seeds with {t['metric']} above {cell_text(t['metric'], t['threshold'])}:")
        say(f"  {t['plan_design_id']} {t['simulation_year']}: {t['seeds_above']} of {t['n']} "
            f"({float(t['share_above']):.0%})")


@guarded
def cmd_ensemble(args: argparse.Namespace) -> int:
    from navigator_orchestrator.ensemble.layout import REPORT, SUMMARY_CSV, SUMMARY_DATABASE, Ensemble, EnsembleError, seed_ranges
    from navigator_orchestrator.ensemble.report import seeds_line
    from navigator_orchestrator.ensemble.runner import EnsembleInterrupted, run_ensemble
    from navigator_orchestrator.ensemble.summary import Threshold

    say = functools.partial(print, flush=True)  # lines reach a pipe or a log as they happen
    thresholds = [Threshold.parse(text) for text in args.threshold or []]
    if args.address and args.executor != "ray":
        raise EnsembleError("--address attaches to a Ray cluster; add --executor ray")
    ensemble = Ensemble(args.config, args.out, args.seeds, args.first_seed)
    try:
        result = run_ensemble(ensemble, args.executor, args.workers, args.address, thresholds, say)
    except EnsembleInterrupted as exc:
        import signal

        print(f"Interrupted ({signal.Signals(exc.signum).name}): {len(exc.finished)} of {exc.total} seeds are finished "
              f"in {ensemble.directory} ({seed_ranges(exc.finished)}), each a complete database; rerun the same "
              "command to run the rest (finished seeds are skipped)", file=sys.stderr)
        return exc.exit_code
    summary = result.summary
    d = ensemble.directory
    say(f"Summary ({seeds_line(summary)}): {d / SUMMARY_DATABASE}, {d / SUMMARY_CSV}, {d / REPORT}")
    if not summary.banded:
        say(f"Bands withheld: {len(summary.covered)} seed(s) are fewer than the {summary.min_seeds_for_bands} a "
            "P10-P90 band needs (p10, p25, p75 and p90 are left empty); rerun with --seeds "
            f"{summary.min_seeds_for_bands} or more, finished seeds are kept")
    _print_headline(result, say)
    _print_thresholds(summary, say)
    if summary.failed:
        failed = [s for s in summary.seeds if s.status == "failed"]
        first = failed[0]
        raise EnsembleError(
            f"seed(s) {seed_ranges(summary.failed)} failed twice (seed {first.seed}: {first.error}); the summary "
            f"covers the other {len(summary.covered)}; see {d / 'logs' / 'ensemble'} and rerun the same command "
            "to retry them")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    from navigator_orchestrator.ensemble.stats import MIN_SEEDS_FOR_BANDS

    p = sub.add_parser(
        "ensemble", help="run N seeds of the scenario (every design) and summarise them with P10-P90 bands",
        description="Run N seeds of the scenario, each a complete run of every design in DIR/seed_<n>.duckdb, "
                    "then write DIR/ensemble.duckdb, DIR/ensemble_summary.csv and DIR/ensemble_report.html: per "
                    "design, year and compare metric the p10, p25, p50, p75, p90, mean, sd and n across seeds "
                    f"(bands from {MIN_SEEDS_FOR_BANDS} seeds). Rerunning skips finished seeds.")
    config_option(p)
    p.add_argument("--seeds", type=int, required=True, metavar="N", help="number of seeds")
    p.add_argument("--first-seed", type=int, default=None, metavar="S",
                   help="first seed; the seeds are S .. S+N-1 (default: the config's simulation.random_seed)")
    p.add_argument("--out", type=Path, required=True, metavar="DIR",
                   help="directory for the seeds and the summary: new, empty, or an earlier ensemble of this config")
    p.add_argument("--executor", choices=("local", "ray"), default="local",
                   help="local: a process pool on this machine (default); ray: Ray tasks (pip install '.[ray]')")
    p.add_argument("--workers", type=int, default=None, metavar="W",
                   help="seeds at once (default: as many as the cores and memory allow; with --address, the "
                        "cluster's CPUs)")
    p.add_argument("--address", default=None, metavar="RAY_ADDRESS",
                   help="attach to this Ray cluster (HOST:PORT or ray://HOST:PORT) instead of starting Ray here; "
                        "DIR must be on storage every node sees")
    p.add_argument("--threshold", action="append", metavar="METRIC:VALUE",
                   help="print the share of seeds whose METRIC is above VALUE, e.g. employer_cost:5000000 "
                        "(repeatable; shares as fractions, 0.05 for 5%%)")
    p.set_defaults(func=cmd_ensemble)
