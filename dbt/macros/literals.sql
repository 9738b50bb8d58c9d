{#-
  Text from vars reaches SQL only through these two macros (navigator_orchestrator/sql.py does
  the same in Python). Identifiers (scenario, plan design, match formula, run) must be slugs,
  1-64 characters from A-Z a-z 0-9 _ -, and are refused otherwise, naming the var; free text is
  written as a literal with its quotes doubled.
-#}
{% macro slug_var(name, default=none) -%}
  {%- set value = var(name) if default is none else var(name, default) -%}
  {#- Parsing (execute is false) renders models without checking: dbt may parse without vars. -#}
  {%- if execute and (value is not string or not modules.re.fullmatch('[A-Za-z0-9_-]{1,64}', value)) -%}
    {{ exceptions.raise_compiler_error(
        "var " ~ name ~ " must be a slug (1-64 characters from A-Z a-z 0-9 _ -), got "
        ~ (value | string)[:80] ~ "; take the vars from `navigator dbt-vars`") }}
  {%- endif -%}
  '{{ value }}'
{%- endmacro %}

{% macro sql_string(value) -%}
  '{{ value | string | replace("'", "''") }}'
{%- endmacro %}

{#- The key columns every published row starts with: scenario, plan design (the row's own
    `plan_design_id` column, or the expression given), run, simulation year. -#}
{% macro published_keys(plan_design_id='plan_design_id') -%}
        {{ slug_var("scenario_id") }} as scenario_id,
        {{ plan_design_id }} as plan_design_id,
        {{ slug_var("run_id", "manual") }} as run_id,
        {{ var('simulation_year') }} as simulation_year,
{%- endmacro %}
