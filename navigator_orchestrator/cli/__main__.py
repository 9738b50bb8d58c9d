"""`python -m navigator_orchestrator.cli`: the `navigator` program."""

from navigator_orchestrator.cli import entry

entry()
