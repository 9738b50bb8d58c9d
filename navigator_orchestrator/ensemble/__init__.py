"""Seed ensembles: N complete runs of one scenario that differ only in their random seed, and the
percentile bands of their compare figures (`navigator ensemble`, docs/ensembles.md).

`layout` (the directory, its seeds and which are finished), `executors` (a local process pool or
Ray tasks, each seed a `navigator run` child process started by `worker`), `runner` (skip,
run, retry, stop), `stats` (percentiles and their definition), `summary` (ensemble.duckdb and the
CSV), `report` (the HTML report with bands).
"""
