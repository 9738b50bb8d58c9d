"""The catalog of data-quality checks: what each one reads, when it trips, and its fix.

Each check is one SQL query over a few named relations (check_context.py: the year's events,
snapshot and match events, last year's, and `dq_designs`) returning one row of observed numbers
per plan design (column `plan_design_id`), so a year of every design of a run is checked in one
query per check. `tripwires.py` runs them.
"""

from __future__ import annotations

import difflib

from navigator_orchestrator.quality.check_context import Check

# ----- the checks -------------------------------------------------------------

_ROUND = "(sign(({x})::decimal(38, 10)) * floor(abs(({x})::decimal(38, 10)) + 0.5))::bigint"

# Per design: a design without rows still gets its row (of zeros) from dq_designs. The two
# headcount checks read the same numbers (one query: tripwires runs a shared query once).
_HEADCOUNT = f"""
  select *, greatest(target_ending_workforce - (start_workforce - experienced_terminations), 0)
      as net_hires_needed
  from (
    select
        d.plan_design_id,
        count(*) filter (where s.detailed_status_code in ('continuous_active', 'experienced_termination'))
            as start_workforce,
        count(*) filter (where s.detailed_status_code = 'experienced_termination') as experienced_terminations,
        count(*) filter (where s.employment_status = 'active') as ending_workforce,
        {_ROUND.format(x="count(*) filter (where s.detailed_status_code in ('continuous_active', 'experienced_termination')) * (1 + {growth})")}
            as target_ending_workforce,
        coalesce(any_value(h.hires), 0) as hires
    from dq_designs as d
    left join dq_snapshot as s on s.plan_design_id = d.plan_design_id
    left join (select plan_design_id, count(*) as hires from dq_events where event_type = 'hire' group by 1) as h
      on h.plan_design_id = d.plan_design_id
    group by d.plan_design_id
  )
"""

CHECKS: list[Check] = [
    Check(
        name="hiring_demand_without_hires",
        severity="error",
        sql=_HEADCOUNT,
        trips=lambda o, s: o["net_hires_needed"] > 0 and o["hires"] == 0,
        message="{net_hires_needed:,} net hires needed to reach {target_ending_workforce:,} actives "
                "(start {start_workforce:,}, {experienced_terminations:,} experienced terminations); "
                "{hires:,} hire events",
        recovery=lambda c: (
            "check that dbt/seeds/config_hiring_mix.csv has a share > 0 and config_job_levels.csv lists "
            f"those levels; rebuild: {c.dbt_run('int_workforce_needs_by_level', 'int_hiring_events')}; "
            f"then {c.rerun()}"
        ),
    ),
    Check(
        name="growth_off_target",
        severity="error",
        sql=_HEADCOUNT,
        trips=lambda o, s: o["start_workforce"] > 0 and o["ending_workforce"] != o["target_ending_workforce"],
        message="year-end actives {ending_workforce:,} vs target {target_ending_workforce:,} "
                "(start {start_workforce:,}, {hires:,} hires)",
        recovery=lambda c: (
            "check simulation.target_growth_rate and workforce.new_hire_termination_rate; rebuild: "
            + c.dbt_run("int_termination_events", "int_workforce_needs_by_level", "int_hiring_events",
                        "int_new_hire_termination_events", "int_workforce_snapshot_optimized")
            + f"; then {c.rerun()}"
        ),
    ),
    Check(
        name="hires_without_pay",
        severity="error",
        sql="""
            with snapshot_hires as (
                select plan_design_id, count(*) as without_pay
                from dq_snapshot
                where detailed_status_code in ('new_hire_active', 'new_hire_termination')
                  and coalesce(current_compensation, 0) <= 0
                group by plan_design_id
            )
            select
                d.plan_design_id,
                count(*) filter (where e.event_type = 'hire') as hires,
                count(*) filter (where e.event_type = 'hire' and e.compensation_amount is null) as null_pay,
                count(*) filter (where e.event_type = 'hire' and e.compensation_amount <= 0) as zero_pay,
                coalesce(any_value(h.without_pay), 0) as snapshot_hires_without_pay,
                coalesce(list(e.employee_id order by e.employee_id)
                    filter (where e.event_type = 'hire' and coalesce(e.compensation_amount, 0) <= 0), [])[1:3]
                    as example_ids
            from dq_designs as d
            left join dq_events as e on e.plan_design_id = d.plan_design_id and e.event_type = 'hire'
            left join snapshot_hires as h on h.plan_design_id = d.plan_design_id
            group by d.plan_design_id
        """,
        trips=lambda o, s: (o["null_pay"] + o["zero_pay"] + o["snapshot_hires_without_pay"]) > 0,
        message="{null_pay:,} hires with NULL pay and {zero_pay:,} with pay <= 0 of {hires:,} "
                "({snapshot_hires_without_pay:,} new-hire snapshot rows without pay), e.g. {example_ids}",
        recovery=lambda c: (
            "check min_compensation/max_compensation > 0 for every level in dbt/seeds/config_job_levels.csv "
            "(then dbt seed) and hiring.pay_band_position; rebuild: "
            f"{c.dbt_run('int_workforce_needs_by_level', 'int_hiring_events')}; then {c.rerun()}"
        ),
    ),
    Check(
        name="census_rows_lost",
        severity="error",
        sql="""
            -- The census is the scenario's: every design gets the same row.
            select d.plan_design_id, c.*
            from dq_designs as d
            cross join (
                select *,
                    greatest(
                        case when raw_rows > 0 then (raw_rows - staged_rows) / raw_rows else 0 end,
                        case when raw_active > 0 then (raw_active - baseline_rows) / raw_active else 0 end
                    )::double as loss_fraction
                from (
                    select
                        (select count(*) from raw_census) as raw_rows,
                        (select count(*) from stg_census_data) as staged_rows,
                        (select count(*) from raw_census where active) as raw_active,
                        (select count(*) from int_baseline_workforce) as baseline_rows
                )
            ) as c
        """,
        trips=lambda o, s: o["loss_fraction"] > s.raw_to_staged_loss_tolerance,
        message="census rows raw {raw_rows:,} -> staged {staged_rows:,}, actives {raw_active:,} -> "
                "baseline {baseline_rows:,}: {loss_fraction:.2%} lost (tolerance "
                "{raw_to_staged_loss_tolerance:.2%})",
        recovery=lambda c: (
            f"check the census with `navigator census validate {c.config.census_path}`; rebuild: "
            f"{c.dbt_run('stg_census_data', 'int_baseline_workforce', year_inputs=False)}; then {c.rerun()} "
            "(tolerance: data_quality.raw_to_staged_loss_tolerance)"
        ),
        requires=("raw_census", "stg_census_data", "int_baseline_workforce"),
        applies=lambda ctx: ctx.is_census_year,
    ),
    Check(
        name="headcount_swing",
        severity="warning",
        sql=f"""
            select *,
                case when start_workforce > 0 then ending_workforce / start_workforce - 1 end::double as change
            from ({_HEADCOUNT})
        """,
        trips=lambda o, s: o["change"] is not None and abs(o["change"]) > s.max_headcount_change,
        message="actives {start_workforce:,} -> {ending_workforce:,} ({change:+.1%}), bound "
                "±{max_headcount_change:.0%}",
        recovery=lambda c: (
            "check simulation.target_growth_rate and workforce.total_termination_rate; if the change is "
            "intended, raise data_quality.max_headcount_change"
        ),
    ),
    Check(
        name="event_count_swing",
        severity="warning",
        sql="""
            with cur as (select plan_design_id, event_type, count(*) as n from dq_events group by 1, 2),
            prev as (select plan_design_id, event_type, count(*) as n from dq_prev_events group by 1, 2),
            joined as (
                select
                    coalesce(cur.plan_design_id, prev.plan_design_id) as plan_design_id,
                    coalesce(cur.event_type, prev.event_type) as event_type,
                    coalesce(cur.n, 0) as current, coalesce(prev.n, 0) as previous
                from cur full outer join prev
                  on prev.plan_design_id = cur.plan_design_id and prev.event_type = cur.event_type
            ),
            compared as (
                select *, case when previous > 0 then current / previous - 1 end::double as change
                from joined
                where greatest(current, previous) >= {event_count_min_base}
                  -- The census year's plan events are one-off (census enrollments, the first
                  -- auto-enrollment wave), so against it only workforce events are compared.
                  and (not {previous_is_census_year}
                       or event_type in ('hire', 'termination', 'promotion', 'raise'))
            ),
            flagged as (
                select * from compared where change is null or abs(change) > {max_event_count_change}
            ),
            counted as (
                select plan_design_id, count(*) as types from prev group by 1
            ),
            compared_count as (
                select plan_design_id, count(*) as types from compared group by 1
            ),
            flagged_list as (
                select
                    plan_design_id,
                    count(*) as types,
                    list(struct_pack(event_type, previous, current, change) order by event_type) as out_of_bounds,
                    string_agg(event_type || ' ' || previous || ' -> ' || current, ', ' order by event_type) as summary
                from flagged
                group by 1
            )
            select
                d.plan_design_id,
                coalesce(p.types, 0) as previous_event_types,
                coalesce(c.types, 0) as compared_types,
                coalesce(f.types, 0) as types_out_of_bounds,
                coalesce(f.out_of_bounds, []) as out_of_bounds,
                coalesce(f.summary, 'none') as summary
            from dq_designs as d
            left join counted as p on p.plan_design_id = d.plan_design_id
            left join compared_count as c on c.plan_design_id = d.plan_design_id
            left join flagged_list as f on f.plan_design_id = d.plan_design_id
        """,
        trips=lambda o, s: o["previous_event_types"] > 0 and o["types_out_of_bounds"] > 0,
        message="{types_out_of_bounds} of {compared_types} event types moved more than "
                "±{max_event_count_change:.0%} vs last year: {summary}",
        recovery=lambda c: (
            "compare this config with last year's (promotion.base_rate, compensation.*, workforce.*); if "
            "the change is intended, raise data_quality.max_event_count_change or data_quality.event_count_min_base"
        ),
        applies=lambda ctx: not ctx.is_census_year,
    ),
    Check(
        name="contributions_without_match",
        severity="error",
        sql="""
            with matched as (
                select plan_design_id, count(*) as events, sum(amount) as total
                from dq_match_events
                group by plan_design_id
            )
            select
                d.plan_design_id,
                any_value(d.match_active) as match_formula_active,
                count(*) filter (where s.prorated_annual_contributions > 0) as deferring_employees,
                -- Deferrers whose 415(c) annual additions were already used up (e.g. by a high
                -- core) lawfully get no match: only the others call for match events.
                count(*) filter (where s.prorated_annual_contributions > 0 and s.annual_additions_limited)
                    as deferring_at_415c_limit,
                coalesce(sum(s.prorated_annual_contributions), 0) as total_deferrals,
                coalesce(sum(s.employer_match_amount), 0) as snapshot_match_total,
                coalesce(any_value(m.events), 0) as match_events,
                coalesce(any_value(m.total), 0) as match_events_total
            from dq_designs as d
            left join dq_snapshot as s on s.plan_design_id = d.plan_design_id
            left join matched as m on m.plan_design_id = d.plan_design_id
            group by d.plan_design_id
        """,
        trips=lambda o, s: (o["match_formula_active"] and o["deferring_employees"] > o["deferring_at_415c_limit"]
                            and o["match_events"] == 0),
        message="{deferring_employees:,} employees deferred ${total_deferrals:,.0f} with a match formula "
                "active ({deferring_at_415c_limit:,} of them held at the 415(c) limit); {match_events:,} "
                "match events (${match_events_total:,.0f})",
        recovery=lambda c: (
            "check employer_match.enabled, employer_match.active_formula (tiers with match_rate > 0, "
            "max_match_percentage > 0) and employer_match.eligibility (minimum_tenure_years, "
            "minimum_hours_annual, require_active_at_year_end); rebuild: "
            f"{c.dbt_run('int_employee_contributions', 'int_employer_match_events')}; then {c.rerun()}"
        ),
        snapshot_columns=("prorated_annual_contributions", "employer_match_amount", "annual_additions_limited"),
    ),
    Check(
        name="deferrals_for_non_participants",
        severity="error",
        sql="""
            with deferring as (
                select plan_design_id, employee_id, prorated_annual_contributions, current_deferral_rate
                from dq_snapshot
                where prorated_annual_contributions > 0
            ),
            without_rate as (
                select * from deferring where coalesce(current_deferral_rate, 0) = 0
            ),
            rated as (
                -- Those of them with a deferral rate above 0 at some time in the year: a rate
                -- event (enrollment, escalation, change, opt-out from a rate) or last year-end's rate.
                select e.plan_design_id, e.employee_id
                from dq_events as e
                join without_rate as w on w.plan_design_id = e.plan_design_id and w.employee_id = e.employee_id
                where coalesce(e.employee_deferral_rate, 0) > 0 or coalesce(e.prev_employee_deferral_rate, 0) > 0
                union
                select p.plan_design_id, p.employee_id
                from dq_prev_snapshot as p
                join without_rate as w on w.plan_design_id = p.plan_design_id and w.employee_id = p.employee_id
                where p.current_deferral_rate > 0
            ),
            offenders as (
                select w.plan_design_id, w.employee_id, w.prorated_annual_contributions
                from without_rate as w
                left join rated as r on r.plan_design_id = w.plan_design_id and r.employee_id = w.employee_id
                where r.employee_id is null
            ),
            deferring_count as (
                select plan_design_id, count(*) as employees from deferring group by 1
            )
            select
                d.plan_design_id,
                coalesce(any_value(c.employees), 0) as deferring_employees,
                count(o.employee_id) as non_participants_deferring,
                coalesce(sum(o.prorated_annual_contributions), 0) as amount,
                coalesce(list(o.employee_id order by o.employee_id) filter (where o.employee_id is not null), [])[1:3]
                    as example_ids
            from dq_designs as d
            left join deferring_count as c on c.plan_design_id = d.plan_design_id
            left join offenders as o on o.plan_design_id = d.plan_design_id
            group by d.plan_design_id
        """,
        trips=lambda o, s: o["non_participants_deferring"] > 0,
        message="{non_participants_deferring:,} employees who never had a deferral rate this year "
                "deferred ${amount:,.2f} (of {deferring_employees:,} deferring), e.g. {example_ids}",
        recovery=lambda c: (
            "check the enrollment keys (enrollment.*, deferral_auto_escalation.*) and the census "
            "employee_deferral_rate column; rebuild: "
            + c.dbt_run("int_plan_events", "int_deferral_rate_periods", "int_contribution_inputs",
                        "int_employee_contributions")
            + f"; then {c.rerun()}"
        ),
        snapshot_columns=("prorated_annual_contributions", "current_deferral_rate"),
    ),
    Check(
        name="participants_without_deferrals",
        severity="warning",
        sql="""
            select
                d.plan_design_id,
                count(*) filter (where s.current_deferral_rate > 0 and s.prorated_annual_compensation > 0)
                    as participants,
                count(*) filter (where s.current_deferral_rate > 0 and s.prorated_annual_compensation > 0
                                 and coalesce(s.prorated_annual_contributions, 0) <= 0) as without_deferrals,
                coalesce(list(s.employee_id order by s.employee_id)
                    filter (where s.current_deferral_rate > 0 and s.prorated_annual_compensation > 0
                            and coalesce(s.prorated_annual_contributions, 0) <= 0), [])[1:3] as example_ids
            from dq_designs as d
            left join dq_snapshot as s on s.plan_design_id = d.plan_design_id
            group by d.plan_design_id
        """,
        trips=lambda o, s: o["without_deferrals"] > 0,
        message="{without_deferrals:,} of {participants:,} paid participants with a deferral rate "
                "deferred nothing, e.g. {example_ids}",
        recovery=lambda c: (
            "check the IRS limit seed dbt/seeds/config_irs_limits.csv for the year; rebuild: "
            + c.dbt_run("int_irs_limits", "int_deferral_rate_periods", "int_contribution_inputs",
                        "int_employee_contributions")
            + f"; then {c.rerun()}"
        ),
        snapshot_columns=("prorated_annual_contributions", "current_deferral_rate"),
    ),
]

CHECK_NAMES: tuple[str, ...] = tuple(c.name for c in CHECKS)


def unknown_checks(names: list[str]) -> str | None:
    """What is wrong with `data_quality.skip_checks` = `names` (each unknown name with a
    did-you-mean, then the known checks), or None when every name is a check of CHECKS."""
    unknown = [n for n in dict.fromkeys(names) if n not in CHECK_NAMES]
    if not unknown:
        return None
    shown = []
    for name in unknown:
        close = difflib.get_close_matches(name, CHECK_NAMES, n=1, cutoff=0.6)
        shown.append(f"'{name}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
    return (f"unknown check{'s' if len(unknown) > 1 else ''} {', '.join(shown)}; "
            f"the checks are {', '.join(CHECK_NAMES)}")
