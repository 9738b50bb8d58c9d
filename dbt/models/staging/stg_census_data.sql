{{ config(tags=["baseline"]) }}

-- Typed census rows; level derived from the pay bands when the census has none. Pay is an
-- exact decimal taken to the cent (docs/money.md).
-- Rehires (docs/census.md, "Rehires"): a termination date before the rehire date ended an
-- earlier employment, and employee_hire_date becomes the date service counts from under the
-- elapsed-time method (Treas. Reg. 1.410(a)-7): a break (period of severance) shorter than
-- 12 months is bridged (service-spanning rule, 1.410(a)-7(d)(1)(iii)); a longer one is left
-- out and the earlier service credited, unless the consecutive one-year breaks number at
-- least the greater of 5 and the earlier years of service (rule of parity, IRC 410(a)(5)(D)
-- and 411(a)(6)(D)); without the earlier termination date service counts from the rehire.
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

employment as (
    select
        c.*,
        case when c.employee_rehire_date > c.employee_termination_date
             then c.employee_termination_date end as prior_termination_date,
        case when c.employee_rehire_date > c.employee_termination_date
             then null else c.employee_termination_date end as current_termination_date
    from census as c
),

service as (
    select
        e.*,
        case
            when e.employee_rehire_date is null or e.employee_rehire_date <= e.employee_hire_date
                then e.employee_hire_date
            when e.prior_termination_date is null
                then e.employee_rehire_date
            when e.employee_rehire_date < e.prior_termination_date + interval 1 year
                then e.employee_hire_date
            when {{ years_between('e.prior_termination_date', 'e.employee_rehire_date') }}
                 >= greatest(5, {{ years_between('e.employee_hire_date', 'e.prior_termination_date') }})
                then e.employee_rehire_date
            else (e.employee_rehire_date - (e.prior_termination_date - e.employee_hire_date)::integer)::date
        end as service_start_date
    from employment as e
),

final as (
    select
        s.employee_id::varchar as employee_id,
        s.employee_birth_date::date as employee_birth_date,
        -- The date service counts from: the hire date, or for a rehire as above.
        s.service_start_date::date as employee_hire_date,
        s.employee_hire_date::date as original_hire_date,
        s.employee_rehire_date::date as employee_rehire_date,
        -- The current employment's termination (an earlier one is prior_termination_date).
        s.current_termination_date::date as employee_termination_date,
        s.prior_termination_date::date as prior_termination_date,
        s.employee_gross_compensation::decimal(14, 2) as employee_gross_compensation,
        coalesce(s.active, s.current_termination_date is null) as is_active,
        coalesce(s.employee_deferral_rate, 0)::double as employee_deferral_rate,
        coalesce(s.level_id, b.band_level_id, 1)::integer as level_id,
        coalesce(s.is_owner_5pct, false) as is_owner_5pct,
        -- Officer and more-than-1% owner (key employees, IRC 416(i)(1)(A)); absent: false.
        coalesce(s.is_officer, false) as is_officer,
        coalesce(s.is_owner_1pct, false) as is_owner_1pct,
        -- Account balances at the census date per source (absent: $0), and the date vesting
        -- service counts from: the census's vesting_service_years before the census date (to
        -- the nearest whole month), else the date service counts from (docs/plan.md, Vesting).
        coalesce(s.employee_deferral_balance, 0)::decimal(14, 2) as employee_deferral_balance,
        coalesce(s.employer_match_balance, 0)::decimal(14, 2) as employer_match_balance,
        coalesce(s.employer_core_balance, 0)::decimal(14, 2) as employer_core_balance,
        case when s.vesting_service_years is not null
             then (make_date({{ var('start_year') | int - 1 }}, 12, 31)
                   - to_months(round(s.vesting_service_years * 12)::integer))::date
             else s.service_start_date::date end as vesting_service_start_date
    from service as s
    left join banded as b using (employee_id)
)

select * from final
