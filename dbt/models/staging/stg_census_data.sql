{{ config(tags=["baseline"]) }}

-- Typed census rows; level derived from the pay bands when the census has none. Pay is an
-- exact decimal taken to the cent (docs/money.md).
with census as (
    select * from {{ source('navigator', 'raw_census') }}
),

levels as (
    select * from {{ ref('config_job_levels') }}
),

banded as (
    -- The highest level whose band minimum the pay reaches.
    select c.employee_id, max(l.level_id) as band_level_id
    from census as c
    join levels as l on c.employee_gross_compensation >= l.min_compensation
    group by c.employee_id
),

final as (
    select
        c.employee_id::varchar as employee_id,
        c.employee_birth_date::date as employee_birth_date,
        c.employee_hire_date::date as employee_hire_date,
        c.employee_termination_date::date as employee_termination_date,
        c.employee_gross_compensation::decimal(14, 2) as employee_gross_compensation,
        coalesce(c.active, c.employee_termination_date is null) as is_active,
        coalesce(c.employee_deferral_rate, 0)::double as employee_deferral_rate,
        coalesce(c.level_id, b.band_level_id, 1)::integer as level_id,
        coalesce(c.is_owner_5pct, false) as is_owner_5pct
    from census as c
    left join banded as b using (employee_id)
)

select * from final
