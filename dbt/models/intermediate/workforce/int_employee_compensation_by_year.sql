{{ config(tags=["year"]) }}
-- depends_on: {{ ref('int_baseline_workforce') }}

-- Start population of the simulated year: year 1 is the baseline census workforce,
-- every later year is the previous year's year-end actives from the published snapshot.
-- Age and tenure are as of Dec 31 of the simulated year.
{% set year = var('simulation_year') | int %}

with start_population as (
    select
        employee_id,
        employee_birth_date,
        employee_hire_date,
        current_compensation as starting_compensation,
        level_id
{% if year == var('start_year') | int %}
    from {{ ref('int_baseline_workforce') }}
{% else %}
    from {{ source('navigator', 'fct_workforce_snapshot') }}
    where scenario_id = {{ slug_var("scenario_id") }}
      and plan_design_id = {{ slug_var("plan_design_id") }}
      and simulation_year = {{ year - 1 }}
      and employment_status = 'active'
{% endif %}
),

final as (
    select
        employee_id,
        {{ year }} as simulation_year,
        employee_birth_date,
        employee_hire_date,
        starting_compensation,
        level_id,
        {{ years_between('employee_birth_date', year_end()) }} as current_age,
        {{ years_between('employee_hire_date', year_end()) }} as current_tenure
    from start_population
)

select * from final
