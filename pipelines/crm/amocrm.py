"""amoCRM (API v4) reader: contacts and companies, shaped as Bitrix24 records."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from customer360.settings import SECRETS_FILE_NAME
from pipelines.crm.amocrm_api import (
    AccountBlocked,
    AmoCrmApi,
    KeptFailing,
    StillRateLimited,
    TokenRefused,
)
from pipelines.crm.helpers import (
    BadRecord,
    CrmAuthError,
    CrmError,
    CrmRequestError,
    Page,
)
from pipelines.crm.settings import (
    AMOCRM_ENTITIES,
    AMOCRM_PAGE_SIZE,
    SYNC_FIELD_PREFIX,
    CrmEntity,
)

# amoCRM's enum codes of the PHONE and EMAIL multitext fields -> Bitrix24's
# VALUE_TYPE, the way the stand-in's seeding maps them the other way
VALUE_TYPES = {
    "WORK": "WORK",
    "WORKDD": "WORK",  # a direct work line
    "MOB": "MOBILE",
    "HOME": "HOME",
    "PRIV": "HOME",  # a private e-mail
    "FAX": "FAX",
    "OTHER": "OTHER",
}

# custom field codes that fill a Bitrix24 field of another name, per entity;
# codes C360_* become the sync's UF_CRM_C360_* on both
_FIELD_CODES = {
    "contacts": {"IIN": "UF_CRM_IIN", "POSITION": "POST"},
    "companies": {"BIN": "UF_CRM_BIN", "ADDRESS": "ADDRESS"},
}
_MULTI_FIELD_CODES = ("PHONE", "EMAIL")
_SYNC_CODE_PREFIX = SYNC_FIELD_PREFIX.removeprefix("UF_CRM_")  # "C360_"


class CrmBlockedError(CrmError):
    """amoCRM blocked the account's API (403) after repeated 429s: not retried,
    every request would be refused until the block is lifted."""


class AmoCrmClient:
    """Reads one amoCRM account's contacts and companies, page by page.

    The requests go through `api`, the amoCRM client the CRM sync uses too: paced
    to its requests a second (amoCRM allows 7), a 429 waited out with backoff and
    jitter (at least its `retry_after`) and given up on after a few in a row,
    gateway errors, dropped connections, timeouts and cut-short JSON retried with
    exponential backoff and jitter. A 403 (amoCRM's block) and a refused token
    (401) are raised at once, as CrmBlockedError and CrmAuthError.
    """

    def __init__(self, api: AmoCrmApi) -> None:
        self.api = api
        self.account = api.account

    @property
    def masked_url(self) -> str:
        """The account's API; the token travels in a header, never in the URL."""
        return self.api.masked_url

    def _where(self, path: str, page: int | None) -> str:
        where = f"{self.account.branch} amoCRM account {self.masked_url}{path}"
        return where + (f", page {page}" if page is not None else "")

    def _auth_error(self) -> CrmAuthError:
        branch = self.account.branch
        return CrmAuthError(
            f"the {branch} amoCRM account ({self.masked_url}) refused the token "
            f"(HTTP 401): set the integration's long-lived token in "
            f"C360_AMOCRM_TOKEN_{branch.upper()} or C360_AMOCRM_TOKEN (or [amocrm] "
            f"token in {SECRETS_FILE_NAME}; with dlt alone, "
            f"sources.crm.amocrm_tokens.{branch})"
        )

    def _blocked_error(self, path: str, page: int | None) -> CrmBlockedError:
        return CrmBlockedError(
            f"{self._where(path, page)}: HTTP 403, amoCRM has blocked the account's "
            "API, as it does after repeated 429s (more than 7 requests a second). "
            "Ask amoCRM support to lift the block; keep [amocrm] requests_per_second "
            "(C360_AMOCRM_RATE) at 7 or below, and run one reader per account"
        )

    def get(
        self, path: str, params: Mapping[str, Any], page: int | None = None
    ) -> tuple[dict[str, Any] | None, str | None]:
        """The JSON answer (None for 204 No Content) and the account's clock (the
        answer's Date header, ISO 8601), after waits and retries."""
        try:
            answer = self.api.request("GET", path, params=dict(params))
        except TokenRefused as error:
            raise self._auth_error() from error
        except AccountBlocked as error:
            raise self._blocked_error(path, page) from error
        except StillRateLimited as error:
            raise CrmRequestError(
                f"{self._where(path, page)}: still over amoCRM's request limit "
                f"(429) after {error.refused} waits; left for the next run rather "
                "than risk the account being blocked"
            ) from error
        except KeptFailing as error:
            raise CrmRequestError(f"{self._where(path, page)}: {error}") from error
        if answer.status >= 400:
            body = answer.body
            detail = body.get("detail", "") if isinstance(body, dict) else ""
            raise CrmRequestError(
                self.api.mask(
                    f"{self._where(path, page)}: HTTP {answer.status} {detail}"
                ).rstrip()
            )
        return answer.body, answer.clock

    def list_pages(
        self,
        entity: CrmEntity,
        updated_from: int | None = None,
        page_size: int = AMOCRM_PAGE_SIZE,
    ) -> Iterator[Page]:
        """Every page of `entity` changed at or after `updated_from` (Unix
        seconds), in id order, like the Bitrix24 listing."""
        path = AMOCRM_ENTITIES[entity.table]
        params: dict[str, Any] = {"limit": page_size, "order[id]": "asc"}
        if updated_from is not None:
            params["filter[updated_at][from]"] = int(updated_from)
        number = 1
        while True:
            body, clock = self.get(path, {**params, "page": number}, page=number)
            if body is None:  # 204: no records on this page, none after it
                return
            embedded = body.get("_embedded")
            records = embedded.get(path) if isinstance(embedded, dict) else None
            if not isinstance(records, list):
                raise CrmRequestError(
                    f"{self._where(path, number)}: no _embedded.{path} list"
                )
            yield Page(number, records, None, clock if number == 1 else None)
            links = body.get("_links")
            if not (isinstance(links, dict) and links.get("next")):
                return
            number += 1


# -- records ------------------------------------------------------------------


def bitrix_shaped(entity: CrmEntity) -> Callable[[Any], dict[str, Any]]:
    """The translation of `entity`'s amoCRM records into Bitrix24 records."""

    def translate(record: Any) -> dict[str, Any]:
        return bitrix_record(entity, record)

    return translate


def bitrix_record(entity: CrmEntity, record: Mapping[str, Any]) -> dict[str, Any]:
    """An amoCRM contact or company as the Bitrix24 record the pipeline lands.

    Every field of the entity's contract is there (null where amoCRM has nothing
    like it), and the CRM sync's C360_* custom fields as UF_CRM_C360_*; other
    custom fields are not landed. Raises BadRecord with the reason.
    """
    if not isinstance(record, Mapping):
        raise BadRecord("not a JSON object")
    shaped: dict[str, Any] = dict.fromkeys(entity.fields)
    shaped["ID"] = _whole_number(record.get("id"), "id")
    shaped["ASSIGNED_BY_ID"] = _whole_number(
        record.get("responsible_user_id"), "responsible_user_id", empty_ok=True
    )
    shaped["DATE_CREATE"] = _instant(record.get("created_at"), "created_at")
    shaped["DATE_MODIFY"] = _instant(record.get("updated_at"), "updated_at")
    if shaped["DATE_MODIFY"] is None:
        raise BadRecord("no updated_at")
    if entity.table == "contacts":
        first, last = _text(record.get("first_name")), _text(record.get("last_name"))
        shaped["NAME"] = first if first or last else _text(record.get("name"))
        shaped["LAST_NAME"] = last
        shaped["COMPANY_ID"] = _first_company(record.get("_embedded"))
    else:
        shaped["TITLE"] = _text(record.get("name"))
    codes = _FIELD_CODES[entity.table]
    for code, values in _custom_fields(record.get("custom_fields_values")):
        if code in _MULTI_FIELD_CODES:
            shaped[code] = _multifield(code, values)
        elif code in codes:
            shaped[codes[code]] = _single_value(code, values)
        elif code.startswith(_SYNC_CODE_PREFIX):
            shaped["UF_CRM_" + code] = _single_value(code, values)
    shaped["HAS_PHONE"] = "Y" if shaped.get("PHONE") else "N"
    shaped["HAS_EMAIL"] = "Y" if shaped.get("EMAIL") else "N"
    return shaped


def _whole_number(value: Any, name: str, empty_ok: bool = False) -> str | None:
    if value is None or value == "":
        if empty_ok:
            return None
        raise BadRecord(f"no {name}")
    if isinstance(value, bool) or not str(value).strip().lstrip("-").isdigit():
        raise BadRecord(f"{name} {value!r} is not a whole number")
    return str(int(str(value).strip()))


def _instant(value: Any, name: str) -> str | None:
    """Unix seconds as ISO 8601 with its offset, as Bitrix24 writes dates."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BadRecord(f"{name} {value!r} is not Unix seconds")
    try:
        return datetime.fromtimestamp(int(value), UTC).isoformat()
    except (ValueError, OverflowError, OSError):
        raise BadRecord(f"{name} {value!r} is not Unix seconds") from None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | dict):
        raise BadRecord(f"a name holds a {type(value).__name__}, expected text")
    text = str(value).strip()
    return text or None


def _first_company(embedded: Any) -> str | None:
    companies = embedded.get("companies") if isinstance(embedded, Mapping) else None
    if not companies:
        return None
    if not isinstance(companies, list) or not isinstance(companies[0], Mapping):
        raise BadRecord(f"_embedded.companies is not a list of companies: {companies}")
    return _whole_number(companies[0].get("id"), "_embedded.companies[0].id")


def _custom_fields(values: Any) -> Iterator[tuple[str, list[Any]]]:
    """(field code, values) of each custom field that has a code."""
    if values is None:
        return
    if not isinstance(values, list):
        raise BadRecord("custom_fields_values is not a list")
    for item in values:
        if not isinstance(item, Mapping):
            raise BadRecord(f"a custom field value is not an object: {item!r:.80}")
        code = item.get("field_code")
        field_values = item.get("values") or []
        if not code:
            continue  # an account's own field without a code: not one we land
        if not isinstance(field_values, list):
            raise BadRecord(f"custom field {code}'s values are not a list")
        yield str(code).upper(), field_values


def _value(code: str, item: Any) -> str | None:
    if not isinstance(item, Mapping):
        raise BadRecord(f"a value of custom field {code} is not an object")
    value = item.get("value")
    if isinstance(value, list | dict):
        raise BadRecord(f"custom field {code} holds a {type(value).__name__}")
    if value is None or isinstance(value, bool):
        return None if value is None else ("1" if value else "0")
    return str(value)


def _single_value(code: str, values: list[Any]) -> str | None:
    texts = [text for text in (_value(code, item) for item in values) if text]
    return texts[0] if texts else None


def _multifield(code: str, values: list[Any]) -> list[dict[str, str]] | None:
    """Bitrix24's multifield items: [{"VALUE": ..., "VALUE_TYPE": ...}]."""
    items = []
    for item in values:
        text = _value(code, item)
        if not text or not text.strip():
            continue
        enum_code = str(item.get("enum_code") or "").upper()
        items.append({"VALUE": text, "VALUE_TYPE": VALUE_TYPES.get(enum_code, "OTHER")})
    return items or None


__all__ = [
    "AmoCrmClient",
    "CrmBlockedError",
    "VALUE_TYPES",
    "bitrix_record",
    "bitrix_shaped",
]
