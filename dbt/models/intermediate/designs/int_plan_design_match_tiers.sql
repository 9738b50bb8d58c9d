{{ config(tags=["year"]) }}

-- The tiers of each design's active match formula (employer_match.formulas.<active_formula>),
-- one row per design and tier: match_rate x the deferrals between employee_min and
-- employee_max of match pay (fractions of pay; rates exact to 8 places).
with tiers as (
    select plan_design_id, unnest(from_json(match_tiers, '["JSON"]')) as t
    from {{ ref('int_plan_design_parameters') }}
),

final as (
    select
        plan_design_id,
        (t ->> 'tier')::integer as tier,
        (t ->> 'employee_min')::decimal(18, 8) as employee_min,
        (t ->> 'employee_max')::decimal(18, 8) as employee_max,
        (t ->> 'match_rate')::decimal(18, 8) as match_rate
    from tiers
)

select * from final
