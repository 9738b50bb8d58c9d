{#- Demographic bands shared by the enrollment assumption seeds (config_plan_*.csv). -#}
{% macro plan_age_band(age) -%}
  case
    when {{ age }} < 30 then 'under_30'
    when {{ age }} < 45 then '30_to_44'
    when {{ age }} < 55 then '45_to_54'
    else '55_plus'
  end
{%- endmacro %}

{% macro plan_income_band(pay) -%}
  case
    when {{ pay }} < 50000 then 'under_50k'
    when {{ pay }} < 100000 then '50k_to_100k'
    when {{ pay }} < 150000 then '100k_to_150k'
    else '150k_plus'
  end
{%- endmacro %}

{#- A configured MM-DD day inside a year; `month_day` is a SQL expression of a validated 'MM-DD'
    text (a plan parameter column). Feb 29 in a common year falls on Mar 1. -#}
{% macro month_day_date(month_day, year=none) -%}
  (make_date({{ year if year is not none else var("simulation_year") }}, substr({{ month_day }}, 1, 2)::integer, 1)
   + substr({{ month_day }}, 4, 2)::integer - 1)::date
{%- endmacro %}

{#- Hours credited for a year: days employed at 2,080 hours per full year (40 h x 52 weeks). -#}
{% macro hours_from_days(days) -%}
  round({{ days }} * 2080.0 / {{ days_in_year() }})
{%- endmacro %}

{#-
  Employee deferral limit for a participant attaining `age` by Dec 31: 402(g)(1) plus the
  414(v) catch-up (age 50+), or the SECURE 2.0 amount for ages 60-63 where the plan offers it
  and the year has one (2025 on). The year a participant attains 64 the 50+ amount applies.
-#}
{% macro deferral_limit(age, elective, catch_up, catch_up_60_63) -%}
  ({{ elective }} + case
      when {{ var('catch_up_60_63_enabled') }} and {{ age }} between 60 and 63
           and {{ catch_up_60_63 }} is not null then {{ catch_up_60_63 }}
      when {{ age }} >= 50 then {{ catch_up }}
      else 0
  end)
{%- endmacro %}

{#-
  One tier's match on a year's deferrals: match_rate x the deferral dollars that fall between
  employee_min and employee_max of the (401(a)(17)-capped) match pay. `tier` is the alias of a
  row of plan_design_match_tiers (macros/plan_design_rows.sql); the caller sums the tiers of
  the design's active formula and caps the sum at max_match_percentage of match pay. Exact DECIMAL arithmetic (rates to 8
  places), not yet rounded: the caller rounds once.
-#}
{% macro tier_match(tier, deferral, match_pay) -%}
  {{ tier }}.match_rate * greatest(0, least({{ deferral }}, {{ tier }}.employee_max * {{ match_pay }})
                                    - {{ tier }}.employee_min * {{ match_pay }})
{%- endmacro %}

{#-
  Completed years of elapsed-time service (Treas. Reg. 1.410(a)-7) from `service_start` (the
  date service counts from: vesting_service_start_date) to the termination date, or to Dec 31
  of the simulated year for someone still employed; never negative. Vesting, and the match and
  core formulas by service or points, count service this way (docs/plan.md, "Service").
-#}
{% macro service_years(service_start, termination_date) -%}
  greatest(0, {{ years_between(service_start, 'coalesce(' ~ termination_date ~ ', ' ~ year_end() ~ ')') }})
{%- endmacro %}

{#-
  A chosen deferral rate after match responsiveness: a `rate` below `full_match_rate` (the rate
  that earns the design's full match; null without a match) becomes that rate when the draw `u`
  falls below `share` (enrollment.match_responsiveness; docs/plan.md). `p` is the alias of the
  design's row of int_plan_design_parameters.
-#}
{% macro match_responsive_rate(rate, full_match_rate, p, u) -%}
  (case when {{ p }}.match_responsive_enabled and {{ rate }} < {{ full_match_rate }}
             and {{ u }} < {{ p }}.match_responsive_share
        then {{ full_match_rate }} else {{ rate }} end)
{%- endmacro %}
