{{ config(tags=["year"]) }}

-- What the top-heavy test of a year needs from the previous simulated year's published rows,
-- one row per plan design and person with any: the distributions paid in that year (added
-- back to the balances at the determination date, IRC 416(g)(3)) and whether the person was a
-- key employee in it or before (a former key employee is left out, IRC 416(g)(4)(B)). None in
-- the first simulated year (the census carries neither). Both published tables are read as
-- sources (fct_employee_accounts, fct_ndt_employee_results), like stg_year_start_state reads
-- the snapshot, so the DAG has no cycle.
-- Built after stg_year_start_state: both look the published tables up while compiling, and
-- dbt's relation cache fills from the first lookup, so a second lookup at the same time could
-- see it half filled.
-- depends_on: {{ ref('stg_year_start_state') }}
{%- set year = var('simulation_year') | int %}
{%- set start_year = var('start_year') | int %}
{%- set accounts = source('navigator', 'fct_employee_accounts') %}
{%- set results = source('navigator', 'fct_ndt_employee_results') %}
{%- set accounts_exist = true %}
{%- set results_exist = true %}
{#- A unit test gives the sources as fixtures (no database): they exist. #}
{%- if execute and accounts.database is not none %}
  {%- set accounts_exist = adapter.get_relation(accounts.database, accounts.schema, accounts.identifier) is not none %}
  {%- set relation = adapter.get_relation(results.database, results.schema, results.identifier) %}
  {%- set results_exist = relation is not none %}
  {%- if relation is not none and year > start_year %}
    {%- set names = adapter.get_columns_in_relation(relation) | map(attribute='name') | list %}
    {%- if 'is_key_employee' not in names or 'former_key_employee' not in names %}
      {{ exceptions.raise_compiler_error(
          "fct_ndt_employee_results in this database has no key employee columns: it was written by an "
          ~ "earlier version of navigator; simulate into a new --database (or with setup.clear_mode: all)") }}
    {%- endif %}
  {%- endif %}
{%- endif %}

with designs as (
    select plan_design_id from {{ ref('int_plan_design_parameters') }} where ndt_enabled
),

distributions as (
{%- if accounts_exist and year > start_year %}
    select a.plan_design_id, a.employee_id, sum(a.distribution)::decimal(14, 2) as prior_year_distribution
    from {{ accounts }} as a
    where a.scenario_id = {{ slug_var("scenario_id") }}
      and a.simulation_year = {{ year - 1 }}
      and a.plan_design_id in (select plan_design_id from designs)
      and a.distribution <> 0
    group by a.plan_design_id, a.employee_id
{%- else %}
    select null::varchar as plan_design_id, null::varchar as employee_id,
           null::decimal(14, 2) as prior_year_distribution
    where false
{%- endif %}
),

keys as (
{%- if results_exist and year > start_year %}
    select r.plan_design_id, r.employee_id, true as was_key_employee
    from {{ results }} as r
    where r.scenario_id = {{ slug_var("scenario_id") }}
      and r.simulation_year = {{ year - 1 }}
      and r.test = 'top_heavy'
      and r.plan_design_id in (select plan_design_id from designs)
      and (r.is_key_employee or r.former_key_employee)
{%- else %}
    select null::varchar as plan_design_id, null::varchar as employee_id, null::boolean as was_key_employee
    where false
{%- endif %}
),

final as (
    select
        coalesce(d.plan_design_id, k.plan_design_id) as plan_design_id,
        coalesce(d.employee_id, k.employee_id) as employee_id,
        coalesce(d.prior_year_distribution, 0)::decimal(14, 2) as prior_year_distribution,
        coalesce(k.was_key_employee, false) as was_key_employee
    from distributions as d
    full outer join keys as k on k.plan_design_id = d.plan_design_id and k.employee_id = d.employee_id
)

select * from final
