{#-
  IRS dollar limits for every year from the first published one through the simulated year,
  one row per year. Published values come from config_irs_limits (each with its IRS reference);
  a later year is the latest published value x (1 + irs_limit_index_rate)^(years since),
  rounded DOWN to the statute's step, and flagged is_estimate. The ages 60-63 catch-up is
  projected as IRC 414(v)(2)(E)(i) defines it: the greater of the $10,000 base indexed after
  2025 (rounded down to $500) and 150% of the 2024 catch-up, which is not indexed. The Social
  Security taxable wage base (config_social_security_wage_base, the SSA's published amounts; the
  integration level of a core integrated with Social Security) is projected at the same rate
  and rounded to the NEAREST $300 as 42 U.S.C. 430(b)(1) rounds it. Amounts are whole dollars,
  DECIMAL like all money.

  `through_year`: SQL for the last year, e.g. the simulated year (int_irs_limits) or the last
  year of a published table (the dbt tests of published tables, which must not read a
  year-only table: a run keeps those in memory).
-#}
{% macro irs_limits(through_year) %}
with seed as (
    select limit_year, limit_name, amount, rounding_step from {{ ref('config_irs_limits') }}
    union all
    select wage_base_year, 'taxable_wage_base', amount, 300 from {{ ref('config_social_security_wage_base') }}
),

published as (
    select * from seed
    where limit_name not in ('catch_up_60_63_indexed_base', 'catch_up_60_63_minimum')
),

catch_up_60_63_parts as (
    select
        max(limit_year) filter (where limit_name = 'catch_up_60_63_indexed_base') as base_year,
        max(amount) filter (where limit_name = 'catch_up_60_63_indexed_base') as base_amount,
        max(rounding_step) filter (where limit_name = 'catch_up_60_63_indexed_base') as base_step,
        max(amount) filter (where limit_name = 'catch_up_60_63_minimum') as minimum_amount
    from seed
),

latest as (
    select limit_name, max(limit_year) as latest_year, arg_max(amount, limit_year) as latest_amount,
           any_value(rounding_step) as rounding_step
    from published
    group by limit_name
),

years as (
    select unnest(range((select min(limit_year) from published), {{ through_year }} + 1))::integer as limit_year
),

grid as (
    select y.limit_year, l.limit_name, l.latest_year, l.latest_amount, l.rounding_step
    from years as y
    cross join latest as l
),

valued as (
    select
        g.limit_year,
        g.limit_name,
        case
            when g.limit_year <= g.latest_year then p.amount
            when g.limit_name = 'catch_up_60_63' then greatest(
                floor(c.base_amount::double * power(1 + {{ var('irs_limit_index_rate') }}, g.limit_year - c.base_year)
                      / c.base_step) * c.base_step,
                c.minimum_amount)
            when g.limit_name = 'taxable_wage_base' then
                round(g.latest_amount::double * power(1 + {{ var('irs_limit_index_rate') }}, g.limit_year - g.latest_year)
                      / g.rounding_step) * g.rounding_step
            else floor(g.latest_amount::double * power(1 + {{ var('irs_limit_index_rate') }}, g.limit_year - g.latest_year)
                       / g.rounding_step) * g.rounding_step
        end::decimal(14, 2) as amount,
        g.limit_year > g.latest_year as is_estimate
    from grid as g
    cross join catch_up_60_63_parts as c
    left join published as p using (limit_year, limit_name)
),

final as (
    select
        limit_year,
        max(amount) filter (where limit_name = 'elective_deferral') as elective_deferral_limit,
        max(amount) filter (where limit_name = 'catch_up') as catch_up_limit,
        max(amount) filter (where limit_name = 'catch_up_60_63') as catch_up_60_63_limit,
        max(amount) filter (where limit_name = 'compensation_limit') as compensation_limit,
        max(amount) filter (where limit_name = 'annual_additions') as annual_additions_limit,
        max(amount) filter (where limit_name = 'hce_threshold') as hce_threshold,
        max(amount) filter (where limit_name = 'taxable_wage_base') as taxable_wage_base,
        max(amount) filter (where limit_name = 'key_employee_compensation') as key_employee_compensation,
        bool_or(is_estimate) as is_estimate
    from valued
    group by limit_year
)

select * from final
{% endmacro %}
