{#-
  Employee deferrals never exceed the limit for the participant's age in that year:
  402(g)(1) plus the 414(v) catch-up at 50+ (SECURE 2.0 amount at 60-63 where offered),
  from the macro irs_limits (published IRS values, projected and flagged beyond them).
  A year without limits in int_irs_limits fails too (it cannot be checked).
-#}
{% test deferrals_within_age_limit(model, column_name) %}
with checked as (
    select
        s.scenario_id, s.simulation_year, s.employee_id, s.current_age, s.{{ column_name }} as deferrals,
        l.limit_year,
        {{ deferral_limit('s.current_age', 'l.elective_deferral_limit', 'l.catch_up_limit', 'l.catch_up_60_63_limit') }}
            as deferral_limit
    from {{ model }} as s
    left join ({{ irs_limits('(select max(simulation_year) from ' ~ model ~ ')') }}) as l
        on l.limit_year = s.simulation_year
    where s.{{ column_name }} > 0
)

select * from checked
where limit_year is null or deferrals > deferral_limit + 0.005
{% endtest %}
