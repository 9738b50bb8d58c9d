{{ config(tags=["year"]) }}

-- Deferral auto-escalation on the configured effective day of the year. Who is escalated:
-- everyone employed on that day who, just before it, is a participant with a rate above 0 and
-- below maximum_rate; who was hired on or after hire_date_cutoff (when set); who enrolled
-- before the day and at least first_escalation_delay_days before it (census participants
-- count as enrolled long before); and who does not opt out this year. The new rate is
-- min(rate + increment_amount, maximum_rate): a rate is never lowered, and a rate at or above
-- the maximum is left alone.
{% set effective = month_day_date(var('escalation_effective_day')) %}

with people as (
    select
        w.employee_id,
        w.employee_hire_date,
        greatest(w.employee_hire_date, {{ year_start() }}) as employment_start,
        coalesce(w.termination_date, {{ year_end() }}) as employment_end,
        coalesce(s.deferral_rate, 0) as rate_at_start,
        s.enrollment_date as prior_enrollment_date,
        s.enrollment_category as prior_enrollment_category
    from {{ ref('int_workforce_snapshot_optimized') }} as w
    left join {{ ref('int_plan_start_state') }} as s using (employee_id)
),

events as (
    select * from {{ ref('int_enrollment_events') }}
),

before_effective as (
    -- The last election on or before the effective day (a same-day election comes first).
    select
        employee_id,
        -- Order key: the day, then enrollment before deferral_change on the same day.
        arg_max(employee_deferral_rate,
                date_diff('day', date '1900-01-01', effective_date) * 10
                + case event_type when 'enrollment' then 1 else 2 end) as rate,
        max(effective_date) filter (where event_type = 'enrollment') as enrolled_on,
        arg_max(event_category, effective_date) filter (where event_type = 'enrollment') as enrollment_category
    from events
    where effective_date <= {{ effective }} and event_type in ('enrollment', 'deferral_change')
    group by employee_id
),

opting_out as (
    select distinct employee_id from events where event_type = 'opt_out'
),

candidates as (
    select
        p.employee_id,
        coalesce(b.rate, p.rate_at_start) as rate_before,
        coalesce(b.enrolled_on, p.prior_enrollment_date) as enrollment_date,
        coalesce(b.enrollment_category, p.prior_enrollment_category) as enrollment_category,
        p.employee_hire_date
    from people as p
    left join before_effective as b using (employee_id)
    where {{ effective }} between p.employment_start and p.employment_end
      and p.employee_id not in (select employee_id from opting_out)
),

final as (
    select
        employee_id,
        {{ var('simulation_year') }} as simulation_year,
        'deferral_escalation' as event_type,
        'auto_escalation' as event_category,
        {{ effective }} as effective_date,
        least(rate_before + {{ var('escalation_increment') }}, {{ var('escalation_maximum_rate') }})::double
            as employee_deferral_rate,
        json_object('increment', {{ var('escalation_increment') }},
                    'maximum_rate', {{ var('escalation_maximum_rate') }},
                    'enrolled_on', enrollment_date) as event_details
    from candidates
    where {{ var('escalation_enabled') }}
      and rate_before > 0
      and rate_before < {{ var('escalation_maximum_rate') }}
      {% if var('escalation_hire_date_cutoff') -%}
      and employee_hire_date >= {{ sql_string(var("escalation_hire_date_cutoff")) }}::date
      {%- endif %}
      and (enrollment_category = 'census'
           or enrollment_date < {{ effective }} - {{ var('escalation_delay_days') }})
)

select * from final
