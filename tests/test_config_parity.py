"""`to_dbt_vars()` is the only bridge from config to SQL, and it is complete in both directions.

Generic on purpose: new config sections and new `var()` calls are covered without editing this
file. Fields the orchestrator consumes itself are listed in config.PYTHON_ONLY_FIELDS.
"""

from __future__ import annotations

import copy
import fnmatch
import re
import typing
from pathlib import Path
from typing import Any, Iterator

from pydantic import BaseModel

from navigator_orchestrator.config import (
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
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or key not in model.model_fields:
            return []
        ann = model.model_fields[key].annotation
        model = ann
    return list(typing.get_args(ann)) if typing.get_origin(ann) is typing.Literal else []


def candidates(path: tuple, value: Any) -> list[Any]:
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + 1, value - 1]
    if isinstance(value, float):
        return [v for v in (value + 0.01, value - 0.01, value / 2, 0.5) if v != value]
    if isinstance(value, str):
        return [v for v in literal_options(path) if v != value] or [value + "x", "perturbed"]
    if value is None:
        return ["perturbed", 1, 0.5, True, *literal_options(path)]
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


def test_every_config_field_reaches_the_dbt_vars():
    base = load_config(DEFAULT_CONFIG)
    data = base.model_dump(mode="python")
    original = base.to_dbt_vars()
    silent: list[str] = []
    for path, value in leaves(data):
        if python_only(path):
            continue
        changed = None
        for candidate in candidates(path, value):
            try:
                changed = parse_config(set_path(data, path, candidate), base.config_dir)
                break
            except ConfigError:
                continue
        dotted = ".".join(str(p) for p in path)
        assert changed is not None, f"could not find another valid value for {dotted}"
        if changed.to_dbt_vars() == original:
            silent.append(dotted)
    assert not silent, f"config fields that never reach SQL (add to PYTHON_ONLY_FIELDS if intended): {silent}"


def test_the_var_scanner_sees_vars_passed_through_macros():
    # rate('name') reads var(name): the scanner must count it as a read of that var.
    assert "total_termination_rate" in vars_read_by_sql()
