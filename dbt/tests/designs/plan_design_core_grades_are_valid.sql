-- Each design's core grades (macro plan_design_core_grades, read by int_employee_contributions):
-- one grade per design and band_min, which is given, and a rate. A row here is a fault.
with grades as (
    {{ plan_design_core_grades() }}
),

repeated as (
    select plan_design_id, band_min, 'grade given more than once' as fault
    from grades
    group by plan_design_id, band_min
    having count(*) > 1
),

invalid as (
    select plan_design_id, band_min,
           case when plan_design_id is null then 'no plan_design_id'
                when band_min is null then 'band_min missing'
                else 'rate missing' end as fault
    from grades
    where plan_design_id is null or band_min is null or rate is null
)

select * from repeated
union all
select * from invalid
