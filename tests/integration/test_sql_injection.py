"""Config text never becomes SQL or a template: every string field is refused or stored as written.

The string fields are found by walking the pydantic schema, so a field added later is covered
without editing this file. Each one gets a quote, `||`, `;` and a Jinja `{{ }}` (dbt renders
string vars as templates); the config must either refuse the value at validation or, in a real
run, store exactly the text written (a path: read exactly that file).
"""

from __future__ import annotations

import copy
import fnmatch
import types
import typing
from datetime import date
from pathlib import Path
from typing import Any, Iterator

import duckdb
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from navigator_orchestrator.config.schema import (
    DEFAULT_CONFIG, PYTHON_ONLY_FIELDS, ConfigError, SimulationConfig, parse_config,
)
from navigator_orchestrator.engine.dbt_runner import DbtError, DbtRunner
from navigator_orchestrator.engine.simulation import Simulation
from navigator_orchestrator.sql import connect_duckdb, identifier, literal

PAYLOADS = {
    "quote": "o'brien",
    "concat": "a' || (select 42) || 'b",
    "semicolon": "x'; drop table fct_yearly_events; --",
    "jinja": "{{ 7 * 7 }}",
}

# Placeholder in a path: the element is a dict key or any item of a list.
KEY, ITEM = "<key>", "<item>"
# Mappings whose keys are a fixed set: the key a new entry goes under, and what it holds.
MAPPING_KEYS = {("setup", "census_columns"): ("employee_id", None)}
# Fields whose plain value has a shape of its own.
PLAIN = {("setup", "census_date_format"): "%m/%d/%Y", ("setup", "census_columns", KEY): "employee_id",
         ("data_quality", "skip_checks", ITEM): "hires_without_pay"}  # the name of a check


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types an annotation allows (Optional, Union and Annotated opened up)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in _unwrap(arg) if t is not type(None)]
    return [annotation]


def _is_text(kind: Any) -> bool:
    """A value a YAML string reaches as text: str, a path, a date, a literal of strings."""
    if typing.get_origin(kind) is typing.Literal:
        return any(isinstance(v, str) for v in typing.get_args(kind))
    return kind in (str, Path, date)


def string_fields(model: type[BaseModel], prefix: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """Every place a string can be written in the config: (path of keys/KEY/ITEM, its type)."""
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        yield from _fields_of(field.annotation, (*prefix, name))


def _fields_of(annotation: Any, path: tuple) -> Iterator[tuple[tuple, Any]]:
    for kind in _unwrap(annotation):
        origin = typing.get_origin(kind)
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            yield from string_fields(kind, path)
        elif origin is dict:
            key_type, value_type = typing.get_args(kind)
            if any(_is_text(k) for k in _unwrap(key_type)):
                yield (*path, KEY), str
            yield from _fields_of(value_type, (*path, ITEM))
        elif origin is list:
            yield from _fields_of(typing.get_args(kind)[0], (*path, ITEM))
        elif _is_text(kind):
            yield path, kind


def _existing(data: Any, path: tuple) -> Any:
    """The default config's value at `path` (first entry for KEY/ITEM), or None."""
    for part in path:
        if part == KEY:
            return next(iter(data), None) if isinstance(data, dict) else None
        if part == ITEM:
            data = next(iter(data.values()), None) if isinstance(data, dict) else (data[0] if data else None)
        else:
            data = data.get(part) if isinstance(data, dict) else None
        if data is None:
            return None
    return data


def _benign(path: tuple, census: Path) -> Any:
    """A value the schema accepts here (the default config's own, or a plain one of the type),
    to tell a refused payload from a refused setup."""
    kind = KINDS[path]
    if path in PLAIN:
        return PLAIN[path]
    if kind is Path:
        return str(census)
    existing = _existing(yaml.safe_load(DEFAULT_CONFIG.read_text()), path)
    if isinstance(existing, str):
        return existing if path[-1] != KEY else existing + "_copy"
    if typing.get_origin(kind) is typing.Literal:
        return next(v for v in typing.get_args(kind) if isinstance(v, str))
    return "2025-01-01" if kind is date else "plain_text_1"


def _default_data() -> dict:
    data = yaml.safe_load(DEFAULT_CONFIG.read_text())
    # The default config defines no further plan design: add one, so design ids and the keys of
    # a design's overrides are covered like every other place text can be written.
    data["plan_designs"] = data.get("plan_designs") or {"example": {"employer_match": {"enabled": True}}}
    return data


def _set(data: Any, path: tuple, value: Any, everywhere: bool = False, at: tuple = ()) -> None:
    """Write `value` at `path`. KEY adds a key holding a copy of an existing entry (or an empty
    mapping); ITEM writes into the first existing entry (every entry with `everywhere`), or into
    a new one when there is none (MAPPING_KEYS names the key where keys are a fixed set)."""
    head, rest = path[0], path[1:]
    if head == KEY:
        empty = MAPPING_KEYS[at][1] if at in MAPPING_KEYS else {}
        data[value] = copy.deepcopy(next(iter(data.values()))) if data else empty
        return
    if head == ITEM:
        if not rest:  # an item of a list of strings, or a value of a mapping to strings
            if isinstance(data, dict):
                data[MAPPING_KEYS[at][0] if at in MAPPING_KEYS else "plain_text_1"] = value
            else:
                data.append(value)
            return
        entries = list(data.keys()) if isinstance(data, dict) else list(range(len(data)))
        if not entries:
            if isinstance(data, dict):
                data["plain_text_1"] = {}
            else:
                data.append({})
            entries = list(data.keys()) if isinstance(data, dict) else [0]
        for entry in entries if everywhere else entries[:1]:
            _set(data[entry], rest, value, everywhere, (*at, entry))
        return
    if not rest:
        data[head] = value
        return
    if data.get(head) is None:
        data[head] = {}
    _set(data[head], rest, value, everywhere, (*at, head))


def _name(path: tuple) -> str:
    return ".".join(path)


def _python_only(path: tuple) -> bool:
    """Consumed by the orchestrator, never a dbt var (config.PYTHON_ONLY_FIELDS)."""
    dotted = ".".join("*" if p in (KEY, ITEM) else p for p in path)
    return any(fnmatch.fnmatchcase(dotted, pattern) for pattern in PYTHON_ONLY_FIELDS)


KINDS = dict(string_fields(SimulationConfig))
FIELDS = sorted(KINDS)


def test_the_walk_finds_the_known_string_fields():
    names = {_name(p) for p in FIELDS}
    assert {"scenario_id", "plan_design_id", "employer_match.active_formula",
            f"employer_match.formulas.{KEY}", f"employer_match.formulas.{ITEM}.name",
            "setup.census_parquet_path", f"data_quality.skip_checks.{ITEM}"} <= names


def _outcomes(tmp_path: Path, census: Path) -> dict[tuple, dict[str, bool]]:
    """For every string field and payload: True if validation accepted it.

    Each field is first given a plain value of its type, which must be accepted: otherwise a
    refusal would say nothing about the payload."""
    out: dict[tuple, dict[str, bool]] = {}
    for path in FIELDS:
        data = _default_data()
        _set(data, path, _benign(path, census))
        try:
            parse_config(data, tmp_path)
        except ConfigError as exc:
            pytest.fail(f"{_name(path)}: a plain value is refused ({exc}); teach _benign this field")
        out[path] = {}
        for label, payload in PAYLOADS.items():
            data = _default_data()
            _set(data, path, payload)
            try:
                parse_config(data, tmp_path)
            except ConfigError:
                out[path][label] = False
            else:
                out[path][label] = True
    return out


def test_identifiers_and_template_text_are_refused_at_validation(tmp_path, small_census):
    outcomes = _outcomes(tmp_path, small_census)
    for path in [("scenario_id",), ("plan_design_id",), ("employer_match", "active_formula"),
                 ("employer_match", "formulas", KEY), ("data_quality", "skip_checks", ITEM)]:
        assert not any(outcomes[path].values()), f"{_name(path)} accepted {outcomes[path]}"
    # dbt renders every string var as a template: no field that becomes a dbt var may carry one.
    assert not [_name(p) for p in FIELDS if not _python_only(p) and outcomes[p]["jinja"]]


def test_accepted_text_is_stored_exactly_as_written(tmp_path, small_census):
    """One real run carrying every accepted payload: each is found verbatim (a path: read)."""
    outcomes = _outcomes(tmp_path, small_census)
    accepted = {path: " ".join(PAYLOADS[label] for label, ok in labels.items() if ok)
                for path, labels in outcomes.items() if any(labels.values())}
    assert accepted, "nothing accepted: this test would prove nothing about storage"
    data = _default_data()
    data["simulation"].update(start_year=2025, end_year=2025)
    data["setup"]["census_parquet_path"] = str(small_census)
    paths: dict[tuple, Path] = {}
    # The census reading settings are used as written: a census file whose directory, Excel
    # sheet and employee_id header carry the payloads is found and read.
    census_text = {p: accepted.pop(p, None) for p in CENSUS_READING}
    target = tmp_path / (census_text[CENSUS_READING[0]] or "plain") / "census.xlsx"
    target.parent.mkdir(parents=True)
    _census_workbook(small_census, target, census_text[CENSUS_READING[1]] or "Census",
                     census_text[CENSUS_READING[2]] or "employee_id")
    data["setup"]["census_parquet_path"] = str(target)
    for path, text in census_text.items():
        if text is not None:
            paths[path] = target
            if path != CENSUS_READING[0]:
                _set(data, path, text)
            accepted[path] = text
    for path, text in accepted.items():
        if path not in paths:
            _set(data, path, text, everywhere=True)
    config = parse_config(data, tmp_path)
    db = tmp_path / "sim.duckdb"
    Simulation(config, db).run()

    with duckdb.connect(str(db), read_only=True) as conn:
        text_columns = conn.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'main' and data_type in ('VARCHAR', 'JSON')").fetchall()
        census_rows = conn.execute("select count(*) from raw_census").fetchone()[0]

        def stored(text: str) -> bool:
            return any(conn.execute(f"select count(*) from {identifier(t)} "
                                    f"where contains({identifier(c)}::varchar, ?)", [text]).fetchone()[0]
                       for t, c in text_columns)

        with duckdb.connect() as reader:
            expected_rows = reader.execute(f"select count(*) from read_parquet({literal(small_census)})").fetchone()[0]
        for path, text in accepted.items():
            if path in paths:
                assert census_rows == expected_rows, f"{_name(path)}: the census at {paths[path]} was not read"
            else:
                assert stored(text), f"{_name(path)}: {text!r} accepted but not stored as written"
        # The injected statement did not run.
        assert conn.execute("select count(*) from fct_yearly_events").fetchone()[0] > 0


CENSUS_READING = (("setup", "census_parquet_path"), ("setup", "census_sheet"),
                  ("setup", "census_columns", ITEM))


def _census_workbook(census: Path, target: Path, sheet: str, id_header: str) -> None:
    import openpyxl
    import pyarrow.parquet as pq

    table = pq.read_table(census)
    book = openpyxl.Workbook()
    book.active.title = sheet
    book.active.append([id_header if n == "employee_id" else n for n in table.column_names])
    for row in table.to_pylist():
        book.active.append(list(row.values()))
    book.save(target)


def test_the_reported_formula_key_attack_is_refused(tmp_path):
    data = _default_data()
    key = "x' || (select content from read_text('/etc/hostname')) || '"
    data["employer_match"]["formulas"][key] = data["employer_match"]["formulas"]["simple_match"]
    data["employer_match"]["active_formula"] = key
    with pytest.raises(ConfigError, match="not a slug"):
        parse_config(data, tmp_path)


def test_dbt_refuses_a_non_slug_identifier_var_by_hand(tmp_path):
    """Vars typed by hand are checked in SQL too: a scenario id that is not a slug stops the
    model with a message naming the var."""
    db = tmp_path / "sim.duckdb"
    runner = DbtRunner(db)
    bad = {**runner.parse_vars(), "scenario_id": "x' or 1=1 --"}
    try:
        with pytest.raises(DbtError, match="scenario_id must be a slug"):
            runner.invoke(["compile", "--select", "int_yearly_snapshot"], bad)
    finally:
        runner.close()


def test_no_var_is_quoted_by_hand_in_sql():
    """Every var that becomes text in SQL goes through slug_var or sql_string."""
    root = Path(DEFAULT_CONFIG).parents[1] / "dbt"
    offenders = []
    for sql in [*root.glob("models/**/*.sql"), *root.glob("macros/**/*.sql"), *root.glob("tests/**/*.sql")]:
        text = sql.read_text()
        for marker in ("'{{ var(", "\"'\" ~"):
            if marker in text:
                offenders.append(f"{sql.relative_to(root)}: {marker}")
    assert not offenders


@pytest.fixture(scope="module")
def memory_db():
    with connect_duckdb() as conn:
        yield conn


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00")))
def test_literal_round_trips_any_text(memory_db, text):
    assert memory_db.execute(f"select {literal(text)}").fetchone()[0] == text


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.characters(exclude_categories=("Cs",))))
def test_vars_text_reads_back_as_written_in_dbt(text):
    """dbt parses --vars as YAML: any text of a var reaches the models as written."""
    from dbt.config.utils import parse_cli_vars

    from navigator_orchestrator.engine.dbt_runner import vars_json

    assert parse_cli_vars(vars_json({"match_formula_name": text, "n": 1})) == {"match_formula_name": text, "n": 1}


def test_a_formula_name_beyond_the_basic_plane_is_stored_as_written(tmp_path, small_census):
    """A name with an emoji (a surrogate pair in escaped JSON, which YAML refuses) runs for the
    baseline and a further design, and is stored as written."""
    name = "O'Brien \u2033plan\u2033 \U0001F600 \u00fcber"
    data = _default_data()
    data["simulation"].update(start_year=2025, end_year=2025)
    data["setup"]["census_parquet_path"] = str(small_census)
    formula = {**data["employer_match"]["formulas"]["simple_match"], "name": name}
    data["employer_match"]["formulas"]["simple_match"] = formula
    data["employer_match"]["active_formula"] = "simple_match"
    data["plan_designs"] = {"emoji": {"employer_match": {"formulas": {"simple_match": {**formula, "name": name + "!"}}}}}
    db = tmp_path / "sim.duckdb"
    Simulation(parse_config(data, tmp_path), db).run()
    with duckdb.connect(str(db), read_only=True) as conn:
        names = conn.execute(
            "select plan_design_id, min(event_details->>'$.formula_name'), max(event_details->>'$.formula_name') "
            "from fct_employer_match_events group by 1 order by 1").fetchall()
    assert names == [("emoji", name + "!", name + "!"), ("standard_401k", name, name)]
