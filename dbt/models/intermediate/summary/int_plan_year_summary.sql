{{ config(tags=["year"]) }}

-- The year's figures of each plan design of the scenario, one row per design: headcount flows, pay, participation,
-- deferrals and employer money (definitions: docs/reports.md). Computed from the year's own
-- published shape (int_yearly_snapshot, int_yearly_events), so fct_plan_year_summary, which
-- appends this, always agrees with the fct_* rows published with it.
--   start actives: continuing actives + experienced terminations (last year's year-end actives);
--   participation rate: enrolled eligible year-end actives / eligible year-end actives;
--   average deferral rate: mean rate of enrolled year-end actives;
--   money: sums over everyone employed in the year, exact decimals (cents);
--   employer cost = match + core (the gross cost); per participant: / enrolled year-end actives,
--     half up to the cent;
--   forfeitures: non-vested employer money forfeited by the year's leavers; forfeitures used and
--     net employer cost by vesting.forfeiture_use (docs/plan.md, "Forfeitures"):
--       reduce_employer_contributions: used = least(forfeitures, gross cost), net = gross - used;
--       pay_expenses: used = forfeitures (plan expenses, not modelled), net = gross;
--       reallocate: used = forfeitures allocated to participants, net = gross.
with snapshot as (
    select * from {{ ref('int_yearly_snapshot') }}
),

events as (
    select plan_design_id, count(*) filter (where event_type = 'promotion') as promotions
    from {{ ref('int_yearly_events') }}
    group by plan_design_id
),

counts as (
    select
        plan_design_id,
        count(*) filter (where detailed_status_code in ('continuous_active', 'experienced_termination'))
            as start_actives,
        count(*) filter (where employment_status = 'active') as end_actives,
        count(*) filter (where detailed_status_code in ('new_hire_active', 'new_hire_termination')) as hires,
        count(*) filter (where detailed_status_code = 'experienced_termination') as experienced_terminations,
        count(*) filter (where detailed_status_code = 'new_hire_termination') as new_hire_terminations,
        coalesce(sum(prorated_annual_compensation), 0)::decimal(18, 2) as total_pay,
        avg(current_compensation) filter (where employment_status = 'active') as average_pay,
        count(*) filter (where employment_status = 'active' and is_eligible) as eligible,
        count(*) filter (where employment_status = 'active' and is_enrolled_flag) as participants,
        count(*) filter (where employment_status = 'active' and is_enrolled_flag and is_eligible)
            as eligible_participants,
        avg(current_deferral_rate) filter (where employment_status = 'active' and is_enrolled_flag)
            as average_deferral_rate,
        coalesce(sum(prorated_annual_contributions), 0)::decimal(18, 2) as employee_deferrals,
        coalesce(sum(employer_match_amount), 0)::decimal(18, 2) as employer_match,
        coalesce(sum(employer_core_amount), 0)::decimal(18, 2) as employer_core,
        coalesce(sum(forfeiture_amount), 0)::decimal(18, 2) as forfeitures
    from snapshot
    group by plan_design_id
),

allocations as (
    select plan_design_id, sum(forfeitures_allocated)::decimal(18, 2) as forfeitures_allocated
    from {{ ref('int_yearly_accounts') }}
    group by plan_design_id
),

forfeiture_use as (
    select
        c.*,
        (c.employer_match + c.employer_core)::decimal(18, 2) as gross_cost,
        case d.forfeiture_use
            when 'reduce_employer_contributions' then least(c.forfeitures, c.employer_match + c.employer_core)
            when 'pay_expenses' then c.forfeitures
            else coalesce(a.forfeitures_allocated, 0)
        end::decimal(18, 2) as forfeitures_used,
        d.forfeiture_use = 'reduce_employer_contributions' as used_against_cost
    from counts as c
    join {{ ref('int_plan_design_parameters') }} as d using (plan_design_id)
    left join allocations as a using (plan_design_id)
),

final as (
    select
        {{ published_keys('c.plan_design_id') }}
        c.start_actives,
        c.end_actives,
        c.hires,
        c.experienced_terminations,
        c.new_hire_terminations,
        coalesce(e.promotions, 0) as promotions,
        round(c.end_actives / nullif(c.start_actives, 0) - 1, 6) as growth_pct,
        c.total_pay,
        round(c.average_pay, 2)::decimal(14, 2) as average_pay,
        c.eligible,
        c.participants,
        c.eligible_participants,
        round(c.eligible_participants / nullif(c.eligible, 0), 6) as participation_rate,
        round(c.average_deferral_rate::double, 6) as average_deferral_rate,
        c.employee_deferrals,
        c.employer_match,
        c.employer_core,
        (c.employer_match + c.employer_core)::decimal(18, 2) as total_employer_cost,
        round((c.employer_match + c.employer_core) / nullif(c.total_pay, 0), 6) as cost_pct_of_pay,
        case when c.participants > 0
             then {{ cents_of_ratio('c.employer_match + c.employer_core', 'c.participants') }} end
            as employer_cost_per_participant,
        c.forfeitures,
        c.forfeitures_used,
        (c.gross_cost - case when c.used_against_cost then c.forfeitures_used else 0 end)::decimal(18, 2)
            as net_employer_cost
    from forfeiture_use as c
    left join events as e using (plan_design_id)
)

select * from final
