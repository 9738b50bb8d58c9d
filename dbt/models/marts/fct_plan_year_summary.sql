{{ config(pre_hook="{{ clear_from_year() }}", on_schema_change="fail", tags=["publish"]) }}

-- One row per scenario, plan design and simulated year: the figures every report reads
-- (console audit, CSV, JSON, HTML, `navigator compare`), appended with the year's fct_* rows.
select * from {{ ref('int_plan_year_summary') }}
