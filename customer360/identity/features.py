"""Match keys derived from the unioned records: what Splink and the rules compare.

The dbt unions hand over normalised columns (`name_translit_key`, `phones_e164`,
`email`, `iin`/`bin` with validity flags, and the address parts each system keeps).
Matching needs a few more keys that depend on the whole batch of records (which
phones are shared by several people) or on how names and addresses vary between
systems and scripts (Latin spellings, names typed by ear, patronymics left out,
addresses split into other fields), so they are computed here, in DuckDB SQL, on the
connection that Splink then uses.

Inputs may lack the optional columns (a hand-made table, a company whose systems keep
no postcode): a missing column is read as null.
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

# Columns a record table may lack; read as null when absent.
OPTIONAL_COLUMNS: dict[str, str] = {
    "name_translit_key": "varchar",
    "phone_e164": "varchar",
    "phones_e164": "varchar[]",
    "email": "varchar",
    "email_is_generic": "boolean",
    "email_is_public": "boolean",
    "email_domain": "varchar",
    "iin": "varchar",
    "iin_is_valid": "boolean",
    "bin": "varchar",
    "bin_is_valid": "boolean",
    "birth_date": "date",
    "city": "varchar",
    "city_translit_key": "varchar",
    "address": "varchar",
    "address_2": "varchar",
    "address_translit_key": "varchar",
    "postcode": "varchar",
    "organisation_record_key": "varchar",
}

# Latin spellings that transliteration and ears confuse, folded in this order after
# the dbt macro translit_key (which already turns Cyrillic into Latin and folds
# zh/j, kh/h, ts/c, ya/ia, y/i, x/ks, w/v, q/k): ph/f, ck/k, th/t, c/k (so ts/c/k
# meet), j/i (j/y/i), kh/h, and the English spellings of sounds that Russian writes
# with one letter (wh and w/в or у, qu/кв, ee and ea/и, oo/у, -tion/шн, a soft
# c/с). `ch` and `sh` are held apart first so that c/k and h do not break them;
# doubled letters collapse last (Harrington / Харингтон). A word-initial u before
# a vowel is a w typed as у (Уильям / William, Уэстмид / Westmead).
#
# Folding j/y/i also folds Жанна (translit `jana`) with Яна (`iana`): the exact
# transliterated spelling is compared at a level of its own above "the same name by
# sound", so EM weighs the difference.
_PHONETIC_FOLDS: tuple[tuple[str, str], ...] = (
    ("shch", "sh"),
    ("sch", "sh"),
    ("tion", "shn"),
    ("ch", "\u0001"),
    ("sh", "\u0002"),
    ("zh", "j"),
    ("dzh", "j"),
    ("ph", "f"),
    ("wh", "w"),
    ("ck", "k"),
    ("th", "t"),
    ("kh", "h"),
    ("ts", "c"),
    ("c", "k"),
    ("qu", "kv"),
    ("q", "k"),
    ("x", "ks"),
    ("w", "v"),
    ("ee", "i"),
    ("ea", "i"),
    ("oo", "u"),
    ("y", "i"),
    ("j", "i"),
    ("\u0001", "ch"),
    ("\u0002", "sh"),
)
# Patronymics (Сергеевич, Нурлановна, Серікұлы, Нурланқызы) are dropped from the core
# name: a third of the CRM records and every Latin spelling leave them out, and they
# are compared apart.
_PATRONYMIC_PATTERN = "^.{3,}(vich|vna|ichna|kizi|uli)$"

# Words that say what kind of street or place a part of an address is, in the forms
# the systems write them (after transliteration and folding): they differ between
# systems (ул. / улица / street / st) and say nothing about which street it is.
ADDRESS_TYPE_WORDS: tuple[str, ...] = (
    # Russian and Kazakh, as translit_key writes them
    "ul", "ulitsa", "pr", "prt", "prosp", "prospekt", "pl", "ploshchad", "per",
    "pereulok", "bul", "bulvar", "sh", "shosse", "nab", "naberezhnaya", "mkr",
    "mkrn", "mikrorayon", "d", "dom", "kv", "kvartira", "of", "ofis", "korp",
    "korpus", "str", "stroenie", "g", "gor", "gorod", "obl", "oblast", "r", "rn",
    "rayon", "pos", "poselok", "s", "selo", "kazakhstan", "rk", "respublika",
    "kosh", "koshesi", "dangyly", "shagyn", "audany",
    # English, and as Russian writes them (стрит, роуд, авеню, плейс, кресент, ...)
    "strit", "roud", "aveniu", "pleis", "kresent", "draiv", "kort", "lein",
    "serkit", "sirkit", "klouz", "terras", "parad", "hai", "haiuei",
    "st", "street", "rd", "road", "av", "ave", "avenue", "place", "cres",
    "crescent", "ct", "court", "ln", "lane", "dr", "drive", "cct", "circuit", "cl",
    "close", "pde", "parade", "way", "blvd", "boulevard", "tce", "terrace", "hwy",
    "highway", "apt", "apartment", "flat", "unit", "level", "no",
)  # fmt: skip


def _fold_sql(expression: str) -> str:
    """SQL folding a Latin (transliterated) text to its phonetic key: lower case,
    letters and digits only, the spelling variants above folded, doubled letters
    collapsed; null when nothing is left."""
    folded = f"lower(coalesce({expression}, ''))"
    folded = f"regexp_replace({folded}, '[^a-z0-9]+', ' ', 'g')"
    # у typed for w at the start of a word, before the w/v fold makes both v
    folded = f"regexp_replace({folded}, '(^| )u([aeio])', '\\1v\\2', 'g')"
    # a soft c (before e, i, y) is heard as с: Century / Сенчури
    folded = f"regexp_replace({folded}, 'c([eiy])', 's\\1', 'g')"
    for variant, canonical in _PHONETIC_FOLDS:
        folded = f"replace({folded}, '{variant}', '{canonical}')"
    for letter in string.ascii_lowercase:
        folded = f"replace({folded}, '{letter}{letter}', '{letter}')"
    return f"nullif(trim(regexp_replace({folded}, ' +', ' ', 'g')), '')"


def _words_sql(expression: str) -> str:
    """The words of a space-separated text as a list (empty list for null)."""
    return (
        f"list_filter(string_split(coalesce({expression}, ''), ' '), lambda w: w <> '')"
    )


def _sorted_text_sql(words: str) -> str:
    return f"nullif(array_to_string(list_sort(list_distinct({words})), ' '), '')"


_ADDRESS_SQL = """
    -- a postcode from its own field, else a six-digit one written into the address
    -- (1C's "050000, г. Алматы, ...")
    coalesce(
        nullif(regexp_replace(
            lower(coalesce(postcode, '')), '[^a-z0-9]', '', 'g'
        ), ''),
        nullif(regexp_extract(
            coalesce(address, ''), '(^|[^0-9])([0-9]{{6}})([^0-9]|$)', 2
        ), '')
    ) as postcode,
    {city} as city,
    {address_words} as address_words
"""


def _address_columns(columns: set[str]) -> str:
    city_source = (
        "coalesce(city_translit_key, city)"
        if "city_translit_key" in columns
        else "city"
    )
    address_source = (
        "coalesce(address_translit_key, concat_ws(' ', address, address_2))"
        if "address_translit_key" in columns
        else "concat_ws(' ', address, address_2)"
    )
    return _ADDRESS_SQL.format(
        city=_fold_sql(city_source),
        address_words=_words_sql(_fold_sql(address_source)),
    )


# House numbers, flats and the street's own words, from the address words: the
# numbers (15, 15a) and the other words without the street-type words, the city's
# own words and the postcode. CRM and 1C split an address differently (the street
# line apart from the city and postcode, or all in one line), so only these parts are
# compared.
_ADDRESS_PARTS_SQL = """
    nullif(list_sort(list_distinct(list_filter(
        address_words,
        lambda w: regexp_full_match(w, '[0-9]+[a-z]?') and w is distinct from postcode
    ))), []) as house_numbers,
    nullif(array_to_string(list_sort(list_distinct(list_filter(
        address_words,
        lambda w: not regexp_matches(w, '[0-9]')
            and not list_contains({type_words}, w)
            and not list_contains(string_split(coalesce(city, ''), ' '), w)
    ))), ' '), '') as street
"""


def _address_parts(con: duckdb.DuckDBPyConnection) -> str:
    # the type words go through the same fold as the addresses they are taken from
    written = "[" + ", ".join(f"'{w}'" for w in ADDRESS_TYPE_WORDS) + "]"
    folded = con.execute(
        f"select list_distinct(list_transform({written}, lambda w: {_fold_sql('w')}))"
    ).fetchall()[0][0]
    words = "[" + ", ".join(f"'{w}'" for w in folded) + "]"
    return _ADDRESS_PARTS_SQL.format(type_words=words)


_PERSON_FEATURES_SQL = """
create or replace table {output} as
with records as (
    select
        *,
        -- the words of the transliterated name, each folded to its phonetic key
        list_transform({translit_words}, lambda w: {fold_word}) as folded_words,
        list_filter({translit_words}, lambda w: regexp_matches(w, '{patronymic}'))
            as patronymic_words
    from {input}
    where source_system not in {event_sources}
),
keyed as (
    select
        record_key,
        source_system,
        -- exact spelling (as transliterated), word order ignored: Петров Иван,
        -- Ivan Petrov and Petrov Ivan all give `ivan petrov`
        {name_core} as name_core,
        -- the folded words, sorted: what the fuzzy name levels compare
        nullif(list_sort(list_distinct(list_filter(
            folded_words, lambda w: not regexp_matches(w, '{folded_patronymic}')
        ))), []) as name_words,
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
        {address_columns}
    from records
),
located as (
    select
        * exclude (address_words),
        {address_parts}
    from keyed
),
named as (
    select
        *,
        nullif(array_to_string(name_words, ' '), '') as name_phonetic,
        -- the first two letters of each name word, sorted: robust to most typos
        -- and spellings, distinct for family members and colleagues
        nullif(array_to_string(list_sort(list_transform(
            coalesce(name_words, []), lambda w: substr(w, 1, 2)
        )), ' '), '') as coarse_name
    from located
),
phone_names as (
    select phone, count(distinct coarse_name) as names_on_phone
    from (select unnest(phones_all) as phone, coarse_name from named)
    group by phone
),
private_phones as (
    select
        record_key,
        list(phone order by phone) filter (where names_on_phone < {shared_min})
            as phones_private
    from (select record_key, unnest(phones_all) as phone from named)
    join phone_names using (phone)
    group by record_key
),
email_names as (
    select email_any, count(distinct coarse_name) as names_on_email
    from named
    where email_any is not null
    group by email_any
)
select
    named.* exclude (email_any, email_is_generic),
    -- a mailbox is personal unless it is generic (info@, buh@) or, like a phone,
    -- used by several names (a company's box on a public domain: firm_too@gmail.com)
    case when not named.email_is_generic and names_on_email < {shared_min}
        then named.email_any end as email_personal,
    case when named.email_is_generic or names_on_email >= {shared_min}
        then named.email_any end as email_generic,
    phones_all[1] as phone_first,
    nullif(private_phones.phones_private, []) as phones_private,
    strftime(named.birth_date, '%Y%m%d') as birth_digits,
    -- the street and house numbers as one key: the same address however split
    case when street is not null and house_numbers is not null
        then street || ' ' || array_to_string(house_numbers, ' ') end as address_key
from named
left join private_phones using (record_key)
left join email_names using (email_any)
"""

_ORGANISATION_FEATURES_SQL = """
create or replace table {output} as
with keyed as (
    select
        record_key,
        source_system,
        {name_core} as name_core,
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
        {address_columns}
    from {input}
),
located as (
    select
        * exclude (address_words),
        {address_parts}
    from keyed
),
phone_names as (
    select phone, count(distinct substr(name_core, 1, 4)) as names_on_phone
    from (select unnest(phones_all) as phone, name_core from located)
    group by phone
),
private_phones as (
    select
        record_key,
        list(phone order by phone) filter (where names_on_phone < {shared_min})
            as phones_private
    from (select record_key, unnest(phones_all) as phone from located)
    join phone_names using (phone)
    group by record_key
)
select
    located.*,
    phones_all[1] as phone_first,
    nullif(private_phones.phones_private, []) as phones_private,
    case when street is not null and house_numbers is not null
        then street || ' ' || array_to_string(house_numbers, ' ') end as address_key
from located
left join private_phones using (record_key)
"""


def _with_optional_columns(
    con: duckdb.DuckDBPyConnection, input_table: str
) -> tuple[str, set[str]]:
    """`input_table` as a subquery holding every optional column (null when the
    table lacks it), and the table's own columns."""
    present = {row[0] for row in con.execute(f"describe {input_table}").fetchall()}
    missing = [
        f"cast(null as {sql_type}) as {column}"
        for column, sql_type in OPTIONAL_COLUMNS.items()
        if column not in present
    ]
    if not missing:
        return input_table, present
    return f"(select *, {', '.join(missing)} from {input_table})", present


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
    source, present = _with_optional_columns(con, input_table)
    address_columns = _address_columns(present)
    if entity_type == "persons":
        persons, organisation_key = _persons_with_organisations(
            source, organisation_clusters
        )
        translit_words = _words_sql("lower(name_translit_key)")
        sql = _PERSON_FEATURES_SQL.format(
            output=output_table,
            input=persons,
            translit_words=translit_words,
            fold_word=_fold_sql("w"),
            name_core=_sorted_text_sql(
                f"list_filter({translit_words},"
                f" lambda w: not regexp_matches(w, '{_PATRONYMIC_PATTERN}'))"
            ),
            organisation_key=organisation_key,
            fold_patronymic=_fold_sql("patronymic_words[1]"),
            patronymic=_PATRONYMIC_PATTERN,
            folded_patronymic=_PATRONYMIC_PATTERN,
            event_sources=str(EVENT_SOURCE_SYSTEMS),
            shared_min=SHARED_PHONE_MIN_NAMES,
            address_columns=address_columns,
            address_parts=_address_parts(con),
        )
    elif entity_type == "organisations":
        sql = _ORGANISATION_FEATURES_SQL.format(
            output=output_table,
            input=source,
            name_core=_sorted_text_sql(_words_sql(_fold_sql("name_translit_key"))),
            shared_min=SHARED_ORGANISATION_PHONE_MIN_NAMES,
            address_columns=address_columns,
            address_parts=_address_parts(con),
        )
    else:
        raise ValueError(f"unknown entity type {entity_type!r}; use {ENTITY_TYPES}")
    con.execute(sql)
    # imported here: the blocking keys are defined with the Splink settings, which
    # import this module for its types
    from customer360.identity.blocking import add_blocking_keys

    add_blocking_keys(con, output_table, entity_type)
    return output_table
