{#- Phone numbers to E.164: +7 for Kazakhstan (+7 6xx/7xx) and Russia (+7 3xx/4xx/8xx/9xx),
    typed in any of the local ways, and the number of any other country typed with an
    international prefix (+44 20 7946 0958, 0044 20 7946 0958).

    normalize_phone gives E.164 for every well-formed +7 number; phone_is_valid follows
    libphonenumber's metadata for the two countries that share +7: a number is valid
    when its 10-digit national number matches one of the number patterns below. For
    another country only the shape is checked (an international prefix, then 8 to 15
    digits): that country's numbering plan is not known here.
    tests/macros/test_phone_normalisation.py checks both against the installed
    `phonenumbers` (the oracle), and the patterns against its metadata. -#}

{#- national-number patterns copied from libphonenumber 9.0.43, regions KZ and RU -#}
{% macro _phone_national_number_patterns() %}
  {{- return({
    "kz_fixed_line": "7(?:1(?:0(?:[23]\d|4[0-3]|59|63)|1(?:[23]\d|4[0-79]|59)|2(?:[23]\d|59)|3(?:2\d|3[0-79]|4[0-35-9]|59)|4(?:[24]\d|3[013-9]|5[1-9]|97)|5(?:2\d|3[1-9]|4[0-7]|59)|6(?:[2-4]\d|5[19]|61)|72\d|8(?:[27]\d|3[1-46-9]|4[0-5]|59))|2(?:1(?:[23]\d|4[46-9]|5[3469])|2(?:2\d|3[0679]|46|5[12679])|3(?:[2-4]\d|5[139])|4(?:2\d|3[1-35-9]|59)|5(?:[23]\d|4[0-8]|59|61)|6(?:2\d|3[1-9]|4[0-4]|59)|7(?:[2379]\d|40|5[279])|8(?:[23]\d|4[0-3]|59)|9(?:2\d|3[124578]|59)))\d{5}",
    "kz_mobile": "7(?:0[0-25-8]|47|6[0-4]|7[15-8]|85)\d{7}",
    "kz_toll_free": "8(?:00|108\d{3})\d{7}",
    "kz_premium_rate": "809\d{7}",
    "kz_personal_number": "808\d{7}",
    "kz_voip": "751\d{7}",
    "ru_fixed_line": "(?:3(?:0[12]|36|4[1-35-79]|5[1-3]|65|8[1-58]|9[0145])|4(?:01|1[1356]|2[13467]|7[1-5]|8[1-7]|9[1-689])|8(?:1[1-8]|2[01]|3[13-6]|4[0-8]|5[15-7]|6[0-35-79]|7[1-37-9]))\d{7}",
    "ru_mobile": "9(?:[0-24-9]\d{4}|3(?:0(?:0(?:05|[124579]\d|3[0-7]|6[0-49]|8[04-9])|[1-9]\d\d)|[1-9]\d{3}))\d{4}",
    "ru_toll_free": "8(?:0[04]|108\d{3})\d{7}",
    "ru_premium_rate": "80[39]\d{7}",
    "ru_personal_number": "808\d{7}",
  }) -}}
{% endmacro %}

{#- the extension markers people type after a number: доб. 123, ext 12, x12, вн. 5 -#}
{% macro _phone_extension_pattern() -%}
\s*[,;]?\s*(доб|доп|ext|вн|x|#)\.?\s*:?\s*(\d{1,6})\s*$
{%- endmacro %}


{% macro clean_text(column) -%}
  {{ return(adapter.dispatch('clean_text')(column)) }}
{%- endmacro %}

{% macro default__clean_text(column) -%}
  nullif(trim(cast({{ column }} as {{ dbt.type_string() }})), '')
{%- endmacro %}


{#- the text without extension, from the first digit or "+" on (drops "тел."), an
    international "00" written as "+", and without the "(0)" some write after a country
    code (+44 (0)20 ...) -#}
{% macro _phone_bare(column) -%}
  regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
    lower(trim(cast({{ column }} as {{ dbt.type_string() }}))),
    '{{ _phone_extension_pattern() }}', ''), '^[^0-9+]*', ''), '[^0-9]*$', ''),
    '^00[\s.-]*', '+'), '^(\+[0-9]{1,3})[\s.-]*\(0\)', '\1')
{%- endmacro %}


{#- the 10-digit national number after +7 / 8 / 7, or null when the text is not a +7 number -#}
{% macro _phone_national_number(column) -%}
  {%- set bare = _phone_bare(column) -%}
  {%- set digits = "regexp_replace(" ~ bare ~ ", '[^0-9]', '', 'g')" -%}
  {#- libphonenumber's reading with region KZ: after "+7" (or "007") a trunk "8" is
      dropped (+7 8 777 ...); without a prefix, a leading 8 is the trunk prefix, a
      leading 7 is the country code only before 7 or 8 (a Kazakh number: "79161234567"
      is not read as +7 916 ...), ten digits are the national number -#}
  (case
    when not regexp_full_match({{ bare }}, '\+?[0-9][0-9()\s./-]*') then null
    when {{ bare }} like '+%' then
      case
        when regexp_full_match({{ digits }}, '7[3-46-9][0-9]{9}') then substr({{ digits }}, 2)
        when regexp_full_match({{ digits }}, '78[3-46-9][0-9]{9}') then substr({{ digits }}, 3)
      end
    when regexp_full_match({{ digits }}, '8[3-46-9][0-9]{9}') then substr({{ digits }}, 2)
    when regexp_full_match({{ digits }}, '7[78][0-9]{9}') then substr({{ digits }}, 2)
    when regexp_full_match({{ digits }}, '[3-46-9][0-9]{9}') then {{ digits }}
  end)
{%- endmacro %}


{#- the E.164 digits of a number of another country than +7: typed after "+" or "00",
    a country code not starting 0 or 7, 8 to 15 digits in all (E.164's longest); null
    otherwise -#}
{% macro _phone_foreign_digits(column) -%}
  {%- set bare = _phone_bare(column) -%}
  {%- set digits = "regexp_replace(" ~ bare ~ ", '[^0-9]', '', 'g')" -%}
  (case
    when regexp_full_match({{ bare }}, '\+[0-9][0-9()\s./-]*')
      and regexp_full_match({{ digits }}, '[1-689][0-9]{7,14}')
      then {{ digits }}
  end)
{%- endmacro %}


{% macro normalize_phone(column) -%}
  {{ return(adapter.dispatch('normalize_phone')(column)) }}
{%- endmacro %}

{% macro default__normalize_phone(column) -%}
  {#- E.164 for any well-formed +7 number (national number of 10 digits starting 3, 4, 6,
      7, 8 or 9), even one outside the numbering plan: it still identifies its owner;
      and for a number of any other country typed with "+" or "00". phone_is_valid says
      whether the number plan knows a +7 number. -#}
  coalesce(
    '+7' || {{ _phone_national_number(column) }},
    '+' || {{ _phone_foreign_digits(column) }}
  )
{%- endmacro %}


{% macro phone_is_valid(column) -%}
  {{ return(adapter.dispatch('phone_is_valid')(column)) }}
{%- endmacro %}

{% macro default__phone_is_valid(column) -%}
  {#- +7: true when libphonenumber's KZ/RU number patterns know the number; another
      country: true when it has E.164's shape (its plan is not checked); null for an
      empty value -#}
  {%- set pattern = _phone_national_number_patterns().values() | join('|') -%}
  (case
    when {{ clean_text(column) }} is null then null
    when {{ _phone_foreign_digits(column) }} is not null then true
    else coalesce(regexp_full_match({{ _phone_national_number(column) }}, '(?:{{ pattern }})'), false)
  end)
{%- endmacro %}


{% macro phone_extension(column) -%}
  {{ return(adapter.dispatch('phone_extension')(column)) }}
{%- endmacro %}

{% macro default__phone_extension(column) -%}
  nullif(regexp_extract(lower(trim(cast({{ column }} as {{ dbt.type_string() }}))),
    '{{ _phone_extension_pattern() }}', 2), '')
{%- endmacro %}
