"""A pydantic ValidationError as the user reads the config: one `key: problem` per error, the key
as written in the YAML (`employer_match.formulas.simple_match.tiers[0].match_rate`), never a
Python class name, a union member's name or a type's name.

pydantic's locations hold, besides the YAML's keys and list positions, the name of the union
member that was tried (`constrained-float`, `literal['taxable_wage_base']`, a tag such as
`by_year`); and its messages name the model class a mapping should have been (`Input should be
a valid dictionary or instance of MatchTier`). Both are translated here by walking the schema
along the location.
"""

from __future__ import annotations

import difflib
import math
import types
import typing
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

_UNKNOWN = object()  # past a union: the member is not known, keys are kept as they come


class _Dumper(yaml.SafeDumper):
    """The safe dumper, also writing the numbers and paths a parsed config holds."""


_Dumper.add_representer(Decimal, lambda d, v: d.represent_scalar("tag:yaml.org,2002:float", str(v)))
_Dumper.add_multi_representer(Path, lambda d, v: d.represent_str(str(v)))
_Dumper.add_representer(tuple, lambda d, v: d.represent_list(list(v)))


def yaml_value(value: Any) -> str:
    """`value` on one line as YAML writes it (null, true, 0.5, {employer_match: {}}, [a, b]),
    never in Python's notation (None, True, {'employer_match': {}})."""
    text = yaml.dump(value, Dumper=_Dumper, default_flow_style=True, width=float("inf"), sort_keys=False)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def yaml_key(key: Any) -> str:
    """A mapping key as the YAML wrote it: text as is, other values as YAML writes them."""
    return key if isinstance(key, str) else yaml_value(key)


def yaml_kind(value: Any) -> str:
    """What a YAML value is, in the YAML's words (never a Python type name)."""
    if value is None:
        return "null (an empty value)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "a value of another kind"


def _strip(annotation: Any) -> Any:
    """The annotation without Annotated and Optional wrappers; a union of several members stays."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def _member(union: Any, tag: Any) -> Any:
    """The member of a tagged union (`Annotated[X, Tag(tag)]`) named `tag`; _UNKNOWN otherwise."""
    for member in typing.get_args(union):
        if any(getattr(meta, "tag", None) == tag for meta in getattr(member, "__metadata__", ())):
            return member
    return _UNKNOWN


# pydantic's location part for a mapping's key that failed (the value was fine).
KEY_MARKER = "[key]"


def _walk(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[str, Any]:
    """The YAML key path of `loc` (union member names and pydantic's key marker dropped, list
    positions as [i]) and the annotation at its end (_UNKNOWN past an untagged union)."""
    path, current = "", model
    for part in loc:
        current = _strip(current) if current is not _UNKNOWN else current
        if _is_union(current):
            current = _member(current, part)  # `part` names the member tried, not a key of the YAML
            continue
        if part == KEY_MARKER:
            current = _UNKNOWN
            continue
        if isinstance(part, int) and typing.get_origin(current) is not dict:  # a list position
            path += f"[{part}]"
        else:
            path += f"{'.' if path else ''}{yaml_key(part)}"
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            current = field.annotation if field is not None else _UNKNOWN
        elif typing.get_origin(current) in (dict, list, tuple, set, frozenset):
            current = typing.get_args(current)[-1] if typing.get_args(current) else _UNKNOWN
        else:
            current = _UNKNOWN
    return path, current


# pydantic's error types of a scalar of the wrong kind -> what to give instead.
_WANTED = {
    **dict.fromkeys(("int_type", "int_parsing", "int_from_float", "int_parsing_size"), "a whole number"),
    **dict.fromkeys(("float_type", "float_parsing", "decimal_type", "decimal_parsing"), "a number"),
    **dict.fromkeys(("bool_type", "bool_parsing"), "true or false"),
}


def _text_expected(value: Any) -> str:
    """A key that takes text (a name) was given another kind of YAML value."""
    if isinstance(value, (bool, int, float, date)) or value is None:
        # Quoted, these are text; the spelling of a yes/no value is lost (no, off and false are
        # all false), so the example for one is the usual spelling.
        example = ("no" if value is False else "yes") if isinstance(value, bool) \
            else "null" if value is None else yaml_value(value)
        return (f"give text, not {yaml_kind(value)}; YAML reads off, on, yes, no, true, false, null, bare "
                f"numbers and dates as values: quote it, e.g. '{example}'")
    return f"give text, not {yaml_kind(value)}"


def _message(err: dict[str, Any], model: type[BaseModel], prefix: str) -> str:
    kind, value = err["type"], err.get("input")
    loc = tuple(err["loc"])
    if loc and loc[-1] == KEY_MARKER:
        # The config's only mapping keyed by numbers is keyed by calendar year.
        owner = _key(prefix, _walk(model, loc[:-2])[0])
        return f"the keys of {owner} must be years (e.g. 2026: 0.05), not {yaml_kind(value)}"
    if kind in _WANTED:
        return f"give {_WANTED[kind]}, not {yaml_kind(value)}"
    if kind == "string_type":
        return _text_expected(value)
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"give a mapping of keys (key: value), not {yaml_kind(value)}"
    if kind in ("list_type", "tuple_type"):
        return f"give a list (one `- item` a line), not {yaml_kind(value)}"
    if kind == "missing":
        return "this key is required"
    if kind == "extra_forbidden":
        parent, owner = _walk(model, tuple(err["loc"][:-1]))
        parent = _key(prefix, parent)
        owner = _strip(owner)
        known = ([n for n in owner.model_fields if n != "config_dir"]
                 if isinstance(owner, type) and issubclass(owner, BaseModel) else [])
        close = difflib.get_close_matches(yaml_key(err["loc"][-1]), known, n=1, cutoff=0.6)
        return ("unknown key" + (f"; did you mean '{parent + '.' if parent else ''}{close[0]}'?" if close
                                 else f"; known keys: {', '.join(known)}" if known else ""))
    msg = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if isinstance(value, float) and not math.isfinite(value):
        # YAML's .nan / .inf fail a bound check first; say what is wrong with them.
        return f"{value} is not a finite number; give a number"
    return msg


def _key(prefix: str, path: str) -> str:
    return f"{prefix}{'' if not prefix or not path or path.startswith('[') else '.'}{path}"


def format_errors(exc: ValidationError, model: type[BaseModel], prefix: str = "") -> str:
    """`key: problem; key: problem` for every error of `exc`, raised validating `model` at the
    YAML key `prefix` ('' for the whole config). Errors of one key (each member of a union
    tried) are joined with `or`."""
    by_key: dict[str, list[str]] = {}
    for err in exc.errors():
        key = _key(prefix, _walk(model, tuple(err["loc"]))[0]) or "(top level)"
        message = _message(err, model, prefix)
        if message not in by_key.setdefault(key, []):
            by_key[key].append(message)
    return "; ".join(f"{key}: {', or '.join(messages)}" for key, messages in by_key.items())
