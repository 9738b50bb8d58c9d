"""In-process dbt: parse the project once, reuse the manifest for every invocation.

A `dbt` subprocess costs seconds of start-up per call; `dbtRunner` with a reused manifest
costs a fraction of a second and still honours new `--vars` on every call.
"""

from __future__ import annotations

import dataclasses
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

from .config import DBT_PROJECT_DIR
from .database import CATALOG, instance_name


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
    return project_dir / "target" / f"navigator_manifest_{fingerprint}.pickle"


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
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps(_manifest_state(manifest)))
        os.replace(tmp, path)
        for old in path.parent.glob("navigator_manifest_*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:  # a read-only checkout still runs; it just parses every time
        pass


def _retarget(manifest: Any, work_catalog: str | None = None) -> None:
    """Point the year-only work models (tag `year`) of a parsed manifest at `work_catalog`
    when one is given, otherwise back at the database file's catalog."""
    wanted = (CATALOG, work_catalog)
    previous = getattr(manifest, "_navigator_targets", (CATALOG, None))
    if previous == wanted:
        return
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
    manifest._navigator_targets = wanted
    if manifest.flat_graph:
        manifest.build_flat_graph()


def _cheap_behavior_flag_source() -> None:
    """Make dbt's behavior-flag set-up cheap; it runs on every invocation.

    Each invocation registers the adapter, which renders its behavior flags; for a flag without
    a declared source, dbt-common names the calling module by walking `inspect.stack()`, which
    reads the source lines of every frame: about 0.27 s per invocation here, more than a year's
    smaller models cost to build. This walks the same frames and returns the same module name.
    """
    try:
        from dbt_common import behavior_flags
    except ImportError:
        return
    rendered = getattr(behavior_flags, "BehaviorFlagRendered", None)
    if rendered is None or not hasattr(rendered, "_default_source"):
        return

    def default_source() -> str:
        frame = sys._getframe(1)
        while frame is not None:
            name = frame.f_globals.get("__name__")
            if name and name != behavior_flags.__name__:
                return name
            frame = frame.f_back
        return "Unknown"

    rendered._default_source = staticmethod(default_source)


# Compiled Jinja code of each template source dbt renders (models, hooks, configs), per
# environment kind; bounded so an unusual project cannot grow it without limit.
_TEMPLATE_CODE_LIMIT = 4096


def _cached_template_compilation() -> None:
    """Compile each distinct Jinja source once per process instead of once per node per invocation.

    For every model of every invocation dbt renders the model's raw SQL through a brand-new
    Jinja environment, parsing and compiling the same source to Python code each time: about
    16% of an invocation's time on a small census. The compiled code depends only on the source
    and the environment's kind (native or text), so it is kept and a fresh template is built
    from it with the call's own globals, exactly as `Environment.from_string` does. Calls that
    capture macros (their environment depends on the node) go through dbt's own path.
    """
    try:
        import dbt.clients.jinja as dbt_jinja
        import dbt_common.clients.jinja as common_jinja
    except ImportError:
        return
    stock = common_jinja.get_template
    if getattr(stock, "_navigator_cached", False) or not hasattr(common_jinja, "get_environment"):
        return
    environments: dict[bool, Any] = {}
    codes: dict[tuple[bool, str], Any] = {}

    def get_template(string, ctx, node=None, capture_macros=False, native=False):
        if capture_macros:
            return stock(string, ctx, node, capture_macros=capture_macros, native=native)
        with common_jinja.catch_jinja(node):
            env = environments.get(native)
            if env is None:
                env = environments[native] = common_jinja.get_environment(None, False, native=native)
            source = str(string)
            code = codes.get((native, source))
            if code is None:
                code = env.compile(source)
                if len(codes) < _TEMPLATE_CODE_LIMIT:
                    codes[(native, source)] = code
            return env.template_class.from_code(env, code, env.make_globals(ctx), None)

    get_template._navigator_cached = True
    get_template.__wrapped__ = stock
    common_jinja.get_template = get_template
    if getattr(dbt_jinja, "get_template", None) is stock:
        dbt_jinja.get_template = get_template


# dbt's event levels, lowest first ("test" is logged as debug).
_EVENT_LEVEL_RANK = {"debug": 0, "test": 0, "info": 1, "warn": 2, "error": 3}


def _skip_unlogged_events() -> None:
    """Drop dbt's log events that no logger would write before dbt formats them.

    dbt fires several events per model (each SQL statement, its status, timings...) and turns
    every one into a protobuf message and then a text line for each logger; only then does
    Python's logging discard the lines below the logger's level (errors on the console under
    `--quiet`, warnings and errors in dbt/logs/dbt.log). That formatting was about 18% of an
    invocation on a small census. An event below every logger's level is now dropped first,
    unless it is one of dbt's print events or a callback other than dbt's own usage tracking
    (a no-op for the behavior-change events it looks at) is listening; everything else takes
    dbt's path unchanged, warnings and `--warn-error` included.
    """
    try:
        from dbt.tracking import track_behavior_change_warn
        from dbt_common.events.event_manager import EventManager
        from dbt_common.events.logger import PRINT_EVENT_NAMES
    except ImportError:
        return
    stock = EventManager.fire_event
    if getattr(stock, "_navigator_skips", False):
        return

    def fire_event(self, e, level=None, node=None, force_warn_or_error_handling=False):
        if not force_warn_or_error_handling and type(e).__name__ not in PRINT_EVENT_NAMES and all(
                callback is track_behavior_change_warn for callback in self.callbacks):
            rank = _EVENT_LEVEL_RANK.get(str(getattr(level or e.level_tag(), "value", "")))
            lowest = min((_EVENT_LEVEL_RANK.get(str(getattr(logger.level, "value", "")), 0)
                          for logger in self.loggers), default=len(_EVENT_LEVEL_RANK))
            if rank is not None and rank < lowest:
                return
        stock(self, e, level=level, node=node, force_warn_or_error_handling=force_warn_or_error_handling)

    fire_event._navigator_skips = True
    fire_event.__wrapped__ = stock
    EventManager.fire_event = fire_event


def _lazy_event_messages() -> None:
    """Build a dbt event's protobuf message only when something reads it.

    Every dbt event parses its fields into a protobuf message when it is created (ParseDict,
    about 9% of a model's time in dbt on a small census); with `_skip_unlogged_events` most
    events are never read. The message is now built on first access, from the same fields and
    by the same code, so an event that is logged, inspected or re-raised is unchanged.
    """
    try:
        from dbt_common.events import base_types
    except ImportError:
        return
    event = base_types.BaseEvent
    stock_init = event.__init__
    if getattr(stock_init, "_navigator_lazy", False):
        return
    stock_getattr = event.__getattr__
    stock_setattr = event.__setattr__

    def __init__(self, *args, **kwargs):
        object.__setattr__(self, "_navigator_pending", (args, kwargs))

    def _materialize(self):
        args, kwargs = object.__getattribute__(self, "_navigator_pending")
        object.__delattr__(self, "_navigator_pending")
        stock_init(self, *args, **kwargs)

    def __getattr__(self, key):
        if "_navigator_pending" in object.__getattribute__(self, "__dict__"):
            _materialize(self)
            return getattr(self, key)
        return stock_getattr(self, key)

    def __setattr__(self, key, value):
        if key != "pb_msg" and "_navigator_pending" in object.__getattribute__(self, "__dict__"):
            _materialize(self)
        stock_setattr(self, key, value)

    __init__._navigator_lazy = True
    event.__init__, event.__getattr__, event.__setattr__ = __init__, __getattr__, __setattr__


def _library_fingerprint() -> str:
    """Hash of the Python version and the versions of the dbt libraries whose classes dbt
    validates against generated JSON schemas."""
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256(sys.version.encode())
    for package in ("dbt-core", "dbt-common", "dbt-adapters", "dbt-duckdb", "mashumaro"):
        try:
            digest.update(f"{package}={version(package)}".encode())
        except PackageNotFoundError:
            digest.update(f"{package}=none".encode())
    return digest.hexdigest()[:16]


def _schema_cache_path(project_dir: Path) -> Path:
    return project_dir / "target" / f"navigator_json_schemas_{_library_fingerprint()}.json"


class _SchemaCache:
    """JSON schemas of dbt's classes, kept in a file between processes."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        try:
            known = json.loads(path.read_text())
        except (OSError, ValueError):  # none kept yet, unreadable or truncated: build again
            known = {}
        self._known: dict[str, Any] = known if isinstance(known, dict) else {}

    def get(self, cls: type, build: Any) -> Any:
        key = f"{cls.__module__}.{cls.__qualname__}"
        schema = self._known.get(key)
        if schema is not None:
            return schema
        schema = build(cls)
        try:
            # Kept as it reads back from JSON, so a fresh and a cached schema are alike.
            schema = json.loads(json.dumps(schema))
        except (TypeError, ValueError):
            return schema
        with self._lock:
            self._known[key] = schema
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_text(json.dumps(self._known, sort_keys=True))
                os.replace(tmp, self.path)
            except OSError:  # a read-only checkout still runs; it builds schemas every time
                pass
        return schema


_schema_cache: _SchemaCache | None = None


def _cached_json_schemas(project_dir: Path) -> None:
    """Keep the JSON schemas dbt validates its profile and project against between processes.

    dbt builds each class's JSON schema from the class definition on first use in a process
    (mashumaro walks every field): about 1 s of every run's first invocation here, for the
    same few classes every time. A schema depends only on the library code, so it is kept in
    dbt/target beside the parsed manifest, keyed by the Python and dbt library versions;
    validation itself still runs on every invocation, by dbt's own code.
    """
    global _schema_cache
    try:
        from dbt_common.dataclass_schema import dbtClassMixin
    except ImportError:
        return
    path = _schema_cache_path(project_dir)
    if _schema_cache is None or _schema_cache.path != path:
        _schema_cache = _SchemaCache(path)
    declared = dbtClassMixin.__dict__.get("json_schema")
    stock = getattr(declared, "__func__", None)
    if stock is None or getattr(stock, "_navigator_cached", False):
        return

    def json_schema(cls):
        cache = _schema_cache
        return cache.get(cls, stock) if cache is not None else stock(cls)

    json_schema._navigator_cached = True
    json_schema.__wrapped__ = stock
    dbtClassMixin.json_schema = classmethod(json_schema)


def _light_graph_summary() -> None:
    """Write dbt's graph_summary.json without serializing every node.

    dbt's compile step names each node's resource type in a diagnostic file by converting
    the whole node to a dict; the first conversion in a process generates the converter code,
    about 0.3 s of every run's first invocation. The node carries its resource type already.
    The file's content is unchanged.
    """
    try:
        from dbt.compilation import Linker
    except ImportError:
        return
    stock = Linker.get_graph_summary
    if getattr(stock, "_navigator_light", False):
        return

    def get_graph_summary(self, manifest):
        index = {name: i for i, name in enumerate(self.graph)}
        summary: dict[int, dict[str, Any]] = {}
        for name, i in index.items():
            kind = manifest.expect(name).resource_type
            summary[i] = {"name": name, "type": getattr(kind, "value", kind)}
            successors = [index[n] for n in self.graph.successors(name)]
            if successors:
                summary[i]["succ"] = successors
        return summary

    get_graph_summary._navigator_light = True
    get_graph_summary.__wrapped__ = stock
    Linker.get_graph_summary = get_graph_summary


_preload: threading.Thread | None = None


def preload() -> None:
    """Start importing dbt in the background; the first use of dbt waits for it to finish.

    Importing dbt costs about two seconds of Python (it generates code for thousands of
    classes). A run starts with DuckDB work (checking and loading the census, taking the lock,
    a backup) during which Python is idle, so the import overlaps it. An import error is not
    lost: the first use of dbt imports it again and raises it there.
    """
    global _preload
    if _preload is not None or "dbt.cli.main" in sys.modules:
        return

    def load() -> None:
        try:
            import dbt.cli.main  # noqa: F401
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
        from .config import SimulationConfig

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
        from dbt.cli.main import dbtRunner

        _cheap_behavior_flag_source()
        _cached_template_compilation()
        _skip_unlogged_events()
        _lazy_event_messages()
        _cached_json_schemas(self.project_dir)
        _light_graph_summary()
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
            # the profile (the database path) changes, and the manifest does not depend on it
            # (every file is attached under the same catalog name).
            os.environ["NAVIGATOR_DB_PATH"] = str(self.project_dir / CANONICAL_DATABASE)
            os.environ["NAVIGATOR_DUCKDB_INSTANCE"] = ":memory:"
            result = dbtRunner().invoke(
                ["parse", "--quiet", "--log-level-file", "warn", *self._base_args(),
                 "--vars", json.dumps(self.parse_vars())]
            )
            if not result.success:
                raise DbtError(f"dbt could not parse the project in {self.project_dir}: {result.exception}")
            manifest = self._manifests[self.project_dir] = result.result
            _store_cached_manifest(self.project_dir, fingerprint, manifest)
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
        # manifest.json / run_results.json on every call.
        args = [*command, "--quiet", "--log-level-file", "warn", "--no-write-json",
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
