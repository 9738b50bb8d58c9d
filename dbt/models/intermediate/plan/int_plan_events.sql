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

-- Deferral auto-escalation (the deferral_escalation events) on the configured effective day
-- of the year, per plan design (its escalation parameters: int_plan_design_parameters). Who is
-- escalated: everyone employed on that day who, just before it, is a participant with a rate
-- above 0 and below maximum_rate; who was hired on or after hire_date_cutoff (when set); who
-- enrolled before the day and at least first_escalation_delay_days before it (census
-- participants count as enrolled long before); and who does not opt out this year. The new
-- rate is min(rate + increment_amount, maximum_rate): a rate is never lowered, and a rate at or
-- above the maximum is left alone.
escalation_designs as (
    select
        plan_design_id,
        escalation_enabled,
        escalation_increment,
        escalation_maximum_rate,
        escalation_hire_date_cutoff,
        escalation_delay_days,
        {{ month_day_date('escalation_effective_day') }} as escalation_date
    from {{ ref('int_plan_design_parameters') }}
    where escalation_enabled
),

escalation_people as (
    select
        d.plan_design_id,
        d.escalation_date,
        w.employee_id,
        w.employee_hire_date,
        greatest(w.employee_hire_date, {{ year_start() }}) as employment_start,
        coalesce(w.termination_date, {{ year_end() }}) as employment_end,
        coalesce(s.deferral_rate, 0) as rate_at_start,
        s.enrollment_date as prior_enrollment_date,
        s.enrollment_category as prior_enrollment_category
    from {{ ref('int_workforce_snapshot_optimized') }} as w
    cross join escalation_designs as d
    left join {{ ref('int_plan_start_state') }} as s
      on s.plan_design_id = d.plan_design_id and s.employee_id = w.employee_id
),

escalation_elections as (
    select e.*, d.escalation_date
    from {{ ref('int_enrollment_events') }} as e
    join escalation_designs as d using (plan_design_id)
),

escalation_before as (
    -- The last election on or before the effective day (a same-day election comes first).
    select
        plan_design_id,
        employee_id,
        -- Order key: the day, then enrollment before deferral_change on the same day.
        arg_max(employee_deferral_rate,
                date_diff('day', date '1900-01-01', effective_date) * 10
                + case event_type when 'enrollment' then 1 else 2 end) as rate,
        max(effective_date) filter (where event_type = 'enrollment') as enrolled_on,
        arg_max(event_category, effective_date) filter (where event_type = 'enrollment') as enrollment_category
    from escalation_elections
    where effective_date <= escalation_date and event_type in ('enrollment', 'deferral_change')
    group by plan_design_id, employee_id
),

escalation_opting_out as (
    select distinct plan_design_id, employee_id from escalation_elections where event_type = 'opt_out'
),

escalation_candidates as (
    select
        p.plan_design_id,
        p.escalation_date,
        p.employee_id,
        coalesce(b.rate, p.rate_at_start) as rate_before,
        coalesce(b.enrolled_on, p.prior_enrollment_date) as enrollment_date,
        coalesce(b.enrollment_category, p.prior_enrollment_category) as enrollment_category,
        p.employee_hire_date
    from escalation_people as p
    left join escalation_before as b using (plan_design_id, employee_id)
    anti join escalation_opting_out as o on o.plan_design_id = p.plan_design_id and o.employee_id = p.employee_id
    where p.escalation_date between p.employment_start and p.employment_end
),

escalation as (
    select
        c.plan_design_id,
        c.employee_id,
        {{ var('simulation_year') }} as simulation_year,
        'deferral_escalation' as event_type,
        'auto_escalation' as event_category,
        c.escalation_date as effective_date,
        least(c.rate_before + d.escalation_increment, d.escalation_maximum_rate)::double
            as employee_deferral_rate,
        json_object('increment', d.escalation_increment,
                    'maximum_rate', d.escalation_maximum_rate,
                    'enrolled_on', c.enrollment_date) as event_details
    from escalation_candidates as c
    join escalation_designs as d using (plan_design_id)
    where c.rate_before > 0
      and c.rate_before < d.escalation_maximum_rate
      and (d.escalation_hire_date_cutoff is null or c.employee_hire_date >= d.escalation_hire_date_cutoff)
      and (c.enrollment_category = 'census'
           or c.enrollment_date < c.escalation_date - d.escalation_delay_days)
),

rate_events as (
    select plan_design_id, employee_id, event_type, event_category, effective_date, employee_deferral_rate,
           event_details
    from {{ ref('int_enrollment_events') }}
    union all
    select plan_design_id, employee_id, event_type, event_category, effective_date, employee_deferral_rate,
           event_details
    from escalation
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
        coalesce(lag(o.employee_deferral_rate) over timeline, s.rate_at_start, 0) as prev_employee_deferral_rate,
        -- The same pass gives int_deferral_rate_periods where each rate period ends, and the
        -- snapshot the state after the last event (the latest enrollment and opt-out so far).
        lead(o.effective_date) over timeline as next_effective_date,
        row_number() over timeline = 1 as is_first_rate_event,
        max(o.effective_date) filter (where o.event_type = 'enrollment') over timeline as latest_enrollment_date,
        arg_max(o.event_category, o.effective_date) filter (where o.event_type = 'enrollment') over timeline
            as latest_enrollment_category,
        max(o.effective_date) filter (where o.event_type = 'opt_out') over timeline as latest_opt_out_date,
        o.event_details,
        o.type_priority
    from ordered as o
    left join start_state as s using (plan_design_id, employee_id)
    window timeline as (partition by o.plan_design_id, o.employee_id order by o.effective_date, o.type_priority)
),

final as (
    select
        plan_design_id, employee_id, {{ var('simulation_year') }} as simulation_year, event_type, event_category,
        effective_date, employee_deferral_rate, prev_employee_deferral_rate, next_effective_date,
        is_first_rate_event, latest_enrollment_date, latest_enrollment_category, latest_opt_out_date,
        event_details, type_priority
    from with_previous
    union all
    select
        plan_design_id, employee_id, {{ var('simulation_year') }}, event_type, event_category, effective_date,
        null, null, null, null, null, null, null, event_details, 0
    from eligibility
)

select * from final
