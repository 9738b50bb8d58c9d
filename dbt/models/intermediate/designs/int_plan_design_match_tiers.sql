{{ config(tags=["year"]) }}

-- The tiers of each design's active match formula (employer_match.formulas.<active_formula>),
-- one row per design, band and tier: for a participant whose band value (match_band_basis:
-- none, service years or points on Dec 31) lies in band_min..band_max (band_max null: no upper
-- end), match_rate x the deferrals between employee_min and employee_max of match pay, the
-- band's match capped at its max_match_percentage of match pay (fractions of pay; rates exact
-- to 8 places). A tiered formula is one band from 0 with no upper end.
with tiers as (
    select plan_design_id, unnest(from_json(match_tiers, '["JSON"]')) as t
    from {{ ref('int_plan_design_parameters') }}
),

final as (
    select
        plan_design_id,
        (t ->> 'band_min')::integer as band_min,
        (t ->> 'band_max')::integer as band_max,
        (t ->> 'max_match_percentage')::decimal(18, 8) as max_match_percentage,
        (t ->> 'tier')::integer as tier,
        (t ->> 'employee_min')::decimal(18, 8) as employee_min,
        (t ->> 'employee_max')::decimal(18, 8) as employee_max,
        (t ->> 'match_rate')::decimal(18, 8) as match_rate
    from tiers
)

select * from final
