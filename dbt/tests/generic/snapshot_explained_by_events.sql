{#-
  Every snapshot row is explained by the event log of its year, and every event by a snapshot row:
    - new hires (new_hire_*) have a hire event that year, and every hire event a new-hire row;
    - terminated rows have a termination event on their termination date, and every termination
      event a terminated row with that date;
    - the year-end pay rate is the last pay-bearing event's amount (hire, promotion, raise), or the
      starting rate when there was none;
    - people carried over (continuous_active, experienced_termination) were active at the end of
      the previous year, unless the year is the design's first.
  Returns the offending rows with a `reason`.
-#}
{% test snapshot_explained_by_events(model, events) %}
with snapshot as (
    select * from {{ model }}
),

events as (
    select * from {{ events }}
),

hires as (
    select scenario_id, plan_design_id, simulation_year, employee_id from events where event_type = 'hire'
),

terminations as (
    select scenario_id, plan_design_id, simulation_year, employee_id, effective_date from events where event_type = 'termination'
),

last_pay as (
    select scenario_id, plan_design_id, simulation_year, employee_id,
           arg_max(compensation_amount, event_sequence) as compensation_amount
    from events
    where event_type in ('hire', 'promotion', 'raise')
    group by all
),

first_years as (
    select scenario_id, plan_design_id, min(simulation_year) as first_year from snapshot group by all
),

problems as (
    select s.scenario_id, s.simulation_year, s.employee_id, 'new hire without a hire event' as reason
    from snapshot as s
    left join hires as h using (scenario_id, plan_design_id, simulation_year, employee_id)
    where s.detailed_status_code like 'new_hire%' and h.employee_id is null

    union all
    select h.scenario_id, h.simulation_year, h.employee_id, 'hire event without a new-hire row'
    from hires as h
    left join snapshot as s using (scenario_id, plan_design_id, simulation_year, employee_id)
    where s.detailed_status_code is null or s.detailed_status_code not like 'new_hire%'

    union all
    select s.scenario_id, s.simulation_year, s.employee_id, 'terminated without a termination event on that date'
    from snapshot as s
    left join terminations as t using (scenario_id, plan_design_id, simulation_year, employee_id)
    where s.employment_status = 'terminated'
      and (t.effective_date is null or t.effective_date != s.termination_date)

    union all
    select t.scenario_id, t.simulation_year, t.employee_id, 'termination event without a terminated row'
    from terminations as t
    left join snapshot as s using (scenario_id, plan_design_id, simulation_year, employee_id)
    where s.employment_status is distinct from 'terminated'

    union all
    select s.scenario_id, s.simulation_year, s.employee_id, 'year-end pay not explained by pay events'
    from snapshot as s
    left join last_pay as p using (scenario_id, plan_design_id, simulation_year, employee_id)
    where coalesce(p.compensation_amount, s.starting_compensation) != s.current_compensation

    union all
    select s.scenario_id, s.simulation_year, s.employee_id, 'carried over but not active the year before'
    from snapshot as s
    join first_years as f using (scenario_id, plan_design_id)
    left join snapshot as prev
      on prev.scenario_id = s.scenario_id
     and prev.plan_design_id = s.plan_design_id
     and prev.simulation_year = s.simulation_year - 1
     and prev.employee_id = s.employee_id
     and prev.employment_status = 'active'
    where s.detailed_status_code in ('continuous_active', 'experienced_termination')
      and s.simulation_year > f.first_year
      and prev.employee_id is null
)

select * from problems
{% endtest %}
