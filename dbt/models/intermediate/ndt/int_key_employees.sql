{{ config(tags=["year"]) }}

-- The top-heavy determination of the simulated year (IRC 416(g)), one row per plan design
-- (those with ndt.enabled) and person whose account counts at the determination date:
--   determination date (416(g)(4)(C)): the last day of the preceding plan year
--     (preceding_year_end: Dec 31 of the previous year, the census date in the first simulated
--     year); in the plan's first plan year (ndt.first_plan_year, first simulated year only)
--     the last day of that year (first_plan_year_end);
--   people: everyone employed in the year that ends on the determination date (the previous
--     year's snapshot, the census actives, or this year's workforce), so everyone counted
--     performed services in the 1-year period ending on it (416(g)(4)(E));
--   balance: the account balances at the determination date (all sources: the previous year's
--     closing balances, the census balances, or this year's closing balances) plus the
--     distributions paid in the year ending on it (416(g)(3); none known for the census year);
--   key employees (416(i)(1)) of the year ending on the determination date, by its pay (pay
--     earned, 415(c)(3), 416(i)(1)(D)): a more-than-5% owner (census is_owner_5pct), a
--     more-than-1% owner paid more than $150,000 (is_owner_1pct; the amount is not indexed),
--     or an officer (is_officer) paid more than the 416(i)(1)(A)(i) amount of that year
--     (int_irs_limits) among the officers that count: at most 50, or if fewer the greater of 3
--     and 10% of the year's employees rounded up (416(i)(1)(A) flush language, Treas. Reg.
--     1.416-1 T-14), the highest paid first, ties by employee_id;
--   a former key employee (a non-key employee who was a key employee in an earlier simulated
--     year, stg_top_heavy_history) is left out (416(g)(4)(B)): counted_cents is 0.
-- Money in whole cents (HUGEINT); nothing is rounded here.
{%- set year = var('simulation_year') | int %}
{%- set first_year = 'true' if year == var('start_year') | int else 'false' %}

with designs as (
    select plan_design_id, {{ first_year }} and ndt_first_plan_year as at_first_plan_year_end
    from {{ ref('int_plan_design_parameters') }}
    where ndt_enabled
),

history as (
    select * from {{ ref('stg_top_heavy_history') }}
),

preceding_year as (
    select
        s.plan_design_id,
        s.employee_id,
        s.lookback_compensation as determination_pay,
        {{ to_cents('coalesce(s.employee_deferral_balance, 0) + coalesce(s.employer_match_balance, 0)'
                    ~ ' + coalesce(s.employer_core_balance, 0)') }} as balance_cents,
        {{ to_cents('coalesce(h.prior_year_distribution, 0)') }} as distribution_cents,
        coalesce(h.was_key_employee, false) as was_key_employee
    from {{ ref('stg_year_start_state') }} as s
    join designs as d on d.plan_design_id = s.plan_design_id and not d.at_first_plan_year_end
    left join history as h on h.plan_design_id = s.plan_design_id and h.employee_id = s.employee_id
),

first_plan_year as (
    select
        a.plan_design_id,
        a.employee_id,
        any_value(w.prorated_annual_compensation) as determination_pay,
        sum({{ to_cents('a.closing_balance') }}) as balance_cents,
        sum({{ to_cents('a.distribution') }}) as distribution_cents,
        false as was_key_employee
    from {{ ref('int_employee_accounts') }} as a
    join designs as d on d.plan_design_id = a.plan_design_id and d.at_first_plan_year_end
    join {{ ref('int_workforce_snapshot_optimized') }} as w on w.employee_id = a.employee_id
    group by a.plan_design_id, a.employee_id
),

people as (
    select *, false as at_first_plan_year_end from preceding_year
    union all
    select *, true from first_plan_year
),

owners as (
    select employee_id, is_owner_5pct, is_owner_1pct, is_officer from {{ ref('stg_census_data') }}
),

limits as (
    select limit_year, key_employee_compensation from {{ ref('int_irs_limits') }}
),

flagged as (
    select
        p.*,
        coalesce(o.is_owner_5pct, false) as is_owner_5pct,
        coalesce(o.is_owner_1pct, false) as is_owner_1pct,
        coalesce(o.is_officer, false) as is_officer,
        l.key_employee_compensation,
        case when p.at_first_plan_year_end then {{ year_end(year) }} else {{ year_end(year - 1) }} end
            as determination_date,
        n.employees
    from people as p
    join (select plan_design_id, count(*) as employees from people group by plan_design_id) as n using (plan_design_id)
    left join owners as o using (employee_id)
    join limits as l on l.limit_year = case when p.at_first_plan_year_end then {{ year }} else {{ year - 1 }} end
),

officers as (
    select
        plan_design_id,
        employee_id,
        row_number() over (partition by plan_design_id order by determination_pay desc, employee_id)
            <= least(50, greatest(3, ceil(employees / 10))) as counts_as_officer
    from flagged
    where is_officer
),

keyed as (
    select
        f.*,
        case
            when f.is_owner_5pct then 'owner_5pct'
            when f.is_owner_1pct and f.determination_pay > 150000 then 'owner_1pct'
            when coalesce(o.counts_as_officer, false) and f.determination_pay > f.key_employee_compensation
                then 'officer'
        end as key_employee_basis
    from flagged as f
    left join officers as o using (plan_design_id, employee_id)
),

final as (
    select
        plan_design_id,
        employee_id,
        determination_date,
        case when at_first_plan_year_end then 'first_plan_year_end' else 'preceding_year_end' end as method,
        determination_pay,
        key_employee_compensation,
        key_employee_basis is not null as is_key_employee,
        key_employee_basis,
        key_employee_basis is null and was_key_employee as former_key_employee,
        balance_cents,
        distribution_cents,
        case when key_employee_basis is null and was_key_employee then 0
             else balance_cents + distribution_cents end as counted_cents
    from keyed
)

select * from final
