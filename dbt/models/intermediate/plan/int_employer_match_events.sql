{{ config(tags=["year"], zstd_columns=["event_id", "employee_id", "event_details"]) }}

-- One row per plan design and employee-year with a match: the amount, the design's formula
-- (int_plan_design_parameters) and the inputs it used.
-- fct_employer_match_events appends this.
with contributions as (
    select * from {{ ref('int_employee_contributions') }} where employer_match_amount > 0
),

final as (
    select
        md5(concat_ws('|', {{ slug_var("scenario_id") }}, c.plan_design_id,
            {{ var('simulation_year') }}, c.employee_id, 'employer_match')) as event_id,
        {{ published_keys('c.plan_design_id') }}
        c.employee_id,
        'employer_match' as event_type,
        {{ year_end() }} as effective_date,
        p.match_formula_id as formula_id,
        c.employer_match_amount::decimal(14, 2) as amount,
        json_object(
            'formula_id', p.match_formula_id,
            'formula_name', p.match_formula_name,
            'tiers', p.match_tiers,
            'max_match_percentage', p.match_max_percentage::double,
            'calculation_period', p.match_calculation_period,
            'true_up', p.match_true_up,
            'employee_deferral', employee_deferral,
            'plan_compensation', round(plan_compensation, 2),
            'match_compensation', round(capped_compensation, 2),
            'effective_deferral_rate', round(employee_deferral / nullif(plan_compensation, 0), 6),
            'formula_match', formula_match,
            'reduced_by_415c', annual_additions_limited,
            'hours_worked', hours_worked,
            'tenure_years', current_tenure,
            'band_basis', p.match_band_basis,
            'service_years', service_years,
            'age', current_age
        ) as event_details
    from contributions as c
    join {{ ref('int_plan_design_parameters') }} as p using (plan_design_id)
)

select * from final
