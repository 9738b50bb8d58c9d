{#- Round half away from zero on exact decimals (DESIGN §5 step 3: 2.5 -> 3, -2.5 -> -3). -#}
{% macro round_half_away(expr) -%}
  (sign(({{ expr }})::decimal(38, 10)) * floor(abs(({{ expr }})::decimal(38, 10)) + 0.5))::bigint
{%- endmacro %}

{#- A rate from config as an exact decimal, so counts such as round(W x rate) do not
    depend on binary floating point. -#}
{% macro rate(name) -%}
  {{ decimal_rate(var(name)) }}
{%- endmacro %}

{#- A rate value (a number from config or a column) as an exact decimal to 8 places. -#}
{% macro decimal_rate(value) -%}
  ({{ value }})::decimal(18, 8)
{%- endmacro %}

{#-
  Money: every amount is an exact DECIMAL (never DOUBLE) and is rounded half up to the cent
  once, when it becomes a stored amount (a pay rate, pay earned in the year, requested
  deferrals, match, core); later steps (limits, catch-up, 415(c)) only compare, add and
  subtract cents. Rule and rounding points: docs/money.md.

  cents(expr): `expr` is an exact DECIMAL >= 0 of any scale; rounded half up to 2 places.
  DuckDB rounds DECIMALs half away from zero, which is half up for amounts >= 0.
-#}
{% macro cents(expr) -%}
  round(({{ expr }}), 2)::decimal(14, 2)
{%- endmacro %}

{#-
  cents_of_ratio(numerator, denominator): numerator / denominator rounded half up to the cent,
  exactly. DuckDB divides DECIMALs in DOUBLE, so the quotient is taken in integers instead:
  `numerator` is an exact DECIMAL >= 0 with at most 10 decimal places (e.g. a pay rate x a
  deferral rate x days), `denominator` a positive integer (e.g. days in the year).
-#}
{% macro cents_of_ratio(numerator, denominator) -%}
  ((((({{ numerator }})::decimal(38, 10) * 10000000000)::hugeint * 2 + ({{ denominator }})::hugeint * 100000000)
    // (({{ denominator }})::hugeint * 200000000))::decimal(18, 0) * 0.01)::decimal(14, 2)
{%- endmacro %}

{#- A rate (a fraction, e.g. a deferral rate) held exactly to six decimal places (0.0001%). -#}
{% macro deferral_rate_decimal(expr) -%}
  ({{ expr }})::decimal(8, 6)
{%- endmacro %}

{#-
  half_up_quotient(numerator, denominator): numerator / denominator rounded half up (a value
  exactly half-way goes towards +infinity: 2.5 -> 3, -2.5 -> -2), in integers. `numerator` is
  an integer expression of any sign, `denominator` a positive integer expression; both are
  taken as HUGEINT. For amounts that can be negative (an investment return in a losing year).
-#}
{% macro half_up_quotient(numerator, denominator) -%}
  {%- set n -%}(2 * ({{ numerator }})::hugeint + ({{ denominator }})::hugeint){%- endset -%}
  {%- set d -%}(2 * ({{ denominator }})::hugeint){%- endset -%}
  (case when {{ n }} >= 0 then {{ n }} // {{ d }} else -((-{{ n }} + {{ d }} - 1) // {{ d }}) end)
{%- endmacro %}

{#- Whole cents (HUGEINT) of an amount with at most two decimal places, and back. -#}
{% macro to_cents(amount) -%}
  (({{ amount }})::decimal(18, 2) * 100)::hugeint
{%- endmacro %}

{% macro from_cents(cents) -%}
  (({{ cents }})::decimal(18, 0) * 0.01)::decimal(14, 2)
{%- endmacro %}
