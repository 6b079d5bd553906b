{#- E-mail addresses: one shape check, the domain, shared mailboxes, public mail services. -#}

{#- local parts of shared mailboxes: an address like these is a company's, not a person's -#}
{% macro _generic_email_local_parts() %}
  {{- return([
    'info', 'sales', 'buh', 'buhgalter', 'buhgalteriya', 'accounting', 'office', 'admin',
    'support', 'zakaz', 'zakazy', 'order', 'orders', 'hello', 'mail', 'reception',
    'priemnaya', 'contact', 'contacts', 'secretary', 'sekretar', 'manager', 'kadry', 'hr',
    'marketing', 'tender', 'snab', 'finance', 'billing', 'help', 'service', 'noreply',
    'no-reply', 'post', 'general', 'team', 'client', 'clients',
  ]) -}}
{% endmacro %}


{% macro normalize_email(column) -%}
  {{ return(adapter.dispatch('normalize_email')(column)) }}
{%- endmacro %}

{% macro default__normalize_email(column) -%}
  {%- set lowered -%}
    regexp_replace(lower(trim(cast({{ column }} as {{ dbt.type_string() }}))), '^mailto:\s*|^<|>$', '', 'g')
  {%- endset -%}
  (case
    when regexp_full_match({{ lowered }},
      '[a-z0-9_%+-]+(\.[a-z0-9_%+-]+)*@[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}')
      then {{ lowered }}
  end)
{%- endmacro %}


{% macro email_domain(column) -%}
  {{ return(adapter.dispatch('email_domain')(column)) }}
{%- endmacro %}

{% macro default__email_domain(column) -%}
  nullif({{ dbt.split_part(normalize_email(column), "'@'", 2) }}, '')
{%- endmacro %}


{% macro email_is_generic(column) -%}
  {{ return(adapter.dispatch('email_is_generic')(column)) }}
{%- endmacro %}

{% macro default__email_is_generic(column) -%}
  {#- info@, info2@, info.almaty@, sales-kz@ ...; null when there is no valid address -#}
  {%- set local_part = dbt.split_part(normalize_email(column), "'@'", 1) -%}
  regexp_full_match({{ local_part }},
    '({{ _generic_email_local_parts() | join("|") }})([._-][a-z0-9]+|[0-9]+)?')
{%- endmacro %}


{% macro email_is_public_domain(column) -%}
  {{ return(adapter.dispatch('email_is_public_domain')(column)) }}
{%- endmacro %}

{% macro default__email_is_public_domain(column) -%}
  {#- the list is the seed public_email_domains; null when there is no valid address -#}
  (case
    when {{ email_domain(column) }} is null then null
    else {{ email_domain(column) }} in (select domain from {{ ref('public_email_domains') }})
  end)
{%- endmacro %}
