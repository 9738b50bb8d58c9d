{{ config(tags=["year"]) }}

-- Plan state of the start population on Jan 1 of the simulated year, one row per plan design
-- and person (stg_year_start_state):
-- the previous year-end snapshot, or in the census year the census (a positive census deferral
-- rate makes the person a participant, enrolled through a `census` enrollment event). HCE
-- status is int_hce_determination's. Also carries the eligibility date already reached: a
-- census participant is in the plan already, so with eligibility.grandfather_census_participants
-- they are eligible from the census date whatever this plan's entry rules say. Without it a
-- census participant who has not entered yet keeps the census rate until entry.
{% set year = var('simulation_year') | int %}

with prior as (
    select
        plan_design_id,
        employee_id,
        is_enrolled,
        deferral_rate,
        enrollment_date,
        enrollment_category,
        ever_opted_out,
        census_deferral_rate,
        prior_eligibility_date
    from {{ ref('stg_year_start_state') }}
    where is_active
),

final as (
    select
        p.plan_design_id,
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
