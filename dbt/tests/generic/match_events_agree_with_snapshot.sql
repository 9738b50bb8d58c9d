{#- Every snapshot row with a match has exactly its match event, and every event its row. -#}
{% test match_events_agree_with_snapshot(model, snapshot) %}
with snapshot as (
    select scenario_id, simulation_year, employee_id, employer_match_amount
    from {{ snapshot }}
    where employer_match_amount > 0
),

events as (
    select scenario_id, simulation_year, employee_id, sum(amount) as amount
    from {{ model }}
    group by all
)

select *
from snapshot as s
full outer join events as e using (scenario_id, simulation_year, employee_id)
where s.employer_match_amount is distinct from e.amount
{% endtest %}
