{{ config(tags=["year"]) }}

-- Experienced terminations: exactly E = round(W x total_termination_rate) people. Known
-- departures come first: census actives whose termination date falls in this year leave on
-- that date and count toward E (if they alone exceed E, they all leave and hiring makes up
-- the difference). The rest of E is chosen by hazard-weighted sampling without replacement
-- (Efraimidis-Spirakis keys -ln(u)/w: the smallest keys form a weighted sample) among people
-- with no known departure (someone leaving in a later year stays until then). When the growth
-- target lies below W - E, the next people in the same order leave as reduction_in_force so
-- the year ends on target.
with population as (
    select * from {{ ref('int_employee_compensation_by_year') }}
),

known as (
    select employee_id, known_termination_date
    from {{ ref('int_baseline_workforce') }}
    where known_termination_date is not null
),

age_mult as (select * from {{ ref('config_termination_hazard_age') }}),
tenure_mult as (select * from {{ ref('config_termination_hazard_tenure') }}),
levels as (select * from {{ ref('config_job_levels') }}),

weighted as (
    select
        p.employee_id,
        p.level_id,
        p.starting_compensation,
        {% if var('termination_weight_by_age') %} coalesce(a.multiplier, 1.0) {% else %} 1.0 {% endif %}
        * {% if var('termination_weight_by_tenure') %} coalesce(t.multiplier, 1.0) {% else %} 1.0 {% endif %}
        * {% if var('termination_weight_by_level') %} coalesce(l.termination_hazard_multiplier, 1.0) {% else %} 1.0 {% endif %}
            as hazard_weight,
        {{ uniform('p.employee_id', 'termination_select') }} as u_select,
        {{ uniform('p.employee_id', 'termination_date') }} as u_date,
        k.known_termination_date
    from population as p
    left join known as k using (employee_id)
    left join age_mult as a on p.current_age between a.age_min and a.age_max
    left join tenure_mult as t on p.current_tenure between t.tenure_min and t.tenure_max
    left join levels as l on p.level_id = l.level_id
),

targets as (
    select
        count(*) as start_workforce,
        count(*) filter (where known_termination_date <= {{ year_end() }}) as known_terminations,
        {{ round_half_away('count(*) * ' ~ rate('total_termination_rate')) }} as experienced_terminations,
        {{ round_half_away('count(*) * (1 + ' ~ rate('target_growth_rate') ~ ')') }} as target_ending_workforce
    from weighted
),

ranked as (
    select
        w.*,
        row_number() over (
            order by
                case when w.hazard_weight > 0
                     then -ln(greatest(w.u_select, 1e-300)) / w.hazard_weight
                     else 'infinity'::double end,
                w.employee_id
        ) as selection_rank
    from weighted as w
    where w.known_termination_date is null
),

sampled as (
    select
        r.employee_id,
        {{ var('simulation_year') }} as simulation_year,
        'termination' as event_type,
        case when r.selection_rank <= t.experienced_terminations - t.known_terminations
             then 'experienced_termination' else 'reduction_in_force' end as event_category,
        ({{ year_start() }} + cast(floor(r.u_date * {{ days_in_year() }}) as integer))::date
            as effective_date,
        r.starting_compensation as compensation_amount,
        r.level_id,
        r.hazard_weight
    from ranked as r
    cross join targets as t
    where r.selection_rank <= greatest(
        t.experienced_terminations,
        t.start_workforce - t.target_ending_workforce
    ) - t.known_terminations
),

known_departures as (
    select
        w.employee_id,
        {{ var('simulation_year') }} as simulation_year,
        'termination' as event_type,
        'experienced_termination' as event_category,
        w.known_termination_date as effective_date,
        w.starting_compensation as compensation_amount,
        w.level_id,
        w.hazard_weight
    from weighted as w
    where w.known_termination_date <= {{ year_end() }}
),

final as (
    select * from known_departures
    union all
    select * from sampled
)

select * from final
