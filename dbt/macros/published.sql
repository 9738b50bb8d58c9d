{#-
  The materialization of the published fct_* models (dbt/models/marts/*.py), for `dbt run`
  by hand. Running any of them publishes the simulated year its vars name, for every plan
  design in the var plan_designs, to every fct_* table in one transaction, by the same Python function the orchestrator publishes with
  (navigator_orchestrator.engine.publish.publish_from_dbt), or refuses with nothing written
  (the work tables hold another year, were built with other vars or by a build that did not
  finish, or the previous year is not published): the tables never disagree on which years
  they hold. The model's own return value is not used.
-#}
{% materialization published, adapter='duckdb', supported_languages=['python'] %}
  {%- set target_relation = this.incorporate(type='table') -%}
  {#- A refusal is written to this table (publish.REFUSAL_TABLE) and raised here, as one line:
      raised inside the Python model it would reach the console as a Python traceback. -#}
  {%- set refusal_table = 'simulation_work.main.publish_refusal' -%}
  {% do run_query('create or replace table ' ~ refusal_table ~ ' (message varchar, missing_table varchar)') %}
  {% call statement('main', language='python') -%}
{{ compiled_code }}


def materialize(df, con):
    from navigator_orchestrator.engine.publish import publish_by_hand

    publish_by_hand(con, {{ var('scenario_id') | string | tojson }}, {{ plan_design_ids() | tojson }},
                    {{ var('simulation_year') | int }}, {{ var('start_year') | int }},
                    build=({{ vars_digest() | tojson }}, {{ invocation_id | tojson }}))
  {%- endcall %}
  {%- set refused = run_query('select message from ' ~ refusal_table) -%}
  {% do run_query('drop table ' ~ refusal_table) %}
  {%- if refused and refused.rows | length > 0 -%}
    {{ exceptions.raise_compiler_error(refused.rows[0][0]) }}
  {%- endif %}
  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
