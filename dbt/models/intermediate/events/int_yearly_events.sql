{{ config(tags=["year"], zstd_columns=["event_id", "employee_id", "event_details"]) }}

-- Every event of the simulated year in the published shape, with a deterministic id and a
-- per-employee sequence (by date, then type priority), per plan design: the workforce events
-- (the same in every design) and the design's own plan events. fct_yearly_events appends this.
with workforce_events as (
    select
        employee_id, event_type, event_category, effective_date,
        compensation_amount::decimal(14, 2) as compensation_amount, null::decimal(14, 2) as previous_compensation,
        null::double as employee_deferral_rate, null::double as prev_employee_deferral_rate,
        level_id,
        json_object('level_id', level_id) as event_details
    from {{ ref('int_hiring_events') }}

    -- A leaver's pay and level are those in effect on the termination date: the year-end
    -- state, since no promotion or raise is dated after a termination.
    union all
    select
        t.employee_id, t.event_type, t.event_category, t.effective_date,
        w.current_compensation, null, null, null, w.level_id,
        json_object('hazard_weight', round(t.hazard_weight, 6))
    from {{ ref('int_termination_events') }} as t
    join {{ ref('int_workforce_snapshot_optimized') }} as w using (employee_id)

    union all
    select
        employee_id, event_type, event_category, effective_date,
        compensation_amount, null, null, null, level_id,
        json_object('hire_year', {{ var('simulation_year') }})
    from {{ ref('int_new_hire_termination_events') }}

    union all
    select
        employee_id, event_type, event_category, effective_date,
        compensation_amount, previous_compensation, null, null, level_id,
        json_object('raise_pct', raise_pct, 'from_level_id', starting_level_id,
                    'to_level_id', level_id)
    from {{ ref('int_compensation_events') }}
),

plan_events as (
    select
        p.plan_design_id, p.employee_id, p.event_type, p.event_category, p.effective_date,
        null::decimal(14, 2) as compensation_amount, null::decimal(14, 2) as previous_compensation,
        p.employee_deferral_rate, p.prev_employee_deferral_rate, w.level_id,
        p.event_details
    from {{ ref('int_plan_events') }} as p
    join {{ ref('int_workforce_snapshot_optimized') }} as w using (employee_id)
),

-- At termination the non-vested employer balance is forfeited (int_employee_accounts): one
-- event per leaver with a forfeiture, on the termination date, the amount in its details.
forfeiture_events as (
    select
        a.plan_design_id, a.employee_id, 'forfeiture' as event_type, 'vesting_forfeiture' as event_category,
        a.termination_date as effective_date,
        null::decimal(14, 2) as compensation_amount, null::decimal(14, 2) as previous_compensation,
        null::double as employee_deferral_rate, null::double as prev_employee_deferral_rate, w.level_id,
        json_object(
            'amount', sum(a.forfeiture),
            'employer_match', sum(a.forfeiture) filter (where a.source = 'employer_match'),
            'employer_core', sum(a.forfeiture) filter (where a.source = 'employer_core'),
            'vesting_years', any_value(a.vesting_years),
            'match_vested_percentage', max(a.vested_percentage) filter (where a.source = 'employer_match'),
            'core_vested_percentage', max(a.vested_percentage) filter (where a.source = 'employer_core'),
            'forfeiture_use', any_value(d.forfeiture_use)
        ) as event_details
    from {{ ref('int_employee_accounts') }} as a
    join {{ ref('int_workforce_snapshot_optimized') }} as w using (employee_id)
    join {{ ref('int_plan_design_parameters') }} as d using (plan_design_id)
    where a.source <> 'employee_deferral' and a.employment_status = 'terminated'
    group by a.plan_design_id, a.employee_id, a.termination_date, w.level_id
    having sum(a.forfeiture) > 0
),

all_events as (
    select d.plan_design_id, w.*
    from workforce_events as w
    cross join {{ ref('int_plan_design_parameters') }} as d
    union all
    select * from plan_events
    union all
    select * from forfeiture_events
),

priorities as (
    select * from (values
        ('hire', 1), ('promotion', 2), ('raise', 3), ('eligibility', 4), ('enrollment', 5),
        ('deferral_change', 6), ('deferral_escalation', 7), ('opt_out', 8), ('termination', 9),
        ('forfeiture', 10)
    ) as t(event_type, type_priority)
),

-- Ordered by date, then type priority, then category: the date and the priority (1-10) as one
-- integer, days since Jan 1 x 16 + priority, which sorts cheaper than two keys.
sequenced as (
    select
        e.*,
        row_number() over (
            partition by e.plan_design_id, e.employee_id
            order by date_diff('day', {{ year_start() }}, e.effective_date) * 16 + p.type_priority, e.event_category
        ) as event_sequence
    from all_events as e
    join priorities as p using (event_type)
),

final as (
    select
        md5(concat_ws('|', {{ slug_var("scenario_id") }}, plan_design_id,
            {{ var('simulation_year') }}, employee_id, event_sequence, event_type)) as event_id,
        {{ published_keys() }}
        employee_id,
        event_type,
        event_category,
        effective_date,
        event_sequence,
        compensation_amount,
        previous_compensation,
        employee_deferral_rate::decimal(8, 6) as employee_deferral_rate,
        prev_employee_deferral_rate::decimal(8, 6) as prev_employee_deferral_rate,
        level_id::integer as level_id,
        event_details::json as event_details
    from sequenced
)

select * from final
