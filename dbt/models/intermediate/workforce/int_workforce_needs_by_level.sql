{{ config(tags=["year"], materialized="year_view") }}

-- Hiring demand. H is the smallest count with W - E + H - round(H x nh_rate) = T, where
-- T = round(W x (1 + growth)); H - round(H x r) rises by 0 or 1 per extra hire, so a small
-- window around T'/(1 - r) always holds the answer. Hires are split across levels by the
-- hiring mix with largest-remainder apportionment, so the level counts add up to H exactly.
with population as (
    select * from {{ ref('int_employee_compensation_by_year') }}
),

terminations as (
    select * from {{ ref('int_termination_events') }}
),

totals as (
    select
        (select count(*) from population) as start_workforce,
        (select count(*) from terminations) as experienced_terminations,
        {{ round_half_away('(select count(*) from population) * (1 + ' ~ rate('target_growth_rate') ~ ')') }}
            as target_ending_workforce
),

demand as (
    select
        *,
        greatest(target_ending_workforce - (start_workforce - experienced_terminations), 0) as net_hires_needed
    from totals
),

candidates as (
    select d.*, h.generate_series as hires
    from demand as d,
        generate_series(
            greatest(cast(floor((d.net_hires_needed - 1) / (1 - {{ rate('new_hire_termination_rate') }})) as bigint), 0),
            cast(ceil((d.net_hires_needed + 1) / (1 - {{ rate('new_hire_termination_rate') }})) as bigint) + 1
        ) as h
),

solved as (
    select
        start_workforce,
        experienced_terminations,
        target_ending_workforce,
        net_hires_needed,
        min(hires) as total_hires_needed
    from candidates
    where hires - {{ round_half_away('hires * ' ~ rate('new_hire_termination_rate')) }} = net_hires_needed
    group by all
),

mix as (
    select level_id, share / sum(share) over () as level_share
    from {{ ref('config_hiring_mix') }}
    where share > 0
),

quotas as (
    select
        s.*,
        m.level_id,
        m.level_share,
        s.total_hires_needed * m.level_share as quota,
        cast(floor(s.total_hires_needed * m.level_share) as bigint) as base_hires
    from solved as s
    cross join mix as m
),

apportioned as (
    select
        *,
        row_number() over (order by quota - base_hires desc, level_id) as remainder_rank,
        total_hires_needed - sum(base_hires) over () as leftover
    from quotas
),

final as (
    select
        {{ var('simulation_year') }} as simulation_year,
        level_id,
        level_share,
        start_workforce,
        experienced_terminations,
        target_ending_workforce,
        net_hires_needed,
        total_hires_needed,
        {{ round_half_away('total_hires_needed * ' ~ rate('new_hire_termination_rate')) }}
            as expected_new_hire_terminations,
        base_hires + case when remainder_rank <= leftover then 1 else 0 end as hires_needed
    from apportioned
)

select * from final
