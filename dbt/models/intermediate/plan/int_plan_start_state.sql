{{ config(tags=["year"]) }}
-- depends_on: {{ ref('int_baseline_workforce') }}

-- Plan state of the start population on Jan 1 of the simulated year: the previous year-end
-- snapshot (or, in the census year, the census: a positive census deferral rate makes the
-- person a participant, enrolled through a `census` enrollment event). HCE status is
-- int_hce_determination's. Also carries the eligibility date already reached: a census
-- participant is in the plan already, so with eligibility.grandfather_census_participants they
-- are eligible from the census date whatever this plan's entry rules say. Without it a census participant who has not entered yet keeps
-- the census rate until entry (later years read it from raw_census).
{% set year = var('simulation_year') | int %}
{% set census_date = "make_date(" ~ (var('start_year') | int - 1) ~ ", 12, 31)" %}

with prior as (
{% if year == var('start_year') | int %}
    select
        employee_id,
        false as is_enrolled,
        0.0::double as deferral_rate,
        null::date as enrollment_date,
        null::varchar as enrollment_category,
        false as ever_opted_out,
        case when employee_deferral_rate > 0 then employee_deferral_rate end as census_deferral_rate,
        case when {{ var('eligibility_grandfather_census_participants') }} and employee_deferral_rate > 0
             then {{ census_date }} end as prior_eligibility_date
    from {{ ref('int_baseline_workforce') }}
{% else %}
    select
        s.employee_id,
        coalesce(s.is_enrolled_flag, false) as is_enrolled,
        coalesce(s.current_deferral_rate, 0)::double as deferral_rate,
        s.enrollment_date,
        s.enrollment_category,
        coalesce(s.ever_opted_out, false) as ever_opted_out,
        -- A census participant who has not entered the plan yet (never enrolled).
        case when s.enrollment_date is null and not coalesce(s.ever_opted_out, false)
             then c.employee_deferral_rate end as census_deferral_rate,
        s.eligibility_date as prior_eligibility_date
    from {{ source('navigator', 'fct_workforce_snapshot') }} as s
    left join {{ source('navigator', 'raw_census') }} as c
      on c.employee_id = s.employee_id and c.employee_deferral_rate > 0
    where s.scenario_id = {{ slug_var("scenario_id") }}
      and s.plan_design_id = {{ slug_var("plan_design_id") }}
      and s.simulation_year = {{ year - 1 }}
      and s.employment_status = 'active'
{% endif %}
),

final as (
    select
        p.employee_id,
        {{ year }} as simulation_year,
        p.is_enrolled,
        p.deferral_rate,
        p.enrollment_date,
        p.enrollment_category,
        p.ever_opted_out,
        p.census_deferral_rate,
        p.prior_eligibility_date
    from prior as p
)

select * from final
