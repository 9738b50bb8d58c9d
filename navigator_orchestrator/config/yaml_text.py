"""YAML as the config reads it: PyYAML's safe loader, except that a key given twice in one
mapping is refused instead of the last one silently winning (YAML 1.2 requires unique keys), and
a date that does not exist (2025-13-45, 2025-02-30) is kept as the text written, for the schema
to refuse under its key, instead of failing the whole file without naming one."""

from __future__ import annotations

from typing import Any

import yaml


class DuplicateKeyError(yaml.MarkedYAMLError):
    """A mapping names the same key twice; the message gives the key and both lines."""


class UniqueKeyLoader(yaml.SafeLoader):
    """`yaml.SafeLoader` whose mappings refuse a repeated key (a subclass: PyYAML's own
    loaders are left as they are)."""


def _unique_mapping(loader: UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            if key in seen:
                raise DuplicateKeyError(None, None, f"key '{key}' is given twice in one mapping (lines "
                                        f"{seen[key]} and {line}); keep one", key_node.start_mark)
            seen[key] = line
        except TypeError:  # an unhashable key: the safe loader refuses it itself below
            continue
    return loader.construct_mapping(node, deep=True)


def _timestamp(loader: UniqueKeyLoader, node: yaml.ScalarNode) -> Any:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:  # shaped like a date, but no such day: the schema names its key
        return loader.construct_scalar(node)


UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)
UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def load_yaml(text: str) -> Any:
    """The document in `text` as Python values; raises `yaml.YAMLError` (DuplicateKeyError for a
    repeated key) on invalid YAML."""
    return yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
