{#- Kazakhstan's IIN (individuals) and BIN (legal entities): checksum, birth date, sex. -#}

{% macro _iin_digit(column, position) -%}
  cast(substr({{ column }}, {{ position }}, 1) as integer)
{%- endmacro %}

{% macro _iin_weighted_sum(column, weights) -%}
  ({% for weight in weights %}{{ weight }} * {{ _iin_digit(column, loop.index) }}{% if not loop.last %} + {% endif %}{% endfor %})
{%- endmacro %}


{% macro iin_bin_is_valid(column) -%}
  {{ return(adapter.dispatch('iin_bin_is_valid')(column)) }}
{%- endmacro %}

{% macro default__iin_bin_is_valid(column) -%}
  {#- 12 digits; check digit = sum(1..11 × digit) mod 11, or when that is 10,
      sum(3..11,1,2 × digit) mod 11; a second 10 means the number was never issued.
      Null when the value is empty. -#}
  {%- set value = clean_text(column) -%}
  {%- set first = _iin_weighted_sum(value, range(1, 12)) ~ ' % 11' -%}
  {%- set second = _iin_weighted_sum(value, [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]) ~ ' % 11' -%}
  (case
    when {{ value }} is null then null
    when not regexp_full_match({{ value }}, '[0-9]{12}') then false
    when {{ first }} <> 10 then {{ first }} = {{ _iin_digit(value, 12) }}
    when {{ second }} <> 10 then {{ second }} = {{ _iin_digit(value, 12) }}
    else false
  end)
{%- endmacro %}


{% macro iin_birth_date(column) -%}
  {{ return(adapter.dispatch('iin_birth_date')(column)) }}
{%- endmacro %}

{% macro default__iin_birth_date(column) -%}
  {#- YYMMDD + the century from the 7th digit (1-2: 1800s, 3-4: 1900s, 5-6: 2000s);
      only for a valid number whose first six digits are a real date, so a BIN
      (5th digit 4/5/6, no real month) gives null -#}
  {%- set value = clean_text(column) -%}
  (case
    when {{ iin_bin_is_valid(column) }} and substr({{ value }}, 7, 1) in ('1', '2', '3', '4', '5', '6')
      then try_cast(
        (case when substr({{ value }}, 7, 1) in ('1', '2') then '18'
          when substr({{ value }}, 7, 1) in ('3', '4') then '19' else '20' end)
        || substr({{ value }}, 1, 2) || '-' || substr({{ value }}, 3, 2) || '-' || substr({{ value }}, 5, 2)
        as date)
  end)
{%- endmacro %}


{% macro iin_sex(column) -%}
  {{ return(adapter.dispatch('iin_sex')(column)) }}
{%- endmacro %}

{% macro default__iin_sex(column) -%}
  {#- 'male' for an odd 7th digit, 'female' for an even one; only where the birth date is real -#}
  (case
    when {{ iin_birth_date(column) }} is not null
      then case when cast(substr({{ clean_text(column) }}, 7, 1) as integer) % 2 = 1 then 'male' else 'female' end
  end)
{%- endmacro %}
