{#-
  Continuity: the actives at the end of year Y are exactly the start population of year Y+1
  (its continuous_active and experienced_termination rows), for every published pair of years.
-#}
{% test year_end_actives_start_next_year(model) %}
with snapshot as (
    select * from {{ model }}
),

year_end as (
    select scenario_id, plan_design_id, simulation_year + 1 as simulation_year, employee_id
    from snapshot
    where employment_status = 'active'
      and simulation_year + 1 in (select simulation_year from snapshot as n where n.scenario_id = snapshot.scenario_id
                                                             and n.plan_design_id = snapshot.plan_design_id)
),

year_start as (
    select scenario_id, plan_design_id, simulation_year, employee_id
    from snapshot
    where detailed_status_code in ('continuous_active', 'experienced_termination')
      and simulation_year - 1 in (select simulation_year from snapshot as p where p.scenario_id = snapshot.scenario_id
                                                             and p.plan_design_id = snapshot.plan_design_id)
)

select *, 'active at year end but missing next year' as reason from (select * from year_end except select * from year_start)
union all
select *, 'in the start population but not active the year before' from (select * from year_start except select * from year_end)
{% endtest %}
