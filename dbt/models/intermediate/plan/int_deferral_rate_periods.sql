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

change_points as (
    select plan_design_id, employee_id, employment_start as period_start, rate_at_start as deferral_rate,
           -1 as type_priority
    from people
    union all
    select plan_design_id, employee_id, effective_date, employee_deferral_rate, type_priority
    from {{ ref('int_plan_events') }}
    where event_type <> 'eligibility'
),

periods as (
    select
        c.plan_design_id,
        c.employee_id,
        c.period_start,
        {{ period_end('c.period_start', 'c.period_start, c.type_priority', 'p.employment_end',
                      'c.plan_design_id, c.employee_id') }} as period_end,
        c.deferral_rate
    from change_points as c
    join people as p using (plan_design_id, employee_id)
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
