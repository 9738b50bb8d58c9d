{{ config(tags=["year"]) }}

-- The ADP test (IRC 401(k)(3), Treas. Reg. 1.401(k)-2) and the ACP test (IRC 401(m)(2),
-- Treas. Reg. 1.401(m)-2) of the simulated year, one row per plan design (those with
-- ndt.enabled) and test, with the parameters of the corrections; the method, prior-year values
-- and safe-harbor status are the design's (int_plan_design_parameters). Ratios and averages are in hundredths of a percent (_bp, 1 = 0.01%); the limit
-- in millionths (_6, 10000 = 1%); so every comparison is exact.
--   averages: mean of the eligible employees' ratios, rounded half up to 0.01%;
--   NHCE average of the applicable year: this year's (current_year), last year's (prior_year:
--     the previous simulated year's published snapshot; in the first simulated year the
--     ndt.prior_year_nhce_* values, or 3% when ndt.first_plan_year (IRC 401(k)(3)(E),
--     401(m)(3)), or, lacking both, this year's, stated as current_year_no_prior_year_data);
--   limit: the greater of 1.25 x NHCE (basic) and the lesser of 2 x NHCE and NHCE + 2 points
--     (alternative), IRC 401(k)(3)(A)(ii), 401(m)(2)(A);
--   passes when the HCE average is at most the limit; with no eligible NHCE in the applicable
--     year it is deemed to pass (Treas. Reg. 1.401(k)-2(a)(1)(ii)); a safe-harbor design that
--     qualifies (ndt_*_safe_harbor_status) is exempt and reported as such;
--   leveling (Treas. Reg. 1.401(k)-2(b)(2)(ii)-(iii)): the highest HCE ratios are lowered to
--     one level L until the HCE average equals the limit: L = level_num / (level_k x 10^6);
--     the excess is the sum over HCEs above L of contributions - L x testing pay;
--   dollar leveling (IRC 401(k)(8)(C), Treas. Reg. 1.401(k)-2(b)(2)(iv)): the excess is taken
--     from the largest HCE contribution amounts down to one dollar level D =
--     dollar_num / dollar_den (cents); each HCE above D gives back the amount above D;
--   QNEC alternative (current-year testing only): the smallest uniform rate of testing pay,
--     in whole 0.01%, that raises the NHCE average so the HCE average passes.
{% set year = var('simulation_year') | int %}
{% set first_year = 'true' if year == var('start_year') | int else 'false' %}

with ratios as (
    select * from {{ ref('int_ndt_employee_ratios') }}
),

designs as (
    select * from {{ ref('int_plan_design_parameters') }} where ndt_enabled
),

tests as (
    select d.plan_design_id, t.test
    from designs as d
    cross join (values ('adp'), ('acp')) as t(test)
),

current_groups as (
    select
        t.plan_design_id,
        t.test,
        count(r.employee_id) filter (where r.is_hce) as hce_count,
        count(r.employee_id) filter (where not r.is_hce) as nhce_count,
        sum(r.ratio_bp) filter (where r.is_hce) as hce_sum_bp,
        sum(r.ratio_bp) filter (where not r.is_hce) as nhce_sum_bp
    from tests as t
    left join ratios as r on r.plan_design_id = t.plan_design_id and r.test = t.test
    group by t.plan_design_id, t.test
),

prior_snapshot as (
    -- The previous simulated year's published figures (stg_year_start_state); none in the first
    -- simulated year or with current-year testing.
    select s.*
    from {{ ref('stg_year_start_state') }} as s
    join designs as d using (plan_design_id)
    where s.previous_year_simulated and d.ndt_testing_method = 'prior_year' and not {{ first_year }}
),

prior_limits as (
    select compensation_limit from {{ ref('int_irs_limits') }} where limit_year = {{ year - 1 }}
),

prior_groups as (
    select
        t.plan_design_id,
        t.test,
        count(p.employee_id) as nhce_count,
        sum({{ ndt_ratio_bp('p.contributions', 'p.testing_compensation') }}) as nhce_sum_bp
    from tests as t
    join designs as d using (plan_design_id)
    left join (
        {{ ndt_ratio_rows('prior_snapshot', '(select compensation_limit from prior_limits)') }}
    ) as p on p.plan_design_id = t.plan_design_id and p.test = t.test and not p.is_hce
    where d.ndt_testing_method = 'prior_year' and not {{ first_year }}
    group by t.plan_design_id, t.test
),

averaged as (
    select
        c.plan_design_id,
        c.test,
        c.hce_count,
        c.hce_sum_bp,
        c.nhce_count as nhce_current_count,
        case when c.hce_count > 0 then {{ ndt_div_half_up('c.hce_sum_bp', 'c.hce_count') }} end as hce_bp,
        case when c.nhce_count > 0 then {{ ndt_div_half_up('c.nhce_sum_bp', 'c.nhce_count') }} end as nhce_current_bp,
        case when p.nhce_count > 0 then {{ ndt_div_half_up('p.nhce_sum_bp', 'p.nhce_count') }} end as nhce_prior_bp,
        p.nhce_count as nhce_prior_count
    from current_groups as c
    left join prior_groups as p on p.plan_design_id = c.plan_design_id and p.test = c.test
),

applicable as (
    select
        a.*,
        case
            when a.test = 'adp' and d.ndt_adp_safe_harbor_status = 'qualified' then 'safe_harbor'
            when a.test = 'acp' and d.ndt_acp_safe_harbor_status = 'qualified' then 'safe_harbor'
            when d.ndt_testing_method = 'current_year' then 'current_year'
            when not {{ first_year }} then 'prior_year'
            when d.ndt_first_plan_year then 'prior_year_deemed_3_percent'
            when a.test = 'adp' and d.ndt_prior_year_nhce_adp is not null then 'prior_year_stated'
            when a.test = 'acp' and d.ndt_prior_year_nhce_acp is not null then 'prior_year_stated'
            else 'current_year_no_prior_year_data'
        end as method,
        case a.test
            when 'adp' then d.ndt_adp_safe_harbor_status
            else d.ndt_acp_safe_harbor_status
        end as safe_harbor_status,
        -- The stated prior-year NHCE average in hundredths of a percent, rounded half up.
        round(case a.test when 'adp' then d.ndt_prior_year_nhce_adp else d.ndt_prior_year_nhce_acp end
              * 10000)::integer as nhce_stated_bp
    from averaged as a
    join designs as d using (plan_design_id)
),

nhce_applied as (
    select
        *,
        case method
            when 'prior_year' then nhce_prior_bp
            when 'prior_year_deemed_3_percent' then 300
            when 'prior_year_stated' then nhce_stated_bp
            else nhce_current_bp
        end as nhce_bp,
        case method
            when 'prior_year' then coalesce(nhce_prior_count, 0)
            when 'prior_year_deemed_3_percent' then null
            when 'prior_year_stated' then null
            else nhce_current_count
        end as nhce_count
    from applicable
),

limited as (
    select
        *,
        greatest(coalesce(nhce_bp, 0) * 125, least(coalesce(nhce_bp, 0) * 200, coalesce(nhce_bp, 0) * 100 + 20000)) as limit_6,
        case
            when coalesce(nhce_bp, 0) * 125 >= least(coalesce(nhce_bp, 0) * 200, coalesce(nhce_bp, 0) * 100 + 20000)
                then 'basic_125_percent'
            when coalesce(nhce_bp, 0) * 200 <= coalesce(nhce_bp, 0) * 100 + 20000 then 'alternative_200_percent'
            else 'alternative_plus_2_points'
        end as limit_rule
    from nhce_applied
),

judged as (
    select
        *,
        case
            when method = 'safe_harbor' then true
            when coalesce(hce_count, 0) = 0 then true
            when nhce_count = 0 then true  -- no eligible NHCE in the applicable year: deemed to pass
            else hce_bp * 100 <= limit_6
        end as passed
    from limited
),

-- Leveling of HCE ratios: with ratios r1 >= r2 >= ... (millionths), lowering the top k to
-- L_k = (n x limit - sum of the others) / k; the level is L_k for the smallest k with L_k >= r(k+1).
hce_ranked as (
    select
        r.plan_design_id,
        r.test,
        r.ratio_bp * 100 as r_6,
        row_number() over w as k,
        sum(r.ratio_bp * 100) over (w rows between unbounded preceding and current row) as top_sum_6,
        lead(r.ratio_bp * 100, 1, 0) over w as next_6
    from ratios as r
    where r.is_hce
    window w as (partition by r.plan_design_id, r.test order by r.ratio_bp desc, r.employee_id)
),

level_candidates as (
    select
        h.plan_design_id,
        h.test,
        h.k,
        h.next_6,
        j.hce_count * j.limit_6 - (j.hce_sum_bp * 100 - h.top_sum_6) as num
    from hce_ranked as h
    join judged as j on j.plan_design_id = h.plan_design_id and j.test = h.test and not j.passed
),

level as (
    select
        plan_design_id,
        test,
        min(k) filter (where num >= k * next_6) as level_k,
        arg_min(num, k) filter (where num >= k * next_6) as level_num
    from level_candidates
    group by plan_design_id, test
),

excess as (
    select
        l.plan_design_id,
        l.test,
        l.level_k,
        l.level_num,
        l.level_k * 1000000 as level_den,
        sum(greatest(0, r.contribution_cents * l.level_k * 1000000 - r.compensation_cents * l.level_num)) as excess_num
    from level as l
    join ratios as r on r.plan_design_id = l.plan_design_id and r.test = l.test and r.is_hce
    group by l.plan_design_id, l.test, l.level_k, l.level_num
),

-- Dollar leveling: amounts a1 >= a2 >= ... (cents) lowered to D_k = (a1 + ... + ak - E) / k for
-- the smallest k with D_k >= a(k+1).
amount_ranked as (
    select
        r.plan_design_id,
        r.test,
        row_number() over w as k,
        sum(r.contribution_cents) over (w rows between unbounded preceding and current row) as top_sum,
        lead(r.contribution_cents, 1, 0) over w as next_amount
    from ratios as r
    where r.is_hce
    window w as (partition by r.plan_design_id, r.test order by r.contribution_cents desc, r.employee_id)
),

dollar_level as (
    select
        e.plan_design_id,
        e.test,
        min(a.k) filter (where a.top_sum * e.level_den - e.excess_num >= a.k * a.next_amount * e.level_den) as dollar_k,
        arg_min(a.top_sum * e.level_den - e.excess_num, a.k)
            filter (where a.top_sum * e.level_den - e.excess_num >= a.k * a.next_amount * e.level_den) as dollar_num
    from excess as e
    join amount_ranked as a on a.plan_design_id = e.plan_design_id and a.test = e.test
    group by e.plan_design_id, e.test
),

final as (
    select
        j.plan_design_id,
        j.test,
        j.method,
        j.safe_harbor_status,
        j.hce_count,
        j.nhce_count,
        j.hce_bp,
        j.nhce_bp,
        j.nhce_current_bp,
        j.limit_6,
        j.limit_rule,
        j.passed,
        e.level_num,
        e.level_den,
        e.excess_num,
        d.dollar_num,
        d.dollar_k * e.level_den as dollar_den,
        case
            when j.passed then 0
            when j.method <> 'current_year' then null  -- a QNEC for another year's NHCEs is not modelled
            else ((greatest(0, least(j.hce_bp * 80, greatest(j.hce_bp * 50, j.hce_bp * 100 - 20000))
                              - j.nhce_bp * 100) + 99) // 100)
        end as qnec_bp
    from judged as j
    left join excess as e on e.plan_design_id = j.plan_design_id and e.test = j.test
    left join dollar_level as d on d.plan_design_id = j.plan_design_id and d.test = j.test
)

select * from final
