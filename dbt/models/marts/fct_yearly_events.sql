{{ config(pre_hook="{{ clear_from_year() }}", on_schema_change="fail", tags=["publish"]) }}

-- The immutable event log: every simulated year's events, appended year by year.
select * from {{ ref('int_yearly_events') }}
