{#-
  The employer match of each plan design in the vars never exceeds its active formula's cap:
  max_match_percentage of the year's pay capped at 401(a)(17) (cents of rounding allowed); with
  the match off, it is 0. Reads the designs' parameters from the var plan_designs (`navigator dbt-vars`).
-#}
{% test match_within_formula_cap(model, column_name, compensation) %}
with checked as (
    select
        s.scenario_id, s.plan_design_id, s.simulation_year, s.employee_id, s.{{ column_name }} as match_amount,
        case when d.match_enabled
             then round(d.match_max_percentage * least(s.{{ compensation }}, l.compensation_limit), 2)
             else 0 end as match_cap,
        l.limit_year
    from {{ model }} as s
    join ({{ plan_design_parameters() }}) as d using (plan_design_id)
    left join ({{ irs_limits('(select max(simulation_year) from ' ~ model ~ ')') }}) as l
        on l.limit_year = s.simulation_year
    where s.scenario_id = {{ slug_var("scenario_id") }}
      and s.{{ column_name }} > 0
)

select * from checked
where limit_year is null or match_amount > match_cap + 0.01
{% endtest %}
