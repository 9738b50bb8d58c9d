"""Data-quality checks, per-year tripwires and `navigator dq`."""
