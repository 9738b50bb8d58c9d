{{ config(tags=["year"]) }}

-- IRS dollar limits per year, from the first published one through the simulated year
-- (macro irs_limits, which the dbt tests of the published tables share).
{{ irs_limits(var('simulation_year')) }}
