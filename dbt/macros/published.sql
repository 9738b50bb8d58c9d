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
  {% call statement('main', language='python') -%}
{{ compiled_code }}


def materialize(df, con):
    from navigator_orchestrator.engine.publish import publish_from_dbt

    publish_from_dbt(con, {{ var('scenario_id') | string | tojson }}, {{ plan_design_ids() | tojson }},
                     {{ var('simulation_year') | int }}, {{ var('start_year') | int }},
                     build=({{ vars_digest() | tojson }}, {{ invocation_id | tojson }}))
  {%- endcall %}
  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
