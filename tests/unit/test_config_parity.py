"""`to_dbt_vars()` is the only bridge from config to SQL, and it is complete in both directions.

Generic on purpose: new config sections and new `var()` calls are covered without editing this
file. Fields the orchestrator consumes itself are listed in config.PYTHON_ONLY_FIELDS.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
import fnmatch
import re
import types
import typing
from pathlib import Path
from typing import Any, Iterator

from pydantic import BaseModel

from conftest import deep_merge

from navigator_orchestrator.config.schema import (
    DBT_PROJECT_DIR, DEFAULT_CONFIG, PYTHON_ONLY_FIELDS, ConfigError, SimulationConfig, load_config,
    parse_config,
)

RUNTIME_VARS = {"simulation_year", "run_id"}  # set per invocation by the orchestrator

VAR_CALL = re.compile(r"""\bvar\(\s*['"](\w+)['"]""")
MACRO_DEF = re.compile(r"{%-?\s*macro\s+(\w+)\s*\(([^)]*)\)(.*?){%-?\s*endmacro", re.S)


def sql_files() -> list[Path]:
    return sorted([*(DBT_PROJECT_DIR / "models").rglob("*.sql"), *(DBT_PROJECT_DIR / "macros").rglob("*.sql")])


def vars_read_by_sql() -> set[str]:
    """Every var name the SQL reads, including through macros that take a var name argument."""
    text = "\n".join(p.read_text() for p in sql_files())
    names = set(VAR_CALL.findall(text))
    for macro, params, body in MACRO_DEF.findall(text):
        for param in (p.split("=")[0].strip() for p in params.split(",") if p.strip()):
            if re.search(rf"\bvar\(\s*{param}\s*\)", body):
                names |= set(re.findall(rf"""\b{macro}\(\s*['"](\w+)['"]""", text))
    return names


def leaves(data: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from leaves(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from leaves(value, (*path, i))
    else:
        yield path, data


def literal_options(path: tuple) -> list[Any]:
    """Allowed values of a Literal field, found by walking the schema along the path."""
    model: Any = SimulationConfig
    ann: Any = None
    for key in path:
        origin = typing.get_origin(model)
        if origin in (dict, list):  # dict[str, Model] / list[Model]: the key or index picks an item
            ann = model = typing.get_args(model)[-1]
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or key not in model.model_fields:
            return []
        ann = model.model_fields[key].annotation
        model = ann
    return _literals(ann)


def _literals(ann: Any) -> list[Any]:
    """The values of a Literal, also inside Annotated and unions (e.g. a name or a list)."""
    if typing.get_origin(ann) is typing.Annotated:
        return _literals(typing.get_args(ann)[0])
    if typing.get_origin(ann) is typing.Literal:
        return list(typing.get_args(ann))
    if typing.get_origin(ann) in (typing.Union, types.UnionType):
        return [v for member in typing.get_args(ann) for v in _literals(member)]
    return []


def sibling_ids(data: dict, path: tuple) -> list[str]:
    """Ids a string field may refer to: keys of mappings beside it (e.g. active_formula -> formulas)."""
    parent: Any = data
    for key in path[:-1]:
        parent = parent[key]
    ids: list[str] = []
    if isinstance(parent, dict):
        for child in parent.values():
            if isinstance(child, dict):
                ids.extend(str(k) for k in child)
    return ids


def candidates(path: tuple, value: Any, data: dict | None = None) -> list[Any]:
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + 1, value - 1]
    if isinstance(value, float):
        return [v for v in (value + 0.01, value - 0.01, value + 0.001, value / 2, 0.5) if v != value]
    if isinstance(value, str) and re.fullmatch(r"\d\d-\d\d", value):
        return [v for v in ("06-15", "01-01") if v != value]
    if isinstance(value, str):
        options = [*literal_options(path), *sibling_ids(data or {}, path)]
        return [v for v in options if v != value] or [value + "x", "perturbed"]
    if isinstance(value, date):
        return [value + timedelta(days=1)]
    if value is None:
        return ["perturbed", 1, 0.5, True, "2024-06-30", *literal_options(path)]
    return []


def set_path(data: dict, path: tuple, value: Any) -> dict:
    out = copy.deepcopy(data)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


def python_only(path: tuple) -> bool:
    dotted = ".".join(str(p) for p in path)
    return any(fnmatch.fnmatchcase(dotted, pattern) for pattern in PYTHON_ONLY_FIELDS)


def test_every_var_the_sql_reads_has_a_config_source():
    missing = vars_read_by_sql() - RUNTIME_VARS - set(load_config(DEFAULT_CONFIG).to_dbt_vars())
    assert not missing, f"var() in SQL without a to_dbt_vars() source: {sorted(missing)}"


def test_every_dbt_var_from_config_is_read_by_some_model():
    unread = set(load_config(DEFAULT_CONFIG).to_dbt_vars()) - vars_read_by_sql()
    assert not unread, f"to_dbt_vars() keys no model or macro reads: {sorted(unread)}"


# Fields the schema accepts only beside another setting: path -> (that setting's path, value).
PREREQUISITES = {("employer_match", "true_up"): (("employer_match", "calculation_period"), "pay_period")}


def test_every_config_field_reaches_the_dbt_vars():
    base = load_config(DEFAULT_CONFIG)
    data = base.model_dump(mode="python")
    original = base.to_dbt_vars()
    silent: list[str] = []
    for path, value in leaves(data):
        if python_only(path) or literal_options(path) == [value]:
            continue  # a single-valued Literal has no other value to try
        start, reference = data, original
        if path[:2] == ("employer_match", "formulas"):
            # A formula template reaches SQL when it is the active one.
            start = set_path(data, ("employer_match", "active_formula"), path[2])
            reference = parse_config(start, base.config_dir).to_dbt_vars()
        if path in PREREQUISITES:
            # A field that only means something beside another setting is tried there.
            start = set_path(data, *PREREQUISITES[path])
            reference = parse_config(start, base.config_dir).to_dbt_vars()
        changed = None
        for candidate in candidates(path, value, start):
            try:
                changed = parse_config(set_path(start, path, candidate), base.config_dir)
                break
            except ConfigError:
                continue
        dotted = ".".join(str(p) for p in path)
        assert changed is not None, f"could not find another valid value for {dotted}"
        if changed.to_dbt_vars() == reference:
            silent.append(dotted)
    assert not silent, f"config fields that never reach SQL (add to PYTHON_ONLY_FIELDS if intended): {silent}"


def test_the_var_scanner_sees_vars_passed_through_macros():
    # rate('name') reads var(name): the scanner must count it as a read of that var.
    assert "total_termination_rate" in vars_read_by_sql()


def nested(path: tuple, value: Any) -> dict:
    out: Any = value
    for key in reversed(path):
        out = {key: out}
    return out


def test_every_plan_field_overridden_in_a_design_reaches_that_designs_dbt_vars():
    from navigator_orchestrator.config.schema import PLAN_SECTIONS

    base = load_config(DEFAULT_CONFIG)
    data = base.model_dump(mode="python", exclude={"plan_designs"})
    silent: list[str] = []
    for path, value in leaves({k: data[k] for k in PLAN_SECTIONS}):
        if literal_options(path) == [value] or path[:2] == ("employer_match", "formulas"):
            continue  # formulas reach SQL through active_formula (covered above)
        for candidate in candidates(path, value, data):
            override = nested(path, candidate)
            if path in PREREQUISITES:
                override = deep_merge(nested(*PREREQUISITES[path]), override)
            try:
                config = parse_config({**data, "plan_designs": {"other": override}}, base.config_dir)
                break
            except ConfigError:
                continue
        else:
            raise AssertionError(f"no other valid value for {'.'.join(map(str, path))}")
        if config.design("other").to_dbt_vars() == base.to_dbt_vars():
            silent.append(".".join(str(p) for p in path))
    assert not silent, f"design overrides that never reach SQL: {silent}"
