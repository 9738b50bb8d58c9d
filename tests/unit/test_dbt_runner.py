"""The manifest cache: reused only for identical project files, ignored when unreadable."""

from __future__ import annotations

import shutil


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


def test_fingerprint_changes_when_an_installed_package_changes_version(tmp_path, monkeypatch):
    project = _copy_project(tmp_path)
    site = tmp_path / "site"
    (site / "mashumaro-3.14.dist-info").mkdir(parents=True)
    monkeypatch.syspath_prepend(str(site))
    before = project_fingerprint(project)
    (site / "mashumaro-3.14.dist-info").rename(site / "mashumaro-3.15.dist-info")
    assert project_fingerprint(project) != before
    (site / "mashumaro-3.15.dist-info").rename(site / "mashumaro-3.14.dist-info")
    assert project_fingerprint(project) == before


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
