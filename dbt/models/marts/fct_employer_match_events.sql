{{ config(pre_hook="{{ clear_from_year() }}", on_schema_change="fail", tags=["publish"]) }}

-- Employer match per employee-year (one row per employee-year with a match), appended year by year.
select * from {{ ref('int_employer_match_events') }}
