"""Account activity per employee, source and year: opening, contributions, return, distribution,
forfeiture and closing balance (docs/plan.md, "Accounts").

Published year by year. Materialization `published` (dbt/macros/published.sql): running this
model publishes the year its vars name to every fct_* table in one transaction, with the
orchestrator's own code (navigator_orchestrator.engine.publish), or refuses with nothing
written. The refs are the year-only tables every publish appends from.
"""


def model(dbt, session):
    dbt.config(materialized="published")  # dbt gives a Python model `table` otherwise
    from navigator_orchestrator.engine.publish import work_tables_built

    with work_tables_built(session):  # a year never built: one refusal, not a catalog error
        dbt.ref("int_yearly_events")
        dbt.ref("int_yearly_snapshot")
        dbt.ref("int_employer_match_events")
        dbt.ref("int_ndt_results")
        dbt.ref("int_ndt_employee_results")
        dbt.ref("int_plan_year_summary")
        dbt.ref("int_yearly_accounts")
    # Selected together, they publish one after another (each publish is the same, whole).
    dbt.ref("fct_plan_year_summary")
    return None
