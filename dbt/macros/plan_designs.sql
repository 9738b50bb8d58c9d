{#-
  The plan parameters, one (name, SQL type) pair each, in the order of
  SimulationConfig.plan_parameters(): the columns of int_plan_design_parameters. A new plan
  parameter is a pair here, the same key in plan_parameters(), and a YAML entry beside the
  model (docs/plan_designs.md).
-#}
{% macro plan_design_parameter_columns() -%}
  {%- set parameters = [
      ('plan_design_id', 'varchar'),
      ('eligibility_minimum_age', 'integer'),
      ('eligibility_waiting_period_days', 'integer'),
      ('eligibility_entry_dates', 'varchar'),
      ('eligibility_grandfather_census_participants', 'boolean'),
      ('auto_enrollment_enabled', 'boolean'),
      ('auto_enrollment_scope', 'varchar'),
      ('auto_enrollment_hire_date_cutoff', 'date'),
      ('auto_enrollment_window_days', 'integer'),
      ('auto_enrollment_default_deferral_rate', 'double'),
      ('opt_out_grace_period_days', 'integer'),
      ('opt_out_rate_multiplier', 'double'),
      ('re_enrollment_sweep_years', 'integer[]'),
      ('re_enrollment_sweep_day', 'varchar'),
      ('proactive_enrollment_enabled', 'boolean'),
      ('proactive_enrollment_probability', 'double'),
      ('voluntary_enrollment_enabled', 'boolean'),
      ('voluntary_enrollment_multiplier', 'double'),
      ('deferral_change_probability', 'double'),
      ('match_responsive_enabled', 'boolean'),
      ('match_responsive_share', 'double'),
      ('escalation_enabled', 'boolean'),
      ('escalation_effective_day', 'varchar'),
      ('escalation_increment', 'double'),
      ('escalation_maximum_rate', 'double'),
      ('escalation_hire_date_cutoff', 'date'),
      ('escalation_delay_days', 'integer'),
      ('match_enabled', 'boolean'),
      ('match_formula_id', 'varchar'),
      ('match_formula_name', 'varchar'),
      ('match_band_basis', 'varchar'),
      ('match_tiers', 'json'),
      ('match_max_percentage', 'decimal(18, 8)'),
      ('match_minimum_tenure_years', 'integer'),
      ('match_require_active_at_year_end', 'boolean'),
      ('match_minimum_hours', 'integer'),
      ('match_calculation_period', 'varchar'),
      ('match_true_up', 'boolean'),
      ('payroll_periods_per_year', 'integer'),
      ('core_enabled', 'boolean'),
      ('core_contribution_rate', 'decimal(18, 8)'),
      ('core_grade_basis', 'varchar'),
      ('core_grades', 'json'),
      ('core_integration_enabled', 'boolean'),
      ('core_excess_rate', 'decimal(18, 8)'),
      ('core_integration_level_amount', 'decimal(14, 2)'),
      ('core_integration_level_fraction', 'decimal(18, 8)'),
      ('core_minimum_tenure_years', 'integer'),
      ('core_require_active_at_year_end', 'boolean'),
      ('core_minimum_hours', 'integer'),
      ('vesting_match_schedule', 'json'),
      ('vesting_core_schedule', 'json'),
      ('forfeiture_use', 'varchar'),
      ('annual_return', 'json'),
      ('ndt_enabled', 'boolean'),
      ('ndt_testing_method', 'varchar'),
      ('ndt_top_paid_group', 'boolean'),
      ('ndt_first_plan_year', 'boolean'),
      ('ndt_prior_year_nhce_adp', 'decimal(18, 8)'),
      ('ndt_prior_year_nhce_acp', 'decimal(18, 8)'),
      ('ndt_correction', 'varchar'),
      ('ndt_safe_harbor', 'varchar'),
      ('ndt_adp_safe_harbor_status', 'varchar'),
      ('ndt_acp_safe_harbor_status', 'varchar'),
  ] %}
  {{ return(parameters) }}
{%- endmacro %}

{#-
  The SQL of int_plan_design_parameters: one row per design of the var `plan_designs`, one
  typed column per parameter, and design_order (1 = first). The list reaches SQL as one JSON
  string literal (quotes doubled by sql_string) that DuckDB parses; no value is pasted into
  SQL. Generic tests over the published tables use it too, so they read the designs of their
  own vars rather than those of the last build.
-#}
{% macro plan_design_parameters() -%}
  {%- set parameters = plan_design_parameter_columns() -%}
  {{ check_plan_designs(parameters | map(attribute=0) | list) }}
  with given as (
      select from_json({{ sql_string(tojson(var('plan_designs'))) }}, '["JSON"]') as designs
  ),

  designs as (
      select unnest(designs) as d, generate_subscripts(designs, 1) as design_order
      from given
  ),

  final as (
      select
          {%- for name, type in parameters %}
          {% if type == 'json' -%}
          (d -> '{{ name }}')::json
          {%- elif type.endswith('[]') -%}
          from_json(d -> '{{ name }}', '["{{ type[:-2] | upper }}"]')
          {%- else -%}
          (d ->> '{{ name }}')::{{ type }}
          {%- endif %} as {{ name }},
          {%- endfor %}
          design_order
      from designs
  )

  select * from final
{%- endmacro %}

{#-
  Refuse, before a model runs, a `plan_designs` var that is not what int_plan_design_parameters
  reads: a non-empty list of mappings with exactly the parameter names `names` (no more, no
  fewer), each plan_design_id a slug and used once. The message names the design and the keys.
-#}
{% macro check_plan_designs(names) -%}
  {%- if execute -%}
    {%- set designs = var('plan_designs') -%}
    {%- set fix = "; take the vars from `navigator dbt-vars`" -%}
    {%- if designs is string or designs is mapping or designs is not iterable or designs | length == 0 -%}
      {{ exceptions.raise_compiler_error("var plan_designs must be a non-empty list of plan designs" ~ fix) }}
    {%- endif -%}
    {%- set seen = [] -%}
    {%- for design in designs -%}
      {%- if design is not mapping -%}
        {{ exceptions.raise_compiler_error("var plan_designs: element " ~ loop.index ~ " is not a mapping of plan parameters" ~ fix) }}
      {%- endif -%}
      {%- set id = design.get('plan_design_id') -%}
      {%- if id is not string or not modules.re.fullmatch('[A-Za-z0-9_-]{1,64}', id) or id in seen -%}
        {{ exceptions.raise_compiler_error("var plan_designs: element " ~ loop.index ~ " needs a plan_design_id that is a slug "
            ~ "(1-64 characters from A-Z a-z 0-9 _ -) used once, got " ~ (id | string)[:80] ~ fix) }}
      {%- endif -%}
      {%- do seen.append(id) -%}
      {%- set unknown = design.keys() | reject('in', names) | list -%}
      {%- set missing = names | reject('in', design.keys() | list) | list -%}
      {%- if unknown or missing -%}
        {{ exceptions.raise_compiler_error("var plan_designs: design " ~ id ~ (" has unknown parameters " ~ unknown | join(', ') if unknown else '')
            ~ (" lacks parameters " ~ missing | join(', ') if missing else '') ~ fix) }}
      {%- endif -%}
    {%- endfor -%}
  {%- endif -%}
{%- endmacro %}

{#- The ids of the designs in the var (a Jinja list), e.g. for a publish by hand. -#}
{% macro plan_design_ids() -%}
  {{ return(var('plan_designs') | map(attribute='plan_design_id') | list) }}
{%- endmacro %}
