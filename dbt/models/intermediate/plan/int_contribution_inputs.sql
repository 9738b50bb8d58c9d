{{ config(tags=["year"]) }}

-- Everything the contribution formulas need, one row per plan design and employee-year: pay earned in the
-- year, deferrals before any limit (the sum over each pay-rate period intersected with each
-- deferral-rate period of annual_rate x deferral_rate x days, / days-in-year, rounded half up
-- to the cent once: docs/money.md), age and tenure at Dec 31 (service ends at termination),
-- the plan's elapsed-time service (service_years: completed years from the date service counts
-- from, vesting_service_start_date, to the termination date or Dec 31, as for vesting), days
-- employed, status, plan eligibility and HCE status.
with workforce as (
    select * from {{ ref('int_workforce_snapshot_optimized') }}
),

period_overlaps as (
    -- In integers: pay rate in cents x deferral rate in millionths (exact: the rate has six
    -- places) x days, so the sum and the one rounding below need no DECIMAL arithmetic.
    select
        r.plan_design_id,
        c.employee_id,
        {{ to_cents('c.annual_rate') }} * (r.deferral_rate * 1000000)::bigint
            * (date_diff('day', greatest(c.period_start, r.period_start), least(c.period_end, r.period_end)) + 1)
            as deferral_cents_e6_days
    from {{ ref('int_compensation_periods') }} as c
    join {{ ref('int_deferral_rate_periods') }} as r
      on r.employee_id = c.employee_id
     and r.period_start <= c.period_end
     and r.period_end >= c.period_start
    where r.deferral_rate > 0
),

deferrals as (
    select plan_design_id, employee_id,
           {{ from_cents(half_up_quotient('sum(deferral_cents_e6_days)', '1000000 * ' ~ days_in_year())) }}
               as requested_deferral
    from period_overlaps
    group by plan_design_id, employee_id
),

final as (
    select
        e.plan_design_id,
        w.employee_id,
        w.simulation_year,
        w.employment_status,
        w.current_age,
        w.current_tenure,
        {{ service_years('coalesce(s.vesting_service_start_date, w.employee_hire_date)', 'w.termination_date') }}
            as service_years,
        w.days_employed,
        {{ hours_from_days('w.days_employed') }} as hours_worked,
        coalesce(w.prorated_annual_compensation, 0)::decimal(14, 2) as plan_compensation,
        coalesce(d.requested_deferral, 0)::decimal(14, 2) as requested_deferral,
        e.is_eligible,
        e.eligibility_date,
        h.is_hce
    from workforce as w
    join {{ ref('int_plan_eligibility') }} as e using (employee_id)
    join {{ ref('int_hce_determination') }} as h using (plan_design_id, employee_id)
    left join deferrals as d using (plan_design_id, employee_id)
    -- The date service counts from (census rules, kept year to year); hires count from hire.
    left join {{ ref('stg_year_start_state') }} as s
      on s.plan_design_id = e.plan_design_id and s.employee_id = w.employee_id and s.is_active
)

select * from final
