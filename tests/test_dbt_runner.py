"""The manifest cache: reused only for identical project files, ignored when unreadable."""

from __future__ import annotations

import shutil

import pytest

from navigator_orchestrator.config.schema import DBT_PROJECT_DIR
from navigator_orchestrator.engine.dbt_runner import (
    _cache_path, _load_cached_manifest, _store_cached_manifest, project_fingerprint,
)


def _copy_project(tmp_path):
    project = tmp_path / "dbt"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb*"))
    return project


def test_fingerprint_changes_with_any_model_seed_or_macro(tmp_path):
    project = _copy_project(tmp_path)
    base = project_fingerprint(project)
    assert project_fingerprint(project) == base
    for relative in ("models/intermediate/workforce/int_hiring_events.sql", "seeds/config_hiring_mix.csv",
                     "macros/random.sql", "dbt_project.yml"):
        path = project / relative
        original = path.read_text()
        path.write_text(original + "\n")
        assert project_fingerprint(project) != base, relative
        path.write_text(original)
    assert project_fingerprint(project) == base


def test_cached_manifest_round_trips_and_a_corrupt_cache_is_ignored(tmp_path):
    from dbt.contracts.graph.manifest import Manifest

    project = _copy_project(tmp_path)
    fingerprint = project_fingerprint(project)
    manifest = Manifest()
    manifest.env_vars = {"NAVIGATOR_DB_PATH": "x"}
    _ = manifest.ref_lookup  # a built lookup cache must not travel with the data
    _store_cached_manifest(project, fingerprint, manifest)
    loaded = _load_cached_manifest(project, fingerprint)
    assert loaded.env_vars == {"NAVIGATOR_DB_PATH": "x"} and loaded._ref_lookup is None
    assert _load_cached_manifest(project, "another") is None
    _cache_path(project, fingerprint).write_bytes(b"not a pickle")
    assert _load_cached_manifest(project, fingerprint) is None


def test_behavior_flag_source_names_the_calling_module_as_dbt_does():
    from dbt_common.behavior_flags import BehaviorFlagRendered

    from navigator_orchestrator.engine.dbt_speedups import _cheap_behavior_flag_source

    _cheap_behavior_flag_source()
    flag = BehaviorFlagRendered({"name": "navigator_probe", "default": True, "description": "probe"}, {})
    assert flag._behavior_change_event.flag_source == __name__
    declared = BehaviorFlagRendered(
        {"name": "navigator_probe", "default": True, "description": "probe", "source": "dbt-x"}, {})
    assert declared._behavior_change_event.flag_source == "dbt-x"


def test_jinja_sources_compile_once_and_render_with_each_calls_own_context():
    import dbt.clients.jinja as dbt_jinja
    import dbt_common.clients.jinja as common_jinja
    from dbt_common.exceptions import CompilationError

    from navigator_orchestrator.engine.dbt_speedups import _cached_template_compilation

    _cached_template_compilation()
    assert dbt_jinja.get_template is common_jinja.get_template
    source = "select {{ year }} as y, '{{ name | upper }}' as n"
    first = common_jinja.get_template(source, {"year": 2025, "name": "a"})
    second = common_jinja.get_template(source, {"year": 2026, "name": "b"})
    # One compilation (the same code object), each render with its own globals.
    assert first.root_render_func.__code__ is second.root_render_func.__code__
    assert first.render({}) == "select 2025 as y, 'A' as n"
    assert second.render({}) == "select 2026 as y, 'B' as n"
    assert dbt_jinja.get_rendered(source, {"year": 2027, "name": "c"}) == "select 2027 as y, 'C' as n"
    # Whatever the source and environment kind, the same result as dbt's own path.
    stock = common_jinja.get_template.__wrapped__
    for text, ctx in [("{{ 1 + 1 }}", {}), ("{{ [a, 2] }}", {"a": 1}), ("{{ 'x' ~ a }}", {"a": 3})]:
        for native in (False, True):
            ours = common_jinja.get_template(text, ctx, native=native).render(ctx)
            assert ours == stock(text, ctx, native=native).render(ctx)
    with pytest.raises(CompilationError):
        common_jinja.get_template("select {{ year ", {})


def test_dbt_events_below_every_loggers_level_are_dropped_before_formatting(monkeypatch):
    import io

    import dbt_common.events.event_manager as event_manager
    from dbt_common.events.base_types import EventLevel
    from dbt_common.events.logger import LineFormat, LoggerConfig
    from dbt_common.events.types import Note, PrintEvent

    from navigator_orchestrator.engine.dbt_speedups import _skip_unlogged_events

    _skip_unlogged_events()
    formatted = []
    stock_format = event_manager.msg_from_base_event
    monkeypatch.setattr(event_manager, "msg_from_base_event",
                        lambda e, level=None: formatted.append(e) or stock_format(e, level=level))
    manager = event_manager.EventManager()
    warnings = io.StringIO()
    manager.add_logger(LoggerConfig(name="navigator_probe_warn", level=EventLevel.WARN,
                                    line_format=LineFormat.PlainText, output_stream=warnings))

    manager.fire_event(Note(msg="a debug line"), level=EventLevel.DEBUG)
    manager.fire_event(Note(msg="an info line"))
    assert formatted == [] and warnings.getvalue() == ""
    manager.fire_event(Note(msg="a warning"), level=EventLevel.WARN)
    manager.fire_event(PrintEvent(msg="printed"))  # print events are always shown
    assert len(formatted) == 2
    assert "a warning" in warnings.getvalue() and "printed" in warnings.getvalue()

    # A logger that writes debug lines, or a listener of our own, still gets every event.
    debug = io.StringIO()
    manager.add_logger(LoggerConfig(name="navigator_probe_debug", level=EventLevel.DEBUG,
                                    line_format=LineFormat.PlainText, output_stream=debug))
    manager.fire_event(Note(msg="a debug line"), level=EventLevel.DEBUG)
    assert "a debug line" in debug.getvalue() and "a debug line" not in warnings.getvalue()
    heard = []
    quiet = event_manager.EventManager()
    quiet.add_callback(heard.append)
    quiet.fire_event(Note(msg="for the listener"), level=EventLevel.DEBUG)
    assert [m.info.name for m in heard] == ["Note"]


def test_dbt_event_messages_are_built_when_first_read_with_the_same_content(monkeypatch):
    from dbt_common.events import base_types
    from dbt_common.events.types import Note

    from navigator_orchestrator.engine.dbt_speedups import _lazy_event_messages

    _lazy_event_messages()
    parsed = []
    stock_parse = base_types.ParseDict
    monkeypatch.setattr(base_types, "ParseDict", lambda d, m: parsed.append(d) or stock_parse(d, m))
    event = Note(msg=12)
    assert parsed == []  # not built at creation
    assert event.msg == "12" and parsed == [{"msg": "12"}]  # built once, by dbt's own rules
    assert event.to_dict() == {"msg": "12"} and len(parsed) == 1
    unread = Note(msg="a")
    unread.msg = "b"  # writing a field builds the message first, then sets it
    assert unread.msg == "b" and unread.pb_msg.msg == "b"


def test_json_schemas_are_kept_between_processes_and_validate_as_dbts_own(tmp_path):
    import json

    from dbt.contracts.project import Project
    from dbt_common.dataclass_schema import ValidationError, dbtClassMixin

    from navigator_orchestrator.engine.dbt_speedups import _cached_json_schemas, _SchemaCache

    _cached_json_schemas(DBT_PROJECT_DIR)
    stock = dbtClassMixin.__dict__["json_schema"].__func__.__wrapped__
    expected = json.loads(json.dumps(stock(Project)))

    path = tmp_path / "schemas.json"
    built = _SchemaCache(path).get(Project, stock)
    assert built == expected and path.exists()
    # Another process reads it back without building it again.
    builds = []
    assert _SchemaCache(path).get(Project, lambda cls: builds.append(cls)) == expected and builds == []
    # A truncated file is ignored: the schema is built again.
    path.write_text(path.read_text()[:20])
    assert _SchemaCache(path).get(Project, stock) == expected

    # Validation through the kept schema rejects what dbt's own schema rejects, alike.
    bad = {"name": "navigator_probe", "version": "1.0", "config-version": 2, "profile": 5}
    with pytest.raises(ValidationError) as ours:
        Project.validate(bad)
    import jsonschema
    theirs = next(iter(jsonschema.Draft7Validator(stock(Project)).iter_errors(bad)))
    assert str(ours.value) == str(ValidationError.create_from(theirs))
    Project.validate({**bad, "profile": "navigator"})


def test_graph_summary_is_the_same_as_dbts_own():
    from dbt.compilation import Linker

    from navigator_orchestrator.engine.dbt_runner import DbtRunner
    from navigator_orchestrator.engine.dbt_speedups import _light_graph_summary

    runner = DbtRunner(DBT_PROJECT_DIR / "unused.duckdb")
    runner.prepare()
    _light_graph_summary()
    manifest = DbtRunner._manifests[DBT_PROJECT_DIR]
    linker = Linker()
    linker.link_graph(manifest)
    ours = linker.get_graph_summary(manifest)
    assert len(ours) >= len(manifest.nodes) and any("succ" in n for n in ours.values())
    assert ours == Linker.get_graph_summary.__wrapped__(linker, manifest)


def test_dbt_is_imported_in_the_background_while_a_run_starts():
    import subprocess
    import sys

    script = (
        "import sys, threading\n"
        "from navigator_orchestrator.engine import dbt_runner\n"
        "assert 'dbt.cli.main' not in sys.modules\n"
        "dbt_runner.preload()\n"
        "assert dbt_runner._preload.name == 'navigator-dbt-import'\n"
        "dbt_runner._preload.join()\n"
        "assert 'dbt.cli.main' in sys.modules\n"
        "import gc\n"
        "assert gc.isenabled() and gc.get_freeze_count() > 100_000  # dbt's objects are exempt\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


_PARSE_AND_SERIALIZE = """
import hashlib, json, sys
from pathlib import Path
from navigator_orchestrator.engine import dbt_speedups
from navigator_orchestrator.engine.dbt_runner import DbtRunner
deferred = sys.argv[1] == "deferred"
if deferred:
    dbt_speedups.defer_serializer_generation()
from dbt.cli.main import dbtRunner
from dbt.contracts.graph.manifest import WritableManifest
from dbt.contracts.graph.nodes import ModelNode
if deferred:  # nothing generated yet for a class no code has serialized
    assert ModelNode.__dict__.get("_navigator_serializers_pending")
target = Path(sys.argv[2])
result = dbtRunner().invoke(["parse", "--quiet", "--no-partial-parse", "--project-dir", sys.argv[3],
                             "--profiles-dir", sys.argv[3], "--target-path", str(target),
                             "--vars", json.dumps(DbtRunner.parse_vars())])
assert result.success, result.exception
manifest = WritableManifest.read_and_check_versions(str(target / "manifest.json"))
def timeless(value):
    if isinstance(value, dict):
        return {k: timeless(v) for k, v in value.items()
                if k not in {"created_at", "generated_at", "invocation_id", "invocation_started_at",
                             "run_started_at"}}
    return [timeless(v) for v in value] if isinstance(value, list) else value
as_dict = timeless(manifest.to_dict(omit_none=True))
packed = manifest.to_msgpack()
assert WritableManifest.from_msgpack(packed).to_dict(omit_none=True) == manifest.to_dict(omit_none=True)
print(len(as_dict["nodes"]), hashlib.sha256(json.dumps(as_dict, sort_keys=True, default=str).encode()).hexdigest(),
      len(packed))
"""


def test_deferred_serializers_give_dbt_the_same_manifest_and_round_trips(tmp_path):
    import os
    import subprocess
    import sys

    project = _copy_project(tmp_path)
    env = {**os.environ, "NAVIGATOR_DB_PATH": str(tmp_path / "parse.duckdb")}
    outputs = {}
    for mode in ("eager", "deferred"):
        proc = subprocess.run([sys.executable, "-c", _PARSE_AND_SERIALIZE, mode, str(tmp_path / mode), str(project)],
                              capture_output=True, text=True, env=env)
        assert proc.returncode == 0, proc.stderr[-3000:]
        outputs[mode] = proc.stdout.split()
    nodes, digest, packed_size = outputs["deferred"]
    assert int(nodes) > 50
    assert outputs["deferred"] == outputs["eager"]


def test_retargeting_the_work_models_updates_dbts_graph_as_a_rebuild_would():
    import copy

    from navigator_orchestrator.engine.dbt_runner import CATALOG, WORK_TAG, DbtRunner, _retarget

    DbtRunner(DBT_PROJECT_DIR / "unused.duckdb").prepare()
    manifest = copy.deepcopy(DbtRunner._manifests[DBT_PROJECT_DIR])
    manifest.build_flat_graph()
    for catalog in ("navigator_work_test", None, "navigator_work_test"):
        _retarget(manifest, catalog)
        moved = [n for n in manifest.nodes.values() if n.resource_type == "model" and WORK_TAG in n.tags]
        assert moved and all(n.database == (catalog or CATALOG) for n in moved)
        assert all(n.relation_name.startswith(f'"{catalog or CATALOG}".') for n in moved)
        ours = manifest.flat_graph
        manifest.build_flat_graph()
        assert ours == manifest.flat_graph


def test_plugin_modules_are_looked_for_once_and_found_as_dbt_finds_them(monkeypatch):
    import pkgutil

    from dbt.plugins.manager import PluginManager

    from navigator_orchestrator.engine.dbt_speedups import _plugin_discovery_once

    _plugin_discovery_once()
    stock = PluginManager.get_prefixed_modules.__wrapped__
    assert PluginManager.get_prefixed_modules() == stock(PluginManager)
    listed = []
    real = pkgutil.iter_modules
    monkeypatch.setattr(pkgutil, "iter_modules", lambda *a, **k: listed.append(1) or real(*a, **k))
    first, second = PluginManager.get_prefixed_modules(), PluginManager.get_prefixed_modules()
    assert first == second and first and all(name.startswith("dbt") for name in first)
    assert listed == []  # the import path is not listed again


def test_a_cycle_in_dbts_graph_is_still_found_and_a_changed_graph_checked_again():
    from dbt.compilation import Linker

    from navigator_orchestrator.engine.dbt_speedups import _cycle_check_once_per_graph

    _cycle_check_once_per_graph()
    stock = Linker.find_cycles.__wrapped__
    linker = Linker()
    linker.dependency("model.b", "model.a")
    linker.dependency("model.c", "model.b")
    assert linker.find_cycles() is None and stock(linker) is None
    linker.dependency("model.a", "model.c")  # a depends on c: a cycle
    found = linker.find_cycles()
    assert found is not None and found == stock(linker)
    assert set(found.split(" --> ")) == {"model.a", "model.b", "model.c"}
    assert Linker().find_cycles() is None


def test_instance_wide_duckdb_settings_are_set_once_and_again_when_changed():
    import duckdb
    from dbt.adapters.duckdb.credentials import DuckDBCredentials
    from dbt.adapters.duckdb.environments import Environment

    from navigator_orchestrator.engine.dbt_speedups import _global_settings_once_per_instance

    _global_settings_once_per_instance()
    creds = DuckDBCredentials(database="memory", schema="main", path=":memory:",
                              settings={"memory_limit": "3GB", "search_path": "memory.main"})

    class Spy:
        def __init__(self, cursor):
            self.cursor, self.sets = cursor, []

        def execute(self, sql, *args):
            if sql.upper().startswith("SET "):
                self.sets.append(sql.split()[1])
            return self.cursor.execute(sql, *args)

        def __getattr__(self, name):
            return getattr(self.cursor, name)

    def new_cursor(instance):
        spy = Spy(instance.cursor())
        Environment.initialize_cursor(creds, spy)
        return spy

    instance = duckdb.connect(":memory:")
    first, second = new_cursor(instance), new_cursor(instance)
    assert first.sets == ["memory_limit", "search_path"]
    assert second.sets == ["search_path"]  # a local setting is set on every cursor, as dbt does
    assert instance.execute("select current_setting('memory_limit')").fetchone()[0].startswith("2.7")  # 3 GB in GiB
    instance.execute("set memory_limit = '1GB'")  # changed in between: set again
    assert new_cursor(instance).sets == ["memory_limit", "search_path"]
    other = duckdb.connect(":memory:")  # a new instance starts from DuckDB's default
    assert new_cursor(other).sets == ["memory_limit", "search_path"]
    assert other.execute("select current_setting('memory_limit')").fetchone() == \
        instance.execute("select current_setting('memory_limit')").fetchone()
