{{ config(tags=["year"]) }}

-- The deferral rate in effect over the year, one row per plan design, employee and rate period: from the
-- first day employed in the year (at the Jan 1 rate) through the last, split at every
-- enrollment, deferral change, escalation and opt-out. Same-day events apply in timeline order,
-- so the last one of a day holds from that day on. Rates are exact decimals to six places.
with people as (
    select
        d.plan_design_id,
        w.employee_id,
        greatest(w.employee_hire_date, {{ year_start() }}) as employment_start,
        coalesce(w.termination_date, {{ year_end() }}) as employment_end,
        coalesce(s.deferral_rate, 0) as rate_at_start
    from {{ ref('int_workforce_snapshot_optimized') }} as w
    cross join {{ ref('int_plan_design_parameters') }} as d
    left join {{ ref('int_plan_start_state') }} as s
      on s.plan_design_id = d.plan_design_id and s.employee_id = w.employee_id
),

rate_events as (
    -- Each rate event with the date of the next one (int_plan_events orders them in one pass).
    -- Every rate event falls inside the person's employment in the year (int_enrollment_events
    -- and the escalation keep only those), so the Jan 1 rate holds until the first of them.
    select plan_design_id, employee_id, effective_date, employee_deferral_rate, next_effective_date,
           is_first_rate_event
    from {{ ref('int_plan_events') }}
    where event_type <> 'eligibility'
),

timeline as materialized (
    select p.*, e.effective_date, e.employee_deferral_rate, e.next_effective_date, e.is_first_rate_event
    from people as p
    left join rate_events as e using (plan_design_id, employee_id)
),

periods as (
    -- A period ends the day before the next change (an empty period, where a later event of
    -- the same day overrides, is left out below) or on the last day employed.
    select plan_design_id, employee_id, employment_start as period_start,
           coalesce(effective_date - 1, employment_end)::date as period_end, rate_at_start as deferral_rate
    from timeline
    where effective_date is null or is_first_rate_event
    union all
    select plan_design_id, employee_id, effective_date,
           coalesce(next_effective_date - 1, employment_end)::date, employee_deferral_rate
    from timeline
    where effective_date is not null
),

final as (
    select
        plan_design_id,
        employee_id,
        {{ var('simulation_year') }} as simulation_year,
        period_start,
        period_end,
        {{ deferral_rate_decimal('deferral_rate') }} as deferral_rate
    from periods
    where period_end >= period_start
)

select * from final
