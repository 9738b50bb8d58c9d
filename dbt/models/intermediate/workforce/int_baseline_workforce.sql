{{ config(tags=["baseline"]) }}

-- The workforce at the census date (Dec 31 before start_year): active census rows only.
-- Compensation is the census annual pay rate, taken as is (never annualised again).
select
    employee_id,
    employee_birth_date,
    employee_hire_date,
    employee_gross_compensation as current_compensation,
    level_id,
    employee_deferral_rate
from {{ ref('stg_census_data') }}
where is_active
