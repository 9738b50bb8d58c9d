{{ config(tags=["year"], materialized="year_view") }}

-- Per plan design (ndt.enabled) and person of the top-heavy test of the simulated year, in the
-- shape of fct_ndt_employee_results (test = 'top_heavy'): everyone counted at the determination
-- date (int_key_employees) and everyone employed in the year.
--   is_key_employee, key_employee_basis, former_key_employee: as determined (int_key_employees);
--   top_heavy_balance: the balance counted at the determination date, distributions added back
--     ($; 0 for a former key employee, null for someone not employed in the year ending on it);
--   testing_compensation: the year's pay capped at 401(a)(17) (416(c)(2)(A), 416(d));
--   contributions: a key employee's contributions that set the key employee rate (deferrals
--     less catch-up, match, core, forfeitures allocated; Treas. Reg. 1.416-1 M-7, M-20), a
--     non-key employee's employer contributions that count toward the minimum (match, core,
--     forfeitures allocated; the employee's own deferrals do not, M-20; match does, M-18);
--   ratio: contributions / testing pay, to 0.01%;
--   top_heavy_minimum: what the employer owes a non-key employee employed at year end and
--     eligible for the plan (M-10) when the plan is top-heavy and not exempt: the minimum rate
--     (int_top_heavy_tests) x testing pay less the employer contributions counted, never below
--     0, rounded half up to the cent once here; the test's total is the sum of these.
-- A view: its one reader, int_ndt_employee_results, computes the rows and stores them.
with keys as (
    select * from {{ ref('int_key_employees') }}
),

tests as (
    select * from {{ ref('int_top_heavy_tests') }}
),

year_people as (
    select
        c.plan_design_id,
        c.employee_id,
        c.employment_status,
        c.is_eligible,
        c.capped_compensation,
        {{ to_cents('c.employee_deferral - c.catch_up_contribution') }} as deferral_cents,
        {{ to_cents('c.employer_match_amount + c.employer_core_amount') }} + coalesce(a.allocated_cents, 0) as employer_cents,
        {{ to_cents('c.capped_compensation') }} as compensation_cents
    from {{ ref('int_employee_contributions') }} as c
    join tests as t on t.plan_design_id = c.plan_design_id
    left join ({{ top_heavy_allocated_cents() }}) as a on a.plan_design_id = c.plan_design_id and a.employee_id = c.employee_id
),

people as (
    select
        coalesce(y.plan_design_id, k.plan_design_id) as plan_design_id,
        coalesce(y.employee_id, k.employee_id) as employee_id,
        coalesce(k.is_key_employee, false) as is_key_employee,
        k.key_employee_basis,
        coalesce(k.former_key_employee, false) as former_key_employee,
        k.counted_cents,
        y.employment_status,
        y.is_eligible,
        y.capped_compensation,
        y.compensation_cents,
        case when coalesce(k.is_key_employee, false) then y.deferral_cents + y.employer_cents
             else y.employer_cents end as contribution_cents,
        y.employer_cents
    from year_people as y
    full outer join keys as k on k.plan_design_id = y.plan_design_id and k.employee_id = y.employee_id
),

owed as (
    select
        p.*,
        case
            when t.min_num is not null and not p.is_key_employee and p.employment_status = 'active' and p.is_eligible
                 and p.compensation_cents * t.min_num > p.employer_cents * t.min_den
            then {{ half_up_quotient('p.compensation_cents * t.min_num - p.employer_cents * t.min_den', 't.min_den') }}
            else 0
        end as minimum_cents
    from people as p
    join tests as t using (plan_design_id)
),

final as (
    select
        {{ published_keys('o.plan_design_id') }}
        o.employee_id,
        'top_heavy' as test,
        h.is_hce,
        h.hce_basis,
        o.capped_compensation::decimal(14, 2) as testing_compensation,
        {{ from_cents('o.contribution_cents') }} as contributions,
        (case when o.compensation_cents > 0
              then {{ ndt_div_half_up('o.contribution_cents * 10000', 'o.compensation_cents') }}
         end::decimal(18, 0) * 0.0001)::decimal(8, 4) as ratio,
        0::decimal(14, 2) as excess_by_leveling,
        0::decimal(14, 2) as corrective_distribution,
        null::decimal(14, 2) as qnec_amount,
        o.is_key_employee,
        o.key_employee_basis,
        o.former_key_employee,
        {{ from_cents('o.counted_cents') }} as top_heavy_balance,
        {{ from_cents('o.minimum_cents') }} as top_heavy_minimum
    from owed as o
    left join {{ ref('int_hce_determination') }} as h
      on h.plan_design_id = o.plan_design_id and h.employee_id = o.employee_id
)

select * from final
