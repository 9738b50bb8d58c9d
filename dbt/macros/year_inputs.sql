{#-
  on-run-start (dbt_project.yml), for `dbt run` / `dbt build` by hand: refuse, before any model
  runs, to build year-only models of a year from inputs that are not that year's.
  - A selected year model whose year-only input is not selected reads that input from the work
    file, which holds the last year built there by hand (a run keeps its own in memory). Unless
    the work file holds this year (its int_employee_compensation_by_year, the first table of
    every year, says which), the step would mix years silently.
  - A year after the scenario's first starts from the previous year's published snapshot; if
    that year is not published, the year's tables would be built empty.
  A run selects every year model and publishes in order, so neither refusal ever fires there.
-#}
{% macro require_year_inputs() %}
  {%- if execute and flags.WHICH in ('run', 'build') -%}
    {%- set year = var('simulation_year') | int -%}
    {%- set selected = selected_resources | list -%}
    {%- set year_models = [] -%}
    {%- set unselected_inputs = [] -%}
    {%- for uid in selected -%}
      {%- set node = graph.nodes.get(uid) -%}
      {%- if node is not none and node.resource_type == 'model' and 'year' in node.tags -%}
        {%- do year_models.append(node.name) -%}
        {%- for parent_id in node.depends_on.nodes if parent_id not in selected -%}
          {%- set parent = graph.nodes.get(parent_id) -%}
          {%- if parent is not none and parent.resource_type == 'model' and 'year' in parent.tags
                and parent.name not in unselected_inputs -%}
            {%- do unselected_inputs.append(parent.name) -%}
          {%- endif -%}
        {%- endfor -%}
      {%- endif -%}
    {%- endfor -%}
    {%- set step = "navigator dbt -c CONFIG --database DB --year " ~ year ~ " -- run --select " -%}
    {%- if unselected_inputs -%}
      {%- set marker = adapter.get_relation('simulation_work', 'main', 'int_employee_compensation_by_year') -%}
      {%- set held = none -%}
      {%- if marker is not none -%}
        {%- set held = run_query('select max(simulation_year) from ' ~ marker).columns[0].values()[0] -%}
      {%- endif -%}
      {%- if held is none or held | int != year -%}
        {{ exceptions.raise_compiler_error(
            (year_models | join(', ')) ~ " would read " ~ (unselected_inputs[:4] | join(', '))
            ~ (' ...' if unselected_inputs | length > 4 else '') ~ " from the work file, which holds "
            ~ ("no year" if held is none else "year " ~ (held | int)) ~ ", not " ~ year
            ~ "; nothing was built. Build the year whole (" ~ step ~ "tag:year) or select each step with "
            ~ "the year-only models it reads (--select +MODEL,tag:year)") }}
      {%- endif -%}
    {%- endif -%}
    {%- if 'stg_year_start_state' in year_models and year > var('start_year') | int -%}
      {%- set published = adapter.get_relation('simulation', 'main', 'fct_workforce_snapshot') -%}
      {%- set rows = 0 -%}
      {%- if published is not none -%}
        {%- set rows = run_query('select count(*) from ' ~ published ~ ' where scenario_id = '
            ~ slug_var('scenario_id') ~ ' and simulation_year = ' ~ (year - 1)).columns[0].values()[0] -%}
      {%- endif -%}
      {%- if rows == 0 -%}
        {{ exceptions.raise_compiler_error(
            "year " ~ year ~ " continues from year " ~ (year - 1) ~ ", which is not published for scenario "
            ~ var('scenario_id') ~ " in this database; nothing was built. Publish the years in order "
            ~ "(" ~ step ~ "tag:year tag:publish, from the first year missing) or simulate them: navigator run") }}
      {%- endif -%}
    {%- endif -%}
  {%- endif -%}
{% endmacro %}
