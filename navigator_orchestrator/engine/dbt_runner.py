"""In-process dbt: parse the project once, reuse the manifest for every invocation.

A `dbt` subprocess costs seconds of start-up per call; `dbtRunner` with a reused manifest
costs a fraction of a second and still honours new `--vars` on every call.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import pickle
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from navigator_orchestrator.engine.database import instance_name, work_location
from navigator_orchestrator.files import write_atomically
from navigator_orchestrator.locations import DBT_PROJECT_DIR, dbt_output_env, dbt_target_dir


# The database file parsing runs against; the profile attaches every database file under the
# same catalog names (database.CATALOG, database.WORK_CATALOG), so the manifest fits every file.
CANONICAL_DATABASE = "simulation.duckdb"


# The tag of the models that hold one simulated year only, rebuilt every year.
WORK_TAG = "year"

# Files whose content shapes the parsed manifest.
_PROJECT_GLOBS = ("*.yml", "models/**/*", "macros/**/*", "seeds/**/*", "tests/**/*")


# dbt reads --vars as YAML. JSON is YAML except for escapes YAML does not print: json.dumps
# writes a character beyond U+FFFF as a surrogate pair ("\\ud83d\\ude00"), which YAML refuses,
# so those are written as themselves and every character YAML cannot hold raw (C0/C1 controls,
# DEL, the NEL and line/paragraph separators YAML folds, U+FFFE/U+FFFF) as a \\u escape.
_ESCAPE_FOR_YAML = re.compile("[^\t\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def vars_json(dbt_vars: dict[str, Any], sort_keys: bool = False) -> str:
    """`dbt_vars` as the text of dbt's --vars: JSON that dbt's YAML reader reads back as the
    same values, whatever characters a free-text var (a match formula's name) holds."""
    text = json.dumps(dbt_vars, ensure_ascii=False, sort_keys=sort_keys, default=str)
    return _ESCAPE_FOR_YAML.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def installed_versions() -> str:
    """Every installed distribution and its version: the names of the metadata directories on
    sys.path (`dbt_core-1.11.16.dist-info`, ...), sorted. They name the whole dependency set
    that constraints.txt pins (dbt-core, dbt-common, dbt-adapters, dbt-duckdb, mashumaro,
    Jinja2...) without reading each distribution's metadata file."""
    names: set[str] = set()
    for entry in sys.path:
        with contextlib.suppress(OSError):
            names.update(name for name in os.listdir(entry or ".") if name.endswith((".dist-info", ".egg-info")))
    return "\n".join(sorted(names))


def project_fingerprint(project_dir: Path) -> str:
    """Hash of the project's files, the parse vars, Python's version and every installed
    package's version: a cached manifest is reused only with exactly these."""
    digest = hashlib.sha256()
    for part in (sys.version, installed_versions(), json.dumps(DbtRunner.parse_vars(), sort_keys=True, default=str)):
        digest.update(part.encode())
    files = sorted({f for pattern in _PROJECT_GLOBS for f in project_dir.glob(pattern) if f.is_file()})
    for f in files:
        digest.update(str(f.relative_to(project_dir)).encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


def _cache_path(project_dir: Path, fingerprint: str) -> Path:
    return dbt_target_dir(project_dir) / f"navigator_manifest_{fingerprint}.pickle"


def _manifest_state(manifest: Any) -> dict[str, Any]:
    """The manifest's data fields. Its private fields are lookup caches and a lock, rebuilt
    lazily; dbt's own pickle support (`__reduce_ex__`) omits a field and so shifts them."""
    return {f.name: getattr(manifest, f.name) for f in dataclasses.fields(manifest)
            if not f.name.startswith("_")}


def _load_cached_manifest(project_dir: Path, fingerprint: str) -> Any | None:
    """The manifest parsed earlier from exactly these project files, if one was kept."""
    path = _cache_path(project_dir, fingerprint)
    try:
        with path.open("rb") as fh:
            state = pickle.load(fh)
        from dbt.contracts.graph.manifest import Manifest

        return Manifest(**state)
    except Exception:  # missing, truncated or from another version: parse instead
        return None


def _store_cached_manifest(project_dir: Path, fingerprint: str, manifest: Any) -> None:
    path = _cache_path(project_dir, fingerprint)
    try:
        write_atomically(path, pickle.dumps(_manifest_state(manifest)), durable=False)
    except OSError:  # a read-only checkout still runs; it just parses every time
        return
    for old in path.parent.glob("navigator_manifest_*.pickle"):
        if old != path:
            with contextlib.suppress(OSError):
                old.unlink(missing_ok=True)


# A line that names an error: DuckDB's `Binder Error: ...`, a Python exception `pkg.SomeError: ...`.
_ERROR_LINE = re.compile(r"(Error|Exception|Refused): ")
_EXCEPTION_CLASS = re.compile(r"^[\w.]+(Error|Exception|Refused): (?=\S)")


def node_error_line(message: str) -> str:
    """The one line of a failed dbt node's message that says what went wrong.

    dbt's message starts with its own header (`Runtime Error in model X (path)`) and puts the
    cause after it: DuckDB's error (`Binder Error: Referenced column ...`, with a LINE and a
    caret line below it), or for a Python model a traceback whose last error line is the
    exception. That line is returned, without a Python exception's class name; a compilation
    error (a model's or a hook's own refusal follows dbt's first line) is returned on one line,
    without dbt's header and the macro trail below it."""
    lines = [part.strip() for part in message.strip().splitlines() if part.strip()]
    if not lines:
        return ""
    if lines[0].startswith("Compilation Error"):
        # The refusal, without dbt's header and its "> in macro ... / > called by ..." trail.
        said = [line for line in lines[1:] if not line.startswith(">")]
        return " ".join(said) or lines[0]
    named = [line for line in lines[1:] if _ERROR_LINE.search(line)]
    if not named:
        return ": ".join(lines[:2])
    return _EXCEPTION_CLASS.sub("", named[-1])


class DbtError(RuntimeError):
    """A dbt invocation failed; the message names the failing node and dbt's error."""


@dataclass
class NodeResult:
    name: str
    status: str          # dbt's status: success, error, pass, fail, warn, skipped
    message: str
    failures: int | None  # failing rows of a test


@dataclass
class DbtInvocation:
    args: list[str]
    seconds: float
    node_timings: dict[str, float] = field(default_factory=dict)
    nodes: list[NodeResult] = field(default_factory=list)


class DbtRunner:
    """Runs dbt commands in this process against one database (its file and its work catalog).

    The parsed manifest is cached for the life of the process, per project directory. It does
    not depend on var values (vars are rendered at run time) nor on the database path (the
    profile attaches every database under the same catalog names), so several simulations in
    one process parse once.
    """

    _manifests: dict[Path, Any] = {}

    def __init__(self, database: Path, threads: int = 2, project_dir: Path = DBT_PROJECT_DIR,
                 work_in_memory: bool = False):
        self.database = Path(database).resolve()
        # The work catalog dbt's profile attaches (database.work_location): in memory in a run.
        self.work = work_location(self.database, work_in_memory)
        self.project_dir = Path(project_dir)
        self.threads = threads
        self.invocations: list[DbtInvocation] = []
        self._runner = None

    def _env(self) -> None:
        # The profile reads these; set before every call since tests may run several databases.
        os.environ["NAVIGATOR_DB_PATH"] = str(self.database)
        os.environ["NAVIGATOR_WORK_PATH"] = self.work
        # The DuckDB instance the orchestrator's connection uses (database.connect).
        os.environ["NAVIGATOR_DUCKDB_INSTANCE"] = instance_name(self.database)
        os.environ["NAVIGATOR_DBT_THREADS"] = str(self.threads)
        os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        os.environ.update(dbt_output_env())  # installed: nothing written into site-packages

    def _base_args(self) -> list[str]:
        return [
            "--project-dir", str(self.project_dir),
            "--profiles-dir", str(self.project_dir),
        ]

    @staticmethod
    def parse_vars() -> dict[str, Any]:
        """Fixed vars for parsing. dbt discards its partial-parse cache whenever the parse vars
        change, so parsing with each run's own vars would re-parse the whole project every run.
        No model places a ref, source or config under a var-dependent branch, so any valid
        values do.
        """
        from navigator_orchestrator.config.schema import SimulationConfig

        defaults = SimulationConfig()
        return {**defaults.to_dbt_vars(), "simulation_year": defaults.simulation.start_year,
                "run_id": "parse"}

    def prepare(self) -> int:
        """Parse (or load the cached manifest) now; returns the number of project nodes."""
        self._ensure_parsed()
        return len(self._manifests[self.project_dir].nodes)

    def work_models(self) -> list[str]:
        """The year-only models (tag `year`), rebuilt every simulated year."""
        self._ensure_parsed()
        return sorted(node.name for node in self._manifests[self.project_dir].nodes.values()
                      if node.resource_type == "model" and WORK_TAG in node.tags)

    def documented_columns(self, models: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """The columns each of these models documents in its schema .yml (e.g. the published
        tables' in dbt/models/marts/schema.yml), in the order listed there; a model that
        documents none maps to (). Read from the parsed manifest (cached, see `prepare`)."""
        self._ensure_parsed()
        nodes = {node.name: node for node in self._manifests[self.project_dir].nodes.values()
                 if node.resource_type == "model"}
        return {name: tuple(nodes[name].columns) if name in nodes else () for name in models}

    def _ensure_parsed(self) -> None:
        if self._runner is not None:
            return
        from dbt.cli.main import dbtRunner

        manifest = self._manifests.get(self.project_dir)
        fingerprint = None
        if manifest is None:
            # Loading dbt's own partial-parse state still costs seconds per process; a pickle
            # of the manifest parsed from identical project files costs milliseconds.
            fingerprint = project_fingerprint(self.project_dir)
            manifest = _load_cached_manifest(self.project_dir, fingerprint)
            if manifest is not None:
                self._manifests[self.project_dir] = manifest
        if manifest is None:
            # Parse against a canonical profile: dbt discards its partial-parse cache whenever
            # the profile (the database path) changes, and the manifest does not depend on it.
            os.environ["NAVIGATOR_DB_PATH"] = str(self.project_dir / CANONICAL_DATABASE)
            os.environ.pop("NAVIGATOR_WORK_PATH", None)
            os.environ["NAVIGATOR_DUCKDB_INSTANCE"] = ":memory:"
            os.environ.update(dbt_output_env())
            result = dbtRunner().invoke(
                ["parse", "--quiet", "--log-level-file", "warn", *self._base_args(),
                 "--vars", vars_json(self.parse_vars())]
            )
            if not result.success:
                raise DbtError(f"dbt could not parse the project in {self.project_dir}: {result.exception}")
            manifest = self._manifests[self.project_dir] = result.result
            _store_cached_manifest(self.project_dir, fingerprint, manifest)
        self._env()
        self._runner = dbtRunner(manifest=manifest)

    def invoke(self, command: list[str], dbt_vars: dict[str, Any], check: bool = True) -> DbtInvocation:
        """Run one dbt command (e.g. ["run", "--select", "tag:year"]) with these vars.

        With check=False a failing node (e.g. a failing test) is reported in `nodes`, not raised;
        a dbt invocation that could not run at all still raises.
        """
        self._ensure_parsed()
        self._env()
        # Per-invocation costs that a year loop does not need: debug file logs and rewriting
        # manifest.json / run_results.json on every call. Nothing on the console: failures reach
        # the caller as DbtError (and dbt/logs/dbt.log); an interrupt must end in our one line,
        # not in dbt's cancel lines and stack trace.
        args = [*command, "--log-level", "none", "--log-level-file", "warn", "--no-write-json",
                "--no-version-check", "--cache-selected-only", *self._base_args(), "--threads", str(self.threads),
                "--vars", vars_json(dbt_vars)]
        started = time.perf_counter()
        result = self._runner.invoke(args)
        elapsed = time.perf_counter() - started
        timings: dict[str, float] = {}
        failures: list[str] = []
        nodes: list[NodeResult] = []
        for node_result in getattr(result.result, "results", None) or []:
            name = getattr(node_result.node, "name", "?")
            if str(getattr(node_result.node, "resource_type", "")).split(".")[-1].lower() != "operation":
                # Models, seeds and tests; not the project's on-run-start check of the vars.
                timings[name] = float(getattr(node_result, "execution_time", 0.0) or 0.0)
            status = str(getattr(node_result, "status", ""))
            status = status.split(".")[-1].lower()
            nodes.append(NodeResult(name, status, str(node_result.message or ""),
                                    getattr(node_result, "failures", None)))
            if status in {"error", "fail"}:
                failures.append(f"{name}: {node_error_line(str(node_result.message or ''))}")
        invocation = DbtInvocation(args=command, seconds=elapsed, node_timings=timings, nodes=nodes)
        self.invocations.append(invocation)
        if not result.success and (check or result.exception is not None or not nodes):
            detail = "; ".join(failures) or str(result.exception)
            raise DbtError(f"dbt {' '.join(command)} failed: {detail}")
        return invocation

    def close(self) -> None:
        """Release dbt's DuckDB handle so the file can be copied, locked or reopened elsewhere."""
        if self._runner is None:
            return
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager

        # dbt-duckdb keeps its DuckDB environment for the process; its own clean-up call drops it.
        DuckDBConnectionManager.close_all_connections()
