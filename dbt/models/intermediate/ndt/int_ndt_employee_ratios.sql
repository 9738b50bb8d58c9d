{{ config(tags=["year"]) }}

-- ADP and ACP ratios of the simulated year: one row per plan design (those with ndt.enabled),
-- eligible employee and test (macro ndt_ratio_rows), with pay and contributions in whole cents
-- for exact leveling.
with limits as (
    select compensation_limit from {{ ref('int_irs_limits') }} where limit_year = {{ var('simulation_year') }}
),

rows as (
    {{ ndt_ratio_rows(ref('int_yearly_snapshot'), '(select compensation_limit from limits)') }}
      and s.plan_design_id in (select plan_design_id from {{ ref('int_plan_design_parameters') }} where ndt_enabled)
),

final as (
    select
        plan_design_id,
        employee_id,
        test,
        is_hce,
        testing_compensation,
        contributions,
        {{ ndt_cents('testing_compensation') }} as compensation_cents,
        {{ ndt_cents('contributions') }} as contribution_cents,
        {{ ndt_ratio_bp('contributions', 'testing_compensation') }} as ratio_bp
    from rows
)

select * from final
