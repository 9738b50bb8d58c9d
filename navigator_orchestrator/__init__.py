"""PlanWise Navigator: event-sourced workforce and DC plan simulation.

Where things live:

- ``cli``: the ``navigator`` command: one module per command group, thin commands over one
  ``Context`` (``cli.context``) and the packages below.
- ``config``: the typed config schema (``schema``) and its linter (``lint``).
- ``census``: census contract, validation and loading (``intake``); synthetic censuses (``generate``).
- ``engine``: how a year is built: the year loop (``simulation``), where a run starts (``resume``),
  what it returns (``results``), in-process dbt (``dbt_runner``), the DuckDB file (``database``),
  publishing (``publish``), the plan of a run (``dry_run``), dbt by hand (``by_hand``).
- ``safety``: lock, backup and restore, checkpoints, run log.
- ``quality``: data-quality checks, tripwires after each year, ``navigator dq``.
- ``reporting``: year-end figures (``summary``), console audit, CSV/JSON files, HTML report,
  JSON-lines logs, employee timelines.
"""

__version__ = "0.1.0"
