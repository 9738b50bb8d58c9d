{#- Completed years between two dates, birthday-exact. -#}
{% macro years_between(start_date, end_date) -%}
  (year({{ end_date }}) - year({{ start_date }})
   - case when month({{ end_date }}) * 100 + day({{ end_date }})
               < month({{ start_date }}) * 100 + day({{ start_date }}) then 1 else 0 end)
{%- endmacro %}

{% macro year_start(year=none) -%}
  make_date({{ year if year is not none else var("simulation_year") }}, 1, 1)
{%- endmacro %}

{% macro year_end(year=none) -%}
  make_date({{ year if year is not none else var("simulation_year") }}, 12, 31)
{%- endmacro %}

{% macro days_in_year(year=none) -%}
  (date_diff('day', {{ year_start(year) }}, {{ year_end(year) }}) + 1)
{%- endmacro %}

{#- Last day of a period that runs from one change point to the day before the next change
    point of the same employee (ordered by `order_by`), or through `last_day`. -#}
{% macro period_end(period_start, order_by, last_day, partition_by='employee_id') -%}
  coalesce(
      lead({{ period_start }}) over (partition by {{ partition_by }} order by {{ order_by }}) - 1,
      {{ last_day }}
  )::date
{%- endmacro %}
