{{ config(tags=["baseline"]) }}

-- The workforce at the census date (Dec 31 before start_year): active census rows only.
-- Compensation is the census annual pay rate, taken as is (never annualised again).
-- known_termination_date: a departure the census already knows of (an active row whose
-- termination date is after the census date); int_termination_events applies it in its year.
-- Account balances and the vesting service date open the accounts of the first simulated year.
select
    employee_id,
    employee_birth_date,
    employee_hire_date,
    employee_gross_compensation as current_compensation,
    level_id,
    employee_deferral_rate,
    employee_termination_date as known_termination_date,
    employee_deferral_balance,
    employer_match_balance,
    employer_core_balance,
    vesting_service_start_date
from {{ ref('stg_census_data') }}
where is_active
