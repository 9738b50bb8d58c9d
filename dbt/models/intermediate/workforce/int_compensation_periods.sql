{{ config(tags=["year"]) }}

-- Pay-rate periods of everyone employed at any time in the year: from Jan 1 (or the hire date)
-- through Dec 31 (or the termination date), split at each promotion and raise. Pay earned in
-- the year is the sum of annual_rate x period_days over these periods / days-in-year, rounded
-- half up to the cent once per person (int_workforce_snapshot_optimized; docs/money.md).
with start_population as (
    select
        p.employee_id,
        {{ year_start() }} as employment_start,
        p.starting_compensation::decimal(14, 2) as starting_compensation,
        t.effective_date as termination_date
    from {{ ref('int_employee_compensation_by_year') }} as p
    left join {{ ref('int_termination_events') }} as t using (employee_id)
),

hires as (
    select
        h.employee_id,
        h.effective_date as employment_start,
        h.compensation_amount::decimal(14, 2) as starting_compensation,
        t.effective_date as termination_date
    from {{ ref('int_hiring_events') }} as h
    left join {{ ref('int_new_hire_termination_events') }} as t using (employee_id)
),

employment as (
    select * from start_population
    union all
    select * from hires
),

change_points as (
    select employee_id, employment_start as period_start, starting_compensation as annual_rate, 0 as point_order
    from employment
    union all
    select
        employee_id,
        effective_date,
        compensation_amount,
        row_number() over (partition by employee_id order by effective_date, event_type)
    from {{ ref('int_compensation_events') }}
),

periods as (
    select
        c.employee_id,
        c.period_start,
        {{ period_end('c.period_start', 'c.period_start, c.point_order',
                      'coalesce(e.termination_date, ' ~ year_end() ~ ')', 'c.employee_id') }} as period_end,
        c.annual_rate,
        c.point_order
    from change_points as c
    join employment as e using (employee_id)
),

final as (
    select
        employee_id,
        {{ var('simulation_year') }} as simulation_year,
        period_start,
        period_end,
        annual_rate,
        date_diff('day', period_start, period_end) + 1 as period_days
    from periods
    -- Two changes on the same day leave a zero-length period behind; drop it.
    where period_end >= period_start
)

select * from final
