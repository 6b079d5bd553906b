"""The part of amoCRM's API v4 the stand-in speaks: contacts, companies, their custom
fields, answered as HAL+JSON, with problem+json errors."""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from demo.standins.amocrm.fields import (
    DATE_TYPES,
    ENUM_TYPES,
    FIELD_TYPES,
    MULTI_VALUE_TYPES,
    NUMBER_TYPES,
    TEXT_TYPES,
)
from demo.standins.amocrm.store import ACCOUNT_ID, USER_ID, AccountStore
from demo.standins.bitrix24.protocol import parse_php_query

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 250
# amoCRM takes at most 250 entities per write and recommends 50
MAX_BATCH = 250

HAL = "application/hal+json"
PROBLEM = "application/problem+json"

# the details amoCRM's validator answers with (the Symfony validator's wording)
NOT_A_CHOICE = "The value you selected is not a valid choice."
MISSING = "This field is missing."


class ApiProblem(Exception):
    """An error answered the way amoCRM answers it: RFC 7807 problem+json."""

    def __init__(self, status: int, title: str, detail: str, **extra: Any) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.extra = extra

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if "validation-errors" in self.extra:  # amoCRM puts them first
            body["validation-errors"] = self.extra["validation-errors"]
        body.update(
            title=self.title,
            type=f"https://httpstatus.es/{self.status}",
            status=self.status,
            detail=self.detail,
        )
        body.update({k: v for k, v in self.extra.items() if k != "validation-errors"})
        return body


def unauthorized() -> ApiProblem:
    return ApiProblem(401, "Unauthorized", "Invalid user name or password")


def empty_request() -> ApiProblem:
    return ApiProblem(400, "Bad Request", "Request data can not be empty")


def too_many_entities(limit: int) -> ApiProblem:
    return ApiProblem(422, "Unprocessable Entity", f"Limit {limit} per page")


def not_found(method: str, url: str) -> ApiProblem:
    return ApiProblem(404, "Not Found", f"Cannot {method} {url}")


def method_not_allowed() -> ApiProblem:
    return ApiProblem(405, "Method Not Allowed", "Method Not Allowed")


def too_many_requests(retry_after: int) -> ApiProblem:
    return ApiProblem(
        429,
        "Too Many Requests",
        "You have sent too many requests in a given amount of time. "
        "Please try again later.",
        retry_after=retry_after,
    )


def validation_failed(errors: list[dict[str, Any]]) -> ApiProblem:
    return ApiProblem(
        400, "Bad Request", "Request validation failed", **{"validation-errors": errors}
    )


def error(code: str, path: str, detail: str) -> dict[str, str]:
    """One entry of a validation error's ``errors`` list."""
    return {"code": code, "path": path, "detail": detail}


@dataclass
class Answer:
    """A successful answer: 200 with a HAL body, or 204 without one."""

    status: int
    payload: Any = None
    content_type: str = HAL


@dataclass
class RecordFailure:
    """A PATCH of this record fails validation with this error (``times`` more
    times; None: always)."""

    error: dict[str, str]
    times: int | None = None


@dataclass
class RecordFailures:
    """Records whose PATCH a test wants rejected, as a CRM rejects a record it
    finds invalid (a required field, a locked record, a value out of range)."""

    _failures: dict[tuple[str, int], RecordFailure] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, entity: str, entity_id: int, failure: RecordFailure) -> None:
        with self._lock:
            self._failures[(entity, int(entity_id))] = failure

    def clear(self) -> None:
        with self._lock:
            self._failures.clear()

    def peek(self, entity: str, entity_id: int) -> dict[str, str] | None:
        with self._lock:
            failure = self._failures.get((entity, entity_id))
            return None if failure is None else dict(failure.error)

    def consume(self, entity: str, entity_id: int) -> None:
        """Count one rejected PATCH against a failure that has a ``times`` budget."""
        with self._lock:
            failure = self._failures.get((entity, entity_id))
            if failure is not None and failure.times is not None:
                failure.times -= 1
                if failure.times <= 0:
                    del self._failures[(entity, entity_id)]


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _as_number(value: Any) -> str | None:
    """amoCRM answers numeric field values as strings ("415949")."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return str(int(number)) if number.is_integer() else str(number)


def _page_params(params: Mapping[str, Any], default_limit: int) -> tuple[int, int]:
    page = _as_int(params.get("page"))
    limit = _as_int(params.get("limit"))
    page = page if page and page > 0 else 1
    limit = limit if limit and limit > 0 else default_limit
    return page, min(limit, MAX_PAGE_SIZE)


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, dict):
        return list(value.values())
    return value if isinstance(value, list) else [value]


class AmoProtocol:
    """Answers the API's methods against one account's store."""

    def __init__(
        self,
        store: AccountStore,
        max_batch: int = MAX_BATCH,
        subdomain: str = "demo",
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.store = store
        self.max_batch = max_batch
        self.subdomain = subdomain
        self.failures = RecordFailures()

    # -- rendering -----------------------------------------------------------

    def render(self, entity: str, record: Mapping[str, Any], base: str) -> dict:
        """A stored record as amoCRM answers it: fields named, links added."""
        answer = {k: copy.deepcopy(v) for k, v in record.items()}
        values = []
        for stored in record.get("custom_fields_values") or []:
            described = self.store.field(entity, stored["field_id"])
            if described is None:  # a field deleted behind the record's back
                continue
            values.append(
                {
                    "field_id": described["id"],
                    "field_name": described["name"],
                    "field_code": described["code"],
                    "field_type": described["type"],
                    "values": copy.deepcopy(stored["values"]),
                }
            )
        answer["custom_fields_values"] = values or None
        answer["account_id"] = ACCOUNT_ID
        answer["_links"] = {"self": {"href": f"{base}/api/v4/{entity}/{record['id']}"}}
        embedded = answer.setdefault("_embedded", {})
        embedded.setdefault("tags", [])
        for company in embedded.get("companies", []):
            company["_links"] = {
                "self": {"href": f"{base}/api/v4/companies/{company['id']}"}
            }
        return answer

    def render_field(self, entity: str, described: Mapping[str, Any], base: str):
        answer = dict(described)
        answer["_links"] = {
            "self": {"href": f"{base}/api/v4/{entity}/custom_fields/{described['id']}"}
        }
        return answer

    @staticmethod
    def _page_links(base: str, path: str, query: str, page: int, more: bool):
        pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True)]

        def href(number: int) -> str:
            rest = [(k, v) for k, v in pairs if k != "page"]
            return f"{base}{path}?{urlencode([('page', number), *rest])}"

        links = {"self": {"href": f"{base}{path}" + (f"?{query}" if query else "")}}
        if more:
            links["next"] = {"href": href(page + 1)}
        if page > 1:
            links["first"] = {"href": href(1)}
            links["prev"] = {"href": href(page - 1)}
        return links

    # -- reading -------------------------------------------------------------

    def list_records(self, entity: str, query: str, base: str) -> Answer:
        params = parse_php_query(query)
        page, limit = _page_params(params, DEFAULT_PAGE_SIZE)
        filters = params.get("filter") if isinstance(params.get("filter"), dict) else {}
        ids = None
        if "id" in filters:
            ids = [i for i in map(_as_int, _as_list(filters["id"])) if i is not None]
        updated_from = updated_to = None
        updated = filters.get("updated_at")
        if isinstance(updated, dict):
            updated_from = _as_int(updated.get("from"))
            updated_to = _as_int(updated.get("to"))
        elif updated not in (None, ""):
            updated_from = updated_to = _as_int(updated)
        order = ("id", "asc")
        if isinstance(params.get("order"), dict):
            for column, direction in params["order"].items():
                way = str(direction).lower()
                if column in ("id", "updated_at") and way in ("asc", "desc"):
                    order = (column, way)
        records = self.store.list(
            entity,
            ids=ids,
            updated_from=updated_from,
            updated_to=updated_to,
            order=order,
            offset=(page - 1) * limit,
            limit=limit,
        )
        if not records:
            return Answer(204)
        # like amoCRM, a full page links to the next one, which may turn out empty
        links = self._page_links(
            base, f"/api/v4/{entity}", query, page, len(records) == limit
        )
        return Answer(
            200,
            {
                "_page": page,
                "_links": links,
                "_embedded": {entity: [self.render(entity, r, base) for r in records]},
            },
        )

    def get_record(self, entity: str, entity_id: str, base: str) -> Answer:
        record = self.store.get(entity, entity_id)
        if record is None:
            return Answer(204)
        return Answer(200, self.render(entity, record, base))

    def list_fields(self, entity: str, query: str, base: str) -> Answer:
        params = parse_php_query(query)
        page, limit = _page_params(params, DEFAULT_PAGE_SIZE)
        described = self.store.fields(entity)
        chunk = described[(page - 1) * limit : page * limit]
        if not chunk:
            return Answer(204)
        more = page * limit < len(described)
        return Answer(
            200,
            {
                "_total_items": len(described),
                "_page": page,
                "_page_count": -(-len(described) // limit),
                "_links": self._page_links(
                    base, f"/api/v4/{entity}/custom_fields", query, page, more
                ),
                "_embedded": {
                    "custom_fields": [self.render_field(entity, f, base) for f in chunk]
                },
            },
        )

    def get_field(self, entity: str, field_id: str, base: str) -> Answer:
        described = self.store.field(entity, _as_int(field_id))
        if described is None:
            return Answer(204)
        return Answer(200, self.render_field(entity, described, base))

    def account(self, base: str) -> Answer:
        return Answer(
            200,
            {
                "id": ACCOUNT_ID,
                "name": self.subdomain,
                "subdomain": self.subdomain,
                "current_user_id": USER_ID,
                "country": "KZ",
                "currency": "KZT",
                "currency_symbol": "₸",
                "_links": {"self": {"href": f"{base}/api/v4/account"}},
            },
        )

    # -- writing -------------------------------------------------------------

    def _batch(self, body: Any) -> list[Any]:
        if body is None or body == [] or body == {}:
            raise empty_request()
        if not isinstance(body, list):
            raise validation_failed(
                [
                    {
                        "request_id": "0",
                        "errors": [
                            error(
                                "InvalidType", "", "This value should be of type array."
                            )
                        ],
                    }
                ]
            )
        if len(body) > self.max_batch:
            raise too_many_entities(self.max_batch)
        return body

    def patch_records(
        self, entity: str, body: Any, base: str, entity_id: str | None = None
    ) -> Answer:
        """PATCH /api/v4/<entity> with a list, or /api/v4/<entity>/<id> with one.

        Every entity is validated first; one invalid entity fails the whole request
        with 400 and nothing is written (the answer names each invalid entity by its
        request_id). Otherwise all of them are written in one transaction.
        """
        single = entity_id is not None
        if single:
            if not isinstance(body, dict) or not body:
                raise empty_request()
            items = [body]
        else:
            items = self._batch(body)
        with self.store.lock:
            prepared, failed = [], []
            for index, item in enumerate(items):
                request_id, errors, change = self._prepare(
                    entity, index, item, entity_id
                )
                if errors:
                    failed.append({"request_id": request_id, "errors": errors})
                else:
                    prepared.append(change)
            if failed:
                for item in items:
                    record_id = (
                        _as_int(item.get("id")) if isinstance(item, dict) else None
                    )
                    if single:
                        record_id = _as_int(entity_id)
                    if record_id is not None:
                        self.failures.consume(entity, record_id)
                raise validation_failed(failed)
            self.store.apply_patches(entity, prepared)
        results = [
            {
                "id": record["id"],
                "name": record.get("name", ""),
                "updated_at": record["updated_at"],
                "request_id": request_id,
                "_links": {"self": {"href": f"{base}/api/v4/{entity}/{record['id']}"}},
            }
            for record, request_id, _ in prepared
        ]
        if single:
            answer = dict(results[0])
            answer.pop("request_id")
            return Answer(200, answer)
        return Answer(
            200,
            {
                "_links": {"self": {"href": f"{base}/api/v4/{entity}"}},
                "_embedded": {entity: results},
            },
        )

    def _prepare(
        self, entity: str, index: int, item: Any, path_id: str | None
    ) -> tuple[str, list[dict[str, str]], Any]:
        """Validate one entity of a PATCH; its request_id, errors, and when there
        are none, (new record, request_id, the entity's request part)."""
        if not isinstance(item, dict):
            return (
                str(index),
                [error("InvalidType", "", "This value should be of type object.")],
                None,
            )
        raw_request_id = item.get("request_id")
        request_id = str(index) if raw_request_id in (None, "") else str(raw_request_id)
        errors: list[dict[str, str]] = []
        raw_id = path_id if path_id is not None else item.get("id")
        record_id = _as_int(raw_id)
        stored = None
        if raw_id is None:
            errors.append(error("FieldMissing", "id", MISSING))
        elif record_id is None:
            errors.append(
                error("InvalidType", "id", "This value should be of type int.")
            )
        else:
            stored = self.store.get(entity, record_id)
            if stored is None:
                errors.append(error("NotSupportedChoice", "id", NOT_A_CHOICE))
        record = copy.deepcopy(stored) if stored else {}
        names = (
            ("name", "first_name", "last_name") if entity == "contacts" else ("name",)
        )
        for key in names:
            if key in item:
                if isinstance(item[key], str):
                    record[key] = item[key]
                else:
                    errors.append(
                        error(
                            "InvalidType", key, "This value should be of type string."
                        )
                    )
        for key in ("responsible_user_id", "created_by", "updated_by", "created_at"):
            if key in item:
                number = _as_int(item[key])
                if number is None or number < 0:
                    errors.append(
                        error("InvalidType", key, "This value should be of type int.")
                    )
                else:
                    record[key] = number
        updated_at = self.store.now()
        if "updated_at" in item:
            updated_at = _as_int(item["updated_at"])
            if updated_at is None:
                errors.append(
                    error(
                        "InvalidType", "updated_at", "This value should be of type int."
                    )
                )
        if "custom_fields_values" in item and item["custom_fields_values"] is not None:
            updates = self._field_updates(entity, item["custom_fields_values"], errors)
            if not errors:
                record["custom_fields_values"] = _merge_values(
                    record.get("custom_fields_values") or [], updates
                )
        if stored is not None:
            injected = self.failures.peek(entity, record_id)
            if injected is not None:
                errors.append(injected)
        if errors:
            return request_id, errors, None
        record["updated_at"] = updated_at
        record["updated_by"] = USER_ID
        part = {k: v for k, v in item.items() if k not in ("id", "request_id")}
        return request_id, [], (record, request_id, part)

    def _field_updates(
        self, entity: str, given: Any, errors: list[dict[str, str]]
    ) -> list[tuple[int, list[dict[str, Any]] | None]]:
        """Each named field's new values (None: clear the field), in request order."""
        if not isinstance(given, list):
            errors.append(
                error(
                    "InvalidType",
                    "custom_fields_values",
                    "This value should be of type array.",
                )
            )
            return []
        updates = []
        for position, item in enumerate(given):
            path = f"custom_fields_values.{position}"
            if not isinstance(item, dict):
                errors.append(
                    error("InvalidType", path, "This value should be of type object.")
                )
                continue
            described = None
            if item.get("field_id") is not None:
                field_id = _as_int(item["field_id"])
                described = (
                    None if field_id is None else self.store.field(entity, field_id)
                )
                if described is None:
                    errors.append(
                        error("NotSupportedChoice", f"{path}.field_id", NOT_A_CHOICE)
                    )
                    continue
            elif item.get("field_code"):
                described = self.store.field_by_code(entity, str(item["field_code"]))
                if described is None:
                    errors.append(
                        error("NotSupportedChoice", f"{path}.field_code", NOT_A_CHOICE)
                    )
                    continue
            else:
                errors.append(error("FieldMissing", f"{path}.field_id", MISSING))
                continue
            if "values" not in item:
                errors.append(error("FieldMissing", f"{path}.values", MISSING))
                continue
            values = item["values"]
            if values is None:  # amoCRM: "values": null clears the field
                updates.append((described["id"], None))
                continue
            if not isinstance(values, list):
                errors.append(
                    error(
                        "InvalidType",
                        f"{path}.values",
                        "This value should be of type array.",
                    )
                )
                continue
            cleaned = []
            for number, value in enumerate(values):
                one = _field_value(described, value, f"{path}.values.{number}", errors)
                if one is not None:
                    cleaned.append(one)
            if described["type"] not in MULTI_VALUE_TYPES:
                cleaned = cleaned[:1]
            updates.append((described["id"], cleaned or None))
        return updates

    def create_fields(self, entity: str, body: Any, base: str) -> Answer:
        """POST /api/v4/<entity>/custom_fields with a list of fields to create."""
        items = self._batch(body)
        failed, specs = [], []
        with self.store.lock:
            taken = {f["code"] for f in self.store.fields(entity) if f["code"]}
            for index, item in enumerate(items):
                request_id = str(index)
                if isinstance(item, dict) and item.get("request_id") not in (None, ""):
                    request_id = str(item["request_id"])
                errors = _field_spec_errors(item, taken)
                if errors:
                    failed.append({"request_id": request_id, "errors": errors})
                else:
                    specs.append((request_id, item))
                    if item.get("code"):
                        taken.add(item["code"])
            if failed:
                raise validation_failed(failed)
            created = self.store.create_fields(entity, [spec for _, spec in specs])
        rendered = []
        for (request_id, _), described in zip(specs, created, strict=True):
            one = self.render_field(entity, described, base)
            one["request_id"] = request_id
            rendered.append(one)
        return Answer(
            200,
            {"_total_items": len(rendered), "_embedded": {"custom_fields": rendered}},
        )


def _merge_values(
    current: list[dict[str, Any]],
    updates: list[tuple[int, list[dict[str, Any]] | None]],
) -> list[dict[str, Any]]:
    """Values passed for a field replace all of that field's values; fields not
    passed keep theirs. So sending one phone leaves a contact with that one phone."""
    merged = {entry["field_id"]: entry["values"] for entry in current}
    for field_id, values in updates:
        if values is None:
            merged.pop(field_id, None)
        else:
            merged[field_id] = values
    return [{"field_id": fid, "values": vals} for fid, vals in merged.items()]


def _field_value(
    described: Mapping[str, Any], value: Any, path: str, errors: list[dict[str, str]]
) -> dict[str, Any] | None:
    """One value for a field of ``described``'s type, as amoCRM stores it."""
    if not isinstance(value, dict):
        errors.append(
            error("InvalidType", path, "This value should be of type object.")
        )
        return None
    kind = described["type"]
    if kind in ENUM_TYPES:
        return _enum_value(described, value, path, errors)
    if "value" not in value:
        errors.append(error("FieldMissing", f"{path}.value", MISSING))
        return None
    raw = value["value"]
    if kind in TEXT_TYPES:
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            errors.append(
                error(
                    "InvalidType",
                    f"{path}.value",
                    "This value should be of type string.",
                )
            )
            return None
        return {"value": str(raw)}
    if kind in NUMBER_TYPES:
        number = _as_number(raw)
        if number is None:
            errors.append(
                error(
                    "InvalidType",
                    f"{path}.value",
                    "This value should be of type numeric.",
                )
            )
            return None
        return {"value": number}
    if kind == "checkbox":
        if not isinstance(raw, bool):
            errors.append(
                error(
                    "InvalidType", f"{path}.value", "This value should be of type bool."
                )
            )
            return None
        return {"value": raw}
    if kind in DATE_TYPES:
        stamp = _as_int(raw)
        if stamp is None:
            errors.append(
                error(
                    "InvalidType", f"{path}.value", "This value should be of type int."
                )
            )
            return None
        return {"value": stamp}
    return {"value": copy.deepcopy(raw)}


def _enum_value(
    described: Mapping[str, Any], value: Mapping[str, Any], path: str, errors: list
) -> dict[str, Any] | None:
    enums = described.get("enums") or []
    chosen = None
    if value.get("enum_id") is not None:
        chosen = next((e for e in enums if e["id"] == _as_int(value["enum_id"])), None)
        if chosen is None:
            errors.append(error("NotSupportedChoice", f"{path}.enum_id", NOT_A_CHOICE))
            return None
    elif value.get("enum_code") not in (None, ""):
        chosen = next((e for e in enums if e["value"] == value["enum_code"]), None)
        if chosen is None:
            errors.append(
                error("NotSupportedChoice", f"{path}.enum_code", NOT_A_CHOICE)
            )
            return None
    if described["type"] == "multitext":
        raw = value.get("value")
        if not isinstance(raw, str | int | float) or isinstance(raw, bool):
            errors.append(error("FieldMissing", f"{path}.value", MISSING))
            return None
        chosen = chosen or (enums[0] if enums else None)  # amoCRM's default: WORK
        return {
            "value": str(raw),
            "enum_id": chosen["id"] if chosen else None,
            "enum_code": chosen["value"] if chosen else None,
        }
    if chosen is None:  # a select is set by enum_id, or by one of its values
        chosen = next((e for e in enums if e["value"] == value.get("value")), None)
        if chosen is None:
            errors.append(error("NotSupportedChoice", f"{path}.value", NOT_A_CHOICE))
            return None
    return {"value": chosen["value"], "enum_id": chosen["id"], "enum_code": None}


def _field_spec_errors(item: Any, taken: set[str]) -> list[dict[str, str]]:
    if not isinstance(item, dict):
        return [error("InvalidType", "", "This value should be of type object.")]
    errors = []
    if not item.get("name"):
        errors.append(error("FieldMissing", "name", MISSING))
    elif not isinstance(item["name"], str):
        errors.append(
            error("InvalidType", "name", "This value should be of type string.")
        )
    if not item.get("type"):
        errors.append(error("FieldMissing", "type", MISSING))
    elif item["type"] not in FIELD_TYPES:
        errors.append(error("NotSupportedChoice", "type", NOT_A_CHOICE))
    code = item.get("code")
    if code not in (None, ""):
        if not isinstance(code, str):
            errors.append(
                error("InvalidType", "code", "This value should be of type string.")
            )
        elif code in taken:
            errors.append(error("NotUnique", "code", "This value is already used."))
    if "sort" in item and _as_int(item["sort"]) is None:
        errors.append(error("InvalidType", "sort", "This value should be of type int."))
    if "is_api_only" in item and not isinstance(item["is_api_only"], bool):
        errors.append(
            error("InvalidType", "is_api_only", "This value should be of type bool.")
        )
    enums = item.get("enums")
    if item.get("type") in ENUM_TYPES:
        if not isinstance(enums, list) or not enums:
            errors.append(error("FieldMissing", "enums", MISSING))
        else:
            for number, enum in enumerate(enums):
                if not isinstance(enum, dict) or not str(enum.get("value", "")).strip():
                    errors.append(
                        error("FieldMissing", f"enums.{number}.value", MISSING)
                    )
    return errors
