{#-
  The year-only models (tag `year`), rebuilt whole every simulated year with one
  `create or replace ... as` statement. dbt's stock materializations issue a create, two
  renames, a drop and a column query per model; for models rebuilt every year that bookkeeping
  cost more than the queries themselves. DuckDB replaces the relation atomically.

  - `year_table`: a table in the work catalog. A model may name text columns whose every value
    is distinct (hash ids, each row's JSON details) in `zstd_columns`: they are stored with
    ZSTD instead of DuckDB's own choice, whose dictionary/FSST analysis of such columns cost
    more than the rest of writing the table (docs/performance.md).
  - `year_view`: for a model whose rows are cheap to compute and are read once (by one model,
    or by the year's publish): a view, so its query runs inside its reader's and nothing is
    written (writing a table costs several times the query). It stays in the work catalog, so
    a step run by hand still reads it.
-#}
{% macro year_relation(kind, sql, pre_hooks, post_hooks) %}
  {%- set target_relation = this.incorporate(type=kind) -%}
  {%- set existing_relation = load_cached_relation(this) -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {% if existing_relation is not none and existing_relation.type != kind %}
    {{ adapter.drop_relation(existing_relation) }}
  {% endif %}

  {%- set zstd_columns = config.get('zstd_columns', []) if kind == 'table' else [] -%}
  {% if zstd_columns %}
    {#- DuckDB takes a column's compression only where the table is created: create it from
        the query's columns, then append the rows, in one transaction. -#}
    {%- set described = run_query('describe (\n' ~ sql ~ '\n)') -%}
    {%- set unknown = zstd_columns | reject('in', described.columns[0].values()) | list -%}
    {% if unknown %}
      {{ exceptions.raise_compiler_error(this.identifier ~ ": zstd_columns names " ~ unknown | join(', ') ~ ", not a column of the model") }}
    {% endif %}
    {% call statement('main') -%}
      create or replace table {{ target_relation }} (
        {%- for row in described.rows %}
        {{ adapter.quote(row[0]) }} {{ row[1] }}{{ ' using compression zstd' if row[0] in zstd_columns }}{{ ',' if not loop.last }}
        {%- endfor %}
      );
      insert into {{ target_relation }} (
        {{ sql }}
      )
    {%- endcall %}
  {% else %}
    {% call statement('main') -%}
      create or replace {{ kind }} {{ target_relation }} as (
        {{ sql }}
      )
    {%- endcall %}
  {% endif %}

  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({'relations': [target_relation]}) }}
{% endmacro %}

{% materialization year_table, adapter='duckdb' %}
  {{ return(year_relation('table', sql, pre_hooks, post_hooks)) }}
{% endmaterialization %}

{% materialization year_view, adapter='duckdb' %}
  {{ return(year_relation('view', sql, pre_hooks, post_hooks)) }}
{% endmaterialization %}
