{#-
  The plan designs' parameters that are lists of records (JSON columns of
  int_plan_design_parameters, macros/plan_designs.sql), as rows, for the models that read
  them: each selects them itself (a few rows per design), so they cost no dbt node of their own.
  The singular tests in tests/designs/ check the rows.
-#}

{#-
  Each design's vesting schedules (config `vesting.match`, `vesting.core`: config/accounts.py)
  as rows, from the JSON columns of int_plan_design_parameters: one row per design, employer
  source and step: from `years` completed years of vesting service on, `vested_percentage`
  percent (0-100) of the source is vested; 0% before the first step. Employee deferrals have no
  schedule: always 100% vested (IRC 411(a)(1)). Read by int_employee_accounts; the test
  plan_design_vesting_steps_are_valid checks the rows.
-#}
{% macro plan_design_vesting_steps() -%}
  select
      plan_design_id,
      source,
      (step ->> 'years')::integer as years,
      (step ->> 'percent')::decimal(5, 2) as vested_percentage
  from (
      select plan_design_id, 'employer_match' as source,
             unnest(from_json(vesting_match_schedule, '["JSON"]')) as step
      from {{ ref('int_plan_design_parameters') }}
      union all
      select plan_design_id, 'employer_core', unnest(from_json(vesting_core_schedule, '["JSON"]'))
      from {{ ref('int_plan_design_parameters') }}
  )
{%- endmacro %}

{#-
  Each design's graded core rates (employer_core_contribution.graded_by_service, graded_by_age
  or graded_by_points; which one: core_grade_basis) as rows, from the JSON column core_grades of
  int_plan_design_parameters: one row per design and grade: for a person whose service years,
  age or points on Dec 31 lie in band_min..band_max (band_max null: up to the next grade, or no
  upper end), `rate` of core pay (a fraction, exact to 8 places). A design without grades has no
  rows and pays core_contribution_rate to everyone eligible; so does a person below the first
  grade. Read by int_employee_contributions; the test plan_design_core_grades_are_valid checks
  the rows.
-#}
{% macro plan_design_core_grades() -%}
  select
      plan_design_id,
      (g ->> 'band_min')::integer as band_min,
      (g ->> 'band_max')::integer as band_max,
      (g ->> 'rate')::decimal(18, 8) as rate
  from (
      select plan_design_id, unnest(from_json(core_grades, '["JSON"]')) as g
      from {{ ref('int_plan_design_parameters') }}
  )
{%- endmacro %}

{#-
  The tiers of each design's active match formula (employer_match.formulas.<active_formula>) as
  rows, from the JSON column match_tiers of int_plan_design_parameters: one row per design, band
  and tier: for a participant whose band value (match_band_basis: none, service years or points
  on Dec 31) lies in band_min..band_max (band_max null: no upper end), match_rate x the
  deferrals between employee_min and employee_max of match pay, the band's match capped at its
  max_match_percentage of match pay (fractions of pay; rates exact to 8 places). A tiered
  formula is one band from 0 with no upper end. Read by int_employee_contributions and
  int_enrollment_events (a few rows per design, made in each); the test
  plan_design_match_tiers_are_valid checks the rows.
-#}
{% macro plan_design_match_tiers() -%}
  select
      plan_design_id,
      (t ->> 'band_min')::integer as band_min,
      (t ->> 'band_max')::integer as band_max,
      (t ->> 'max_match_percentage')::decimal(18, 8) as max_match_percentage,
      (t ->> 'tier')::integer as tier,
      (t ->> 'employee_min')::decimal(18, 8) as employee_min,
      (t ->> 'employee_max')::decimal(18, 8) as employee_max,
      (t ->> 'match_rate')::decimal(18, 8) as match_rate
  from (
      select plan_design_id, unnest(from_json(match_tiers, '["JSON"]')) as t
      from {{ ref('int_plan_design_parameters') }}
  )
{%- endmacro %}
