{{ config(tags=["year"]) }}

-- The published snapshot row of each plan design and employee-year: workforce state (the same
-- in every design) plus the design's plan state and money.
-- fct_workforce_snapshot appends this.
with workforce as (
    select * from {{ ref('int_workforce_snapshot_optimized') }}
),

start_state as (
    select * from {{ ref('int_plan_start_state') }}
),

year_end_plan_state as (
    -- The last rate event of each design's timeline per person (int_plan_events): its rate
    -- holds at year end (without one, the Jan 1 rate does), with the latest enrollment and
    -- opt-out of the year.
    select
        plan_design_id,
        employee_id,
        employee_deferral_rate as deferral_rate,
        latest_enrollment_date as enrollment_date,
        latest_enrollment_category as enrollment_category,
        latest_opt_out_date as opt_out_date
    from {{ ref('int_plan_events') }}
    where event_type <> 'eligibility' and next_effective_date is null
),

accounts as (
    -- Year-end balances per source, vesting and forfeitures (int_employee_accounts). The vested
    -- part of each employer source is rounded half up to the cent once (a fully vested source
    -- is its balance, with nothing to round).
    select
        plan_design_id,
        employee_id,
        any_value(vesting_service_start_date) as vesting_service_start_date,
        any_value(vesting_years) as vesting_years,
        sum(closing_balance) filter (where source = 'employee_deferral') as employee_deferral_balance,
        sum(closing_balance) filter (where source = 'employer_match') as employer_match_balance,
        sum(closing_balance) filter (where source = 'employer_core') as employer_core_balance,
        max(vested_percentage) filter (where source = 'employer_match') as match_vested_percentage,
        max(vested_percentage) filter (where source = 'employer_core') as core_vested_percentage,
        {{ from_cents("sum(case when vested_percentage = 100 then " ~ to_cents('closing_balance')
                      ~ " else " ~ half_up_quotient(to_cents('closing_balance') ~ ' * (vested_percentage * 100)::hugeint', '10000')
                      ~ " end) filter (where source <> 'employee_deferral')") }} as vested_employer_balance,
        sum(forfeiture) filter (where source <> 'employee_deferral') as forfeiture_amount
    from {{ ref('int_employee_accounts') }}
    group by plan_design_id, employee_id
),

final as (
    select
        {{ slug_var("scenario_id") }} as scenario_id,
        c.plan_design_id,
        {{ slug_var("run_id", "manual") }} as run_id,
        w.simulation_year,
        w.employee_id,
        w.employment_status,
        w.detailed_status_code,
        w.employee_birth_date,
        w.employee_hire_date,
        w.termination_date,
        w.termination_category,
        w.starting_compensation::decimal(14, 2) as starting_compensation,
        w.current_compensation::decimal(14, 2) as current_compensation,
        w.prorated_annual_compensation::decimal(14, 2) as prorated_annual_compensation,
        w.days_employed,
        w.current_age,
        w.current_tenure,
        w.level_id,
        c.is_eligible,
        c.eligibility_date,
        {{ deferral_rate_decimal('coalesce(pe.deferral_rate, s.deferral_rate, 0)') }} > 0 as is_enrolled_flag,
        {{ deferral_rate_decimal('coalesce(pe.deferral_rate, s.deferral_rate, 0)') }} as current_deferral_rate,
        coalesce(pe.enrollment_date, s.enrollment_date) as enrollment_date,
        coalesce(pe.enrollment_category, s.enrollment_category) as enrollment_category,
        coalesce(s.ever_opted_out, false) or pe.opt_out_date is not null as ever_opted_out,
        pe.opt_out_date,
        c.is_hce,
        c.employee_deferral::decimal(14, 2) as prorated_annual_contributions,
        c.catch_up_contribution::decimal(14, 2) as catch_up_contribution,
        c.employer_match_amount::decimal(14, 2) as employer_match_amount,
        c.employer_core_amount::decimal(14, 2) as employer_core_amount,
        c.irs_limit_reached,
        c.annual_additions_limited,
        a.employee_deferral_balance,
        a.employer_match_balance,
        a.employer_core_balance,
        (a.employer_match_balance + a.employer_core_balance)::decimal(14, 2) as employer_account_balance,
        -- One percentage when both employer sources vest alike, else see the per-source columns.
        case when a.match_vested_percentage = a.core_vested_percentage
             then a.match_vested_percentage end as vested_percentage,
        a.match_vested_percentage,
        a.core_vested_percentage,
        a.vested_employer_balance,
        a.forfeiture_amount,
        a.vesting_service_start_date,
        a.vesting_years
    from workforce as w
    -- One row per design and person, with the plan eligibility (int_plan_eligibility).
    join {{ ref('int_employee_contributions') }} as c using (employee_id)
    left join start_state as s on s.plan_design_id = c.plan_design_id and s.employee_id = c.employee_id
    left join year_end_plan_state as pe on pe.plan_design_id = c.plan_design_id and pe.employee_id = c.employee_id
    join accounts as a on a.plan_design_id = c.plan_design_id and a.employee_id = c.employee_id
)

select * from final
