{{ config(tags=["year"]) }}
-- depends_on: {{ ref('int_baseline_workforce') }}

-- Plan state of the start population on Jan 1 of the simulated year: the previous year-end
-- snapshot (or, in the census year, the census: a positive census deferral rate makes the
-- person a participant, enrolled through a `census` enrollment event on Jan 1). HCE status is
-- int_hce_determination's.
{% set year = var('simulation_year') | int %}

with prior as (
{% if year == var('start_year') | int %}
    select
        employee_id,
        false as is_enrolled,
        0.0::double as deferral_rate,
        null::date as enrollment_date,
        null::varchar as enrollment_category,
        false as ever_opted_out,
        case when employee_deferral_rate > 0 then employee_deferral_rate end as census_deferral_rate
    from {{ ref('int_baseline_workforce') }}
{% else %}
    select
        employee_id,
        coalesce(is_enrolled_flag, false) as is_enrolled,
        coalesce(current_deferral_rate, 0)::double as deferral_rate,
        enrollment_date,
        enrollment_category,
        coalesce(ever_opted_out, false) as ever_opted_out,
        null::double as census_deferral_rate
    from {{ source('navigator', 'fct_workforce_snapshot') }}
    where scenario_id = {{ slug_var("scenario_id") }}
      and simulation_year = {{ year - 1 }}
      and employment_status = 'active'
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
        p.census_deferral_rate
    from prior as p
)

select * from final
