{#- The company's branches come from its settings, not from the models.

    c360_branches(): the branch codes, a list: the dbt var c360_branches (which
    `c360 run` and Dagster pass), else the names of C360_CRM_PORTALS and
    C360_AMOCRM_ACCOUNTS and the codes of C360_ONEC_BRANCHES (which
    `c360 settings --exports` prints); none when dbt was given none of them, and
    then branches are not checked.

    c360_onec_branches(): 1C's Филиал -> branch code, a dict: the dbt var
    c360_onec_branches, else C360_ONEC_BRANCHES ("Караганда=karaganda,..."). -#}

{% macro c360_branches() -%}
  {%- set given = var('c360_branches', none) -%}
  {%- if given is not none -%}
    {%- if given is string -%}
      {{- return(given.split(',') | map('trim') | reject('equalto', '') | list) -}}
    {%- endif -%}
    {{- return(given | list) -}}
  {%- endif -%}
  {%- set portals = env_var('C360_CRM_PORTALS', '__unset__') -%}
  {%- set accounts = env_var('C360_AMOCRM_ACCOUNTS', '__unset__') -%}
  {%- set onec = env_var('C360_ONEC_BRANCHES', '__unset__') -%}
  {%- if portals == '__unset__' and accounts == '__unset__' and onec == '__unset__' -%}
    {{- return(none) -}}
  {%- endif -%}
  {%- set codes = [] -%}
  {%- set crms = [portals, accounts] | reject('equalto', '__unset__') | join(',') -%}
  {%- for item in crms.split(',') -%}
    {%- set code = item.split('=')[0] | trim -%}
    {%- if code and code not in codes -%}{%- do codes.append(code) -%}{%- endif -%}
  {%- endfor -%}
  {%- for code in c360_onec_branches().values() -%}
    {%- if code not in codes -%}{%- do codes.append(code) -%}{%- endif -%}
  {%- endfor -%}
  {{- return(codes) -}}
{%- endmacro %}


{% macro c360_onec_branches() -%}
  {%- set given = var('c360_onec_branches', none) -%}
  {%- if given is not none -%}
    {{- return(given) -}}
  {%- endif -%}
  {%- set mapping = {} -%}
  {%- for item in env_var('C360_ONEC_BRANCHES', '').split(',') -%}
    {%- set parts = item.split('=') -%}
    {%- if parts | length == 2 and parts[0] | trim and parts[1] | trim -%}
      {%- do mapping.update({parts[0] | trim: parts[1] | trim}) -%}
    {%- endif -%}
  {%- endfor -%}
  {{- return(mapping) -}}
{%- endmacro %}


{% macro onec_branch(column) -%}
  {{ return(adapter.dispatch('onec_branch')(column)) }}
{%- endmacro %}

{% macro default__onec_branch(column) -%}
  {#- the explicit mapping first, then the branch whose code the Филиал
      transliterates to (Караганда -> karaganda, Шымкент -> shymkent); else null -#}
  {%- set mapping = c360_onec_branches() -%}
  {%- set codes = c360_branches() or [] -%}
  {%- if not mapping and not codes -%}
    cast(null as {{ dbt.type_string() }})
  {%- else -%}
  (case
    {%- for name, code in mapping.items() %}
    when {{ clean_text(column) }} = '{{ name | replace("'", "''") }}' then '{{ code | replace("'", "''") }}'
    {%- endfor %}
    {%- for code in codes %}
    when {{ translit_key(column) }} = {{ translit_key("'" ~ (code | replace("'", "''")) ~ "'") }}
      then '{{ code | replace("'", "''") }}'
    {%- endfor %}
  end)
  {%- endif -%}
{%- endmacro %}


{#- Generic test: every non-null value is one of the company's branches
    (c360_branches); not checked when dbt was given no branches at all. -#}
{% test configured_branch(model, column_name) %}
  {{ return(adapter.dispatch('test_configured_branch')(model, column_name)) }}
{% endtest %}

{% macro default__test_configured_branch(model, column_name) %}
{%- set codes = c360_branches() -%}
{%- if codes is none and execute -%}
  {{ log("configured_branch on " ~ model ~ "." ~ column_name ~ ": no branches given "
      ~ "(pass --vars '{c360_branches: [...]}' or eval \"$(c360 settings --exports)\"), "
      ~ "not checked", info=true) }}
{%- endif %}
select
    {{ column_name }} as branch,
    count(*) as records
from {{ model }}
where {{ column_name }} is not null
{%- if codes is none %}
    and 1 = 0
{%- elif codes %}
    and {{ column_name }} not in (
        {%- for code in codes %}'{{ code | replace("'", "''") }}'{{ ', ' if not loop.last }}{% endfor -%}
    )
{%- endif %}
group by {{ column_name }}
{% endmacro %}
