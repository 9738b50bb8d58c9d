{#-
  Pre-hook of the published fct_* tables when built by hand with `dbt run`:
  replace this scenario and design's rows for the simulated year and every later
  year (they depended on it), then the model appends the year. Other designs and
  scenarios keep every row. The orchestrator does
  the same delete + append for all fct_* tables in one DuckDB transaction.
-#}
{% macro clear_from_year() -%}
  {% if is_incremental() -%}
    delete from {{ this }}
    where scenario_id = {{ slug_var("scenario_id") }}
      and plan_design_id = {{ slug_var("plan_design_id") }}
      and simulation_year >= {{ var("simulation_year") }}
  {%- else -%}
    select 1
  {%- endif %}
{%- endmacro %}
