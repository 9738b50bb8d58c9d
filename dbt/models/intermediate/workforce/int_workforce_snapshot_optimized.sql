{{ config(tags=["year"]) }}

-- Year-end workforce state before plan money: one row per person employed at any time in the
-- year (start population and this year's hires), with status, year-end pay rate, pay earned in
-- the year (rounded half up to the cent once), level after promotions, age as of Dec 31 and
-- completed years of service as of Dec 31 or the termination date.
with start_population as (
    select
        employee_id,
        employee_birth_date,
        employee_hire_date,
        starting_compensation,
        level_id as starting_level_id,
        false as is_new_hire
    from {{ ref('int_employee_compensation_by_year') }}
),

hires as (
    select
        employee_id,
        employee_birth_date,
        effective_date as employee_hire_date,
        compensation_amount as starting_compensation,
        level_id as starting_level_id,
        true as is_new_hire
    from {{ ref('int_hiring_events') }}
),

people as (
    select * from start_population
    union all
    select * from hires
),

terminations as (
    select employee_id, effective_date, event_category from {{ ref('int_termination_events') }}
    union all
    select employee_id, effective_date, event_category from {{ ref('int_new_hire_termination_events') }}
),

last_change as (
    select employee_id, compensation_amount, level_id
    from {{ ref('int_compensation_events') }}
    qualify row_number() over (
        partition by employee_id order by effective_date desc, event_type = 'raise' desc
    ) = 1
),

earnings as (
    select
        employee_id,
        {{ cents_of_ratio('sum(annual_rate * period_days)', days_in_year()) }} as prorated_annual_compensation,
        sum(period_days) as days_employed
    from {{ ref('int_compensation_periods') }}
    group by employee_id
),

final as (
    select
        p.employee_id,
        {{ var('simulation_year') }} as simulation_year,
        p.employee_birth_date,
        p.employee_hire_date,
        t.effective_date as termination_date,
        t.event_category as termination_category,
        case when t.employee_id is null then 'active' else 'terminated' end as employment_status,
        case
            when t.employee_id is null and p.is_new_hire then 'new_hire_active'
            when t.employee_id is null then 'continuous_active'
            when p.is_new_hire then 'new_hire_termination'
            else 'experienced_termination'
        end as detailed_status_code,
        p.is_new_hire,
        p.starting_compensation,
        coalesce(c.compensation_amount, p.starting_compensation) as current_compensation,
        e.prorated_annual_compensation,
        e.days_employed,
        coalesce(c.level_id, p.starting_level_id) as level_id,
        {{ years_between('p.employee_birth_date', year_end()) }} as current_age,
        -- Service ends at termination: a leaver's completed years are counted to the last day.
        {{ years_between('p.employee_hire_date', 'coalesce(t.effective_date, ' ~ year_end() ~ ')') }} as current_tenure
    from people as p
    left join terminations as t using (employee_id)
    left join last_change as c using (employee_id)
    left join earnings as e using (employee_id)
)

select * from final
