{#- No event of an employee is dated after their termination, in that year or any later one. -#}
{% test no_event_after_termination(model, snapshot) %}
with terminated as (
    select scenario_id, plan_design_id, employee_id, min(termination_date) as termination_date
    from {{ snapshot }}
    where termination_date is not null
    group by all
)

select e.scenario_id, e.simulation_year, e.employee_id, e.event_type, e.effective_date, t.termination_date
from {{ model }} as e
join terminated as t using (scenario_id, plan_design_id, employee_id)
where e.effective_date > t.termination_date
{% endtest %}
