{{ config(tags=["year"]) }}

-- Account of each person employed in the year, per plan design and source (employee_deferral,
-- employer_match, employer_core): one row each (docs/plan.md, "Accounts"). In order:
--   1. opening balance: the previous year-end balance (stg_year_start_state: the census
--      balances in the first simulated year, the published snapshot later; $0 for hires);
--   2. contributions of the year (int_employee_contributions, after every IRS limit);
--   3. investment return at the design's annual_return r, simple interest inside the year:
--        return = opening x r x days_invested / D + contributions x r x days_employed / (2 D)
--      D = days in the year; days_invested = Jan 1 to the termination date or Dec 31; the
--      contributions arrive evenly over the days employed, so they are invested half of them
--      on average (the half-year convention). Rounded half up to the cent once;
--   4. vesting: completed years of vesting service (elapsed time, from
--      vesting_service_start_date to the termination date or Dec 31) on the design's schedule
--      (vesting_steps: macro plan_design_vesting_steps); employee deferrals are always 100% vested;
--   5. a leaver is settled at termination: the vested part of opening + contributions + return
--      (rounded half up to the cent once) is distributed, the rest forfeited;
--   6. forfeiture_use reallocate: the year's forfeitures of a source are allocated to the year-end
--      actives eligible for the plan in proportion to their 401(a)(17)-capped pay, to the cent by
--      largest remainder (ties by employee_id), into the same source; the other policies leave
--      the accounts alone (int_plan_year_summary shows what they do to the cost).
--   closing = opening + contributions + forfeitures_allocated + return - distribution - forfeiture.
-- Money is carried in whole cents (HUGEINT) between the rounding points (docs/money.md).
{%- set year = var('simulation_year') | int %}

with vesting_steps as (
    {{ plan_design_vesting_steps() }}
),

parameters as (
    -- Each design's account parameters (int_plan_design_parameters): the year's return (the rate
    -- of the latest from_year at or before the year) and the forfeiture policy.
    select
        d.plan_design_id,
        (select (r ->> 'rate')::decimal(18, 8)
         from (select unnest(from_json(d.annual_return, '["JSON"]')) as r)
         where (r ->> 'from_year')::integer <= {{ year }}
         order by (r ->> 'from_year')::integer desc
         limit 1) as annual_return,
        d.forfeiture_use,
        l.last_step_years
    from {{ ref('int_plan_design_parameters') }} as d
    left join (
        select plan_design_id, max(years) as last_step_years
        from vesting_steps
        group by plan_design_id
    ) as l using (plan_design_id)
),

vesting_lookup as (
    -- Each design's vested percentage per employer source by completed years of vesting
    -- service, from 0 to its last step (later years vest as at the last step): the percentage
    -- of the step reached last (0% before a schedule's first step). A few rows per design,
    -- so that people find theirs by an equality join.
    select
        p.plan_design_id,
        g.lookup_years,
        coalesce(arg_max(v.vested_percentage, v.years)
                 filter (where v.source = 'employer_match' and v.years <= g.lookup_years), 0) as match_vested_percentage,
        coalesce(arg_max(v.vested_percentage, v.years)
                 filter (where v.source = 'employer_core' and v.years <= g.lookup_years), 0) as core_vested_percentage
    from parameters as p
    cross join unnest(range(0, p.last_step_years + 1)) as g(lookup_years)
    join vesting_steps as v using (plan_design_id)
    group by p.plan_design_id, g.lookup_years
),

people as (
    select
        d.plan_design_id,
        w.employee_id,
        w.employment_status,
        w.termination_date,
        w.days_employed,
        date_diff('day', {{ year_start() }}, coalesce(w.termination_date, {{ year_end() }})) + 1 as days_invested,
        coalesce(s.vesting_service_start_date, w.employee_hire_date) as vesting_service_start_date,
        c.is_eligible,
        c.capped_compensation,
        c.employee_deferral,
        c.employer_match_amount,
        c.employer_core_amount,
        s.employee_deferral_balance,
        s.employer_match_balance,
        s.employer_core_balance,
        (d.annual_return * 100000000)::hugeint as return_e8,
        d.forfeiture_use,
        d.last_step_years
    -- One row per design and person employed in the year (int_employee_contributions).
    from {{ ref('int_employee_contributions') }} as c
    join {{ ref('int_workforce_snapshot_optimized') }} as w using (employee_id)
    join parameters as d using (plan_design_id)
    left join {{ ref('stg_year_start_state') }} as s
      on s.plan_design_id = d.plan_design_id and s.employee_id = w.employee_id and s.is_active
),

served as (
    select
        *,
        {{ service_years('vesting_service_start_date', 'termination_date') }} as vesting_years
    from people
),

schedules as (
    select
        s.*,
        coalesce(v.match_vested_percentage, 0) as match_vested_percentage,
        coalesce(v.core_vested_percentage, 0) as core_vested_percentage
    from served as s
    left join vesting_lookup as v
      on v.plan_design_id = s.plan_design_id and v.lookup_years = least(s.vesting_years, s.last_step_years)
),

vested as (
    -- The three sources of each person, one row each.
    select
        s.*,
        src.source,
        case src.source when 'employee_deferral' then 100::decimal(5, 2)
                        when 'employer_match' then s.match_vested_percentage::decimal(5, 2)
                        else s.core_vested_percentage::decimal(5, 2) end as vested_percentage,
        {{ to_cents("coalesce(case src.source when 'employee_deferral' then s.employee_deferral_balance
                                             when 'employer_match' then s.employer_match_balance
                                             else s.employer_core_balance end, 0)") }} as opening_cents,
        {{ to_cents("case src.source when 'employee_deferral' then s.employee_deferral
                                    when 'employer_match' then s.employer_match_amount
                                    else s.employer_core_amount end") }} as contribution_cents
    from schedules as s
    cross join (values ('employee_deferral'), ('employer_match'), ('employer_core')) as src(source)
),

returned as (
    -- No return (a design without one, or nothing invested) is 0 cents without the quotient.
    select
        *,
        case when return_e8 = 0 or (opening_cents = 0 and contribution_cents = 0) then 0::hugeint
             else {{ half_up_quotient('opening_cents * return_e8 * days_invested * 2 + contribution_cents * return_e8 * days_employed',
                                      '200000000 * ' ~ days_in_year()) }} end as return_cents
    from vested
),

settled as (
    select
        *,
        case when employment_status = 'terminated'
             then {{ half_up_quotient('(opening_cents + contribution_cents + return_cents) * (vested_percentage * 100)::hugeint',
                                      '10000') }}
             else 0 end as distribution_cents
    from returned
),

forfeited as (
    select
        *,
        case when employment_status = 'terminated'
             then opening_cents + contribution_cents + return_cents - distribution_cents
             else 0 end as forfeiture_cents
    from settled
),

pools as (
    select plan_design_id, source, sum(forfeiture_cents) as pool_cents
    from forfeited
    where forfeiture_use = 'reallocate' and source <> 'employee_deferral'
    group by all
    having sum(forfeiture_cents) > 0
),

recipients as (
    select
        f.plan_design_id,
        f.employee_id,
        f.source,
        p.pool_cents,
        {{ to_cents('f.capped_compensation') }} as base_cents,
        sum({{ to_cents('f.capped_compensation') }}) over (partition by f.plan_design_id, f.source) as total_base_cents
    from forfeited as f
    join pools as p using (plan_design_id, source)
    where f.employment_status = 'active' and f.is_eligible and f.capped_compensation > 0
),

shares as (
    select
        *,
        pool_cents * base_cents // total_base_cents as floor_cents,
        pool_cents * base_cents % total_base_cents as remainder
    from recipients
),

allocated as (
    select
        plan_design_id,
        employee_id,
        source,
        floor_cents
            + case when row_number() over (partition by plan_design_id, source order by remainder desc, employee_id)
                        <= pool_cents - sum(floor_cents) over (partition by plan_design_id, source)
                   then 1 else 0 end as allocated_cents
    from shares
),

final as (
    select
        f.plan_design_id,
        f.employee_id,
        {{ year }} as simulation_year,
        f.source,
        f.employment_status,
        f.termination_date,
        f.vesting_service_start_date,
        f.vesting_years,
        f.vested_percentage,
        {{ from_cents('f.opening_cents') }} as opening_balance,
        {{ from_cents('f.contribution_cents') }} as contributions,
        {{ from_cents('coalesce(a.allocated_cents, 0)') }} as forfeitures_allocated,
        {{ from_cents('f.return_cents') }} as investment_return,
        {{ from_cents('f.distribution_cents') }} as distribution,
        {{ from_cents('f.forfeiture_cents') }} as forfeiture,
        {{ from_cents('f.opening_cents + f.contribution_cents + coalesce(a.allocated_cents, 0) + f.return_cents'
                      ~ ' - f.distribution_cents - f.forfeiture_cents') }} as closing_balance
    from forfeited as f
    left join allocated as a using (plan_design_id, employee_id, source)
)

select * from final
