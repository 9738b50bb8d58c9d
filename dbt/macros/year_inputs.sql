{#-
  on-run-start (dbt_project.yml), for `dbt run` / `dbt build` by hand: refuse, before any model
  runs, to build year-only models of a year from inputs that are not that year's.
  - A selected year model whose year-only input is not selected reads that input from the work
    file, which holds the last year built there by hand (a run keeps its own in memory). Unless
    the work file holds this year (its int_employee_compensation_by_year, the first table of
    every year, says which), the step would mix years silently.
  - A year after the scenario's first starts from the previous year's published snapshot; if
    that year is not published, the year's tables would be built empty.
  - A step whose inputs were built with other vars (another config, design or year), or by a
    build that did not finish (a failure, Ctrl-C, kill -9), would mix builds silently.
  The work catalog's `work_build` row records which vars built its tables (`vars_digest`),
  by which dbt invocation, whether they are one build's (`consistent`: every year model, or a
  step over a finished build with the same vars) and whether it finished
  (`year_build_finished`, on-run-end);
  a by-hand publish checks it too (engine.publish.check_work_build).
  A run selects every year model and publishes in order, so no refusal ever fires there.
-#}

{#- The vars of this invocation as one digest: the same config, year and designs give the same
    digest; run_id (a run's own id) is left out. -#}
{% macro vars_digest() %}
  {%- set given = invocation_args_dict.get('vars') or {} -%}
  {%- set given = fromyaml(given) if given is string else given -%}
  {%- set kept = {} -%}
  {%- for name, value in given.items() if name != 'run_id' -%}{%- do kept.update({name: value}) -%}{%- endfor -%}
  {{- return(local_md5(tojson(kept, sort_keys=true))) -}}
{% endmacro %}
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
    {%- set step = navigator_dbt_step(year) -%}
    {%- if unselected_inputs -%}
      {%- set held = none -%}
      {%- if work_table_exists('int_employee_compensation_by_year') -%}
        {%- set held = read_value('select max(simulation_year) from simulation_work.main.int_employee_compensation_by_year') -%}
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
    {%- set build = 'simulation_work.main.work_build' if work_table_exists('work_build') else none -%}
    {%- if unselected_inputs and build is not none -%}
      {%- set row = read_rows('select vars_digest, finished from ' ~ build) -%}
      {%- if row | length == 1 and (row[0][0] != vars_digest() or not row[0][1]) -%}
        {{ exceptions.raise_compiler_error(
            (year_models | join(', ')) ~ " would read " ~ (unselected_inputs[:4] | join(', '))
            ~ (' ...' if unselected_inputs | length > 4 else '') ~ " from the work file, "
            ~ ("built with other vars (another config, year or design)" if row[0][0] != vars_digest()
               else "whose last build did not finish") ~ "; nothing was built. Build the year whole ("
            ~ step ~ "tag:year) or select each step with the year-only models it reads (--select +MODEL,tag:year)") }}
      {%- endif -%}
    {%- endif -%}
    {%- if 'stg_year_start_state' in year_models and year > var('start_year') | int -%}
      {%- set rows = 0 -%}
      {%- if read_value("select count(*) from information_schema.tables where table_catalog = 'simulation' "
                        ~ "and table_schema = 'main' and table_name = 'fct_workforce_snapshot'") > 0 -%}
        {%- set rows = read_value('select count(*) from simulation.main.fct_workforce_snapshot where scenario_id = '
            ~ slug_var('scenario_id') ~ ' and simulation_year = ' ~ (year - 1)) -%}
      {%- endif -%}
      {%- if rows == 0 -%}
        {#- Published years run on from start_year: the first missing is the one after the latest. -#}
        {%- set latest = read_value('select max(simulation_year) from simulation.main.fct_workforce_snapshot '
            ~ 'where scenario_id = ' ~ slug_var('scenario_id') ~ ' and simulation_year < ' ~ year)
            if read_value("select count(*) from information_schema.tables where table_catalog = 'simulation' "
                          ~ "and table_schema = 'main' and table_name = 'fct_workforce_snapshot'") > 0 else none -%}
        {%- set first_missing = var('start_year') | int if latest is none else latest | int + 1 -%}
        {{ exceptions.raise_compiler_error(
            "year " ~ year ~ " continues from year " ~ (year - 1) ~ ", which is not published for scenario "
            ~ var('scenario_id') ~ " in this database; nothing was built. Publish the years in order from "
            ~ first_missing ~ " (" ~ navigator_dbt_step(first_missing) ~ "tag:year tag:publish, then each later "
            ~ "year) or simulate them: navigator run") }}
      {%- endif -%}
    {%- endif -%}
    {%- if year_models -%}
      {#- The work tables are being rebuilt: unfinished until on-run-end says otherwise. They are
          consistent when every year model is rebuilt, or some are over a finished build with
          the same vars; otherwise the tables mix builds and no publish takes them. -#}
      {%- set all_year = [] -%}
      {%- for node in graph.nodes.values() if node.resource_type == 'model' and 'year' in node.tags -%}
        {%- do all_year.append(node.name) -%}
      {%- endfor -%}
      {%- set consistent = year_models | length == all_year | length -%}
      {%- if not consistent and build is not none -%}
        {%- set row = read_rows('select vars_digest, finished, consistent from ' ~ build) -%}
        {%- set consistent = row | length == 1 and row[0][0] == vars_digest() and row[0][1] and row[0][2] -%}
      {%- endif -%}
      {#- The hook's statement, which dbt runs and commits. -#}
      create or replace table simulation_work.main.work_build as select '{{ vars_digest() }}' as vars_digest,
          '{{ invocation_id }}' as invocation_id, {{ consistent | string | lower }} as consistent, false as finished
    {%- endif -%}
  {%- endif -%}
{% endmacro %}

{#- The fix a refusal prints: `navigator dbt` on this database, for `year` and the plan designs
    of the vars (without --plan-designs it would rebuild and republish every design of the
    config), up to the models to select. -#}
{% macro navigator_dbt_step(year) %}
  {%- set db = env_var('NAVIGATOR_DB_PATH', 'DB') -%}
  {#- Quoted for a shell (this is a command line, never SQL) unless it needs no quotes. -#}
  {%- set db = db if modules.re.fullmatch('[A-Za-z0-9_./@%+=:,-]+', db) else "'%s'" | format(db.replace("'", "'\\''")) -%}
  {{- return("navigator dbt -c CONFIG --database " ~ db ~ " --year " ~ year ~ " --plan-designs "
             ~ (plan_design_ids() | join(',')) ~ " -- run --select ") -}}
{% endmacro %}

{#- on-run-end: the year models this invocation built all succeeded: its build finished. -#}
{% macro year_build_finished() %}
  {%- if execute and flags.WHICH in ('run', 'build') -%}
    {%- set year_results = [] -%}
    {%- for r in results if r.node.resource_type == 'model' and 'year' in r.node.tags -%}
      {%- do year_results.append(r.status) -%}
    {%- endfor -%}
    {%- if year_results and year_results | reject('equalto', 'success') | list | length == 0 -%}
      update simulation_work.main.work_build set finished = true
      where consistent and invocation_id = '{{ invocation_id }}'
    {%- endif -%}
  {%- endif -%}
{% endmacro %}

{#- A query's rows, its transaction committed: a hook's own statement runs after these reads,
    and dbt rolls back a transaction a hook leaves open. -#}
{% macro read_rows(sql) %}
  {%- set rows = run_query(sql).rows -%}
  {%- do adapter.commit() -%}
  {{- return(rows) -}}
{% endmacro %}

{% macro read_value(sql) %}
  {{- return(read_rows(sql)[0][0]) -}}
{% endmacro %}

{#- Whether the work catalog holds table `name` (asked of DuckDB, not of dbt's relation cache,
    which holds only the selected models' relations in a run). -#}
{% macro work_table_exists(name) %}
  {{- return(read_value("select count(*) from information_schema.tables where table_catalog = 'simulation_work' "
                        ~ "and table_schema = 'main' and table_name = '" ~ name ~ "'") > 0) -}}
{% endmacro %}
