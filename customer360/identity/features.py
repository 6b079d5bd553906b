"""Match keys derived from the unioned records: what Splink and the rules compare.

The dbt unions hand over normalised columns (`name_translit_key`, `phones_e164`,
`email`, `iin`/`bin` with validity flags). Matching needs a few more keys that depend
on the whole batch of records (which phones are shared by several people) or on how
names vary in this market (Latin spellings, patronymics that are often left out), so
they are computed here, in DuckDB SQL, on the connection that Splink then uses.
"""

from __future__ import annotations

import string
from typing import Literal

import duckdb

EntityType = Literal["persons", "organisations"]
ENTITY_TYPES: tuple[EntityType, ...] = ("persons", "organisations")

# Calls and tickets are one record per event, not per person: they do not take part in
# clustering, they are attached to a clustered contact afterwards (attribute_events).
EVENT_SOURCE_SYSTEMS = ("telephony", "support")

# A phone number carried by records of more than this many different names is
# "shared" (a family phone, an office switchboard): it is no evidence that two records
# are the same person. Measured on generated data (10,000 customers, seed 1): of the
# 17,954 person phones whose records all belong to one true person, 98.6% carry one
# coarse name and 1.4% two (a typo in the first two letters); every one of the 1,285
# switchboard and family numbers with two or more people behind it carries two or more.
# One name per number keeps every truly personal number; the rare two-spelling number
# is still matched by Splink on the names.
SHARED_PHONE_MIN_NAMES = 2
# Organisations: a number used by several differently named organisations is a
# business centre or an accountant's office, not the company's own line (none in the
# generated data: all 10,639 organisation numbers belong to one organisation each).
SHARED_ORGANISATION_PHONE_MIN_NAMES = 2


def _fold_sql(expression: str) -> str:
    """SQL that folds transliteration variants together: kh/h, zh/j, iy/i, doubled
    letters (a common typo, and Latin spellings double letters inconsistently)."""
    folded = f"lower(coalesce({expression}, ''))"
    folded = f"regexp_replace({folded}, '[^a-z0-9]+', ' ', 'g')"
    for variant, canonical in (
        ("shch", "sh"),
        ("kh", "h"),
        ("zh", "j"),
        ("ts", "c"),
        ("yu", "u"),
        ("ya", "a"),
        ("ye", "e"),
        ("iy", "i"),
        ("y", "i"),
    ):
        folded = f"replace({folded}, '{variant}', '{canonical}')"
    for letter in string.ascii_lowercase:
        folded = f"replace({folded}, '{letter}{letter}', '{letter}')"
    return f"nullif(trim({folded}), '')"


# patronymics (Сергеевич, Нурлановна) are dropped from the core name: a third of the
# CRM records and every Latin spelling leave them out, and they are compared apart
_PATRONYMIC_PATTERN = "(vich|vna|ichna)$"

_PERSON_FEATURES_SQL = """
create or replace table {output} as
with records as (
    select
        *,
        list_filter(
            string_split(coalesce({fold_name}, ''), ' '), lambda t: t <> ''
        ) as folded_tokens,
        list_filter(
            string_split(coalesce(lower(name_translit_key), ''), ' '),
            lambda t: regexp_matches(t, '{patronymic}')
        ) as patronymic_tokens
    from {input_with_organisations}
    where source_system not in {event_sources}
),
keyed as (
    select
        record_key,
        source_system,
        nullif(array_to_string(list_sort(list_filter(
            folded_tokens, lambda t: not regexp_matches(t, '{folded_patronymic}')
        )), ' '), '') as name_core,
        {fold_patronymic} as patronymic,
        list_distinct(list_filter(
            coalesce(phones_e164, [phone_e164]), lambda p: p is not null
        )) as phones_all,
        email as email_any,
        coalesce(email_is_generic, false) as email_is_generic,
        case when iin_is_valid then iin end as iin_valid,
        -- the organisation the record belongs to: its resolved cluster when the
        -- organisations are resolved, else the source's own organisation record
        {organisation_key} as organisation_key,
        coalesce(try_cast(birth_date as date), case when iin_is_valid then try_cast(
            case substr(iin, 7, 1) when '1' then '18' when '2' then '18'
                when '3' then '19' when '4' then '19' else '20' end
            || substr(iin, 1, 2) || '-' || substr(iin, 3, 2) || '-'
            || substr(iin, 5, 2) as date) end) as birth_date,
        nullif(lower(trim(city)), '') as city,
        nullif(trim(regexp_replace(
            lower(address), '[[:punct:][:space:]]+', ' ', 'g'
        )), '') as address
    from records
),
coarse_names as (
    -- the first two letters of each core-name word, sorted: robust to most typos
    -- and spellings, distinct for family members and colleagues
    select
        record_key,
        array_to_string(list_sort(list_transform(
            string_split(name_core, ' '), lambda t: substr(t, 1, 2)
        )), ' ') as coarse_name
    from keyed
),
phone_names as (
    select phone, count(distinct coarse_name) as names_on_phone
    from (select unnest(phones_all) as phone, record_key from keyed)
    join coarse_names using (record_key)
    group by phone
),
private_phones as (
    select
        record_key,
        list(phone order by phone) filter (where names_on_phone < {shared_min})
            as phones_private
    from (select record_key, unnest(phones_all) as phone from keyed)
    join phone_names using (phone)
    group by record_key
),
email_names as (
    select email_any, count(distinct coarse_name) as names_on_email
    from keyed join coarse_names using (record_key)
    where email_any is not null
    group by email_any
)
select
    keyed.* exclude (email_any, email_is_generic),
    -- a mailbox is personal unless it is generic (info@, buh@) or, like a phone,
    -- used by several names (a company's box on a public domain: firm_too@gmail.com)
    case when not keyed.email_is_generic and names_on_email < {shared_min}
        then keyed.email_any end as email_personal,
    case when keyed.email_is_generic or names_on_email >= {shared_min}
        then keyed.email_any end as email_generic,
    phones_all[1] as phone_first,
    nullif(private_phones.phones_private, []) as phones_private,
    nullif(coarse_names.coarse_name, '') as coarse_name
from keyed
left join private_phones using (record_key)
left join email_names using (email_any)
left join coarse_names using (record_key)
"""

_ORGANISATION_FEATURES_SQL = """
create or replace table {output} as
with keyed as (
    select
        record_key,
        source_system,
        nullif(array_to_string(list_sort(list_filter(
            string_split(coalesce({fold_name}, ''), ' '), lambda t: t <> ''
        )), ' '), '') as name_core,
        list_distinct(list_filter(
            coalesce(phones_e164, [phone_e164]), lambda p: p is not null
        )) as phones_all,
        -- a company's own info@ mailbox is its address, unlike a person's; only a
        -- generic box on a public domain (info@mail.ru) says nothing
        case when email is not null and not (
            coalesce(email_is_generic, false) and coalesce(email_is_public, false)
        ) then email end as email_company,
        case when not coalesce(email_is_public, true) then email_domain end
            as email_domain_private,
        case when bin_is_valid then bin end as bin_valid,
        nullif(lower(trim(city)), '') as city,
        nullif(trim(regexp_replace(
            lower(address), '[[:punct:][:space:]]+', ' ', 'g'
        )), '') as address
    from {input}
),
phone_names as (
    select phone, count(distinct substr(name_core, 1, 4)) as names_on_phone
    from (select unnest(phones_all) as phone, name_core from keyed)
    group by phone
),
private_phones as (
    select
        record_key,
        list(phone order by phone) filter (where names_on_phone < {shared_min})
            as phones_private
    from (select record_key, unnest(phones_all) as phone from keyed)
    join phone_names using (phone)
    group by record_key
)
select
    keyed.*,
    phones_all[1] as phone_first,
    nullif(private_phones.phones_private, []) as phones_private
from keyed
left join private_phones using (record_key)
"""


def _persons_with_organisations(input_table: str, organisation_clusters: str | None):
    """The person records with the cluster of the organisation each belongs to."""
    if organisation_clusters is None:
        return input_table, "organisation_record_key"
    joined = f"""(
        select persons.*, organisations.cluster_id as organisation_cluster_id
        from {input_table} as persons
        left join {organisation_clusters} as organisations
            on persons.organisation_record_key = organisations.record_key
    )"""
    return joined, "coalesce(organisation_cluster_id, organisation_record_key)"


def build_match_table(
    con: duckdb.DuckDBPyConnection,
    input_table: str,
    entity_type: EntityType,
    output_table: str = "match_records",
    organisation_clusters: str | None = None,
) -> str:
    """Create `output_table` on `con` with the match keys of `input_table`.

    Persons: `organisation_clusters` names a table (record_key, cluster_id) of the
    resolved organisations, so that two records of one person at one company meet
    even when one came from the CRM company and the other from the 1C counterparty.
    """
    if entity_type == "persons":
        persons, organisation_key = _persons_with_organisations(
            input_table, organisation_clusters
        )
        sql = _PERSON_FEATURES_SQL.format(
            output=output_table,
            input_with_organisations=persons,
            organisation_key=organisation_key,
            fold_name=_fold_sql("name_translit_key"),
            fold_patronymic=_fold_sql("patronymic_tokens[1]"),
            patronymic=_PATRONYMIC_PATTERN,
            folded_patronymic="(vich|vna|ichna)$",
            event_sources=str(EVENT_SOURCE_SYSTEMS),
            shared_min=SHARED_PHONE_MIN_NAMES,
        )
    elif entity_type == "organisations":
        sql = _ORGANISATION_FEATURES_SQL.format(
            output=output_table,
            input=input_table,
            fold_name=_fold_sql("name_translit_key"),
            shared_min=SHARED_ORGANISATION_PHONE_MIN_NAMES,
        )
    else:
        raise ValueError(f"unknown entity type {entity_type!r}; use {ENTITY_TYPES}")
    con.execute(sql)
    return output_table
