{{ config(tags=["year"]) }}

-- Plan eligibility of everyone employed in the year. The requirements are met on the later of
-- (hire date + waiting_period_days) and the day the person attains minimum_age; the eligibility
-- date is the first entry date on or after that (immediate: that day; monthly: the 1st of a
-- month; quarterly: Jan 1, Apr 1, Jul 1 or Oct 1). A person is eligible in the year once the
-- eligibility date falls on or before the last day employed in it.
with people as (
    select
        employee_id,
        employee_birth_date,
        employee_hire_date,
        termination_date,
        coalesce(termination_date, {{ year_end() }}) as employment_end
    from {{ ref('int_workforce_snapshot_optimized') }}
),

requirements as (
    select
        *,
        greatest(
            employee_hire_date + {{ var('eligibility_waiting_period_days') }},
            (employee_birth_date + interval ({{ var('eligibility_minimum_age') }}) year)::date
        ) as requirements_met_date
    from people
),

entry as (
    select
        *,
        {% if var('eligibility_entry_dates') == 'monthly' -%}
        case when day(requirements_met_date) = 1 then requirements_met_date
             else (date_trunc('month', requirements_met_date) + interval 1 month)::date end
        {%- elif var('eligibility_entry_dates') == 'quarterly' -%}
        case when day(requirements_met_date) = 1 and month(requirements_met_date) in (1, 4, 7, 10)
             then requirements_met_date
             else (date_trunc('quarter', requirements_met_date) + interval 3 month)::date end
        {%- else -%}
        requirements_met_date
        {%- endif %} as eligibility_date
    from requirements
),

final as (
    select
        employee_id,
        {{ var('simulation_year') }} as simulation_year,
        requirements_met_date,
        eligibility_date,
        eligibility_date <= employment_end as is_eligible,
        eligibility_date between {{ year_start() }} and employment_end as becomes_eligible_this_year
    from entry
)

select * from final
