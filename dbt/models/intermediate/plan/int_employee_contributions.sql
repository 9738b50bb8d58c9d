{{ config(tags=["year"]) }}

-- Employee deferrals and employer money per plan design and employee-year (DESIGN §5 steps
-- 9-10), with each design's match and core parameters (int_plan_design_parameters, its match
-- tiers and core service grades), in order:
--   1. deferrals = requested deferrals capped at 402(g) plus the age-based catch-up (age
--      attained by Dec 31; ages 60-63 get the SECURE 2.0 amount where offered);
--   2. match pay and core pay = plan compensation capped at 401(a)(17);
--   3. match = tiered formula on the capped deferrals (catch-up included), capped at
--      max_match_percentage of match pay, for plan-eligible participants who meet the match
--      eligibility (active at year end, hours, service); a banded formula takes the tiers and
--      cap of the band the participant's service years or points (age + service years) on
--      Dec 31 fall in (match_band_basis); a design matching per payroll period without a
--      true-up applies the formula to each period's deferral and match pay instead
--      (int_pay_period_contributions), rounding each period's match, and takes their sum;
--   4. core = rate x core pay for plan-eligible employees who meet the core eligibility; the
--      rate is that of the grade the person's service years, age or points fall in
--      (core_grade_basis), else core_contribution_rate; integrated with Social Security, plus
--      core_excess_rate x the core pay above the integration level (the year's taxable wage
--      base x core_integration_level_fraction, rounded half up to the cent, or
--      core_integration_level_amount): permitted disparity, IRC 401(l), Treas. Reg. 1.401(l)-2;
--   5. 415(c): deferrals that are not catch-up + match + core may not exceed the lesser of the
--      415(c)(1)(A) limit and plan compensation. A participant aged 50+ has deferrals above a
--      limit treated as catch-up up to the catch-up limit (Treas. Reg. §1.414(v)-1(b)(1)(i)):
--      first those above 402(g), then, while catch-up room is left, those that would exceed
--      415(c). Any excess still left reduces the match first, then core.
-- Money is exact DECIMAL; match and core are rounded half up to the cent once (step 3 and 4),
-- after which only cents are compared and subtracted (docs/money.md).
with inputs as (
    select * from {{ ref('int_contribution_inputs') }}
),

-- Each design's match tiers, one row per band and tier (macro plan_design_match_tiers).
formula_tiers as (
    {{ plan_design_match_tiers() }}
),

limits as (
    select * from {{ ref('int_irs_limits') }} where limit_year = {{ var('simulation_year') }}
),

capped as (
    select
        i.*,
        l.elective_deferral_limit,
        l.annual_additions_limit,
        l.compensation_limit,
        l.taxable_wage_base,
        l.is_estimate as limits_are_estimates,
        {{ deferral_limit('i.current_age', 'l.elective_deferral_limit', 'l.catch_up_limit', 'l.catch_up_60_63_limit') }}
            as deferral_limit,
        least(i.plan_compensation, l.compensation_limit) as capped_compensation
    from inputs as i
    cross join limits as l
),

deferrals as (
    select
        *,
        least(requested_deferral, deferral_limit) as employee_deferral,
        requested_deferral > deferral_limit as deferral_limit_reached,
        -- Catch-up room of the year: the age-based catch-up limit (0 under age 50).
        deferral_limit - elective_deferral_limit as catch_up_room
    from capped
),

-- Each person's band values on Dec 31 for the design's formulas: service years, age, or points
-- (age + service years); the match's is 0 for a formula without bands.
banded as (
    select
        d.*,
        case p.match_band_basis when 'service' then d.service_years
                                when 'points' then d.current_age + d.service_years
                                else 0 end as match_band_value,
        case p.core_grade_basis when 'service' then d.service_years
                                when 'age' then d.current_age
                                when 'points' then d.current_age + d.service_years end as core_band_value
    from deferrals as d
    join {{ ref('int_plan_design_parameters') }} as p using (plan_design_id)
),

-- Each design's core grades, one row per grade (macro plan_design_core_grades).
core_grades as (
    {{ plan_design_core_grades() }}
),

-- The core rate of the grade the band value falls in (none: core_contribution_rate).
graded as (
    select b.plan_design_id, b.employee_id, arg_max(g.rate, g.band_min) as graded_rate
    from banded as b
    join core_grades as g
      on g.plan_design_id = b.plan_design_id
     and b.core_band_value >= g.band_min
     and (g.band_max is null or b.core_band_value <= g.band_max)
    group by b.plan_design_id, b.employee_id
),

employer as (
    select
        d.*,
        coalesce(p.match_calculation_period = 'pay_period' and not p.match_true_up, false) as match_per_pay_period,
        greatest(0, d.employee_deferral - d.elective_deferral_limit) as catch_up_over_402g,
        p.match_enabled
            and d.is_eligible
            and d.employee_deferral > 0
            and d.current_tenure >= p.match_minimum_tenure_years
            and d.hours_worked >= p.match_minimum_hours
            and (not p.match_require_active_at_year_end or d.employment_status = 'active')
            as is_match_eligible,
        p.core_enabled
            and d.is_eligible
            and d.current_tenure >= p.core_minimum_tenure_years
            and d.hours_worked >= p.core_minimum_hours
            and (not p.core_require_active_at_year_end or d.employment_status = 'active')
            as is_core_eligible,
        {{ decimal_rate('coalesce(g.graded_rate, p.core_contribution_rate)') }} as core_rate,
        case when p.core_integration_enabled then p.core_excess_rate else 0 end::decimal(18, 8) as core_excess_rate,
        case when p.core_integration_enabled
             then coalesce(p.core_integration_level_amount,
                           {{ cents('p.core_integration_level_fraction * d.taxable_wage_base') }}) end
            as core_integration_level
    from banded as d
    join {{ ref('int_plan_design_parameters') }} as p using (plan_design_id)
    left join graded as g using (plan_design_id, employee_id)
),

-- What the formula is applied to: the year's capped deferrals (catch-up included) and match
-- pay (period 0) for every design, and, matching per payroll period without a true-up, also
-- each period's (periods 1, 2, ...).
match_bases as (
    select plan_design_id, employee_id, match_band_value, 0 as period_no,
           employee_deferral as deferral, capped_compensation as match_pay, match_per_pay_period
    from employer
    where is_match_eligible
    union all
    select pp.plan_design_id, pp.employee_id, e.match_band_value, pp.period_no,
           pp.period_deferral as deferral, pp.period_match_pay as match_pay, true as match_per_pay_period
    from {{ ref('int_pay_period_contributions') }} as pp
    join employer as e using (plan_design_id, employee_id)
    where e.is_match_eligible and e.match_per_pay_period and pp.period_deferral > 0
),

-- The tiered match of the design's active formula on each base: the tiers of the
-- participant's band, capped at the band's max_match_percentage of the base's match pay,
-- rounded half up to the cent.
base_matches as (
    select
        b.plan_design_id,
        b.employee_id,
        b.period_no,
        b.match_per_pay_period,
        {{ cents('least(sum(' ~ tier_match('t', 'b.deferral', 'b.match_pay') ~ '),
                        any_value(t.max_match_percentage) * any_value(b.match_pay))') }} as base_match
    from match_bases as b
    join formula_tiers as t
      on t.plan_design_id = b.plan_design_id
     and b.match_band_value >= t.band_min
     and (t.band_max is null or b.match_band_value <= t.band_max)
    group by b.plan_design_id, b.employee_id, b.period_no, b.match_per_pay_period
),

-- The year's match: the annual formula; matching per payroll period without a true-up, the
-- sum of the periods' matches, never more than the annual formula on the year's recorded
-- deferrals and pay (a sum of per-period matches cannot exceed it in exact arithmetic; the
-- period convention and per-period cents could otherwise add a few cents). Every match-eligible
-- person has one annual row (period 0); only the periods are summed.
tiered as (
    select
        b.plan_design_id,
        b.employee_id,
        case when b.match_per_pay_period then least(coalesce(p.period_matches, 0), b.base_match)
             else b.base_match end as formula_match
    from base_matches as b
    left join (
        select plan_design_id, employee_id, sum(base_match) as period_matches
        from base_matches
        where period_no > 0
        group by plan_design_id, employee_id
    ) as p using (plan_design_id, employee_id)
    where b.period_no = 0
),

formulas as (
    select
        e.*,
        coalesce(t.formula_match, 0)::decimal(14, 2) as formula_match,
        case when e.is_core_eligible
             then {{ cents('e.core_rate * e.capped_compensation + e.core_excess_rate
                           * greatest(0, e.capped_compensation - coalesce(e.core_integration_level, e.capped_compensation))') }}
             else 0 end::decimal(14, 2) as formula_core,
        least(e.annual_additions_limit, e.plan_compensation) as annual_additions_cap
    from employer as e
    left join tiered as t using (plan_design_id, employee_id)
),

excess_before_catch_up as (
    select
        *,
        greatest(0, employee_deferral - catch_up_over_402g + formula_match + formula_core
                    - annual_additions_cap) as excess_over_415c
    from formulas
),

annual_additions as (
    select
        *,
        -- Deferrals that would exceed 415(c), treated as catch-up while room is left.
        least(excess_over_415c, catch_up_room - catch_up_over_402g,
              employee_deferral - catch_up_over_402g) as catch_up_over_415c
    from excess_before_catch_up
),

final as (
    select
        plan_design_id,
        employee_id,
        simulation_year,
        employment_status,
        current_age,
        current_tenure,
        service_years,
        hours_worked,
        is_eligible,
        eligibility_date,
        is_hce,
        plan_compensation,
        capped_compensation,
        requested_deferral,
        deferral_limit,
        employee_deferral,
        (catch_up_over_402g + catch_up_over_415c)::decimal(14, 2) as catch_up_contribution,
        deferral_limit_reached,
        is_match_eligible,
        is_core_eligible,
        case when is_core_eligible then core_rate else 0 end as core_rate,
        core_integration_level,
        formula_match,
        formula_core,
        greatest(0, formula_match - (excess_over_415c - catch_up_over_415c))::decimal(14, 2)
            as employer_match_amount,
        greatest(0, formula_core - greatest(0, excess_over_415c - catch_up_over_415c - formula_match))::decimal(14, 2)
            as employer_core_amount,
        annual_additions_cap,
        excess_over_415c > catch_up_over_415c as annual_additions_limited,
        deferral_limit_reached or excess_over_415c > catch_up_over_415c as irs_limit_reached,
        limits_are_estimates
    from annual_additions
)

select * from final
