"""`navigator` command line: parse options, call one object, print.

`navigator <cmd>` and `python -m navigator_orchestrator.cli <cmd>` are the same program.
Every failure ends with a one-line `Error: ...` on stderr and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Sequence

import duckdb

from navigator_orchestrator.census.intake import CensusError, CensusOptions, validate_census
from navigator_orchestrator.config.schema import DEFAULT_DATABASE, ConfigError, SimulationConfig, load_config, resolve_config_path
from navigator_orchestrator.engine.simulation import Simulation, SimulationError
from navigator_orchestrator.guard import fail as _fail, guarded
from navigator_orchestrator.locations import DEFAULT_DATABASE_TEXT
from navigator_orchestrator.safety import interrupts
from navigator_orchestrator.safety.permissions import private_files
from navigator_orchestrator.reporting.observe import RunObserver


# ----- helpers ---------------------------------------------------------------

def _parse_years(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d{4})\s*(?:-\s*(\d{4}))?\s*", text)
    if not match:
        raise ConfigError(f"--years {text!r} is not a year range; write it as 2025-2029 (or a single year)")
    start = int(match.group(1))
    end = int(match.group(2) or start)
    if end < start:
        raise ConfigError(f"--years {text}: the end year is before the start year")
    return start, end


def _configured(args: argparse.Namespace) -> tuple[SimulationConfig, int]:
    """The config with CLI year overrides applied, and the first year to simulate.

    A range starting at or before the configured start year simulates from the census (whose
    date moves with it); a later start continues from the previous year's published snapshot.
    """
    config = load_config(args.config)
    start, end = getattr(args, "start_year", None), getattr(args, "end_year", None)
    if getattr(args, "years", None):
        start, end = _parse_years(args.years)
    configured_start = config.simulation.start_year
    first = start if start is not None else configured_start
    census_start = min(first, configured_start)
    config = config.with_years(census_start, end)
    if config.simulation.end_year < first:
        raise ConfigError(f"end year {config.simulation.end_year} is before the first year {first}")
    return config, first


def _identifiers(config: SimulationConfig, args: argparse.Namespace) -> None:
    """Missing identifiers: an error with --enforce-identifiers, otherwise a hint."""
    from navigator_orchestrator.config.lint import enforce_identifiers, identifier_hints

    if getattr(args, "enforce_identifiers", False):
        enforce_identifiers(config, str(resolve_config_path(args.config)))
    for hint in identifier_hints(config):
        print(f"Hint: {hint}", file=sys.stderr)


def _print_dry_run(sim: Simulation, verbose: bool) -> None:
    """The plan of a run, from `Simulation.plan()`; touches no file."""
    from navigator_orchestrator.engine.dry_run import describe

    print("\n".join(describe(sim, verbose)))


# ----- commands --------------------------------------------------------------

@guarded
def cmd_run(args: argparse.Namespace) -> int:
    from navigator_orchestrator.reporting.console import console_observer
    from navigator_orchestrator.reporting.logs import JsonlLog
    from navigator_orchestrator.reporting.observe import Observers
    from navigator_orchestrator.reporting.files import ReportFiles

    config, first = _configured(args)
    _identifiers(config, args)
    if args.fail_on_validation_error:
        dq = config.data_quality.model_copy(update={"fail_on_warning": True})
        config = config.model_copy(update={"data_quality": dq})
    designs = _design_list(args.plan_designs)
    if args.dry_run:
        sim = Simulation(config, args.database, threads=args.threads, first_year=first, resume=args.resume,
                         plan_designs=designs)
        _print_dry_run(sim, args.verbose)
        return 0
    log, files = JsonlLog(), ReportFiles()
    args.run_log = log  # the guard points at it when a defect stops the run
    observer = Observers([console_observer(), log, files, *getattr(args, "observers", ())])
    sim = Simulation(config, args.database, threads=args.threads, first_year=first, resume=args.resume,
                     notify=print, observer=observer, plan_designs=designs)
    sim.run()
    for design_id, path in files.csv_files.items():
        print(f"Reports: {path} and {path.parent}/year_*_{config.effective_scenario_id}_{design_id}.json "
              f"| log: {log.path}")
    return 0


def _design_list(text: str | None) -> list[str] | None:
    """--plan-designs a,b -> ['a', 'b'] (each a slug; the config must define it)."""
    if text is None:
        return None
    from navigator_orchestrator.config.schema import SLUG

    ids = [part.strip() for part in text.split(",") if part.strip()]
    bad = [i for i in ids if not SLUG.match(i)]
    if not ids or bad:
        raise ConfigError(f"--plan-designs {text!r}: give design ids (slugs) separated by commas, e.g. "
                          "--plan-designs standard_401k,safe_harbor")
    return ids


@guarded
def cmd_validate(args: argparse.Namespace) -> int:
    from navigator_orchestrator.config.lint import lint

    config = load_config(args.config)
    _identifiers(config, args)
    findings = lint(config)
    for finding in findings:
        print(f"Warning: {finding.format()}", file=sys.stderr)
    if findings and args.strict:
        raise ConfigError(f"{len(findings)} lint warning(s) and --strict; fix the values above")
    print(
        f"Config OK: scenario {config.effective_scenario_id}, plan {config.effective_plan_design_id}, "
        f"years {config.simulation.start_year}-{config.simulation.end_year}, census {config.census_path}"
        + (f" ({len(findings)} warning(s))" if findings else "")
    )
    return 0


def _database(args: argparse.Namespace) -> Path:
    return Path(args.database or DEFAULT_DATABASE).resolve()


def _refuse_an_input_as_out(out: Path, args: argparse.Namespace) -> None:
    """Raise ConfigError when --out names a file the command reads: the database (or its
    write-ahead log), the config or the config's census, which writing would destroy."""
    config_path = resolve_config_path(args.config)
    db = _database(args)
    inputs = {db: "the database", Path(f"{db}.wal"): "the database's write-ahead log",
              config_path: "the config", load_config(config_path).census_path: "the census"}
    target = Path(out).resolve()
    for path, what in inputs.items():
        path = Path(path).resolve()
        if target == path or (target.exists() and path.exists() and target.samefile(path)):
            raise ConfigError(f"--out {out} is {what} ({path}); name another file for the output")


@guarded
def cmd_checkpoint(args: argparse.Namespace) -> int:
    from navigator_orchestrator.safety import checkpoints
    from navigator_orchestrator.engine.database import connection
    from navigator_orchestrator.safety.lock import refuse_while_running

    from navigator_orchestrator.sql import check_duckdb_file
    from navigator_orchestrator.identity import Identity

    config = load_config(args.config)
    db = _database(args)
    check_duckdb_file(db)
    refuse_while_running(db, "navigator checkpoint")
    scenario = config.effective_scenario_id
    listed = checkpoints.list_checkpoints(args.dir)
    for design_id in config.designs(_design_list(args.plan_designs)):
        identity = Identity(db, scenario, design_id)
        verdicts = checkpoints.for_identity(listed, identity, args.dir)
        print(f"Checkpoints in {Path(args.dir).resolve()} for {db}, scenario {scenario}, design {design_id}:")
        if not verdicts:
            print("  none")
            for line in checkpoints.why_others_do_not_apply(listed, identity):
                print(f"  ({line})")
            continue
        if db.exists():
            with connection(db) as conn:
                verdicts = [checkpoints.verify(conn, v) for v in verdicts]
        else:
            verdicts = [v if not v.ok else checkpoints.Verdict(v.path, v.checkpoint, False, "database missing")
                        for v in verdicts]
        for v in verdicts:
            cp = v.checkpoint
            rows = ", ".join(f"{t} {d.get('rows', 0):,}" for t, d in cp.tables.items()) if cp else ""
            status = "ok" if v.ok else f"INVALID: {v.reason}"
            head = f"{cp.year} run {cp.run_id} at {cp.created_at}" if cp else v.path.name
            print(f"  {head} | {rows} | {status}")
        valid = [v.checkpoint.year for v in verdicts if v.ok and v.checkpoint]
        print(f"Last valid checkpoint: {max(valid)}" if valid else "No valid checkpoint: --resume would refuse")
    return 0


@guarded
def cmd_runs(args: argparse.Namespace) -> int:
    from navigator_orchestrator.safety import runlog
    from navigator_orchestrator.safety.lock import refuse_while_running
    from navigator_orchestrator.sql import connect_duckdb

    db = _database(args)
    if not db.exists():
        raise SimulationError(f"no database at {db}; pass --database PATH")
    refuse_while_running(db, "navigator runs")
    with connect_duckdb(db, read_only=True) as conn:  # a read-only (archived) database lists too
        rows = runlog.list_runs(conn, args.limit)
    if not rows:
        print(f"No runs recorded in {db}")
        return 0
    print(f"{'run_id':<26} {'status':<11} {'scenario':<14} {'plan':<16} {'years':<10} {'seed':>6} "
          f"{'started (UTC)':<20} {'secs':>7}  config   census   code")
    for r in rows:
        secs = (r["finished_at"] - r["started_at"]).total_seconds() if r["finished_at"] else None
        years = f"{r['first_year']}-{r['end_year']}" if r["first_year"] <= r["end_year"] else "none"
        print(f"{r['run_id']:<26} {r['status']:<11} {r['scenario_id']:<14} {r['plan_design_id']:<16} "
              f"{years:<10} {r['random_seed']:>6} {r['started_at']:%Y-%m-%d %H:%M:%S}  "
              f"{(f'{secs:7.1f}' if secs is not None else '      -')}  {r['config_hash'][:8]} "
              f"{r['census_hash'][:8]} {r['code_version']}")
        if r["error"]:
            print(f"    error: {r['error']}")
    return 0


@guarded
def cmd_restore(args: argparse.Namespace) -> int:
    from navigator_orchestrator.safety.restore import restore
    from navigator_orchestrator.safety.lock import database_lock
    from navigator_orchestrator.engine.simulation import new_run_id

    db = _database(args)
    with database_lock(db, f"restore-{new_run_id()}"):
        result = restore(db, args.from_file, keep=args.keep)
    if result.damaged is not None:
        print(f"The database could not be read in full ({result.damaged_reason}); "
              f"moved it aside to {result.damaged}")
    elif result.kept:
        print(f"Kept the replaced database as {' and '.join(map(str, result.kept))}")
    print(f"Restored {db} from {result.source} (every row verified)")
    return 0


@guarded
def cmd_census_validate(args: argparse.Namespace) -> int:
    from datetime import date

    config = load_config(args.config)
    try:
        census_date = date.fromisoformat(args.census_date) if args.census_date else config.census_date
    except ValueError:
        raise ValueError(f"--census-date {args.census_date!r} is not a date; write YYYY-MM-DD") from None
    report = validate_census(Path(args.path), census_date, CensusOptions.from_setup(config.setup))
    print("Columns used:")
    for line in report.mapping:
        print(f"  {line}")
    print("Columns not used (never read): " + (", ".join(repr(h) for h in report.unmapped) or "none"))
    for warning in report.warnings:
        print(f"warning: {warning.format()}")
    if not report.ok:
        raise CensusError(report)
    print(f"Census OK: {report.row_count:,} rows, {report.active_count:,} active as of {census_date}")
    return 0


@guarded
def cmd_census_generate(args: argparse.Namespace) -> int:
    from datetime import date

    from navigator_orchestrator.census.intake import generate_census

    census_date = date.fromisoformat(args.census_date)
    out = Path(args.out)
    if out.exists() or out.is_symlink():
        raise ConfigError(f"--out {out} already exists; navigator does not overwrite it (it may be a real "
                          "census): name a new file or move that one away")
    generate_census(args.employees, args.seed, out, census_date)
    print(f"Wrote {args.employees:,} employees (seed {args.seed}, as of {census_date}) to {out}")
    return 0


def _design_config(config: SimulationConfig, args: argparse.Namespace) -> SimulationConfig:
    """The config of the design named by --plan-design (default: the baseline)."""
    design = getattr(args, "plan_design", None) or config.effective_plan_design_id
    if design not in config.design_ids:
        raise ConfigError(f"--plan-design {design!r} is not a design of {resolve_config_path(args.config)}; "
                          f"designs: {', '.join(config.design_ids)}")
    return config.design(design)


def _read_database(args: argparse.Namespace):
    """The identity (database, scenario, design: --plan-design or the baseline) and a read-only
    connection to an existing database."""
    from navigator_orchestrator.identity import Identity
    from navigator_orchestrator.sql import connect_duckdb

    from navigator_orchestrator.safety.lock import refuse_while_running

    config = _design_config(load_config(args.config), args)
    path = _database(args)
    if not path.exists():
        raise FileNotFoundError(f"no database at {path}; run `navigator run` first or pass --database")
    refuse_while_running(path, f"navigator {args.command}")
    try:
        conn = connect_duckdb(path, read_only=True)
    except duckdb.Error as exc:
        raise SimulationError(f"cannot open {path} for reading ({exc}); if a run is writing it, "
                              "wait for it to finish") from None
    return Identity(path, config.effective_scenario_id, config.effective_plan_design_id), conn


@guarded
def cmd_report(args: argparse.Namespace) -> int:
    from navigator_orchestrator.reporting.html import write_report

    if args.out is not None:
        if args.out.suffix.lower() not in (".html", ".htm"):
            raise ConfigError(f"--out {args.out}: the report is HTML; name a .html file")
        _refuse_an_input_as_out(args.out, args)
    identity, conn = _read_database(args)
    with conn:
        out = write_report(conn, identity, args.out)
    print(f"Wrote {out}")
    return 0


@guarded
def cmd_compare(args: argparse.Namespace) -> int:
    from navigator_orchestrator.reporting.compare import load_comparison
    from navigator_orchestrator.reporting.compare_html import describe_design
    from navigator_orchestrator.reporting.compare_output import check_out_path, print_console, write
    from navigator_orchestrator.reporting.summary import dq_results

    config = load_config(args.config)
    baseline = args.baseline or config.effective_plan_design_id
    years = _parse_years(args.years) if args.years else None
    out = check_out_path(args.out) if args.out else None
    if out is not None:
        _refuse_an_input_as_out(out, args)
    identity, conn = _read_database(args)
    with conn:
        comparison = load_comparison(conn, identity.scenario_id, config.design_ids, baseline, years,
                                     str(identity.database))
        first, last = comparison.years
        dq = [{"plan_design_id": d, **r} for d in comparison.designs
              for r in dq_results(conn, identity.scenario_id, d) or [] if first <= r["simulation_year"] <= last]
    if out is None:
        print_console(comparison)
        return 0
    describe = {d: describe_design(config.design(d)) for d in comparison.designs}
    print(f"Wrote {write(comparison, out, describe, dq)}")
    return 0


@guarded
def cmd_employee(args: argparse.Namespace) -> int:
    from navigator_orchestrator.reporting.timeline import load_timeline, print_timeline

    identity, conn = _read_database(args)
    with conn:
        timeline = load_timeline(conn, identity.scenario_id, identity.plan_design_id, args.employee_id)
    print_timeline(timeline)
    return 0


@guarded
def cmd_ndt(args: argparse.Namespace) -> int:
    from navigator_orchestrator.reporting.ndt import load_ndt, print_ndt

    identity, conn = _read_database(args)
    with conn:
        report = load_ndt(conn, identity.scenario_id, args.year)  # every design of the scenario
    print_ndt(report)
    return 0


@guarded
def cmd_dq(args: argparse.Namespace) -> int:
    from navigator_orchestrator.quality.dq import run_dq

    from navigator_orchestrator.safety.lock import refuse_while_running

    config = _design_config(load_config(args.config), args)
    database = args.database or Simulation(config).database_path
    refuse_while_running(Path(database), "navigator dq")
    summary = run_dq(config, database, year=args.year, threads=args.threads)
    groups: dict[tuple[str, str], dict] = {}
    for row in summary.rows:
        group = groups.setdefault((row.kind, row.name), {"pass": 0, "warn": 0, "fail": 0, "detail": ""})
        group[row.status] += 1
        if row.status != "pass" and not group["detail"]:
            group["detail"] = f"{row.year}: {row.detail}" if row.year != "all" else row.detail
    width = min(max([len(name) for _, name in groups] + [5]), 64)
    print(f"{'kind':<9} {'check':<{width}} {'pass':>5} {'warn':>5} {'fail':>5}  detail")
    for (kind, name), g in groups.items():
        name = name if len(name) <= width else name[: width - 1] + "…"
        print(f"{kind:<9} {name:<{width}} {g['pass']:>5} {g['warn']:>5} {g['fail']:>5}  {g['detail']}")
    print(
        f"Data quality: {summary.count('pass')} pass, {summary.count('warn')} warn, "
        f"{summary.count('fail')} fail ({summary.skipped} not applicable) | recorded as {summary.run_id}"
    )
    if not summary.ok:
        return _fail(f"{summary.count('fail')} data-quality check(s) failed; see the fixes above")
    return 0


@guarded
def cmd_dbt_vars(args: argparse.Namespace) -> int:
    from navigator_orchestrator.engine.by_hand import dbt_vars
    from navigator_orchestrator.engine.dbt_runner import vars_json

    config = _design_config(load_config(args.config), args)
    print(vars_json(dbt_vars(config, args.year)))
    return 0


@guarded
def cmd_dbt(args: argparse.Namespace) -> int:
    from navigator_orchestrator.engine.by_hand import run_dbt
    from navigator_orchestrator.engine.simulation import new_run_id
    from navigator_orchestrator.safety.lock import database_lock

    config = _design_config(load_config(args.config), args)
    db = _database(args)
    dbt_args = args.dbt_args[1:] if args.dbt_args[:1] == ["--"] else args.dbt_args
    with database_lock(db, f"dbt-{new_run_id()}"):
        run_dbt(config, db, args.year, dbt_args)
    return 0


# ----- parser ----------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="navigator",
        description="PlanWise Navigator: workforce and DC plan simulation on dbt + DuckDB.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def config_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("-c", "--config", type=Path, default=None,
                       help="scenario YAML (default: config/simulation_config.yaml in the working "
                            "directory if there is one, else the product's default scenario)")

    def designs_option(p: argparse.ArgumentParser, text: str) -> None:
        p.add_argument("--plan-designs", metavar="ID,ID", default=None, help=text)

    def design_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--plan-design", metavar="ID", default=None,
                       help="plan design to show (default: the baseline, plan_design_id)")

    def enforce_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--enforce-identifiers", action="store_true",
                       help="refuse a config without scenario_id and plan_design_id")

    run = sub.add_parser("run", help="simulate the configured years")
    config_option(run)
    run.add_argument("--years", help="year range to simulate, e.g. 2025-2029")
    run.add_argument("--start-year", type=int)
    run.add_argument("--end-year", type=int)
    run.add_argument("--database", type=Path, default=None,
                     help=f"DuckDB file (default: {DEFAULT_DATABASE_TEXT})")
    run.add_argument("--threads", type=int, default=2, help="dbt and DuckDB threads (default 2)")
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

    dq = sub.add_parser("dq", help="run the dbt tests and data-quality tripwires on an existing database")
    config_option(dq)
    dq.add_argument("--database", type=Path, default=None,
                    help=f"DuckDB file (default: {DEFAULT_DATABASE_TEXT})")
    dq.add_argument("--year", type=int, help="check only this published year (default: all)")
    dq.add_argument("--threads", type=int, default=2, help="dbt and DuckDB threads (default 2)")
    design_option(dq)
    dq.set_defaults(func=cmd_dq)

    validate = sub.add_parser("validate", help="check a config file and lint its values")
    config_option(validate)
    enforce_option(validate)
    validate.add_argument("--strict", action="store_true", help="treat lint warnings as errors")
    validate.set_defaults(func=cmd_validate)

    def database_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--database", type=Path, default=None,
                       help=f"DuckDB file (default: {DEFAULT_DATABASE_TEXT})")

    cp = sub.add_parser("checkpoint", help="list checkpoints and verify each against the database")
    config_option(cp)
    database_option(cp)
    cp.add_argument("--dir", type=Path, default=Path(".navigator_checkpoints"),
                    help="checkpoint directory (default: .navigator_checkpoints)")
    designs_option(cp, "designs to list (default: every design of the config)")
    cp.set_defaults(func=cmd_checkpoint)

    runs = sub.add_parser("runs", help="list recorded runs (int_simulation_run_log)")
    database_option(runs)
    runs.add_argument("--limit", type=int, default=20)
    runs.set_defaults(func=cmd_runs)

    rs = sub.add_parser("restore", help="replace the database with a verified backup (the current one is kept as a backup, "
                          "or moved aside if damaged)")
    database_option(rs)
    rs.add_argument("--from", dest="from_file", type=Path, default=None,
                    help="backup to restore (default: <db>_backup.duckdb beside the database)")
    rs.add_argument("--keep", type=int, default=3, help="timestamped backups to keep (default 3)")
    rs.set_defaults(func=cmd_restore)

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

    dv = sub.add_parser("dbt-vars", help="print the dbt --vars JSON for running models by hand")
    config_option(dv)
    dv.add_argument("--year", type=int, help="simulation year (default: the start year)")
    design_option(dv)
    dv.set_defaults(func=cmd_dbt_vars)

    dbt = sub.add_parser("dbt", help="run a dbt command by hand with the scenario's vars: navigator dbt --year Y -- run --select ...")
    config_option(dbt)
    database_option(dbt)
    dbt.add_argument("--year", type=int, help="simulation year whose vars dbt gets (default: the start year)")
    design_option(dbt)
    dbt.add_argument("dbt_args", nargs=argparse.REMAINDER, metavar="-- DBT_ARGS",
                     help="the dbt command and its options, after --")
    dbt.set_defaults(func=cmd_dbt)

    rep = sub.add_parser("report", help="write a self-contained HTML report of the scenario's years")
    config_option(rep)
    database_option(rep)
    rep.add_argument("--out", type=Path, default=None,
                     help="HTML file (default: reports/<database>/simulation_report_<scenario>_<design>_FIRST_LAST.html)")
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

    ndt = sub.add_parser("ndt", help="show the ADP/ACP test results and corrections per design and year")
    config_option(ndt)
    database_option(ndt)
    ndt.add_argument("--year", type=int, help="only this simulated year (default: all published years)")
    ndt.set_defaults(func=cmd_ndt)
    return parser


def main(argv: list[str] | None = None, observers: Sequence[RunObserver] = ()) -> int:
    """Run one command; files it creates are owner-only, SIGINT/SIGTERM end it with one line.

    `observers` also follow a `run` (progress in a program that embeds the CLI).
    """
    with private_files(), interrupts.handled():
        args = build_parser().parse_args(argv)
        args.observers = list(observers)
        return args.func(args)


def entry() -> None:
    """The `navigator` program."""
    sys.exit(main())


if __name__ == "__main__":
    entry()
