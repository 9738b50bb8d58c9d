"""Speed-ups for in-process dbt, each a small replacement for one piece of dbt's own work.

dbt does work on every invocation (and once per process) that a year loop does not need in
that form: inspecting the call stack, recompiling the same Jinja sources, formatting log
events nobody writes, rebuilding JSON schemas, generating serializers it never calls, searching
for plugins and cycles again, repeating instance-wide DuckDB settings. Each function here replaces one
such piece with code that gives the same result (each is tested against dbt's own behaviour),
installs itself once per process and leaves dbt's path untouched where it cannot be sure.
`install` applies them all; `dbt_runner` calls it before the first invocation, and calls
`defer_serializer_generation` before it imports dbt.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import sys
import threading
from pathlib import Path
from typing import Any


def install(project_dir: Path) -> None:
    """Apply every speed-up (idempotent); `project_dir` holds the kept JSON schemas."""
    _cheap_behavior_flag_source()
    _cached_template_compilation()
    _skip_unlogged_events()
    _lazy_event_messages()
    _cached_json_schemas(project_dir)
    _light_graph_summary()
    _plugin_discovery_once()
    _cycle_check_once_per_graph()
    _global_settings_once_per_instance()


def _installed(stock: Any) -> bool:
    """Whether `stock` is already one of these replacements (each installs once per process)."""
    return bool(getattr(stock, "_navigator_speedup", False))


def _replace(owner: Any, name: str, replacement: Any, stock: Any, wrap: Any = None) -> None:
    """Put `replacement` in place of dbt's `stock` as `owner.name`, marked as installed, with
    dbt's own code kept as its `__wrapped__` (the tests compare the two)."""
    replacement._navigator_speedup = True
    replacement.__wrapped__ = stock
    setattr(owner, name, wrap(replacement) if wrap is not None else replacement)


# Guards the one-time work of the speed-ups below (dbt runs models in several threads).
_once_lock = threading.RLock()


def defer_serializer_generation() -> None:
    """Generate each dbt class's serializers when first used instead of when it is defined.

    dbt's artifact and node classes are mashumaro dataclasses: defining one generates Python code
    for its from_dict/to_dict and from_msgpack/to_msgpack methods, for all of dbt's few hundred
    classes at import, about half a second, although a run uses a small share of them (the
    manifest comes from a pickle). This installs, for each class defined afterwards, stand-ins
    for exactly the methods mashumaro would have generated; the first call of any of them
    generates the class's methods with mashumaro's own code, as the definition would have, and
    passes the call on. Call it before importing dbt; classes defined earlier are unaffected.
    """
    try:
        from mashumaro.core.meta.mixin import compile_mixin_packer, compile_mixin_unpacker
        from mashumaro.mixins.dict import DataClassDictMixin
    except ImportError:
        return
    stock = DataClassDictMixin.__init_subclass__
    if _installed(stock):
        return

    def builder_params(cls: type) -> list[dict[str, Any]]:
        # The same lookup as DataClassDictMixin.__init_subclass__: every mixin in the class's
        # ancestry declares the formats it generates (dict; dbt's classes add msgpack).
        found = []
        for ancestor in cls.__mro__[-1:0:-1]:
            params = getattr(ancestor, f"_{ancestor.__name__}__mashumaro_builder_params", None)
            if params:
                found.append(params)
        return found

    def generate(cls: type) -> None:
        with _once_lock:
            pending = cls.__dict__.get("_navigator_serializers_pending")
            if not pending:
                return
            for params in pending:
                compile_mixin_unpacker(cls, **params["unpacker"])
                compile_mixin_packer(cls, **params["packer"])
            type.__setattr__(cls, "_navigator_serializers_pending", None)

    def method_names(params: dict[str, Any]) -> list[tuple[str, bool]]:
        # The public and internal names mashumaro's CodeBuilder gives the generated methods
        # (get_unpack_method_name / get_pack_method_name, InternalMethodName).
        names = []
        for kind, prefix in (("unpacker", "from"), ("packer", "to")):
            public = f"{prefix}_{params[kind].get('format_name', 'dict')}"
            names += [(public, prefix == "from"), (f"__mashumaro_{public}__", prefix == "from")]
        return names

    def stand_in(name: str, is_classmethod: bool) -> Any:
        if is_classmethod:
            def call_class(cls: type, *args: Any, **kwargs: Any) -> Any:
                generate(cls)
                return getattr(cls, name)(*args, **kwargs)
            return classmethod(call_class)

        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            generate(type(self))
            return getattr(self, name)(*args, **kwargs)
        return call

    def init_subclass(cls: type, **kwargs: Any) -> None:
        super(DataClassDictMixin, cls).__init_subclass__(**kwargs)
        pending = builder_params(cls)
        if not pending:
            return
        type.__setattr__(cls, "_navigator_serializers_pending", pending)
        for params in pending:
            for name, is_classmethod in method_names(params):
                type.__setattr__(cls, name, stand_in(name, is_classmethod))

    _replace(DataClassDictMixin, "__init_subclass__", init_subclass, stock, classmethod)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one step (a reader sees the old or the new file, never
    part of one). An unwritable directory is not an error: the cache is only skipped."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:  # a read-only checkout still runs; it just rebuilds every time
        pass


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
    if _installed(stock) or not hasattr(common_jinja, "get_environment"):
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

    _replace(common_jinja, "get_template", get_template, stock)
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
    if _installed(stock):
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

    _replace(EventManager, "fire_event", fire_event, stock)


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
    if _installed(stock_init):
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

    event.__getattr__, event.__setattr__ = __getattr__, __setattr__
    _replace(event, "__init__", __init__, stock_init)


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
    from navigator_orchestrator.locations import dbt_target_dir

    return dbt_target_dir(project_dir) / f"navigator_json_schemas_{_library_fingerprint()}.json"


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
            write_atomically(self.path, json.dumps(self._known, sort_keys=True).encode())
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
    if stock is None or _installed(stock):
        return

    def json_schema(cls):
        cache = _schema_cache
        return cache.get(cls, stock) if cache is not None else stock(cls)

    _replace(dbtClassMixin, "json_schema", json_schema, stock, classmethod)


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
    if _installed(stock):
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

    _replace(Linker, "get_graph_summary", get_graph_summary, stock)


def _plugin_discovery_once() -> None:
    """Look for installed dbt plugin modules once per process instead of once per invocation.

    Every invocation, dbt lists every module on the import path to find those named `dbt_*`
    that declare plugins (about 16 ms here). The installed packages do not change while a
    simulation runs; the modules found the first time are reused.
    """
    try:
        from dbt.plugins.manager import PluginManager
    except ImportError:
        return
    stock = PluginManager.__dict__["get_prefixed_modules"].__func__
    if _installed(stock):
        return
    found: dict[str, Any] = {}

    def get_prefixed_modules(cls):
        with _once_lock:
            if "modules" not in found:
                found["modules"] = stock(cls)
            return dict(found["modules"])

    _replace(PluginManager, "get_prefixed_modules", get_prefixed_modules, stock, classmethod)


def _cycle_check_once_per_graph() -> None:
    """Check dbt's dependency graph for cycles once per distinct graph.

    Every invocation links the (unchanged) manifest into a graph and searches it for a cycle
    again. The answer depends only on the graph's edges, so it is kept per edge set.
    """
    try:
        from dbt.compilation import Linker
    except ImportError:
        return
    stock = Linker.find_cycles
    if _installed(stock):
        return
    answers: dict[frozenset, Any] = {}

    def find_cycles(self):
        edges = frozenset(self.graph.edges())
        if edges not in answers:
            if len(answers) > 16:
                answers.clear()
            answers[edges] = stock(self)
        return answers[edges]

    _replace(Linker, "find_cycles", find_cycles, stock)


def _global_settings_once_per_instance() -> None:
    """Apply the profile's instance-wide DuckDB settings once, not before every model.

    dbt-duckdb runs each `settings` entry of the profile as a SET on every new cursor, that is
    before every model. memory_limit and checkpoint_threshold are GLOBAL settings in DuckDB (one
    SET holds for the whole instance), and repeating memory_limit costs about 4 ms a model once
    the buffer pool holds a run's tables. A GLOBAL setting whose current value is still what the
    same SET gave before is not set again; a local setting, a new instance, or a value changed in
    between is set as dbt-duckdb sets it.
    """
    try:
        from dbt.adapters.duckdb.environments import Environment
    except ImportError:
        return
    stock = Environment.__dict__["initialize_cursor"].__func__
    if _installed(stock):
        return
    # (setting, the profile's value) -> DuckDB's own spelling of the value after that SET
    applied: dict[tuple[str, str], str] = {}
    global_scope: dict[str, bool] = {}

    def current_values(cursor, names: list[str]) -> list[str]:
        listed = ", ".join("current_setting('" + name.replace("'", "''") + "')" for name in names)
        return list(cursor.execute(f"select {listed}").fetchone())

    def initialize_cursor(cls, creds, cursor, plugins=None, registered_df={}):  # noqa: B006 (dbt's signature)
        settings = dict(creds.settings or {})
        known = [name for name, value in settings.items() if (name, str(value)) in applied]
        if known:
            for name, value in zip(known, current_values(cursor, known)):
                if value == applied[(name, str(settings[name]))]:
                    del settings[name]
            creds = copy.copy(creds)
            creds.settings = settings or None
        cursor = stock(cls, creds, cursor, plugins, registered_df)
        unseen = [name for name in settings if name not in global_scope]
        if unseen:
            scopes = dict(cursor.execute(
                "select name, scope = 'GLOBAL' from duckdb_settings() where name in (select unnest(?::varchar[]))",
                [unseen]).fetchall())
            global_scope.update({name: scopes.get(name, False) for name in unseen})
        names = [name for name in settings if global_scope[name]]
        if names:
            for name, value in zip(names, current_values(cursor, names)):
                applied[(name, str(settings[name]))] = value
        return cursor

    _replace(Environment, "initialize_cursor", initialize_cursor, stock, classmethod)
