{{ config(tags=["year"]) }}

-- Each design's graded core rates (employer_core_contribution.graded_by_service, graded_by_age
-- or graded_by_points; which one: core_grade_basis), one row per design and grade: for a
-- person whose service years, age or points on Dec 31 lie in band_min..band_max (band_max
-- null: up to the next grade, or no upper end), `rate` of core pay (a fraction, exact to 8
-- places). A design without grades has no rows and pays core_contribution_rate to everyone
-- eligible; so does a person below the first grade.
with grades as (
    select plan_design_id, unnest(from_json(core_grades, '["JSON"]')) as g
    from {{ ref('int_plan_design_parameters') }}
),

final as (
    select
        plan_design_id,
        (g ->> 'band_min')::integer as band_min,
        (g ->> 'band_max')::integer as band_max,
        (g ->> 'rate')::decimal(18, 8) as rate
    from grades
)

select * from final
