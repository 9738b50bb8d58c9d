{{ config(tags=["year"]) }}

-- One row per plan design and test (adp, acp) of the simulated year: the published ADP/ACP result.
-- Averages, limit and QNEC rate are fractions of pay (0.055 = 5.5%); money in dollars, the sums
-- of the per-person amounts of int_ndt_employee_results (each rounded half up to the cent).
-- corrective_amount is the correction the design's ndt.correction selects: the corrective distributions to
-- HCEs, or the QNEC to NHCEs that passes the test instead.
-- The top-heavy row (test = 'top_heavy', int_top_heavy_tests) fills the same columns (docs/ndt.md,
-- "Top-heavy"): the key employees' counts and share of the balances as eligible_hce_count,
-- eligible_nhce_count and hce_average, limit 0.60, passed = not top-heavy (or exempt), the
-- minimum rate as qnec_rate and the minimum contributions owed as corrective_amount.
with tests as (
    select * from {{ ref('int_ndt_tests') }}
),

people as (
    select
        plan_design_id,
        test,
        sum(excess_by_leveling) as excess_contributions,
        sum(corrective_distribution) as corrective_distribution,
        sum(qnec_amount) as qnec_amount,
        sum(top_heavy_minimum) as top_heavy_minimum
    from {{ ref('int_ndt_employee_results') }}
    group by plan_design_id, test
),

final as (
    select
        {{ published_keys('t.plan_design_id') }}
        t.test,
        t.method,
        d.ndt_safe_harbor as safe_harbor,
        t.safe_harbor_status,
        t.hce_count as eligible_hce_count,
        t.nhce_count as eligible_nhce_count,
        (t.hce_bp::decimal(18, 0) * 0.0001)::decimal(8, 4) as hce_average,
        (t.nhce_bp::decimal(18, 0) * 0.0001)::decimal(8, 4) as nhce_average,
        (t.nhce_current_bp::decimal(18, 0) * 0.0001)::decimal(8, 4) as nhce_current_year_average,
        (t.limit_6::decimal(18, 0) * 0.000001)::decimal(10, 6) as "limit",
        t.limit_rule,
        t.passed,
        coalesce(p.excess_contributions, 0)::decimal(14, 2) as excess_contributions,
        coalesce(p.corrective_distribution, 0)::decimal(14, 2) as corrective_distribution,
        (t.qnec_bp::decimal(18, 0) * 0.0001)::decimal(8, 4) as qnec_rate,
        case when t.qnec_bp is not null then coalesce(p.qnec_amount, 0) end::decimal(14, 2) as qnec_amount,
        d.ndt_correction as correction,
        case d.ndt_correction
            when 'qnec' then case when t.qnec_bp is not null then coalesce(p.qnec_amount, 0) end
            else coalesce(p.corrective_distribution, 0)
        end::decimal(14, 2) as corrective_amount
    from tests as t
    join {{ ref('int_plan_design_parameters') }} as d using (plan_design_id)
    left join people as p on p.plan_design_id = t.plan_design_id and p.test = t.test
),

top_heavy_owed as (
    select plan_design_id, top_heavy_minimum from people where test = 'top_heavy'
),

top_heavy as (
    select
        {{ published_keys('t.plan_design_id') }}
        'top_heavy' as test,
        t.method,
        d.ndt_safe_harbor as safe_harbor,
        t.safe_harbor_status,
        t.key_count as eligible_hce_count,
        t.non_key_count as eligible_nhce_count,
        (case when t.key_den > 0 then {{ ndt_div_half_up('t.key_num * 10000', 't.key_den') }} end::decimal(18, 0)
            * 0.0001)::decimal(8, 4) as hce_average,
        null::decimal(8, 4) as nhce_average,
        null::decimal(8, 4) as nhce_current_year_average,
        0.600000::decimal(10, 6) as "limit",
        'top_heavy_60_percent' as limit_rule,
        t.is_exempt or not t.is_top_heavy as passed,
        0::decimal(14, 2) as excess_contributions,
        0::decimal(14, 2) as corrective_distribution,
        (case when t.min_num is not null then {{ ndt_div_half_up('t.min_num * 10000', 't.min_den') }} end::decimal(18, 0)
            * 0.0001)::decimal(8, 4) as qnec_rate,
        null::decimal(14, 2) as qnec_amount,
        'top_heavy_minimum' as correction,
        coalesce(o.top_heavy_minimum, 0)::decimal(14, 2) as corrective_amount
    from {{ ref('int_top_heavy_tests') }} as t
    join {{ ref('int_plan_design_parameters') }} as d using (plan_design_id)
    left join top_heavy_owed as o using (plan_design_id)
)

select * from final
union all by name
select * from top_heavy
