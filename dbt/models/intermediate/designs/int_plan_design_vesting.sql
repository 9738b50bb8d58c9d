{{ config(tags=["year"]) }}

-- Each design's vesting schedules (config `vesting.match`, `vesting.core`: config/accounts.py),
-- one row per design, employer source and step: from `years` completed years of vesting
-- service on, `vested_percentage` percent (0-100) of the source is vested; 0% before the
-- first step. Employee deferrals have no schedule: always 100% vested (IRC 411(a)(1)).
with steps as (
    select plan_design_id, 'employer_match' as source,
           unnest(from_json(vesting_match_schedule, '["JSON"]')) as step
    from {{ ref('int_plan_design_parameters') }}
    union all
    select plan_design_id, 'employer_core', unnest(from_json(vesting_core_schedule, '["JSON"]'))
    from {{ ref('int_plan_design_parameters') }}
),

final as (
    select
        plan_design_id,
        source,
        (step ->> 'years')::integer as years,
        (step ->> 'percent')::decimal(5, 2) as vested_percentage
    from steps
)

select * from final
