{#-
  Every (scenario, design, year) of the summary agrees with the published rows it summarises:
  counts and money summed again from the snapshot, promotions from the event log, and a
  summary row exists for every published (scenario, design, year) of the snapshot.
  Returns the disagreeing keys with what the summary says and what the rows say.
-#}
{% test summary_agrees_with_published_rows(model, snapshot, events) %}
with recomputed as (
    select
        scenario_id, plan_design_id, simulation_year,
        count(*) filter (where employment_status = 'active') as end_actives,
        count(*) filter (where detailed_status_code in ('new_hire_active', 'new_hire_termination')) as hires,
        count(*) filter (where employment_status = 'active' and is_enrolled_flag) as participants,
        sum(prorated_annual_compensation) as total_pay,
        sum(prorated_annual_contributions) as employee_deferrals,
        sum(employer_match_amount) as employer_match,
        sum(employer_core_amount) as employer_core
    from {{ snapshot }}
    group by all
),

promotions as (
    select scenario_id, plan_design_id, simulation_year, count(*) as promotions
    from {{ events }}
    where event_type = 'promotion'
    group by all
)

select r.*, s.end_actives as summary_end_actives, s.total_employer_cost as summary_employer_cost
from recomputed as r
left join promotions as p using (scenario_id, plan_design_id, simulation_year)
full outer join {{ model }} as s using (scenario_id, plan_design_id, simulation_year)
where s.end_actives is distinct from r.end_actives
   or s.hires is distinct from r.hires
   or s.participants is distinct from r.participants
   or s.total_pay is distinct from r.total_pay
   or s.employee_deferrals is distinct from r.employee_deferrals
   or s.employer_match is distinct from r.employer_match
   or s.employer_core is distinct from r.employer_core
   or s.promotions is distinct from coalesce(p.promotions, 0)
{% endtest %}
