{#-
  Counter-based uniform draw in [0, 1), keyed by (random_seed, simulation_year,
  employee_id, stream). A hash, never random(): the same key always gives the same
  draw, so runs are reproducible row for row and independent of row order. The top
  53 bits of DuckDB's 64-bit hash keep the value strictly below 1.
-#}
{% macro uniform(employee_id, stream, year=none) -%}
  ((hash(
      {{ sql_string((var("random_seed") | int) ~ "|") }} || ({{ year if year is not none else var("simulation_year") }})::varchar
      || '|' || ({{ employee_id }})::varchar || '|{{ stream }}'
  ) >> 11)::double / 9007199254740992.0)
{%- endmacro %}
