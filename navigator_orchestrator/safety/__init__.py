"""Operational safety: database lock, backup and restore, checkpoints, run log."""
