{{ config(tags=["year"]) }}

-- The published snapshot row of each employee-year: workforce state plus plan state and money.
-- fct_workforce_snapshot appends this.
with workforce as (
    select * from {{ ref('int_workforce_snapshot_optimized') }}
),

final as (
    select
        '{{ var("scenario_id") }}' as scenario_id,
        '{{ var("plan_design_id") }}' as plan_design_id,
        '{{ var("run_id", "manual") }}' as run_id,
        w.simulation_year,
        w.employee_id,
        w.employment_status,
        w.detailed_status_code,
        w.employee_birth_date,
        w.employee_hire_date,
        w.termination_date,
        w.termination_category,
        w.starting_compensation::decimal(14, 2) as starting_compensation,
        w.current_compensation::decimal(14, 2) as current_compensation,
        w.prorated_annual_compensation::decimal(14, 2) as prorated_annual_compensation,
        w.days_employed,
        w.current_age,
        w.current_tenure,
        w.level_id
    from workforce as w
)

select * from final
