{{ config(tags=["year"]) }}
-- depends_on: {{ ref('int_baseline_workforce') }}

-- Plan state of the start population on Jan 1 of the simulated year: the previous year-end
-- snapshot (or, in the census year, the census: a positive census deferral rate makes the
-- person a participant, enrolled through a `census` enrollment event on Jan 1). Also carries
-- the previous year's pay, which decides HCE status (IRC 414(q) looks back one year).
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
        case when employee_deferral_rate > 0 then employee_deferral_rate end as census_deferral_rate,
        current_compensation::decimal(14, 2) as prior_year_compensation
    from {{ ref('int_baseline_workforce') }}
{% else %}
    select
        employee_id,
        coalesce(is_enrolled_flag, false) as is_enrolled,
        coalesce(current_deferral_rate, 0)::double as deferral_rate,
        enrollment_date,
        enrollment_category,
        coalesce(ever_opted_out, false) as ever_opted_out,
        null::double as census_deferral_rate,
        prorated_annual_compensation::decimal(14, 2) as prior_year_compensation
    from {{ source('navigator', 'fct_workforce_snapshot') }}
    where scenario_id = {{ slug_var("scenario_id") }}
      and simulation_year = {{ year - 1 }}
      and employment_status = 'active'
{% endif %}
),

limits as (
    select hce_threshold from {{ ref('int_irs_limits') }} where limit_year = {{ year - 1 }}
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
        p.prior_year_compensation,
        coalesce(p.prior_year_compensation > l.hce_threshold, false) as is_hce
    from prior as p
    left join limits as l on true
)

select * from final
