"""Building blocks shared by every config section: the error type, slugs, free-text labels,
the strict section base class and rate fields. `sections.py`, `formulas.py` and `accounts.py`
build their sections from these."""

from __future__ import annotations

import contextlib
import re
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator

from navigator_orchestrator.config.messages import yaml_value
from navigator_orchestrator.sql import SLUG


class ConfigError(ValueError):
    """A configuration that cannot be run; the message names the key and the fix."""


def _slug(value: str) -> str:
    # Identifiers reach SQL, so anything outside the slug alphabet is refused outright.
    if not SLUG.match(value):
        raise ValueError(f"{value!r} is not a slug: use 1-64 characters from A-Z a-z 0-9 _ -")
    return value


# An identifier that reaches SQL: a scenario, plan design, match formula or check name.
Slug = Annotated[str, AfterValidator(_slug)]

# dbt renders every string var as a Jinja template before a model sees it, so free text that
# reaches SQL through a var may not hold Jinja delimiters (the SQL gets it with quotes doubled).
_JINJA = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")


def _label(value: str) -> str:
    if _JINJA.search(value):
        raise ValueError(f"{value!r} holds a template delimiter ({{{{ }}}}, {{% %}} or {{# #}}); remove it")
    if any(ord(ch) < 32 for ch in value):
        raise ValueError(f"{value!r} holds a control character (tab, newline, ...); write it on one line")
    return value


# Free display text that reaches SQL (e.g. a match formula's name): stored as written.
Label = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_label)]


def _kinds(annotation: Any) -> set[type]:
    """The scalar types an annotation takes anywhere inside it (through Annotated, unions,
    lists, tuples, sets and mappings); other classes (sections) are validated on their own."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _kinds(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list, tuple, set, frozenset, dict):
        return set().union(*(_kinds(a) for a in typing.get_args(annotation) if a is not Ellipsis))
    return {annotation} if annotation in (bool, int, float, Decimal) else set()


def _is_number_type(annotation: Any) -> bool:
    """A number (int, float, Decimal) anywhere in the annotation and true/false nowhere."""
    kinds = _kinds(annotation)
    return bool(kinds & {int, float, Decimal}) and bool not in kinds


def _holds_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, dict):
        return any(_holds_bool(v) for v in value.values())
    if isinstance(value, (list, tuple, set)):
        return any(_holds_bool(v) for v in value)
    return False


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    @field_validator("*", mode="before")
    @classmethod
    def _number_is_not_true_or_false(cls, value: Any, info: ValidationInfo) -> Any:
        # YAML reads yes/no/on/off/true/false as booleans, which pydantic would take as 1 and 0.
        if _holds_bool(value) and info.field_name in cls.model_fields \
                and _is_number_type(cls.model_fields[info.field_name].annotation):
            what = f"{str(value).lower()} is not a number" if isinstance(value, bool) \
                else "holds true or false where a number belongs"
            raise ValueError(f"{what} (YAML reads yes/no/on/off/true/false as true or false); give a number")
        return value


def _date(value: Any) -> Any:
    # YAML reads 2025-01-31 as a date; a quoted '2025-01-31' is text of one. Anything else (a
    # number pydantic would read as seconds since 1970, a day that does not exist) is refused.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        with contextlib.suppress(ValueError):
            return date.fromisoformat(value.strip())
    shown = value.strip() if isinstance(value, str) else yaml_value(value)
    raise ValueError(f"{shown} is not a date; write YYYY-MM-DD")


# A calendar date written YYYY-MM-DD.
ConfigDate = Annotated[date, BeforeValidator(_date)]

Rate = Field(ge=0.0, le=1.0)


def Rate_default(default: float) -> Any:
    """A fraction in [0, 1] with a default."""
    return Field(default, ge=0.0, le=1.0)
