{{ config(tags=["year"]) }}

-- One row per hire of the year. Ids embed the year and a sequence (NH_<year>_<seq>), so they
-- never collide across years. Hire dates fall on Jan 1 .. Dec 30 so that a new-hire termination
-- can always be dated after the hire and inside the year. Pay sits in the level's band around
-- the configured position with a triangular spread.
with needs as (
    select * from {{ ref('int_workforce_needs_by_level') }} where hires_needed > 0
),

levels as (select * from {{ ref('config_job_levels') }}),

age_bands as (
    select
        age_min,
        age_max,
        (sum(weight) over (order by age_min) - weight) / sum(weight) over () as cum_from
    from {{ ref('config_new_hire_age') }}
    where weight > 0
),

slots as (
    select
        n.level_id,
        row_number() over (order by n.level_id, s.generate_series) as hire_sequence
    from needs as n, generate_series(1, n.hires_needed) as s
),

drawn as (
    select
        s.level_id,
        'NH_{{ var("simulation_year") }}_' || lpad(s.hire_sequence::varchar, 7, '0') as employee_id,
        s.hire_sequence
    from slots as s
),

draws as (
    select
        d.*,
        {{ uniform('d.employee_id', 'hire_date') }} as u_hire_date,
        {{ uniform('d.employee_id', 'hire_age') }} as u_age_band,
        {{ uniform('d.employee_id', 'hire_age_within') }} as u_age_within,
        {{ uniform('d.employee_id', 'hire_birth_day') }} as u_birth_day,
        {{ uniform('d.employee_id', 'hire_pay_1') }} as u_pay_1,
        {{ uniform('d.employee_id', 'hire_pay_2') }} as u_pay_2
    from drawn as d
),

placed as (
    select
        d.employee_id,
        d.level_id,
        ({{ year_start() }} + cast(floor(d.u_hire_date * ({{ days_in_year() }} - 1)) as integer))::date
            as hire_date,
        a.age_min + floor(d.u_age_within * (a.age_max - a.age_min + 1)) as age_at_hire,
        least(greatest(
            {{ var('new_hire_pay_band_position') }} + {{ var('new_hire_pay_spread') }} * (d.u_pay_1 + d.u_pay_2 - 1),
            0.0), 1.0) as band_position,
        d.u_birth_day
    from draws as d
    -- Each band owns the slice [cum_from, next cum_from) of [0, 1).
    asof join age_bands as a on d.u_age_band >= a.cum_from
),

final as (
    select
        p.employee_id,
        {{ var('simulation_year') }} as simulation_year,
        'hire' as event_type,
        'new_hire' as event_category,
        p.hire_date as effective_date,
        -- Birth date: age_at_hire whole years before the hire date, minus a day offset
        -- inside that year of age.
        (p.hire_date - cast(p.age_at_hire as integer) * interval 1 year
            - cast(floor(p.u_birth_day * 364) as integer) * interval 1 day)::date as employee_birth_date,
        {{ cents('l.min_compensation + (l.max_compensation - l.min_compensation) * p.band_position::decimal(18, 8)') }}
            as compensation_amount,
        p.level_id
    from placed as p
    join levels as l using (level_id)
)

select * from final
