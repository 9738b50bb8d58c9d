{#- Round half away from zero on exact decimals (DESIGN §5 step 3: 2.5 -> 3, -2.5 -> -3). -#}
{% macro round_half_away(expr) -%}
  (sign(({{ expr }})::decimal(38, 10)) * floor(abs(({{ expr }})::decimal(38, 10)) + 0.5))::bigint
{%- endmacro %}

{#- A rate from config as an exact decimal, so counts such as round(W x rate) do not
    depend on binary floating point. -#}
{% macro rate(name) -%}
  ({{ var(name) }})::decimal(18, 8)
{%- endmacro %}
