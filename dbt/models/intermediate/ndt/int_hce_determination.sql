{{ config(tags=["year"]) }}

-- Highly compensated employees of the simulated year (IRC 414(q)), one row per plan design and
-- person employed in it (the top-paid group election is the design's ndt.top_paid_group).
-- An employee is an HCE when
--   (a) a 5% owner (census column is_owner_5pct; ownership is not simulated, so it holds in
--       the year and the year before, IRC 414(q)(1)(A)), or
--   (b) paid more than the 414(q)(1)(B) threshold of the look-back year (the year before) in
--       the look-back year, and, when ndt.top_paid_group is elected, also in the top-paid group
--       of that year (IRC 414(q)(1)(B)(ii), 414(q)(3)).
-- Look-back pay (stg_year_start_state): pay earned in the previous simulated year (its
-- published snapshot); for the first simulated year, the census pay rate, prorated for people
-- hired during the census year.
-- People hired in the simulated year had no look-back pay and are HCEs only as owners.
-- Top-paid group (Treas. Reg. 1.414(q)-1 A-9(b)(1), 1.414(q)-1T A-9(b)(1)(i)): the top 20% of
-- the look-back year's employees by pay; the 20% counts employees aged 21+ with at least
-- 6 months of service at its end (hours are not modelled, so no one is excluded by hours);
-- the count is rounded down, and equal pay at the boundary is ordered by employee_id.
{% set year = var('simulation_year') | int %}

with lookback as (
    -- The look-back year's population and pay (stg_year_start_state: the census in the first
    -- simulated year, the previous year's published snapshot after). Workforce columns, the
    -- same in every plan design (designs share one workforce): the first design's rows, so the
    -- ranking below runs once, not once per design.
    select employee_id, lookback_compensation, lookback_age, employee_hire_date
    from {{ ref('stg_year_start_state') }}
    where plan_design_id = (select plan_design_id from {{ ref('int_plan_design_parameters') }} where design_order = 1)
),

threshold as (
    select hce_threshold from {{ ref('int_irs_limits') }} where limit_year = {{ year - 1 }}
),

top_paid_size as (
    select floor(0.2 * count(*) filter (
        where lookback_age >= 21
          and employee_hire_date <= ({{ year_end(year - 1) }} - interval 6 month)::date))::integer as members
    from lookback
),

ranked as (
    select
        l.*,
        row_number() over (order by l.lookback_compensation desc, l.employee_id)
            <= s.members as in_top_paid_group
    from lookback as l
    cross join top_paid_size as s
),

owners as (
    select employee_id, coalesce(is_owner_5pct, false) as is_owner_5pct
    from {{ ref('stg_census_data') }}
),

final as (
    select
        d.plan_design_id,
        w.employee_id,
        {{ year }} as simulation_year,
        r.lookback_compensation,
        t.hce_threshold as lookback_threshold,
        coalesce(r.in_top_paid_group, false) as in_top_paid_group,
        coalesce(o.is_owner_5pct, false) as is_owner_5pct,
        coalesce(r.lookback_compensation > t.hce_threshold, false)
            and (not d.ndt_top_paid_group or coalesce(r.in_top_paid_group, false))
            as is_compensation_hce,
        case
            when coalesce(o.is_owner_5pct, false) then 'owner_5pct'
            when coalesce(r.lookback_compensation > t.hce_threshold, false)
                 and (not d.ndt_top_paid_group or coalesce(r.in_top_paid_group, false))
                 then 'compensation'
        end as hce_basis
    from {{ ref('int_workforce_snapshot_optimized') }} as w
    cross join {{ ref('int_plan_design_parameters') }} as d
    left join ranked as r on r.employee_id = w.employee_id
    left join owners as o on o.employee_id = w.employee_id
    cross join threshold as t
)

select
    plan_design_id,
    employee_id,
    simulation_year,
    lookback_compensation,
    lookback_threshold,
    in_top_paid_group,
    is_owner_5pct,
    hce_basis is not null as is_hce,
    hce_basis
from final
