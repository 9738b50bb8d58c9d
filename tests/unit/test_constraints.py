"""The constraints file pins every package the product and its tests install."""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, distribution

from pathlib import Path

CONSTRAINTS = Path(__file__).resolve().parents[2] / "constraints.txt"


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def _pins() -> dict[str, str]:
    pins = {}
    for line in CONSTRAINTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"{line!r} in constraints.txt is not pinned with =="
            pins[_name(name)] = version
    return pins


def _closure(root: str, extras: set[str]) -> set[str]:
    """Every distribution `root` (with `extras`) requires, transitively, in this environment."""
    seen: set[str] = set()
    todo = [(root, extras)]
    while todo:
        name, wanted = todo.pop()
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            continue  # an optional dependency for another platform or Python
        for requirement in dist.requires or []:
            spec, _, marker = requirement.partition(";")
            extra = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", marker)
            if extra and extra.group(1) not in wanted:
                continue
            if marker and not extra and ("python_version" in marker or "sys_platform" in marker
                                         or "platform_" in marker or "implementation" in marker):
                continue  # environment markers: judged by whether the package is installed below
            child = _name(re.match(r"[A-Za-z0-9_.\-]+", spec.strip()).group(0))
            if child not in seen:
                seen.add(child)
                todo.append((child, set(re.findall(r"\[([^\]]+)\]", spec)[0].split(",")) if "[" in spec else set()))
    return {name for name in seen if _installed(name)}


def _installed(name: str) -> bool:
    try:
        distribution(name)
        return True
    except PackageNotFoundError:
        return False


def test_every_installed_dependency_is_pinned_at_its_installed_version():
    pins = _pins()
    needed = _closure("planwise-navigator", {"dev", "ray"})
    assert {"dbt-core", "dbt-common", "dbt-adapters", "dbt-duckdb", "mashumaro", "jinja2", "protobuf",
            "duckdb", "pytest"} <= needed
    missing = sorted(needed - set(pins))
    assert not missing, f"add to constraints.txt: {missing}"
    wrong = {name: (pins[name], distribution(name).version) for name in needed
             if pins[name] != distribution(name).version}
    assert not wrong, f"constraints.txt pins differ from the installed versions: {wrong}"
