{{ config(tags=["year"]) }}

-- One row per employee-year with a match: the amount, the formula and the inputs it used.
-- fct_employer_match_events appends this.
with contributions as (
    select * from {{ ref('int_employee_contributions') }} where employer_match_amount > 0
),

final as (
    select
        md5(concat_ws('|', {{ slug_var("scenario_id") }}, {{ slug_var("plan_design_id") }},
            {{ var('simulation_year') }}, employee_id, 'employer_match')) as event_id,
        {{ published_keys() }}
        employee_id,
        'employer_match' as event_type,
        {{ year_end() }} as effective_date,
        {{ slug_var("match_formula_id") }} as formula_id,
        employer_match_amount::decimal(14, 2) as amount,
        json_object(
            'formula_id', {{ slug_var("match_formula_id") }},
            'formula_name', {{ sql_string(var('match_formula_name')) }},
            'tiers', {{ sql_string(tojson(var('match_tiers'))) }}::json,
            'max_match_percentage', {{ var('match_max_percentage') }},
            'employee_deferral', employee_deferral,
            'plan_compensation', round(plan_compensation, 2),
            'match_compensation', round(capped_compensation, 2),
            'effective_deferral_rate', round(employee_deferral / nullif(plan_compensation, 0), 6),
            'formula_match', formula_match,
            'reduced_by_415c', annual_additions_limited,
            'hours_worked', hours_worked,
            'tenure_years', current_tenure
        ) as event_details
    from contributions
)

select * from final
