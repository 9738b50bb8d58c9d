{{ config(tags=["year"]) }}

-- Start population of the simulated year (stg_year_start_state: the census workforce in the
-- first year, the previous year's year-end actives after), with age and tenure as of Dec 31
-- of the simulated year. The start state has a row per plan design and person with the same
-- workforce in every design; the first design's rows are the population.
{% set year = var('simulation_year') | int %}

with start_population as (
    select
        employee_id,
        employee_birth_date,
        employee_hire_date,
        starting_compensation,
        level_id
    from {{ ref('stg_year_start_state') }}
    where is_active
      and plan_design_id = (select plan_design_id from {{ ref('int_plan_design_parameters') }} where design_order = 1)
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
