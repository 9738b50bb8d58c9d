{{ config(tags=["year"]) }}

-- The previous year's population, the state every simulated year starts from: one row per
-- plan design (int_plan_design_parameters) and person. In the first simulated year (start_year)
-- the census workforce (int_baseline_workforce) for every design, in every later year everyone
-- in the previous year's published snapshot of this scenario and each design
-- (fct_workforce_snapshot), actives and leavers. Both inputs are always in the DAG; the year
-- decides in SQL which one contributes rows. The only model that reads the published snapshot.
-- The workforce columns are the same in every design (designs share one workforce). Read by:
--   int_employee_compensation_by_year: the start population (is_active) of the first design;
--   int_plan_start_state: each design's plan state;
--   int_hce_determination: look-back pay and age (IRC 414(q));
--   int_ndt_tests: the previous simulated year's plan figures (prior-year ADP/ACP testing);
--   int_employee_accounts: opening balances per source and the date vesting service counts from.
{%- set year = var('simulation_year') | int %}
{%- set start_year = var('start_year') | int %}
{%- set census_date = "make_date(" ~ (start_year - 1) ~ ", 12, 31)" %}
{%- set published = source('navigator', 'fct_workforce_snapshot') %}
{%- set published_exists = true %}
{#- A unit test gives the source as a fixture (no database): it exists. #}
{%- if execute and published.database is not none %}
  {%- set published_exists = adapter.get_relation(published.database, published.schema, published.identifier) is not none %}
  {%- if year > start_year and not published_exists %}
    {{ exceptions.raise_compiler_error(
        "year " ~ year ~ " starts from year " ~ (year - 1) ~ "'s published snapshot, and this database has no "
        ~ "fct_workforce_snapshot yet: simulate from the census year (" ~ start_year ~ ") first") }}
  {%- endif %}
{%- endif %}

with designs as (
    select plan_design_id, eligibility_grandfather_census_participants
    from {{ ref('int_plan_design_parameters') }}
),

census_year as (
    select
        d.plan_design_id,
        employee_id,
        employee_birth_date,
        employee_hire_date,
        level_id,
        true as is_active,
        current_compensation as starting_compensation,
        false as is_enrolled,
        0.0::double as deferral_rate,
        null::date as enrollment_date,
        null::varchar as enrollment_category,
        false as ever_opted_out,
        case when employee_deferral_rate > 0 then employee_deferral_rate end as census_deferral_rate,
        -- A census participant is in the plan already: with
        -- eligibility.grandfather_census_participants eligible from the census date.
        case when d.eligibility_grandfather_census_participants and employee_deferral_rate > 0
             then {{ census_date }} end as prior_eligibility_date,
        -- Look-back pay: the census pay rate, prorated for people hired during the census year.
        (current_compensation
            * case when employee_hire_date > {{ year_start(year - 1) }}
                   then (date_diff('day', employee_hire_date, {{ year_end(year - 1) }}) + 1)::double
                        / {{ days_in_year(year - 1) }}
                   else 1 end)::decimal(14, 2) as lookback_compensation,
        {{ years_between('employee_birth_date', year_end(year - 1)) }} as lookback_age,
        false as previous_year_simulated,
        null::boolean as is_eligible,
        null::boolean as is_hce,
        null::decimal(14, 2) as prorated_annual_compensation,
        null::decimal(14, 2) as prorated_annual_contributions,
        null::decimal(14, 2) as catch_up_contribution,
        null::decimal(14, 2) as employer_match_amount,
        employee_deferral_balance,
        employer_match_balance,
        employer_core_balance,
        vesting_service_start_date
    from {{ ref('int_baseline_workforce') }}
    cross join designs as d
    where {{ year }} = {{ start_year }}
),
{%- if published_exists %}

previous_year as (
    select
        s.plan_design_id,
        s.employee_id,
        s.employee_birth_date,
        s.employee_hire_date,
        s.level_id,
        s.employment_status = 'active' as is_active,
        s.current_compensation as starting_compensation,
        coalesce(s.is_enrolled_flag, false) as is_enrolled,
        coalesce(s.current_deferral_rate, 0)::double as deferral_rate,
        s.enrollment_date,
        s.enrollment_category,
        coalesce(s.ever_opted_out, false) as ever_opted_out,
        -- A census participant who has not entered the plan yet (never enrolled).
        case when s.enrollment_date is null and not coalesce(s.ever_opted_out, false)
             then c.employee_deferral_rate end as census_deferral_rate,
        s.eligibility_date as prior_eligibility_date,
        s.prorated_annual_compensation::decimal(14, 2) as lookback_compensation,
        s.current_age as lookback_age,
        true as previous_year_simulated,
        s.is_eligible,
        s.is_hce,
        s.prorated_annual_compensation,
        s.prorated_annual_contributions,
        s.catch_up_contribution,
        s.employer_match_amount,
        s.employee_deferral_balance,
        s.employer_match_balance,
        s.employer_core_balance,
        s.vesting_service_start_date
    from {{ published }} as s
    left join {{ source('navigator', 'raw_census') }} as c
      on c.employee_id = s.employee_id and c.employee_deferral_rate > 0
    where {{ year }} > {{ start_year }}
      and s.scenario_id = {{ slug_var("scenario_id") }}
      and s.plan_design_id in (select plan_design_id from designs)
      and s.simulation_year = {{ year - 1 }}
),
{%- endif %}

final as (
    select * from census_year
{%- if published_exists %}
    union all by name
    select * from previous_year
{%- endif %}
)

select * from final
