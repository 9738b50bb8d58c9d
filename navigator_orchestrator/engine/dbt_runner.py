"""In-process dbt: parse the project once, reuse the manifest for every invocation.

A `dbt` subprocess costs seconds of start-up per call; `dbtRunner` with a reused manifest
costs a fraction of a second and still honours new `--vars` on every call.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import json
import os
import pickle
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from navigator_orchestrator.engine import dbt_speedups
from navigator_orchestrator.locations import DBT_PROJECT_DIR, dbt_output_env, dbt_target_dir
from navigator_orchestrator.engine.dbt_speedups import write_atomically
from navigator_orchestrator.engine.database import CATALOG, instance_name


# The database file parsing runs against; the profile attaches every database file under the
# same catalog name (database.CATALOG), so the manifest fits every file.
CANONICAL_DATABASE = "simulation.duckdb"


# The tag of the models that hold one simulated year only, rebuilt every year.
WORK_TAG = "year"

# Files whose content shapes the parsed manifest.
_PROJECT_GLOBS = ("*.yml", "models/**/*", "macros/**/*", "seeds/**/*", "tests/**/*")


def project_fingerprint(project_dir: Path) -> str:
    """Hash of the project's files, the parse vars and the dbt and Python versions."""
    from importlib.metadata import version

    digest = hashlib.sha256()
    for part in (sys.version, version("dbt-core"), version("dbt-duckdb"),
                 json.dumps(DbtRunner.parse_vars(), sort_keys=True, default=str)):
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
    write_atomically(path, pickle.dumps(_manifest_state(manifest)))
    if not path.exists():  # a read-only checkout still runs; it just parses every time
        return
    for old in path.parent.glob("navigator_manifest_*.pickle"):
        if old != path:
            with contextlib.suppress(OSError):
                old.unlink(missing_ok=True)


def _retarget(manifest: Any, work_catalog: str | None = None) -> None:
    """Point the year-only work models (tag `year`) of a parsed manifest at `work_catalog`
    when one is given, otherwise back at the database file's catalog."""
    wanted = (CATALOG, work_catalog)
    previous = getattr(manifest, "_navigator_targets", (CATALOG, None))
    if previous == wanted:
        return
    # dbt's `graph` context variable holds every node and source as a dict (flat_graph); the
    # two fields changed here are changed there too, which is what rebuilding it would give.
    flat = manifest.flat_graph or {}
    for node in [*manifest.nodes.values(), *manifest.sources.values(), *manifest.unit_tests.values()]:
        if getattr(node, "database", None) not in {c for c in previous if c}:
            continue  # a node placed in another catalog on purpose
        target = CATALOG
        if work_catalog and node.resource_type == "model" and WORK_TAG in node.tags:
            target = work_catalog
        current = node.database
        node.database = target
        relation_name = getattr(node, "relation_name", None)
        if relation_name and relation_name.startswith(f'"{current}".'):
            node.relation_name = f'"{target}".' + relation_name[len(current) + 3:]
        for section in ("nodes", "sources"):
            entry = flat.get(section, {}).get(node.unique_id)
            if entry is not None:
                entry["database"] = node.database
                if "relation_name" in entry:
                    entry["relation_name"] = node.relation_name
    manifest._navigator_targets = wanted


_preload: threading.Thread | None = None


def _import_dbt() -> None:
    """Import dbt with Python's cyclic garbage collector paused, then exempt what it built.

    The import creates a few hundred thousand long-lived objects (classes, functions, schemas);
    the collector's full passes over them cost about 0.3 s during the import and as much again
    later in a run. Nothing the import creates is garbage, so the collector is paused for it and
    the survivors are moved to the collector's permanent generation (gc.freeze), which it no
    longer scans; objects created later are collected as usual.
    """
    if "dbt.cli.main" in sys.modules:
        return
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        dbt_speedups.defer_serializer_generation()
        import dbt.cli.main  # noqa: F401
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def preload() -> None:
    """Start importing dbt in the background; the first use of dbt waits for it to finish.

    Importing dbt costs about 1.5 seconds of Python (several thousand modules, classes and
    schemas). A run starts with DuckDB work (checking and loading the census, taking the lock,
    a backup) during which Python is idle, so the import overlaps it. An import error is not
    lost: the first use of dbt imports it again and raises it there.
    """
    global _preload
    if _preload is not None or "dbt.cli.main" in sys.modules:
        return

    def load() -> None:
        try:
            _import_dbt()
        except Exception:  # raised again where dbt is first used, in the caller's thread
            pass

    _preload = threading.Thread(target=load, name="navigator-dbt-import", daemon=True)
    _preload.start()


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
    """Runs dbt commands in this process against one DuckDB file.

    The parsed manifest is cached for the life of the process, per project directory. It does
    not depend on var values (vars are rendered at run time) and is pointed at the current
    database's catalog before each use, so several simulations in one process parse once.
    """

    _manifests: dict[Path, Any] = {}

    def __init__(self, database: Path, threads: int = 2, project_dir: Path = DBT_PROJECT_DIR,
                 work_catalog: str | None = None):
        self.database = Path(database).resolve()
        # An attached catalog (e.g. in-memory) that receives the year-only models instead of
        # the database file; the caller attaches it to the process's DuckDB instance first.
        self.work_catalog = work_catalog
        self.project_dir = Path(project_dir)
        self.threads = threads
        self.invocations: list[DbtInvocation] = []
        self._runner = None

    def _env(self) -> None:
        # The profile reads these; set before every call since tests may run several databases.
        os.environ["NAVIGATOR_DB_PATH"] = str(self.database)
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
        Models never place refs or configs under var-dependent branches, so any valid values do.
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

    def _ensure_parsed(self) -> None:
        if self._runner is not None:
            return
        if _preload is not None:
            _preload.join()
        _import_dbt()
        from dbt.cli.main import dbtRunner

        dbt_speedups.install(self.project_dir)
        manifest = self._manifests.get(self.project_dir)
        fingerprint = None
        first_load = manifest is None
        if manifest is None:
            # Loading dbt's own partial-parse state still costs seconds per process; a pickle
            # of the manifest parsed from identical project files costs milliseconds.
            fingerprint = project_fingerprint(self.project_dir)
            manifest = _load_cached_manifest(self.project_dir, fingerprint)
            if manifest is not None:
                self._manifests[self.project_dir] = manifest
        if manifest is None:
            # Parse against a canonical profile: dbt discards its partial-parse cache whenever
            # the profile (the database path) changes, and the manifest does not depend on it
            # (every file is attached under the same catalog name).
            os.environ["NAVIGATOR_DB_PATH"] = str(self.project_dir / CANONICAL_DATABASE)
            os.environ["NAVIGATOR_DUCKDB_INSTANCE"] = ":memory:"
            os.environ.update(dbt_output_env())
            result = dbtRunner().invoke(
                ["parse", "--quiet", "--log-level-file", "warn", *self._base_args(),
                 "--vars", json.dumps(self.parse_vars())]
            )
            if not result.success:
                raise DbtError(f"dbt could not parse the project in {self.project_dir}: {result.exception}")
            manifest = self._manifests[self.project_dir] = result.result
            _store_cached_manifest(self.project_dir, fingerprint, manifest)
        if first_load:
            # The manifest lives as long as the process: keep the collector's passes off it
            # too. Once per project and process, so that a process running many simulations
            # does not also exempt each one's leftovers.
            gc.freeze()
        self._env()
        self._runner = dbtRunner(manifest=manifest)

    def invoke(self, command: list[str], dbt_vars: dict[str, Any], check: bool = True,
               into_file: bool = False) -> DbtInvocation:
        """Run one dbt command (e.g. ["run", "--select", "tag:year"]) with these vars.

        into_file=True builds the year-only models in the database file even when this runner
        has a work catalog.

        With check=False a failing node (e.g. a failing test) is reported in `nodes`, not raised;
        a dbt invocation that could not run at all still raises.
        """
        self._ensure_parsed()
        # Several runners (databases, work catalogs) may share the process's manifest.
        _retarget(self._manifests[self.project_dir], None if into_file else self.work_catalog)
        self._env()
        # Per-invocation costs that a year loop does not need: debug file logs and rewriting
        # manifest.json / run_results.json on every call. Nothing on the console: failures reach
        # the caller as DbtError (and dbt/logs/dbt.log); an interrupt must end in our one line,
        # not in dbt's cancel lines and stack trace.
        args = [*command, "--log-level", "none", "--log-level-file", "warn", "--no-write-json",
                "--no-version-check", "--cache-selected-only", *self._base_args(), "--threads", str(self.threads),
                "--vars", json.dumps(dbt_vars)]
        started = time.perf_counter()
        result = self._runner.invoke(args)
        elapsed = time.perf_counter() - started
        timings: dict[str, float] = {}
        failures: list[str] = []
        nodes: list[NodeResult] = []
        for node_result in getattr(result.result, "results", None) or []:
            name = getattr(node_result.node, "name", "?")
            timings[name] = float(getattr(node_result, "execution_time", 0.0) or 0.0)
            status = str(getattr(node_result, "status", ""))
            status = status.split(".")[-1].lower()
            nodes.append(NodeResult(name, status, str(node_result.message or ""),
                                    getattr(node_result, "failures", None)))
            if status in {"error", "fail"}:
                failures.append(f"{name}: {node_result.message}")
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

        # dbt-duckdb keeps one DuckDB instance open for the whole process by default.
        with DuckDBConnectionManager._LOCK:
            if DuckDBConnectionManager._ENV is not None:
                DuckDBConnectionManager._ENV.close()
                DuckDBConnectionManager._ENV = None
