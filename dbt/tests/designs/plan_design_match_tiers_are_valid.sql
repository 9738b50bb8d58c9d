-- Each design's match tiers (macro plan_design_match_tiers, read by int_employee_contributions
-- and int_enrollment_events): one tier per design, band_min and tier; band_min and the band's
-- cap are given; each tier matches a band of deferral rates above its lower end, at a rate not
-- below 0, and each band covers band_min up to band_max. A row here is a fault.
with tiers as (
    {{ plan_design_match_tiers() }}
),

repeated as (
    select plan_design_id, band_min, tier, 'tier given more than once' as fault
    from tiers
    group by plan_design_id, band_min, tier
    having count(*) > 1
),

invalid as (
    select plan_design_id, band_min, tier,
           case when plan_design_id is null then 'no plan_design_id'
                when band_min is null then 'band_min missing'
                when max_match_percentage is null then 'max_match_percentage missing'
                else 'tier out of order: employee_max <= employee_min, employee_min < 0, match_rate < 0 or band_max < band_min'
           end as fault
    from tiers
    where plan_design_id is null or band_min is null or max_match_percentage is null
       or not coalesce(employee_max > employee_min and employee_min >= 0 and match_rate >= 0
                       and (band_max is null or band_max >= band_min), false)
)

select * from repeated
union all
select * from invalid
