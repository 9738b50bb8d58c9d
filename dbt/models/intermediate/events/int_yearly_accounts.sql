{{ config(tags=["year"], materialized="year_view") }}

-- The account activity of the year in the published shape: one row per employee and source with
-- any money (rows of all zeros are left out). fct_employee_accounts appends this; the closing
-- balances are the snapshot's balance columns.
with accounts as (
    select * from {{ ref('int_employee_accounts') }}
),

final as (
    select
        {{ published_keys('plan_design_id') }}
        employee_id,
        source,
        vesting_years,
        vested_percentage,
        opening_balance,
        contributions,
        forfeitures_allocated,
        investment_return,
        distribution,
        forfeiture,
        closing_balance
    from accounts
    where opening_balance <> 0 or contributions <> 0 or forfeitures_allocated <> 0 or investment_return <> 0
       or distribution <> 0 or forfeiture <> 0 or closing_balance <> 0
)

select * from final
