"""TEST SCAFFOLDING: person and organisation records shaped like the dbt unions.

The dbt models `int_person_records_unioned` and `int_organisation_records_unioned`
(schema `intermediate`) are the real input of identity resolution. Until they build,
these functions make tables of the same shape straight from the landed raw tables,
with deliberately simple normalisation (digits-only phones with 8 -> +7, lower-cased
e-mails, a crude transliteration). When the dbt models exist, `person_records` and
`organisation_records` read them instead, so the tests follow the real contract.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from customer360.generator.identifiers import is_valid

PROJECT_DIR = Path(__file__).resolve().parents[2]

_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e",
    "ж": "zh", "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m",
    "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "",
    "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "ә": "a", "ғ": "g",
    "қ": "k", "ң": "n", "ө": "o", "ұ": "u", "ү": "u", "һ": "h", "і": "i",
}  # fmt: skip
_LEGAL_FORMS = re.compile(
    r"товарищество с ограниченной ответственностью|акционерное общество|"
    r"индивидуальный предприниматель|\b(тоо|ао|ип|llp|too|jsc|ao|ie|ip)\b"
)
GENERIC_MAILBOXES = ("info", "buh", "office", "sales")
PUBLIC_MAIL_DOMAINS = (
    "mail.ru",
    "gmail.com",
    "yandex.kz",
    "inbox.ru",
    "bk.ru",
    "list.ru",
)


def translit_key(text: str | None) -> str | None:
    """Lower-case Latin letters and digits only, words separated by one space."""
    if not text:
        return None
    lowered = re.sub(r"ий\b", "iy", text.lower())
    latin = "".join(_TRANSLIT.get(ch, ch) for ch in lowered)
    words = re.sub(r"[^a-z0-9]+", " ", latin).split()
    return " ".join(words) or None


def name_key(text: str | None) -> str | None:
    if not text:
        return None
    words = re.sub(r"[^\w]+", " ", text.lower()).split()
    return " ".join(words) or None


def strip_legal_form(title: str | None) -> tuple[str | None, str | None]:
    if not title:
        return None, None
    lowered = title.lower()
    found = _LEGAL_FORMS.search(lowered)
    core = _LEGAL_FORMS.sub(" ", lowered)
    core = re.sub(r"[«»\"']", " ", core)
    core = " ".join(core.split()) or None
    return core, (found.group(0) if found else None)


_PHONE_SQL = """
    case
        when length(regexp_replace({x}, '\\D', '', 'g')) = 11
            and regexp_replace({x}, '\\D', '', 'g')[1] in ('7', '8')
            then '+7' || regexp_replace({x}, '\\D', '', 'g')[2:]
        when length(regexp_replace({x}, '\\D', '', 'g')) = 10
            then '+7' || regexp_replace({x}, '\\D', '', 'g')
    end
"""


def _phone(expr: str) -> str:
    return _PHONE_SQL.format(x=expr)


_RAW_PERSONS_SQL = f"""
with crm_contacts as (
    select
        'crm' as source_system, 'contacts' as source_table,
        branch || ':' || id as source_record_id, branch,
        concat_ws(' ', nullif(last_name, ''), nullif(name, ''),
            nullif(second_name, '')) as full_name,
        nullif(name, '') as first_name, nullif(last_name, '') as last_name,
        nullif(second_name, '') as middle_name,
        list_filter(list_transform(
            cast(json_extract_string(phone, '$[*].VALUE') as varchar[]),
            lambda p: {_phone("p")}), lambda p: p is not null) as phones_e164,
        lower(trim(json_extract_string(email, '$[0].VALUE'))) as email,
        nullif(uf_crm_iin, '') as iin, birthdate as birth_date,
        nullif(address_city, '') as city, nullif(address, '') as address,
        case when company_id is not null and company_id > 0
            then 'crm:companies:' || branch || ':' || company_id end
            as organisation_record_key,
        date_modify as updated_at
    from raw_crm.contacts
),
onec_contact_persons as (
    select
        'onec', 'contact_persons', code, null,
        nullif(full_name, ''), null, null, null,
        list_filter(list_transform(string_split(phone, ','), lambda p: {_phone("p")}),
            lambda p: p is not null),
        lower(trim(nullif(email, ''))), null, birth_date, null, null,
        'onec:counterparties:' || counterparty_code, modified_at
    from raw_onec.contact_persons
),
onec_private_persons as (
    select
        'onec', 'counterparties', code, null,
        nullif(name, ''), null, null, null,
        list_filter(list_transform(string_split(phone, ','), lambda p: {_phone("p")}),
            lambda p: p is not null),
        lower(trim(nullif(email, ''))), nullif(bin_iin, ''), null,
        nullif(city, ''), nullif(address, ''), null, modified_at
    from raw_onec.counterparties
    where kind = 'Физическое лицо'
),
callers as (
    -- the customer is src on inbound calls; outbound calls have a 3-digit
    -- extension in src and the customer in dst
    select
        'telephony', 'calls', uniqueid, null, null, null, null, null,
        list_filter([case when length(regexp_replace(src, '\\D', '', 'g')) <= 4
            then {_phone("dst")} else {_phone("src")} end], lambda p: p is not null),
        null, null, null, null, null, null, calldate
    from raw_telephony.calls
),
requesters as (
    select
        'support', 'tickets', cast(id as varchar), null,
        nullif(requester_name, ''), null, null, null,
        list_filter([{_phone("requester_phone")}], lambda p: p is not null),
        lower(trim(nullif(requester_email, ''))), null, null, null, null, null,
        updated_at
    from raw_support.tickets
)
select * from crm_contacts
union all select * from onec_contact_persons
union all select * from onec_private_persons
union all select * from callers
union all select * from requesters
"""

_RAW_ORGANISATIONS_SQL = f"""
select
    'crm' as source_system, 'companies' as source_table,
    branch || ':' || id as source_record_id, branch,
    nullif(title, '') as full_name,
    list_filter(list_transform(
        cast(json_extract_string(phone, '$[*].VALUE') as varchar[]),
        lambda p: {_phone("p")}), lambda p: p is not null) as phones_e164,
    lower(trim(json_extract_string(email, '$[0].VALUE'))) as email,
    nullif(uf_crm_bin, '') as bin,
    nullif(address_city, '') as city, nullif(address, '') as address,
    date_modify as updated_at
from raw_crm.companies
union all
select
    'onec', 'counterparties', code, null, nullif(name, ''),
    list_filter(list_transform(string_split(phone, ','), lambda p: {_phone("p")}),
        lambda p: p is not null),
    lower(trim(nullif(email, ''))), nullif(bin_iin, ''),
    nullif(city, ''), nullif(address, ''), modified_at
from raw_onec.counterparties
where kind <> 'Физическое лицо'
"""


def _phone_list(phones: object) -> list[str] | None:
    if phones is None or not hasattr(phones, "__len__") or len(phones) == 0:
        return None
    return list(phones)


def _email_flags(email: str | None) -> tuple[bool | None, bool | None, str | None]:
    if not email or "@" not in email:
        return None, None, None
    local, domain = email.rsplit("@", 1)
    return local in GENERIC_MAILBOXES, domain in PUBLIC_MAIL_DOMAINS, domain


def _person_rows(con: duckdb.DuckDBPyConnection) -> pa.Table:
    frame = con.sql(_RAW_PERSONS_SQL).df()
    frame["record_key"] = (
        frame.source_system + ":" + frame.source_table + ":" + frame.source_record_id
    )
    frame["name_key"] = frame.full_name.map(name_key)
    frame["name_translit_key"] = frame.full_name.map(translit_key)
    frame["phones_e164"] = frame.phones_e164.map(_phone_list)
    frame["phone_e164"] = frame.phones_e164.map(
        lambda xs: xs[0] if xs is not None else None
    )
    flags = frame.email.map(_email_flags)
    frame["email"] = frame.email.where(flags.map(lambda f: f[2] is not None))
    frame["email_is_generic"] = flags.map(lambda f: f[0])
    frame["email_is_public"] = flags.map(lambda f: f[1])
    frame["iin_is_valid"] = frame.iin.map(lambda v: is_valid(v) if v else None)
    frame["sex"] = None
    return pa.Table.from_pandas(frame, preserve_index=False)


def _organisation_rows(con: duckdb.DuckDBPyConnection) -> pa.Table:
    frame = con.sql(_RAW_ORGANISATIONS_SQL).df()
    frame["record_key"] = (
        frame.source_system + ":" + frame.source_table + ":" + frame.source_record_id
    )
    split = frame.full_name.map(strip_legal_form)
    frame["name_core"] = split.map(lambda s: s[0])
    frame["legal_form"] = split.map(lambda s: s[1])
    frame["name_key"] = frame.name_core.map(name_key)
    frame["name_translit_key"] = frame.name_core.map(translit_key)
    frame["phones_e164"] = frame.phones_e164.map(_phone_list)
    frame["phone_e164"] = frame.phones_e164.map(
        lambda xs: xs[0] if xs is not None else None
    )
    flags = frame.email.map(_email_flags)
    frame["email"] = frame.email.where(flags.map(lambda f: f[2] is not None))
    frame["email_is_generic"] = flags.map(lambda f: f[0])
    frame["email_is_public"] = flags.map(lambda f: f[1])
    frame["email_domain"] = flags.map(lambda f: f[2])
    frame["bin_is_valid"] = frame.bin.map(lambda v: is_valid(v) if v else None)
    return pa.Table.from_pandas(frame, preserve_index=False)


def _dbt_model(con: duckdb.DuckDBPyConnection, name: str) -> pa.Table | None:
    """The real dbt union when it has been built into this warehouse."""
    found = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'intermediate' and table_name = ?",
        [name],
    ).fetchall()
    if not found[0][0]:
        return None
    return con.sql(f"select * from intermediate.{name}").arrow().read_all()


def person_records(warehouse: Path, prefer_dbt: bool = True) -> pa.Table:
    """One row per person-like source record (contacts, contact persons, private
    counterparties, callers, requesters) in the int_person_records_unioned shape."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if prefer_dbt and (table := _dbt_model(con, "int_person_records_unioned")):
            return table
        return _person_rows(con)


def organisation_records(warehouse: Path, prefer_dbt: bool = True) -> pa.Table:
    """One row per organisation source record (int_organisation_records_unioned)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if prefer_dbt and (
            table := _dbt_model(con, "int_organisation_records_unioned")
        ):
            return table
        return _organisation_rows(con)


@dataclass(frozen=True)
class GeneratedCompany:
    """A generated and landed demo company: its warehouse and its answer key."""

    warehouse: Path
    ground_truth_dir: Path


def generate_and_land(folder: Path, customers: int, seed: int) -> GeneratedCompany:
    """Generate a company and land 1C, telephony, support and the CRM into a warehouse.

    The CRM goes through the real Bitrix24 stand-in and the real pipeline, in a
    subprocess, so that the dlt pipeline state stays inside `folder`.
    """
    folder.mkdir(parents=True, exist_ok=True)
    landing, truth = folder / "landing", folder / "gt"
    warehouse = folder / "wh.duckdb"
    script = f"""
import os
from pathlib import Path
from customer360.generator import generate
from customer360.bitrix24_standin import RateLimit, start_standin
from customer360.settings import Settings
from pipelines import ingest

base = Path({str(folder)!r})
generate(base / "landing", base / "gt", customers={customers}, seed={seed})
handle = start_standin(base / "standin", ["almaty", "astana", "shymkent"],
    token="t", rate_limit=RateLimit(1000, 1000), seed_from=base / "landing")
try:
    settings = Settings(project_dir=base, warehouse_path=base / "wh.duckdb",
        landing_dir=base / "landing", ground_truth_dir=base / "gt",
        crm_portals=handle.crm_portals(), crm_standin_dir=base / "standin")
    for source in ("onec", "telephony", "support", "crm"):
        ingest.land_source(source, settings, progress=None)
finally:
    handle.stop()
"""
    if warehouse.exists():
        warehouse.unlink()
    for stale in (landing, truth, folder / "standin"):
        shutil.rmtree(stale, ignore_errors=True)
    subprocess.run(
        [sys.executable, "-c", script],
        check=True,
        cwd=folder,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_DIR)},
        capture_output=True,
    )
    return GeneratedCompany(warehouse=warehouse, ground_truth_dir=truth)
