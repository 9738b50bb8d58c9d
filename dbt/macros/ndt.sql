{#-
  Nondiscrimination-test rows (ADP and ACP) of one year's snapshot rows: one row per eligible
  plan design, employee and test. `snapshot` is a relation or subquery with the published
  snapshot's columns (plan_design_id included);
  `compensation_limit` the year's IRC 401(a)(17) limit.
  - testing pay: pay earned in the year (415(c)(3) pay, a 414(s) safe-harbor definition),
    capped at 401(a)(17);
  - ADP contributions: elective deferrals less catch-up contributions (IRC 414(v)(3)(A));
  - ACP contributions: matching contributions (no after-tax contributions are modelled);
  - ratio_bp: contributions / testing pay in hundredths of a percent, rounded half up
    (Treas. Reg. 1.401(k)-2(a)(3), 1.401(m)-2(a)(3)); eligible non-participants are 0.
  Money is carried in whole cents (hugeint), so every ratio and amount is exact.
-#}
{% macro ndt_ratio_rows(snapshot, compensation_limit) -%}
  select
      s.plan_design_id,
      s.employee_id,
      t.test,
      s.is_hce,
      least(s.prorated_annual_compensation, {{ compensation_limit }})::decimal(14, 2) as testing_compensation,
      case t.test
          when 'adp' then s.prorated_annual_contributions - coalesce(s.catch_up_contribution, 0)
          else s.employer_match_amount
      end::decimal(14, 2) as contributions
  from {{ snapshot }} as s
  cross join (values ('adp'), ('acp')) as t(test)
  where s.is_eligible
{%- endmacro %}

{#- Half-up integer quotient of two non-negative integers (hugeint): round(numerator / denominator). -#}
{% macro ndt_div_half_up(numerator, denominator) -%}
  ((2 * ({{ numerator }})::hugeint + ({{ denominator }})::hugeint) // (2 * ({{ denominator }})::hugeint))
{%- endmacro %}

{#- Ratio of contributions to testing pay in hundredths of a percent (0.01% = 1). -#}
{% macro ndt_ratio_bp(contributions, compensation) -%}
  case when {{ compensation }} > 0
       then {{ ndt_div_half_up(ndt_cents(contributions) ~ ' * 10000', ndt_cents(compensation)) }}
       else 0 end
{%- endmacro %}

{% macro ndt_cents(amount) -%}
  (round(({{ amount }}) * 100))::hugeint
{%- endmacro %}

{#-
  Reallocated forfeitures per plan design and person of the year, in whole cents
  (`allocated_cents`): employer contributions for the top-heavy test (IRC 416(c)(2),
  Treas. Reg. 1.416-1 M-7). Only recipients have a row (forfeiture_use reallocate); join it
  left and read a missing row as 0.
-#}
{% macro top_heavy_allocated_cents() -%}
  select plan_design_id, employee_id, sum({{ to_cents('forfeitures_allocated') }}) as allocated_cents
  from {{ ref('int_employee_accounts') }}
  where forfeitures_allocated <> 0
  group by plan_design_id, employee_id
{%- endmacro %}
