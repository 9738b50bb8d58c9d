{{ config(tags=["year"]) }}

-- Plan eligibility of everyone employed in the year, one row per plan design and person (the
-- design's eligibility parameters: int_plan_design_parameters). The requirements are met on the later of
-- (hire date + waiting_period_days) and the day the person attains minimum_age; the eligibility
-- date is the first entry date on or after that (immediate: that day; monthly: the 1st of a
-- month; quarterly: Jan 1, Apr 1, Jul 1 or Oct 1). An eligibility date reached earlier is kept:
-- a census participant grandfathered at the census date (int_plan_start_state) stays eligible
-- from it. A person is eligible in the year once the eligibility date falls on or before the
-- last day employed in it.
with people as (
    select
        d.plan_design_id,
        d.eligibility_minimum_age,
        d.eligibility_waiting_period_days,
        d.eligibility_entry_dates,
        w.employee_id,
        w.employee_birth_date,
        w.employee_hire_date,
        w.termination_date,
        coalesce(w.termination_date, {{ year_end() }}) as employment_end,
        s.prior_eligibility_date
    from {{ ref('int_workforce_snapshot_optimized') }} as w
    cross join {{ ref('int_plan_design_parameters') }} as d
    left join {{ ref('int_plan_start_state') }} as s
      on s.plan_design_id = d.plan_design_id and s.employee_id = w.employee_id
),

requirements as (
    select
        *,
        greatest(
            employee_hire_date + eligibility_waiting_period_days,
            (employee_birth_date + to_years(eligibility_minimum_age))::date
        ) as requirements_met_date
    from people
),

entry as (
    select
        *,
        case eligibility_entry_dates
            when 'monthly' then
                case when day(requirements_met_date) = 1 then requirements_met_date
                     else (date_trunc('month', requirements_met_date) + interval 1 month)::date end
            when 'quarterly' then
                case when day(requirements_met_date) = 1 and month(requirements_met_date) in (1, 4, 7, 10)
                     then requirements_met_date
                     else (date_trunc('quarter', requirements_met_date) + interval 3 month)::date end
            else requirements_met_date
        end as entry_date
    from requirements
),

kept as (
    select
        *,
        least(entry_date, coalesce(prior_eligibility_date, entry_date)) as eligibility_date,
        prior_eligibility_date < entry_date as is_grandfathered
    from entry
),

final as (
    select
        plan_design_id,
        employee_id,
        {{ var('simulation_year') }} as simulation_year,
        requirements_met_date,
        eligibility_date,
        eligibility_date <= employment_end as is_eligible,
        eligibility_date between {{ year_start() }} and employment_end as becomes_eligible_this_year,
        coalesce(is_grandfathered, false) as is_grandfathered
    from kept
)

select * from final
