{#-
  on-run-start (dbt_project.yml): refuse, once and before any model runs, a dbt command typed
  without the scenario's vars, naming the missing ones and how to get them. The names are the
  keys `navigator dbt-vars` prints (SimulationConfig.to_dbt_vars plus simulation_year; a test
  keeps the list in step). The project's `vars:` only let dbt parse without them.
-#}
{% macro require_scenario_vars() %}
  {%- set required = [
      'simulation_year', 'start_year', 'random_seed', 'scenario_id',
      'target_growth_rate', 'total_termination_rate', 'new_hire_termination_rate',
      'termination_weight_by_age', 'termination_weight_by_tenure', 'termination_weight_by_level',
      'promotion_enabled', 'promotion_base_rate', 'promotion_raise_rate', 'merit_budget', 'cola_rate',
      'merit_by_level', 'new_hire_pay_band_position', 'new_hire_pay_spread',
      'irs_limit_index_rate', 'catch_up_60_63_enabled', 'plan_designs'] -%}
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
