{{ config(pre_hook="{{ clear_from_year() }}", on_schema_change="fail", tags=["publish"]) }}

-- ADP and ACP test results per scenario, plan design, year and test, appended year by year.
select * from {{ ref('int_ndt_results') }}
