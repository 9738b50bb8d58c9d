{{ config(tags=["year"]) }}

-- Each design's core contribution rates graded by service
-- (employer_core_contribution.graded_by_service), one row per design and grade: from min_years
-- of service on, `rate` of core pay (a fraction, exact to 8 places). A design without grades
-- has no rows and pays core_contribution_rate to everyone eligible.
with grades as (
    select plan_design_id, unnest(from_json(core_graded_by_service, '["JSON"]')) as g
    from {{ ref('int_plan_design_parameters') }}
),

final as (
    select
        plan_design_id,
        (g ->> 'min_years')::integer as min_years,
        (g ->> 'rate')::decimal(18, 8) as rate
    from grades
)

select * from final
