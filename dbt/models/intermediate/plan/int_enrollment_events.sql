{{ config(tags=["year"]) }}

-- Enrollment decisions of the year: census, auto, proactive and voluntary enrollments,
-- opt-outs and participant-initiated deferral changes (escalations are their own model).
-- Order inside the year and who is considered:
--   * census: a positive census rate enrolls the person on Jan 1 of the first simulated year,
--     or, when census participants are not grandfathered and have not met this plan's
--     eligibility, on their eligibility date (they defer nothing before it).
--   * auto-enrollment: non-participants in scope who never opted out. The window opens on the
--     later of the eligibility date and the first simulated day (or on the sweep day of a
--     re-enrollment sweep year); a proactive enrollee elects a rate from the elected-rate
--     distribution on a day inside the window, everyone else is enrolled at the default rate
--     when the window closes (window_days later). Opt-outs are drawn by age x income band,
--     dated inside the grace period and never after Dec 31 of the auto-enrollment year.
--   * voluntary: eligible non-participants outside auto-enrollment who never opted out enroll
--     with an annual probability by age x income band (higher in the year they become
--     eligible), at an elected rate.
--   * deferral change: participants on Jan 1 (census participants in the first year) re-elect
--     a rate with an annual probability, on a day drawn inside their employment.
-- Draws about one auto-enrollment episode are keyed by the year its window opens, so an
-- episode spanning a year end draws the same numbers in both years.
{% set year = var('simulation_year') | int %}
{% set sim_start = "make_date(" ~ var('start_year') ~ ", 1, 1)" %}
{% set sweep = year in var('re_enrollment_sweep_years') %}
{% set sweep_date = month_day_date(var('re_enrollment_sweep_day')) %}
{#- Who is in auto-enrollment scope by hire date: the configured cutoff; without one, hires of
    the simulation (new_hires_only) or everyone (all_eligible_employees). -#}
{% if var('auto_enrollment_hire_date_cutoff') %}
  {% set ae_cutoff = "date " ~ sql_string(var('auto_enrollment_hire_date_cutoff')) %}
{% elif var('auto_enrollment_scope') == 'new_hires_only' %}
  {% set ae_cutoff = sim_start %}
{% else %}
  {% set ae_cutoff = "date '1900-01-01'" %}
{% endif %}

with people as (
    select
        w.employee_id,
        w.employee_hire_date,
        w.current_age,
        greatest(w.employee_hire_date, {{ year_start() }}) as employment_start,
        coalesce(w.termination_date, {{ year_end() }}) as employment_end,
        e.eligibility_date,
        coalesce(s.is_enrolled, false) as enrolled_at_start,
        coalesce(s.deferral_rate, 0) as rate_at_start,
        coalesce(s.ever_opted_out, false) as ever_opted_out,
        s.census_deferral_rate,
        -- The first day a census participant's census rate is in effect.
        case when s.census_deferral_rate is not null
             then greatest(e.eligibility_date, greatest(w.employee_hire_date, {{ year_start() }})) end
            as census_entry_date,
        {{ plan_age_band('w.current_age') }} as age_band,
        {{ plan_income_band('w.starting_compensation') }} as income_band
    from {{ ref('int_workforce_snapshot_optimized') }} as w
    join {{ ref('int_plan_eligibility') }} as e using (employee_id)
    left join {{ ref('int_plan_start_state') }} as s using (employee_id)
),

elected_rates as (
    select
        age_band,
        income_band,
        deferral_rate,
        coalesce(sum(weight) over (partition by age_band, income_band order by deferral_rate
                                   rows between unbounded preceding and 1 preceding), 0)
            / sum(weight) over (partition by age_band, income_band) as cum_from,
        sum(weight) over (partition by age_band, income_band order by deferral_rate)
            / sum(weight) over (partition by age_band, income_band) as cum_to
    from {{ ref('config_plan_elected_rates') }}
),

non_participants as (
    select *
    from people
    where not enrolled_at_start
      and census_deferral_rate is null
      and eligibility_date <= employment_end
),

-- ----- census ---------------------------------------------------------------
census as (
    select
        employee_id, 'enrollment' as event_type, 'census' as event_category,
        census_entry_date as effective_date, census_deferral_rate as employee_deferral_rate,
        json_object('source', 'census') as event_details
    from people
    where census_deferral_rate is not null
),

-- ----- auto-enrollment episodes ---------------------------------------------
in_scope as (
    select *
    from non_participants
    where {{ var('auto_enrollment_enabled') }}
      and not ever_opted_out
      and employee_hire_date >= {{ ae_cutoff }}
),

episodes as (
{% if sweep %}
    -- Re-enrollment sweep: every eligible non-participant employed on the sweep day, opted out
    -- or not, is auto-enrolled that day (no proactive window).
    select
        employee_id, age_band, income_band, employment_end,
        {{ sweep_date }} as window_open,
        {{ sweep_date }} as window_close,
        true as is_sweep
    from non_participants
    where {{ var('auto_enrollment_enabled') }}
      and eligibility_date <= {{ sweep_date }}
      and {{ sweep_date }} between employment_start and employment_end
    union all
{% endif %}
    select
        employee_id, age_band, income_band, employment_end,
        greatest(eligibility_date, {{ sim_start }}) as window_open,
        greatest(greatest(eligibility_date, {{ sim_start }}) + {{ var('auto_enrollment_window_days') }},
                 {{ year_start() }}) as window_close,
        false as is_sweep
    from in_scope
    {% if sweep %}
    where not ({{ sweep_date }} between employment_start and employment_end
               and eligibility_date <= {{ sweep_date }})
    {% endif %}
),

episode_draws as (
    select
        e.*,
        {{ uniform('e.employee_id', 'proactive_enrollment', 'year(e.window_open)') }} as u_proactive,
        {{ uniform('e.employee_id', 'proactive_enrollment_day', 'year(e.window_open)') }} as u_proactive_day,
        {{ uniform('e.employee_id', 'proactive_enrollment_rate', 'year(e.window_open)') }} as u_rate,
        {{ uniform('e.employee_id', 'opt_out', 'year(e.window_open)') }} as u_opt_out,
        {{ uniform('e.employee_id', 'opt_out_day', 'year(e.window_open)') }} as u_opt_out_day
    from episodes as e
),

episode_outcomes as (
    select
        d.*,
        not d.is_sweep and {{ var('proactive_enrollment_enabled') }}
            and d.u_proactive < {{ var('proactive_enrollment_probability') }} as is_proactive,
        (d.window_open + cast(floor(d.u_proactive_day * {{ var('auto_enrollment_window_days') }}) as integer))
            as proactive_date,
        d.u_opt_out < least(1.0, o.opt_out_rate * {{ var('opt_out_rate_multiplier') }}) as opts_out,
        o.opt_out_rate * {{ var('opt_out_rate_multiplier') }} as opt_out_probability,
        least(d.window_close + cast(floor(d.u_opt_out_day * ({{ var('opt_out_grace_period_days') }} + 1)) as integer),
              make_date(year(d.window_close), 12, 31)) as opt_out_date
    from episode_draws as d
    left join {{ ref('config_plan_opt_out_rates') }} as o using (age_band, income_band)
),

auto_enrollments as (
    select
        employee_id, 'enrollment' as event_type, 'auto' as event_category,
        window_close as effective_date,
        {{ var('auto_enrollment_default_deferral_rate') }}::double as employee_deferral_rate,
        json_object('window_open', window_open, 'sweep', is_sweep,
                    'opt_out_probability', round(opt_out_probability, 6)) as event_details
    from episode_outcomes
    where not is_proactive
),

opt_outs as (
    select
        employee_id, 'opt_out' as event_type, 'auto_enrollment_opt_out' as event_category,
        opt_out_date as effective_date, 0.0::double as employee_deferral_rate,
        json_object('auto_enrolled_on', window_close, 'grace_period_days',
                    {{ var('opt_out_grace_period_days') }}, 'sweep', is_sweep) as event_details
    from episode_outcomes
    where not is_proactive and opts_out
),

proactive as (
    select
        o.employee_id, 'enrollment' as event_type, 'proactive' as event_category,
        o.proactive_date as effective_date, r.deferral_rate as employee_deferral_rate,
        json_object('window_open', o.window_open, 'window_close', o.window_close) as event_details
    from episode_outcomes as o
    join elected_rates as r
      on r.age_band = o.age_band and r.income_band = o.income_band
     and o.u_rate >= r.cum_from and o.u_rate < r.cum_to
    where o.is_proactive
),

-- ----- voluntary enrollment -------------------------------------------------
voluntary_candidates as (
    select
        n.*,
        case when n.eligibility_date >= {{ year_start() }} then v.first_year_probability
             else v.later_year_probability end * {{ var('voluntary_enrollment_multiplier') }} as probability,
        greatest(n.eligibility_date, n.employment_start) as window_start,
        {{ uniform('n.employee_id', 'voluntary_enrollment') }} as u_enroll,
        {{ uniform('n.employee_id', 'voluntary_enrollment_day') }} as u_day,
        {{ uniform('n.employee_id', 'voluntary_enrollment_rate') }} as u_rate
    from non_participants as n
    join {{ ref('config_plan_voluntary_enrollment') }} as v using (age_band, income_band)
    where {{ var('voluntary_enrollment_enabled') }}
      and not n.ever_opted_out
      and n.employee_id not in (select employee_id from episodes)
),

voluntary as (
    select
        c.employee_id, 'enrollment' as event_type, 'voluntary' as event_category,
        (c.window_start + cast(floor(c.u_day * (date_diff('day', c.window_start, c.employment_end) + 1)) as integer))
            as effective_date,
        r.deferral_rate as employee_deferral_rate,
        json_object('annual_probability', round(c.probability, 6)) as event_details
    from voluntary_candidates as c
    join elected_rates as r
      on r.age_band = c.age_band and r.income_band = c.income_band
     and c.u_rate >= r.cum_from and c.u_rate < r.cum_to
    where c.u_enroll < c.probability
),

-- ----- deferral changes by participants -------------------------------------
deferral_changes as (
    select
        p.employee_id, 'deferral_change' as event_type, 'participant_election' as event_category,
        (coalesce(p.census_entry_date, p.employment_start)
            + cast(floor({{ uniform('p.employee_id', 'deferral_change_day') }}
            * (date_diff('day', coalesce(p.census_entry_date, p.employment_start), p.employment_end) + 1)) as integer))
            as effective_date,
        r.deferral_rate as employee_deferral_rate,
        json_object('previous_election', coalesce(p.census_deferral_rate, p.rate_at_start)) as event_details
    from people as p
    join elected_rates as r
      on r.age_band = p.age_band and r.income_band = p.income_band
     and {{ uniform('p.employee_id', 'deferral_change_rate') }} >= r.cum_from
     and {{ uniform('p.employee_id', 'deferral_change_rate') }} < r.cum_to
    -- Participants on Jan 1: carried over, or census participants (from their census entry).
    where coalesce(p.census_deferral_rate, p.rate_at_start) > 0
      and coalesce(p.census_entry_date, p.employment_start) <= p.employment_end
      and {{ uniform('p.employee_id', 'deferral_change') }} < {{ var('deferral_change_probability') }}
      and r.deferral_rate <> coalesce(p.census_deferral_rate, p.rate_at_start)
),

all_events as (
    select * from census
    union all select * from auto_enrollments
    union all select * from opt_outs
    union all select * from proactive
    union all select * from voluntary
    union all select * from deferral_changes
),

final as (
    select
        e.employee_id,
        {{ year }} as simulation_year,
        e.event_type,
        e.event_category,
        e.effective_date::date as effective_date,
        e.employee_deferral_rate,
        e.event_details
    from all_events as e
    join people as p using (employee_id)
    -- Only what happens this year, while employed.
    where e.effective_date between p.employment_start and p.employment_end
)

select * from final
