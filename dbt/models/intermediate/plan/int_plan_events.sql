{{ config(tags=["year"]) }}

-- Every plan event of the year in one ordered timeline per plan design and employee: eligibility, enrollment,
-- deferral_change, deferral_escalation, opt_out (same-day ties in that order, as in
-- int_yearly_events), each with the deferral rate before and after it.
with start_state as (
    select plan_design_id, employee_id, coalesce(deferral_rate, 0) as rate_at_start
    from {{ ref('int_plan_start_state') }}
),

eligibility as (
    select
        e.plan_design_id, e.employee_id, 'eligibility' as event_type, 'plan_eligibility' as event_category,
        e.eligibility_date as effective_date, null::double as employee_deferral_rate,
        json_object('requirements_met_date', e.requirements_met_date,
                    'minimum_age', p.eligibility_minimum_age,
                    'waiting_period_days', p.eligibility_waiting_period_days,
                    'entry_dates', p.eligibility_entry_dates) as event_details
    from {{ ref('int_plan_eligibility') }} as e
    join {{ ref('int_plan_design_parameters') }} as p using (plan_design_id)
    where e.becomes_eligible_this_year
),

rate_events as (
    select plan_design_id, employee_id, event_type, event_category, effective_date, employee_deferral_rate,
           event_details
    from {{ ref('int_enrollment_events') }}
    union all
    select plan_design_id, employee_id, event_type, event_category, effective_date, employee_deferral_rate,
           event_details
    from {{ ref('int_deferral_escalation_events') }}
),

ordered as (
    select
        r.*,
        case r.event_type when 'enrollment' then 1 when 'deferral_change' then 2
                          when 'deferral_escalation' then 3 else 4 end as type_priority
    from rate_events as r
),

with_previous as (
    select
        o.plan_design_id, o.employee_id, o.event_type, o.event_category, o.effective_date,
        o.employee_deferral_rate,
        coalesce(
            lag(o.employee_deferral_rate) over (
                partition by o.plan_design_id, o.employee_id order by o.effective_date, o.type_priority),
            s.rate_at_start, 0) as prev_employee_deferral_rate,
        o.event_details,
        o.type_priority
    from ordered as o
    left join start_state as s using (plan_design_id, employee_id)
),

final as (
    select
        plan_design_id, employee_id, {{ var('simulation_year') }} as simulation_year, event_type, event_category,
        effective_date, employee_deferral_rate, prev_employee_deferral_rate, event_details, type_priority
    from with_previous
    union all
    select
        plan_design_id, employee_id, {{ var('simulation_year') }}, event_type, event_category, effective_date,
        null, null, event_details, 0
    from eligibility
)

select * from final
