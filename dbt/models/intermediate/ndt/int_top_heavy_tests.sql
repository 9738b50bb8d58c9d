{{ config(tags=["year"]) }}

-- The top-heavy test of the simulated year (IRC 416(g)), one row per plan design with
-- ndt.enabled, and the top-heavy minimum it calls for (416(c)(2), Treas. Reg. 1.416-1 M-7,
-- M-18, M-20):
--   key share = the key employees' counted balances / everyone's (int_key_employees), exactly
--     (key_num / key_den, cents); top-heavy when it exceeds 60% (416(g)(1)(A)(ii));
--   exempt (416(g)(4)(H)): a plan whose only contributions are deferrals meeting an ADP safe
--     harbor (401(k)(12) or (13)) and a match meeting the ACP safe harbor (401(m)(11)): the
--     design's claimed safe harbor qualifies for ADP, the match is off or qualifies for ACP, and
--     no core contribution is made besides a claimed safe-harbor nonelective one;
--   the key employee contribution rate (M-7, M-20): per key employee employed in the year,
--     elective deferrals (less catch-up, Treas. Reg. 1.414(v)-1(d)(3)) + match + core +
--     forfeitures allocated, over 401(a)(17)-capped pay; the highest one (rate_num / rate_den);
--   the minimum rate: the lesser of 3% and that highest key rate (min_num / min_den), when
--     the plan is top-heavy and not exempt; null otherwise.
with designs as (
    select * from {{ ref('int_plan_design_parameters') }} where ndt_enabled
),

keys as (
    select * from {{ ref('int_key_employees') }}
),

shares as (
    select
        d.plan_design_id,
        coalesce(any_value(k.method), 'preceding_year_end') as determination_method,
        count(k.employee_id) filter (where k.is_key_employee) as key_count,
        count(k.employee_id) filter (where not k.is_key_employee and not k.former_key_employee) as non_key_count,
        coalesce(sum(k.counted_cents) filter (where k.is_key_employee), 0) as key_num,
        coalesce(sum(k.counted_cents), 0) as key_den
    from designs as d
    left join keys as k on k.plan_design_id = d.plan_design_id
    group by d.plan_design_id
),

key_rates as (
    -- Each key employee's contributions of the year and 401(a)(17)-capped pay, in cents.
    select
        k.plan_design_id,
        {{ to_cents('c.employee_deferral - c.catch_up_contribution + c.employer_match_amount'
                    ~ ' + c.employer_core_amount') }}
            + coalesce(a.allocated_cents, 0) as rate_num,
        {{ to_cents('c.capped_compensation') }} as rate_den
    from keys as k
    join {{ ref('int_employee_contributions') }} as c
      on c.plan_design_id = k.plan_design_id and c.employee_id = k.employee_id
    left join ({{ top_heavy_allocated_cents() }}) as a on a.plan_design_id = k.plan_design_id and a.employee_id = k.employee_id
    where k.is_key_employee and c.capped_compensation > 0
),

highest as (
    -- The highest rate, kept as the fraction it is (ordered by its value to 10^-15).
    select
        plan_design_id,
        arg_max(rate_num, rate_num * 1000000000000000 // rate_den) as rate_num,
        arg_max(rate_den, rate_num * 1000000000000000 // rate_den) as rate_den
    from key_rates
    group by plan_design_id
),

judged as (
    select
        s.*,
        h.rate_num,
        h.rate_den,
        s.key_num * 10 > s.key_den * 6 as is_top_heavy,
        d.ndt_adp_safe_harbor_status = 'qualified'
            and (not d.match_enabled or d.ndt_acp_safe_harbor_status = 'qualified')
            and (not d.core_enabled or d.ndt_safe_harbor in ('nonelective', 'qaca_nonelective')) as is_exempt,
        case
            when d.ndt_safe_harbor = 'none' then 'not_claimed'
            when d.ndt_adp_safe_harbor_status <> 'qualified' then d.ndt_adp_safe_harbor_status
            when d.match_enabled and d.ndt_acp_safe_harbor_status <> 'qualified' then d.ndt_acp_safe_harbor_status
            when d.core_enabled and d.ndt_safe_harbor not in ('nonelective', 'qaca_nonelective')
                then 'top_heavy_other_employer_contributions'
            else 'qualified'
        end as safe_harbor_status
    from shares as s
    join designs as d using (plan_design_id)
    left join highest as h using (plan_design_id)
),

final as (
    select
        plan_design_id,
        case when is_exempt then 'safe_harbor' else determination_method end as method,
        determination_method,
        safe_harbor_status,
        key_count,
        non_key_count,
        key_num,
        key_den,
        is_top_heavy,
        is_exempt,
        -- The minimum rate owed: the lesser of 3% and the highest key rate (0 when no key
        -- employee has contributions, 416(c)(2)(B)(i)).
        case when is_top_heavy and not is_exempt then
            case when coalesce(rate_num, 0) * 100 < 3 * coalesce(rate_den, 1) then coalesce(rate_num, 0) else 3 end
        end as min_num,
        case when is_top_heavy and not is_exempt then
            case when coalesce(rate_num, 0) * 100 < 3 * coalesce(rate_den, 1) then coalesce(rate_den, 1) else 100 end
        end as min_den
    from judged
)

select * from final
