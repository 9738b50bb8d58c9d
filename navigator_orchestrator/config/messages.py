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
from typing import Any

from pydantic import BaseModel, ValidationError

_UNKNOWN = object()  # past a union: the member is not known, keys are kept as they come


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


def _walk(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[str, Any]:
    """The YAML key path of `loc` (union member names dropped, list positions as [i]) and the
    annotation at its end (_UNKNOWN past a union)."""
    path, current = "", model
    for part in loc:
        current = _strip(current) if current is not _UNKNOWN else current
        if _is_union(current):
            current = _UNKNOWN  # `part` names the member tried, not a key of the YAML
            continue
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f"{'.' if path else ''}{part}"
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            current = field.annotation if field is not None else _UNKNOWN
        elif typing.get_origin(current) in (dict, list, tuple, set, frozenset):
            current = typing.get_args(current)[-1] if typing.get_args(current) else _UNKNOWN
        else:
            current = _UNKNOWN
    return path, current


def _message(err: dict[str, Any], model: type[BaseModel], prefix: str) -> str:
    kind, value = err["type"], err.get("input")
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
        close = difflib.get_close_matches(str(err["loc"][-1]), known, n=1, cutoff=0.6)
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
