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

year_end_rate as (
    select plan_design_id, employee_id, arg_max(deferral_rate, period_start) as deferral_rate
    from {{ ref('int_deferral_rate_periods') }}
    group by plan_design_id, employee_id
),

plan_events as (
    select
        plan_design_id,
        employee_id,
        max(effective_date) filter (where event_type = 'enrollment') as enrollment_date,
        arg_max(event_category, effective_date) filter (where event_type = 'enrollment') as enrollment_category,
        max(effective_date) filter (where event_type = 'opt_out') as opt_out_date
    from {{ ref('int_plan_events') }}
    group by plan_design_id, employee_id
),

final as (
    select
        {{ slug_var("scenario_id") }} as scenario_id,
        e.plan_design_id,
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
        e.is_eligible,
        e.eligibility_date,
        coalesce(r.deferral_rate, 0) > 0 as is_enrolled_flag,
        coalesce(r.deferral_rate, 0)::decimal(8, 6) as current_deferral_rate,
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
        c.annual_additions_limited
    from workforce as w
    join {{ ref('int_plan_eligibility') }} as e using (employee_id)
    join {{ ref('int_employee_contributions') }} as c
      on c.plan_design_id = e.plan_design_id and c.employee_id = e.employee_id
    left join start_state as s on s.plan_design_id = e.plan_design_id and s.employee_id = e.employee_id
    left join year_end_rate as r on r.plan_design_id = e.plan_design_id and r.employee_id = e.employee_id
    left join plan_events as pe on pe.plan_design_id = e.plan_design_id and pe.employee_id = e.employee_id
)

-- Clustered by design: each design's rows fill their own row groups, so the per-design reads
-- (checks, checkpoints, audits, reports) skip the other designs' row groups.
select * from final
order by plan_design_id
