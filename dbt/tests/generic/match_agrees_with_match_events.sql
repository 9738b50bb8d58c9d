{#-
  Every snapshot row with a match has exactly one match event of that amount, and every match
  event a snapshot row with its amount (duplicated or stray events change the sum and fail).
-#}
{% test match_agrees_with_match_events(model, column_name, match_events) %}
with snapshot as (
    select scenario_id, plan_design_id, simulation_year, employee_id, {{ column_name }} as match_amount
    from {{ model }}
    where {{ column_name }} > 0
),

events as (
    select scenario_id, plan_design_id, simulation_year, employee_id, sum(amount) as amount, count(*) as events
    from {{ match_events }}
    group by all
)

select *
from snapshot as s
full outer join events as e using (scenario_id, plan_design_id, simulation_year, employee_id)
where s.match_amount is distinct from e.amount or e.events != 1
{% endtest %}
