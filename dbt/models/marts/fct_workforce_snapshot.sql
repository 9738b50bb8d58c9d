{{ config(pre_hook="{{ clear_from_year() }}", on_schema_change="fail", tags=["publish"]) }}

-- One row per employee and simulated year for everyone employed at any time in the year.
select * from {{ ref('int_yearly_snapshot') }}
