{{ config(tags=["year"]) }}

-- The plan designs of the invocation as data: one row per design, one typed column per plan
-- parameter, from the one var `plan_designs` (SimulationConfig.to_dbt_vars: a list with one
-- mapping per design). Every plan model joins this on plan_design_id instead of reading vars,
-- so a year of N designs is one set-based pass over N x the rows. `design_order` is the
-- design's place in the list (1 = the first). The parameters, their types and the SQL are in
-- macros/plan_designs.sql (generic tests read the same SQL); adding one: docs/plan_designs.md.

{{ plan_design_parameters() }}
