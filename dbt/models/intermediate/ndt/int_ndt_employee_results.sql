{{ config(tags=["year"]) }}

-- Per plan design, eligible employee and test (adp, acp) of the simulated year: HCE status, testing pay,
-- contributions counted, ratio, and what a failed test means for the person:
--   excess_by_leveling: HCE contributions above the leveled ratio (Treas. Reg.
--     1.401(k)-2(b)(2)(ii)); these add up to the test's excess;
--   corrective_distribution: the HCE's share of that excess by dollar leveling (IRC
--     401(k)(8)(C)), the amount distributed (ACP: distributed or, if not vested, forfeited);
--   qnec_amount: an NHCE's QNEC at the test's uniform QNEC rate (current-year testing).
-- Amounts are exact until here and rounded half up to the cent once, in this model; a test's
-- totals (int_ndt_results) are sums of these rounded amounts.
-- The top-heavy rows (int_top_heavy_employee_results) follow; the key employee columns are
-- theirs (null in the ADP and ACP rows).
with ratios as (
    select * from {{ ref('int_ndt_employee_ratios') }}
),

tests as (
    select * from {{ ref('int_ndt_tests') }}
),

hce as (
    -- The HCE basis of the tested designs' people (every design has a row per person).
    select plan_design_id, employee_id, hce_basis
    from {{ ref('int_hce_determination') }}
    where plan_design_id in (select plan_design_id from tests)
),

final as (
    select
        {{ published_keys('r.plan_design_id') }}
        r.employee_id,
        r.test,
        r.is_hce,
        h.hce_basis,
        r.testing_compensation,
        r.contributions,
        (r.ratio_bp::decimal(18, 0) * 0.0001)::decimal(8, 4) as ratio,
        (case
            when r.is_hce and t.level_den is not null
                 and r.contribution_cents * t.level_den > r.compensation_cents * t.level_num
            then {{ ndt_div_half_up('r.contribution_cents * t.level_den - r.compensation_cents * t.level_num', 't.level_den') }}
            else 0
        end::decimal(18, 0) * 0.01)::decimal(14, 2) as excess_by_leveling,
        (case
            when r.is_hce and t.dollar_den is not null and r.contribution_cents * t.dollar_den > t.dollar_num
            then {{ ndt_div_half_up('r.contribution_cents * t.dollar_den - t.dollar_num', 't.dollar_den') }}
            else 0
        end::decimal(18, 0) * 0.01)::decimal(14, 2) as corrective_distribution,
        (case
            when r.is_hce or t.qnec_bp is null then null
            else {{ ndt_div_half_up('t.qnec_bp * r.compensation_cents', '10000') }}
        end::decimal(18, 0) * 0.01)::decimal(14, 2) as qnec_amount,
        null::boolean as is_key_employee,
        null::varchar as key_employee_basis,
        null::boolean as former_key_employee,
        null::decimal(14, 2) as top_heavy_balance,
        null::decimal(14, 2) as top_heavy_minimum
    from ratios as r
    join tests as t on t.plan_design_id = r.plan_design_id and t.test = r.test
    join hce as h on h.plan_design_id = r.plan_design_id and h.employee_id = r.employee_id
)

select * from final
union all by name
select * from {{ ref('int_top_heavy_employee_results') }}
