-- Each design's vesting steps (macro plan_design_vesting_steps, read by int_employee_accounts):
-- one step per design, employer source and years; the source is employer_match or
-- employer_core; the percentage vested is given and lies in 0-100. A row here is a fault.
with steps as (
    {{ plan_design_vesting_steps() }}
),

repeated as (
    select plan_design_id, source, years, 'step given more than once' as fault
    from steps
    group by plan_design_id, source, years
    having count(*) > 1
),

invalid as (
    select plan_design_id, source, years,
           case when source is null or source not in ('employer_match', 'employer_core') then 'unknown source'
                else 'vested_percentage missing or outside 0-100' end as fault
    from steps
    where source is null or source not in ('employer_match', 'employer_core')
       or vested_percentage is null or vested_percentage < 0 or vested_percentage > 100
)

select * from repeated
union all
select * from invalid
