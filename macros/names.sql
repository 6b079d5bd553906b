{#- Person and organisation names: one comparable form, legal forms, a transliteration key. -#}

{#- quotes people put around names and titles -#}
{% macro _name_quote_characters() -%}
«»"'`„“”‘’
{%- endmacro %}


{% macro normalize_name(column) -%}
  {{ return(adapter.dispatch('normalize_name')(column)) }}
{%- endmacro %}

{% macro default__normalize_name(column) -%}
  {#- lower case, ё → е, quotes dropped, spaces collapsed and trimmed; empty → null -#}
  nullif(trim(regexp_replace(
    translate(lower(cast({{ column }} as {{ dbt.type_string() }})), 'ё{{ _name_quote_characters() | replace("'", "''") }}', 'е'),
    '\s+', ' ', 'g')), '')
{%- endmacro %}


{#- canonical code → the ways it is written (after normalize_name: lower case, no quotes).
    ZAO, OAO and PAO come before AO: "закрытое акционерное общество" ends like АО. -#}
{% macro _legal_forms() %}
  {{- return([
    ('TOO', ['товарищество с ограниченной ответственностью', 'тоо', 'too', 'llp']),
    ('TDO', ['товарищество с дополнительной ответственностью', 'тдо', 'tdo']),
    ('IP', ['индивидуальный предприниматель', 'ип', 'ip', 'ie']),
    ('KH', ['крестьянское \(фермерское\) хозяйство', 'крестьянское хозяйство', 'фермерское хозяйство', 'кх', 'кфх', 'kh']),
    ('OOO', ['общество с ограниченной ответственностью', 'ооо', 'ooo', 'llc']),
    ('ZAO', ['закрытое акционерное общество', 'зао', 'zao', 'cjsc']),
    ('OAO', ['открытое акционерное общество', 'оао', 'oao', 'ojsc']),
    ('PAO', ['публичное акционерное общество', 'пао', 'pao', 'pjsc']),
    ('AO', ['акционерное общество', 'ао', 'ao', 'jsc']),
  ]) -}}
{% endmacro %}

{% macro _legal_form_alternatives(code=none) -%}
  {%- set ns = namespace(words=[], pairs=[]) -%}
  {%- for form_code, words in _legal_forms() if code is none or form_code == code -%}
    {%- set ns.words = ns.words + words -%}
  {%- endfor -%}
  {#- longest first: "закрытое акционерное общество" before "акционерное общество" -#}
  {%- set ns.pairs = [] -%}
  {%- for word in ns.words -%}
    {%- set ns.pairs = ns.pairs + [(word | length, word)] -%}
  {%- endfor -%}
  {{- ns.pairs | sort(reverse=true) | map(attribute=1) | join('|') -}}
{%- endmacro %}


{% macro organisation_legal_form(column) -%}
  {{ return(adapter.dispatch('organisation_legal_form')(column)) }}
{%- endmacro %}

{% macro default__organisation_legal_form(column) -%}
  {#- the legal form as a code (TOO, AO, IP, ...) when it opens or closes the title -#}
  {%- set name = normalize_name(column) -%}
  (case
    {%- for form_code, words in _legal_forms() %}
    when regexp_matches({{ name }}, '^({{ _legal_form_alternatives(form_code) }})( |$)|(^| )({{ _legal_form_alternatives(form_code) }})$')
      then '{{ form_code }}'
    {%- endfor %}
  end)
{%- endmacro %}


{% macro organisation_name_core(column) -%}
  {{ return(adapter.dispatch('organisation_name_core')(column)) }}
{%- endmacro %}

{% macro default__organisation_name_core(column) -%}
  {#- the title without its legal form and quotes, normalised: ТОО «Ромашка» → ромашка -#}
  {%- set forms = _legal_form_alternatives() -%}
  nullif(trim(regexp_replace({{ normalize_name(column) }},
    '^({{ forms }}) |^({{ forms }})$| ({{ forms }})$', '')), '')
{%- endmacro %}


{#- Cyrillic (Russian and Kazakh) → Latin, then Latin spellings folded together -#}
{% macro _translit_letters() %}
  {{- return([
    ('щ', 'sh'), ('ж', 'zh'), ('х', 'kh'), ('ц', 'ts'), ('ч', 'ch'), ('ш', 'sh'),
    ('ю', 'yu'), ('я', 'ya'), ('ъ', ''), ('ь', ''),
  ]) -}}
{% endmacro %}

{#- one-to-one letters for translate(): Russian, then Kazakh ә ғ қ ң ө ұ ү һ і -#}
{% macro _translit_single_from() -%}абвгдезийклмнопрстуфыэәғқңөұүһі{%- endmacro %}
{% macro _translit_single_to() -%}abvgdeziiklmnoprstufieagknouuhi{%- endmacro %}

{#- applied in order after transliteration: Latin spellings of the same sound -#}
{% macro _translit_folds() %}
  {{- return([
    ('dzh', 'j'), ('zh', 'j'), ('kh', 'h'), ('ts', 'c'), ('shch', 'sh'), ('sch', 'sh'),
    ('iya', 'ia'), ('ya', 'ia'), ('yu', 'iu'), ('ye', 'e'), ('yo', 'e'),
    ('y', 'i'), ('x', 'ks'), ('w', 'v'), ('q', 'k'),
  ]) -}}
{% endmacro %}


{% macro translit_key(column) -%}
  {{ return(adapter.dispatch('translit_key')(column)) }}
{%- endmacro %}

{% macro default__translit_key(column) -%}
  {#- Петров/Petrov → petrov, Жанна/Zhanna/Janna → jana, Қанат/Kanat → kanat;
      only letters, digits and single spaces remain; double letters collapse -#}
  {%- set ns = namespace(sql=normalize_name(column)) -%}
  {%- for cyrillic, latin in _translit_letters() -%}
    {%- set ns.sql = "replace(" ~ ns.sql ~ ", '" ~ cyrillic ~ "', '" ~ latin ~ "')" -%}
  {%- endfor -%}
  {%- set ns.sql = "translate(" ~ ns.sql ~ ", '" ~ _translit_single_from() ~ "', '" ~ _translit_single_to() ~ "')" -%}
  {%- set ns.sql = "trim(regexp_replace(regexp_replace(" ~ ns.sql ~ ", '[^a-z0-9]+', ' ', 'g'), ' +', ' ', 'g'))" -%}
  {%- for spelling, folded in _translit_folds() -%}
    {%- set ns.sql = "replace(" ~ ns.sql ~ ", '" ~ spelling ~ "', '" ~ folded ~ "')" -%}
  {%- endfor -%}
  {%- for letter in 'abcdefghijklmnopqrstuvwxyz' -%}
    {%- set ns.sql = "regexp_replace(" ~ ns.sql ~ ", '" ~ letter ~ "+', '" ~ letter ~ "', 'g')" -%}
  {%- endfor -%}
  nullif({{ ns.sql }}, '')
{%- endmacro %}
