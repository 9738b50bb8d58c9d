{{ config(tags=["year"]) }}

-- Enrollment decisions of the year, one set per plan design (its enrollment parameters:
-- int_plan_design_parameters): census, auto, proactive and voluntary enrollments, opt-outs and
-- participant-initiated deferral changes (escalations are their own model).
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
--   * match responsiveness: a rate a person chooses (proactive, voluntary, deferral change)
--     below the one that earns the design's full match is raised to it with probability
--     match_responsive_share (a draw of stream match_responsive, keyed like the rate's draw).
-- Draws about one auto-enrollment episode are keyed by the year its window opens, so an
-- episode spanning a year end draws the same numbers in both years. Draws are keyed by
-- (seed, year, employee, stream), never by design: every design sees the same numbers.
{% set year = var('simulation_year') | int %}
{% set sim_start = "make_date(" ~ (var('start_year') | int) ~ ", 1, 1)" %}

with designs as (
    select
        *,
        list_contains(re_enrollment_sweep_years, {{ year }}) as is_sweep_year,
        {{ month_day_date('re_enrollment_sweep_day') }} as sweep_date,
        -- Who is in auto-enrollment scope by hire date: the configured cutoff; without one,
        -- hires of the simulation (new_hires_only) or everyone (all_eligible_employees).
        coalesce(auto_enrollment_hire_date_cutoff,
                 case when auto_enrollment_scope = 'new_hires_only' then {{ sim_start }}
                      else date '1900-01-01' end) as ae_cutoff
    from {{ ref('int_plan_design_parameters') }}
),

people as (
    select
        e.plan_design_id,
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
    left join {{ ref('int_plan_start_state') }} as s using (plan_design_id, employee_id)
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

-- The deferral rate that earns the full match, per design and band of its formula: where the
-- band's tiers' match, summed from the lowest tier up, first reaches the band's maximum (the
-- tiers' total capped at the band's max_match_percentage): 6% for 50% of the first 6%, 5% for
-- 100% of 3% + 50% of the next 2%. Only designs with a match and match responsiveness.
match_tiers as (
    select
        t.plan_design_id,
        t.band_min,
        t.band_max,
        t.employee_min,
        t.employee_max,
        t.match_rate,
        coalesce(sum(t.match_rate * (t.employee_max - t.employee_min)) over (
            partition by t.plan_design_id, t.band_min order by t.employee_min
            rows between unbounded preceding and 1 preceding), 0) as match_below,
        least(t.max_match_percentage, sum(t.match_rate * (t.employee_max - t.employee_min)) over (
            partition by t.plan_design_id, t.band_min)) as full_match
    from ({{ plan_design_match_tiers() }}) as t
    join designs as d using (plan_design_id)
    where t.match_rate > 0 and d.match_enabled and d.match_responsive_enabled
),

full_match_bands as (
    select
        plan_design_id,
        band_min,
        any_value(band_max) as band_max,
        {{ deferral_rate_decimal('min(employee_min + (full_match - match_below) / match_rate)') }} as full_match_rate
    from match_tiers
    where match_below + match_rate * (employee_max - employee_min) >= full_match
    group by plan_design_id, band_min
),

-- A formula without bands has one full-match rate for everyone.
full_match_designs as (
    select b.plan_design_id, b.full_match_rate
    from full_match_bands as b
    join designs as d using (plan_design_id)
    where d.match_band_basis = 'none'
),

-- With bands, each person's full-match rate is that of the band their service years or points
-- (age + service years) on Dec 31 fall in, service counted as int_contribution_inputs counts it.
band_values as (
    select
        p.plan_design_id,
        p.employee_id,
        case d.match_band_basis
            when 'service' then {{ service_years('coalesce(v.vesting_service_start_date, p.employee_hire_date)', 'p.employment_end') }}
            when 'points' then p.current_age
                + {{ service_years('coalesce(v.vesting_service_start_date, p.employee_hire_date)', 'p.employment_end') }}
        end as match_band_value
    from people as p
    join designs as d using (plan_design_id)
    left join {{ ref('stg_year_start_state') }} as v
      on v.plan_design_id = p.plan_design_id and v.employee_id = p.employee_id and v.is_active
    where d.match_band_basis <> 'none' and p.plan_design_id in (select plan_design_id from full_match_bands)
),

full_match_people as (
    select v.plan_design_id, v.employee_id, b.full_match_rate
    from band_values as v
    join full_match_bands as b
      on b.plan_design_id = v.plan_design_id
     and v.match_band_value >= b.band_min
     and (b.band_max is null or v.match_band_value <= b.band_max)
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
        plan_design_id, employee_id, 'enrollment' as event_type, 'census' as event_category,
        census_entry_date as effective_date, census_deferral_rate as employee_deferral_rate,
        json_object('source', 'census') as event_details
    from people
    where census_deferral_rate is not null
),

-- ----- auto-enrollment episodes ---------------------------------------------
auto_candidates as (
    select
        n.*,
        d.auto_enrollment_window_days,
        d.is_sweep_year,
        d.sweep_date,
        -- Re-enrollment sweep: every eligible non-participant employed on the sweep day of a
        -- sweep year, opted out or not, is auto-enrolled that day (no proactive window).
        d.is_sweep_year and n.eligibility_date <= d.sweep_date
            and d.sweep_date between n.employment_start and n.employment_end as is_swept,
        not n.ever_opted_out and n.employee_hire_date >= d.ae_cutoff as is_in_scope
    from non_participants as n
    join designs as d using (plan_design_id)
    where d.auto_enrollment_enabled
),

episodes as (
    select
        plan_design_id, employee_id, age_band, income_band, employment_end,
        case when is_swept then sweep_date else greatest(eligibility_date, {{ sim_start }}) end as window_open,
        case when is_swept then sweep_date
             else greatest(greatest(eligibility_date, {{ sim_start }}) + auto_enrollment_window_days,
                           {{ year_start() }}) end as window_close,
        is_swept as is_sweep
    from auto_candidates
    where is_swept or is_in_scope
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
        e.*,
        p.auto_enrollment_default_deferral_rate,
        p.opt_out_grace_period_days,
        not e.is_sweep and p.proactive_enrollment_enabled
            and e.u_proactive < p.proactive_enrollment_probability as is_proactive,
        (e.window_open + cast(floor(e.u_proactive_day * p.auto_enrollment_window_days) as integer))
            as proactive_date,
        e.u_opt_out < least(1.0, o.opt_out_rate * p.opt_out_rate_multiplier) as opts_out,
        o.opt_out_rate * p.opt_out_rate_multiplier as opt_out_probability,
        least(e.window_close + cast(floor(e.u_opt_out_day * (p.opt_out_grace_period_days + 1)) as integer),
              make_date(year(e.window_close), 12, 31)) as opt_out_date
    from episode_draws as e
    join designs as p using (plan_design_id)
    left join {{ ref('config_plan_opt_out_rates') }} as o using (age_band, income_band)
),

auto_enrollments as (
    select
        plan_design_id, employee_id, 'enrollment' as event_type, 'auto' as event_category,
        window_close as effective_date,
        auto_enrollment_default_deferral_rate::double as employee_deferral_rate,
        json_object('window_open', window_open, 'sweep', is_sweep,
                    'opt_out_probability', round(opt_out_probability, 6)) as event_details
    from episode_outcomes
    where not is_proactive
),

opt_outs as (
    select
        plan_design_id, employee_id, 'opt_out' as event_type, 'auto_enrollment_opt_out' as event_category,
        opt_out_date as effective_date, 0.0::double as employee_deferral_rate,
        json_object('auto_enrolled_on', window_close, 'grace_period_days',
                    opt_out_grace_period_days, 'sweep', is_sweep) as event_details
    from episode_outcomes
    where not is_proactive and opts_out
),

proactive as (
    select
        o.plan_design_id, o.employee_id, 'enrollment' as event_type, 'proactive' as event_category,
        o.proactive_date as effective_date,
        {{ match_responsive_rate('r.deferral_rate', 'coalesce(f.full_match_rate, fp.full_match_rate)', 'd',
                                 uniform('o.employee_id', 'match_responsive', 'year(o.window_open)')) }}
            as employee_deferral_rate,
        json_object('window_open', o.window_open, 'window_close', o.window_close) as event_details
    from episode_outcomes as o
    join designs as d using (plan_design_id)
    left join full_match_designs as f using (plan_design_id)
    left join full_match_people as fp using (plan_design_id, employee_id)
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
             else v.later_year_probability end * d.voluntary_enrollment_multiplier as probability,
        greatest(n.eligibility_date, n.employment_start) as window_start,
        {{ uniform('n.employee_id', 'voluntary_enrollment') }} as u_enroll,
        {{ uniform('n.employee_id', 'voluntary_enrollment_day') }} as u_day,
        {{ uniform('n.employee_id', 'voluntary_enrollment_rate') }} as u_rate
    from non_participants as n
    join designs as d using (plan_design_id)
    join {{ ref('config_plan_voluntary_enrollment') }} as v using (age_band, income_band)
    anti join episodes as x on x.plan_design_id = n.plan_design_id and x.employee_id = n.employee_id
    where d.voluntary_enrollment_enabled
      and not n.ever_opted_out
),

voluntary as (
    select
        c.plan_design_id, c.employee_id, 'enrollment' as event_type, 'voluntary' as event_category,
        (c.window_start + cast(floor(c.u_day * (date_diff('day', c.window_start, c.employment_end) + 1)) as integer))
            as effective_date,
        {{ match_responsive_rate('r.deferral_rate', 'coalesce(f.full_match_rate, fp.full_match_rate)', 'd',
                                 uniform('c.employee_id', 'match_responsive')) }} as employee_deferral_rate,
        json_object('annual_probability', round(c.probability, 6)) as event_details
    from voluntary_candidates as c
    join designs as d using (plan_design_id)
    left join full_match_designs as f using (plan_design_id)
    left join full_match_people as fp using (plan_design_id, employee_id)
    join elected_rates as r
      on r.age_band = c.age_band and r.income_band = c.income_band
     and c.u_rate >= r.cum_from and c.u_rate < r.cum_to
    where c.u_enroll < c.probability
),

-- ----- deferral changes by participants -------------------------------------
deferral_change_elections as (
    select
        p.plan_design_id, p.employee_id, 'deferral_change' as event_type, 'participant_election' as event_category,
        (coalesce(p.census_entry_date, p.employment_start)
            + cast(floor({{ uniform('p.employee_id', 'deferral_change_day') }}
            * (date_diff('day', coalesce(p.census_entry_date, p.employment_start), p.employment_end) + 1)) as integer))
            as effective_date,
        {{ match_responsive_rate('r.deferral_rate', 'coalesce(f.full_match_rate, fp.full_match_rate)', 'd',
                                 uniform('p.employee_id', 'match_responsive')) }} as employee_deferral_rate,
        json_object('previous_election', coalesce(p.census_deferral_rate, p.rate_at_start)) as event_details,
        coalesce(p.census_deferral_rate, p.rate_at_start) as previous_rate
    from people as p
    join designs as d using (plan_design_id)
    left join full_match_designs as f using (plan_design_id)
    left join full_match_people as fp using (plan_design_id, employee_id)
    join elected_rates as r
      on r.age_band = p.age_band and r.income_band = p.income_band
     and {{ uniform('p.employee_id', 'deferral_change_rate') }} >= r.cum_from
     and {{ uniform('p.employee_id', 'deferral_change_rate') }} < r.cum_to
    -- Participants on Jan 1: carried over, or census participants (from their census entry).
    where coalesce(p.census_deferral_rate, p.rate_at_start) > 0
      and coalesce(p.census_entry_date, p.employment_start) <= p.employment_end
      and {{ uniform('p.employee_id', 'deferral_change') }} < d.deferral_change_probability
),

deferral_changes as (
    select * exclude (previous_rate)
    from deferral_change_elections
    where employee_deferral_rate <> previous_rate
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
        e.plan_design_id,
        e.employee_id,
        {{ year }} as simulation_year,
        e.event_type,
        e.event_category,
        e.effective_date::date as effective_date,
        e.employee_deferral_rate,
        e.event_details
    from all_events as e
    join people as p using (plan_design_id, employee_id)
    -- Only what happens this year, while employed.
    where e.effective_date between p.employment_start and p.employment_end
)

select * from final
