{{ config(tags=["year"]) }}

-- Exactly round(H x new_hire_termination_rate) of this year's hires leave, chosen by a seeded
-- draw and dated strictly after their hire date, on or before Dec 31.
with hires as (
    select * from {{ ref('int_hiring_events') }}
),

target as (
    select {{ round_half_away('count(*) * ' ~ rate('new_hire_termination_rate')) }} as leavers
    from hires
),

ranked as (
    select
        h.*,
        row_number() over (
            order by {{ uniform('h.employee_id', 'new_hire_termination_select') }}, h.employee_id
        ) as selection_rank,
        {{ uniform('h.employee_id', 'new_hire_termination_date') }} as u_date
    from hires as h
),

final as (
    select
        r.employee_id,
        {{ var('simulation_year') }} as simulation_year,
        'termination' as event_type,
        'new_hire_termination' as event_category,
        (r.effective_date + 1
            + cast(floor(r.u_date * date_diff('day', r.effective_date, {{ year_end() }})) as integer))::date
            as effective_date,
        r.compensation_amount,
        r.level_id
    from ranked as r
    cross join target as t
    where r.selection_rank <= t.leavers
)

select * from final
