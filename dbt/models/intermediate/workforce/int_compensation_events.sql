{{ config(tags=["year"]) }}

-- Promotions and merit/COLA raises for the start population (this year's hires get neither).
-- Each happens on the first day of a month drawn from the raise-timing seed, and only for
-- people still employed that day. When both fall on the same day the promotion comes first;
-- each event's previous_compensation is the amount of the event before it (or the Jan 1
-- rate), so the last event carries the year-end pay rate. Raise percentages are exact
-- decimals (8 places); amounts are cents.
with recursive population as (
    select * from {{ ref('int_employee_compensation_by_year') }}
),

leavers as (
    select employee_id, effective_date as termination_date from {{ ref('int_termination_events') }}
),

levels as (select * from {{ ref('config_job_levels') }}),
promo_age as (select * from {{ ref('config_promotion_hazard_age') }}),
promo_tenure as (select * from {{ ref('config_promotion_hazard_tenure') }}),

-- Each month owns the slice [cum_from, next cum_from) of [0, 1); a draw falls in one slice.
timing as (
    select month, (sum(weight) over (order by month) - weight) / sum(weight) over () as cum_from
    from {{ ref('config_raise_timing') }}
    where weight > 0
),

draws as (
    select
        p.*,
        l.termination_date,
        {{ uniform('p.employee_id', 'promotion_select') }} as u_promotion,
        {{ uniform('p.employee_id', 'promotion_timing') }} as u_promotion_timing,
        {{ uniform('p.employee_id', 'raise_timing') }} as u_raise_timing
    from population as p
    left join leavers as l using (employee_id)
),

promotion_month as (
    select d.employee_id, t.month
    from draws as d asof join timing as t on d.u_promotion_timing >= t.cum_from
),

raise_month as (
    select d.employee_id, t.month
    from draws as d asof join timing as t on d.u_raise_timing >= t.cum_from
),

max_level as (select max(level_id) as top_level from levels),

-- No promotion probability exceeds the base rate times the largest multiplier of each kind
-- (a missing band counts as 1), multiplied in the same order, so a draw at or above this bound
-- is never promoted; only the draws below it go through the band joins.
promotion_bound as (
    select abs({{ var('promotion_base_rate') }})
        * greatest(1.0, coalesce((select max(abs(multiplier)) from promo_age), 1.0))
        * greatest(1.0, coalesce((select max(abs(multiplier)) from promo_tenure), 1.0))
        * greatest(1.0, coalesce((select max(abs(promotion_hazard_multiplier)) from levels), 1.0)) as bound
),

promotion_candidates as (
    select * from draws where u_promotion < (select bound from promotion_bound)
),

promotions as (
{% if var('promotion_enabled') %}
    select
        d.employee_id,
        'promotion' as event_type,
        'promotion' as event_category,
        1 as type_priority,
        make_date({{ var('simulation_year') }}, pm.month, 1) as effective_date,
        ({{ var('promotion_raise_rate') }})::decimal(18, 8) as raise_pct,
        d.level_id + 1 as new_level_id,
        least(1.0, {{ var('promotion_base_rate') }} * coalesce(pa.multiplier, 1.0)
            * coalesce(pt.multiplier, 1.0) * coalesce(l.promotion_hazard_multiplier, 1.0)) as probability
    from promotion_candidates as d
    join promotion_month as pm using (employee_id)
    cross join max_level as m
    left join promo_age as pa on d.current_age between pa.age_min and pa.age_max
    left join promo_tenure as pt on d.current_tenure between pt.tenure_min and pt.tenure_max
    left join levels as l on d.level_id = l.level_id
    where d.level_id < m.top_level
      and (d.termination_date is null or d.termination_date > make_date({{ var('simulation_year') }}, pm.month, 1))
      and d.u_promotion < least(1.0, {{ var('promotion_base_rate') }} * coalesce(pa.multiplier, 1.0)
            * coalesce(pt.multiplier, 1.0) * coalesce(l.promotion_hazard_multiplier, 1.0))
{% else %}
    select
        null::varchar as employee_id, null::varchar as event_type, null::varchar as event_category,
        null::integer as type_priority, null::date as effective_date, null::decimal(18, 8) as raise_pct,
        null::integer as new_level_id, null::double as probability
    where false
{% endif %}
),

raises as (
    select
        d.employee_id,
        'raise' as event_type,
        'merit_cola' as event_category,
        2 as type_priority,
        make_date({{ var('simulation_year') }}, rm.month, 1) as effective_date,
        ({{ var('merit_budget') }}
            {% if var('merit_by_level') %} * coalesce(l.merit_multiplier, 1.0) {% endif %}
            + {{ var('cola_rate') }})::decimal(18, 8) as raise_pct,
        null::integer as new_level_id,
        null::double as probability
    from draws as d
    join raise_month as rm using (employee_id)
    left join levels as l on d.level_id = l.level_id
    where (d.termination_date is null or d.termination_date > make_date({{ var('simulation_year') }}, rm.month, 1))
      and {{ var('merit_budget') }}
            {% if var('merit_by_level') %} * coalesce(l.merit_multiplier, 1.0) {% endif %}
            + {{ var('cola_rate') }} > 0
),

changes as (
    select * from promotions
    union all
    select * from raises
),

ordered as (
    select
        c.*,
        p.starting_compensation,
        p.level_id as starting_level_id,
        row_number() over (partition by c.employee_id order by c.effective_date, c.type_priority) as change_order,
        max(c.new_level_id) over (
            partition by c.employee_id order by c.effective_date, c.type_priority
            rows between unbounded preceding and current row) as level_after
    from changes as c
    join population as p using (employee_id)
),

-- Each event's new pay rate is its own previous rate x (1 + raise_pct), rounded half up to
-- the cent (docs/money.md), so the chain runs event by event in the year's order.
chained as (
    select
        employee_id, change_order, starting_compensation::decimal(14, 2) as previous_compensation,
        {{ cents('starting_compensation::decimal(14, 2) * (1 + raise_pct)') }} as compensation_amount
    from ordered
    where change_order = 1
    union all
    select
        o.employee_id, o.change_order, c.compensation_amount,
        {{ cents('c.compensation_amount * (1 + o.raise_pct)') }}
    from chained as c
    join ordered as o on o.employee_id = c.employee_id and o.change_order = c.change_order + 1
),

final as (
    select
        o.employee_id,
        {{ var('simulation_year') }} as simulation_year,
        o.event_type,
        o.event_category,
        o.effective_date,
        c.compensation_amount,
        c.previous_compensation,
        coalesce(o.level_after, o.starting_level_id) as level_id,
        o.starting_level_id,
        o.raise_pct,
        o.probability
    from ordered as o
    join chained as c using (employee_id, change_order)
)

select * from final
