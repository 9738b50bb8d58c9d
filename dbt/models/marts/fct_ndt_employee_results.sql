{{ config(pre_hook="{{ clear_from_year() }}", on_schema_change="fail", tags=["publish"]) }}

-- Per eligible employee and test: ratios and corrections of the ADP and ACP tests, appended year by year.
select * from {{ ref('int_ndt_employee_results') }}
