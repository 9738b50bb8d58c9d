{#-
  Growth on target (DESIGN §5 step 3): in every published year of the configured scenario and
  each plan design of the vars, year-end actives = round_half_away(start population x
  (1 + target_growth_rate)). Reads vars scenario_id, plan_designs and target_growth_rate
  (`navigator dbt-vars`).
-#}
{% test growth_on_target(model) %}
with years as (
    select
        plan_design_id,
        simulation_year,
        count(*) filter (where detailed_status_code in ('continuous_active', 'experienced_termination'))
            as start_workforce,
        count(*) filter (where employment_status = 'active') as ending_workforce
    from {{ model }}
    where scenario_id = {{ slug_var("scenario_id") }}
      and plan_design_id in (select plan_design_id from ({{ plan_design_parameters() }}))
    group by plan_design_id, simulation_year
)

select *, {{ round_half_away('start_workforce * (1 + ' ~ rate('target_growth_rate') ~ ')') }} as target_ending_workforce
from years
where ending_workforce != {{ round_half_away('start_workforce * (1 + ' ~ rate('target_growth_rate') ~ ')') }}
{% endtest %}
