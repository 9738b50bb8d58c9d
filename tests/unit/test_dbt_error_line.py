"""The one line a failed dbt node is reported by names its cause, in the shapes dbt gives."""
from __future__ import annotations

import pytest

from navigator_orchestrator.engine.dbt_runner import node_error_line

BINDER = """Runtime Error in model int_yearly_snapshot (models/intermediate/events/int_yearly_snapshot.sql)
  Binder Error: Referenced column "no_such_column" not found in FROM clause!
  Candidate bindings: "w.level_id"

  LINE 110: select *, no_such_column from final
                      ^^^^^^^^^^^^^^"""

PYTHON_REFUSAL = """Runtime Error in model fct_yearly_events (models/marts/fct_yearly_events.py)
  Python model failed:
  Traceback (most recent call last):
    File "/tmp/tmpyfak23jj.py", line 12, in model
      dbt.ref("int_yearly_events")
  navigator_orchestrator.engine.publish.PublishRefused: int_yearly_events holds scenario 'a' year 2027, not scenario 'a' year 2026; nothing was published."""

PYTHON_DUCKDB = """Runtime Error in model fct_yearly_events (models/marts/fct_yearly_events.py)
  Python model failed:
  Traceback (most recent call last):
  _duckdb.CatalogException: Catalog Error: Table with name int_yearly_events does not exist!
  Did you mean "simulation.fct_yearly_events"?"""


@pytest.mark.parametrize("message, line", [
    (BINDER, 'Binder Error: Referenced column "no_such_column" not found in FROM clause!'),
    (PYTHON_REFUSAL, "int_yearly_events holds scenario 'a' year 2027, not scenario 'a' year 2026; nothing was published."),
    (PYTHON_DUCKDB, "Catalog Error: Table with name int_yearly_events does not exist!"),
    ("Runtime Error in model m (m.sql)\n  Invalid Input Error: injected failure", "Invalid Input Error: injected failure"),
    ("Compilation Error in model m (m.sql)\n  plan design x: the match has no tiers\n  fix it",
     "plan design x: the match has no tiers fix it"),
    ("Compilation Error in operation p-on-run-start-1 (./dbt_project.yml)\n  int_x would read int_y from the work "
     "file; nothing was built\n  \n  > in macro require_year_inputs (macros/year_inputs.sql)\n"
     "  > called by operation p-on-run-start-1 (./dbt_project.yml)",
     "int_x would read int_y from the work file; nothing was built"),
    ("Database Error in model m (m.sql)\n  disk full", "Database Error in model m (m.sql): disk full"),
    ("", ""),
])
def test_a_failed_nodes_line_names_its_cause(message, line):
    assert node_error_line(message) == line
