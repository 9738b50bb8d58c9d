{{ config(tags=["year"]) }}

-- Pay and deferrals per payroll period, for the designs that match each period without a
-- true-up (employer_match.calculation_period = pay_period, true_up = false): one row per such
-- design, employee and period employed; int_employee_contributions applies the match formula
-- to each period. Other designs have no rows (an annual or trued-up match is the annual formula).
-- Periods (payroll_periods_per_year): monthly = calendar months; semi-monthly = the 1st-15th
-- and the 16th-last day of each month; weekly and biweekly = 7 or 14 days from Jan 1, the last
-- period running to Dec 31. Per period and employee (docs/plan.md, "Per-payroll match"):
--   pay      = sum over pay-rate periods of annual_rate x days employed in the period at that
--              rate / (periods a year x days in the period): a full period at one rate is
--              annual_rate / periods, a partial one (hire, termination, raise) is prorated by days;
--   deferral = the same with annual_rate x the deferral rate in effect each day; both rounded
--              half up to the cent once per period;
--   deferrals stop when the year's total reaches 402(g) + the person's catch-up (the period
--   that reaches it is partial), and match pay stops when the year's pay reaches 401(a)(17).
{%- set period_days = "(date_diff('day', p.period_start, p.period_end) + 1)" -%}
{%- set pay_days = "(date_diff('day', greatest(c.period_start, p.period_start), least(c.period_end, p.period_end)) + 1)" -%}
{%- set deferral_days = "(date_diff('day', greatest(c.period_start, r.period_start, p.period_start), "
                        ~ "least(c.period_end, r.period_end, p.period_end)) + 1)" %}
with designs as (
    select plan_design_id, payroll_periods_per_year as periods_a_year
    from {{ ref('int_plan_design_parameters') }}
    where match_enabled and match_calculation_period = 'pay_period' and not match_true_up
),

period_starts as (
    select
        plan_design_id,
        periods_a_year,
        period_no,
        case periods_a_year
            when 12 then make_date({{ var('simulation_year') }}, period_no, 1)
            when 24 then make_date({{ var('simulation_year') }}, (period_no + 1) // 2,
                                   case when period_no % 2 = 1 then 1 else 16 end)
            else ({{ year_start() }} + ((period_no - 1) * (364 // periods_a_year))::integer)::date
        end as period_start
    from (select *, unnest(range(1, periods_a_year + 1))::integer as period_no from designs)
),

pay_periods as (
    select
        *,
        {{ period_end('period_start', 'period_no', year_end(), 'plan_design_id') }} as period_end
    from period_starts
),

-- Pay earned in each period, from the pay-rate periods it overlaps.
pay as (
    select
        p.plan_design_id,
        c.employee_id,
        p.period_no,
        {{ cents_of_ratio('sum(c.annual_rate * ' ~ pay_days ~ ')', 'any_value(p.periods_a_year * ' ~ period_days ~ ')') }}
            as period_pay
    from pay_periods as p
    join {{ ref('int_compensation_periods') }} as c
      on c.period_start <= p.period_end and c.period_end >= p.period_start
    group by p.plan_design_id, c.employee_id, p.period_no
),

-- Deferrals requested in each period: pay-rate periods x deferral-rate periods x the period.
requested as (
    select
        p.plan_design_id,
        c.employee_id,
        p.period_no,
        {{ cents_of_ratio('sum(c.annual_rate * r.deferral_rate * ' ~ deferral_days ~ ')',
                          'any_value(p.periods_a_year * ' ~ period_days ~ ')') }}
            as period_requested
    from pay_periods as p
    join {{ ref('int_deferral_rate_periods') }} as r
      on r.plan_design_id = p.plan_design_id
     and r.period_start <= p.period_end and r.period_end >= p.period_start
    join {{ ref('int_compensation_periods') }} as c
      on c.employee_id = r.employee_id
     and c.period_start <= least(r.period_end, p.period_end)
     and c.period_end >= greatest(r.period_start, p.period_start)
    where r.deferral_rate > 0
    group by p.plan_design_id, c.employee_id, p.period_no
),

limits as (
    select
        i.plan_design_id,
        i.employee_id,
        {{ deferral_limit('i.current_age', 'l.elective_deferral_limit', 'l.catch_up_limit', 'l.catch_up_60_63_limit') }}
            as deferral_limit,
        l.compensation_limit
    from {{ ref('int_contribution_inputs') }} as i
    join designs using (plan_design_id)
    cross join (select * from {{ ref('int_irs_limits') }} where limit_year = {{ var('simulation_year') }}) as l
),

to_date as (
    select
        y.plan_design_id,
        y.employee_id,
        y.period_no,
        y.period_pay,
        coalesce(q.period_requested, 0) as period_requested,
        sum(y.period_pay) over w as pay_to_date,
        sum(coalesce(q.period_requested, 0)) over w as requested_to_date
    from pay as y
    left join requested as q using (plan_design_id, employee_id, period_no)
    window w as (partition by y.plan_design_id, y.employee_id order by y.period_no)
),

-- What the limits leave of each period: the part of the year-to-date total below the limit
-- less the part of the total before the period below it.
final as (
    select
        t.plan_design_id,
        t.employee_id,
        {{ var('simulation_year') }} as simulation_year,
        t.period_no,
        p.period_start,
        p.period_end,
        t.period_pay,
        t.period_requested,
        (least(t.requested_to_date, l.deferral_limit)
            - least(t.requested_to_date - t.period_requested, l.deferral_limit))::decimal(14, 2) as period_deferral,
        (least(t.pay_to_date, l.compensation_limit)
            - least(t.pay_to_date - t.period_pay, l.compensation_limit))::decimal(14, 2) as period_match_pay
    from to_date as t
    join limits as l using (plan_design_id, employee_id)
    join pay_periods as p using (plan_design_id, period_no)
)

select * from final
