{#-
  on-run-start (dbt_project.yml): refuse, once and before any model runs, a dbt command typed
  without the scenario's vars, naming the missing ones and how to get them. The names are the
  keys `navigator dbt-vars` prints (SimulationConfig.to_dbt_vars plus simulation_year; a test
  keeps the list in step). The project's `vars:` only let dbt parse without them.
-#}
{% macro require_scenario_vars() %}
  {%- set required = [
      'simulation_year', 'start_year', 'random_seed', 'scenario_id', 'plan_design_id',
      'target_growth_rate', 'total_termination_rate', 'new_hire_termination_rate',
      'termination_weight_by_age', 'termination_weight_by_tenure', 'termination_weight_by_level',
      'promotion_enabled', 'promotion_base_rate', 'promotion_raise_rate', 'merit_budget', 'cola_rate',
      'merit_by_level', 'new_hire_pay_band_position', 'new_hire_pay_spread',
      'eligibility_minimum_age', 'eligibility_waiting_period_days', 'eligibility_entry_dates',
      'eligibility_grandfather_census_participants', 'auto_enrollment_enabled',
      'auto_enrollment_scope', 'auto_enrollment_hire_date_cutoff',
      'auto_enrollment_default_deferral_rate', 'auto_enrollment_window_days',
      'opt_out_grace_period_days', 'opt_out_rate_multiplier', 'proactive_enrollment_enabled',
      'proactive_enrollment_probability', 'voluntary_enrollment_enabled',
      'voluntary_enrollment_multiplier', 're_enrollment_sweep_years', 're_enrollment_sweep_day',
      'deferral_change_probability', 'escalation_enabled', 'escalation_increment',
      'escalation_maximum_rate', 'escalation_effective_day', 'escalation_delay_days',
      'escalation_hire_date_cutoff', 'irs_limit_index_rate', 'catch_up_60_63_enabled',
      'match_enabled', 'match_formula_id', 'match_formula_name', 'match_tiers',
      'match_max_percentage', 'match_minimum_hours', 'match_minimum_tenure_years',
      'match_require_active_at_year_end', 'core_enabled', 'core_contribution_rate',
      'core_graded_by_service', 'core_minimum_hours', 'core_minimum_tenure_years',
      'core_require_active_at_year_end', 'ndt_enabled', 'ndt_testing_method', 'ndt_top_paid_group',
      'ndt_first_plan_year', 'ndt_prior_year_nhce_adp', 'ndt_prior_year_nhce_acp', 'ndt_safe_harbor',
      'ndt_adp_safe_harbor_status', 'ndt_acp_safe_harbor_status', 'ndt_correction'] -%}
  {%- set given = invocation_args_dict.get('vars') or {} -%}
  {%- set given = fromyaml(given) if given is string else given -%}
  {%- set missing = [] -%}
  {%- for name in required if name not in given -%}{%- do missing.append(name) -%}{%- endfor -%}
  {%- if execute and missing -%}
    {{ exceptions.raise_compiler_error(
        "this dbt command needs the scenario's vars, and " ~ missing | length ~ " are missing ("
        ~ (missing[:6] | join(', ')) ~ (', ...' if missing | length > 6 else '') ~ "). "
        ~ "Pass them with --vars \"$(navigator dbt-vars -c CONFIG --year YEAR)\", "
        ~ "or run dbt through navigator, which passes them: navigator dbt -c CONFIG --year YEAR -- run --select ...") }}
  {%- endif -%}
{% endmacro %}
