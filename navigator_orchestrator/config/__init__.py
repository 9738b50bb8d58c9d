"""Typed config schema (`schema`) and linter (`lint`)."""
