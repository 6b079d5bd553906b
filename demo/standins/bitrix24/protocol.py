"""The part of Bitrix24's REST protocol the stand-in speaks: parameters, methods."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from demo.standins.bitrix24.entities import ENTITIES, Entity
from demo.standins.bitrix24.operating import OperatingMeter
from demo.standins.bitrix24.store import FilterError, PortalStore, RefusedByPortal
from demo.standins.bitrix24.userfields import (
    as_field_description,
    as_list_item,
    matches,
)

PAGE_SIZE = 50  # Bitrix24 answers list methods 50 records at a time, always
MAX_BATCH_COMMANDS = 50

_CRM_METHOD = re.compile(
    r"^crm\.(contact|company|deal)\."
    r"(list|get|add|update|fields|userfield\.add|userfield\.list)$"
)
_KEY_PARTS = re.compile(r"\[([^\]]*)\]")
# what crm.<entity>.update answers for an ID that does not exist (REST reference)
_NOT_FOUND_ON_UPDATE = {
    "contact": "Contact is not found",
    "company": "Company is not found",
    "deal": "Not found",
}
# userfield.list sorts by these; ID and SORT as numbers
_USER_FIELD_ORDER = ("ID", "FIELD_NAME", "USER_TYPE_ID", "XML_ID", "SORT")


class ApiError(Exception):
    """An error answered the way Bitrix24 answers it: status, code and description."""

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(f"{status} {code}: {description}")
        self.status = status
        self.code = code
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.code, "error_description": self.description}


def method_not_found() -> ApiError:
    return ApiError(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")


def invalid_credentials() -> ApiError:
    return ApiError(401, "INVALID_CREDENTIALS", "Invalid request credentials")


def query_limit_exceeded() -> ApiError:
    return ApiError(503, "QUERY_LIMIT_EXCEEDED", "Too many requests")


def operation_time_limit() -> ApiError:
    return ApiError(
        429,
        "OPERATION_TIME_LIMIT",
        "Method is blocked due to operation time limit.",
    )


@dataclass
class RecordFailure:
    """A refusal a test placed on one record's updates; ``remaining`` None: always."""

    code: str
    description: str
    status: int = 400
    remaining: int | None = None


def parse_php_query(query: str) -> dict[str, Any]:
    """PHP's reading of a query string: ``filter[>DATE_MODIFY]=x&select[]=*`` becomes
    ``{"filter": {">DATE_MODIFY": "x"}, "select": ["*"]}``."""
    params: dict[str, Any] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        base, _, rest = key.partition("[")
        parts = [base, *_KEY_PARTS.findall("[" + rest)] if rest else [base]
        _put(params, parts, value)
    return params


def _put(container: dict[str, Any], parts: list[str], value: str) -> None:
    node: Any = container
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        if isinstance(node, list):
            # "[]" appends; a later "[x]" on the same list starts a new element
            if last:
                node.append(value)
                return
            child: Any = [] if parts[position + 1] == "" else {}
            node.append(child)
            node = child
            continue
        if last:
            node[part] = value
            return
        child = node.get(part)
        if not isinstance(child, dict | list):
            child = [] if parts[position + 1] == "" else {}
            node[part] = child
        node = child


def _lower_keys(params: Mapping[str, Any]) -> dict[str, Any]:
    # Bitrix24 accepts FILTER and filter alike at the top level
    return {str(k).lower(): v for k, v in params.items()}


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return value
    return [value]


def _as_mapping(value: Any, name: str) -> dict[str, Any]:
    if value is None or value == "" or value == []:
        return {}
    if not isinstance(value, dict):
        raise ApiError(400, "INVALID_ARG_VALUE", f"{name} must be an object")
    return value


def time_block(
    started: float,
    finished: float,
    tz: Any,
    operating: float = 0.0,
    operating_reset_at: int | None = None,
) -> dict[str, Any]:
    """Bitrix24's ``time`` member of every answer; ``operating`` is the method's
    execution time in the limit's window, ``operating_reset_at`` when the oldest
    part of it leaves."""
    if operating_reset_at is None:
        operating_reset_at = int(started) + 600
    return {
        "start": round(started, 6),
        "finish": round(finished, 6),
        "duration": round(finished - started, 6),
        "processing": round(finished - started, 6),
        "date_start": datetime.fromtimestamp(started, tz).isoformat(timespec="seconds"),
        "date_finish": datetime.fromtimestamp(finished, tz).isoformat(
            timespec="seconds"
        ),
        "operating_reset_at": operating_reset_at,
        "operating": round(operating, 6),
    }


class Protocol:
    """Answers REST methods against one portal's store."""

    def __init__(
        self, store: PortalStore, operating: OperatingMeter | None = None
    ) -> None:
        self.store = store
        self.operating = operating or OperatingMeter()
        self.batch_commands = 0
        self._failures: dict[tuple[str, str], RecordFailure] = {}
        self._failures_lock = threading.Lock()
        self.failures_answered = 0

    def call(self, method: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """The answer body (without ``time``) for a method, or ApiError."""
        method = method.lower()
        if method == "batch":
            return self._batch(_lower_keys(params))
        return self._metered(method, _lower_keys(params))

    # -- failures placed on records --------------------------------------------

    def fail_record(
        self,
        entity: Entity,
        record_id: Any,
        code: str,
        description: str,
        status: int = 400,
        times: int | None = None,
    ) -> None:
        with self._failures_lock:
            self._failures[(entity.name, str(record_id).strip())] = RecordFailure(
                code, description, status, times
            )

    def clear_record_failures(
        self, entity: Entity | None = None, record_id: Any = None
    ) -> None:
        with self._failures_lock:
            for key in list(self._failures):
                if (entity is None or key[0] == entity.name) and (
                    record_id is None or key[1] == str(record_id).strip()
                ):
                    del self._failures[key]

    def record_failures(self) -> list[dict[str, Any]]:
        with self._failures_lock:
            return [
                {
                    "entity": entity_name,
                    "id": record_id,
                    "error": failure.code,
                    "error_description": failure.description,
                    "status": failure.status,
                    "times": failure.remaining,
                }
                for (entity_name, record_id), failure in self._failures.items()
            ]

    def _take_failure(self, entity: Entity, record_id: str) -> RecordFailure | None:
        with self._failures_lock:
            key = (entity.name, record_id)
            failure = self._failures.get(key)
            if failure is None:
                return None
            if failure.remaining is not None:
                failure.remaining -= 1
                if failure.remaining <= 0:
                    del self._failures[key]
            self.failures_answered += 1
            return failure

    # -- methods ----------------------------------------------------------------

    def _metered(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Run a CRM method under the operating-time limit of its name."""
        match = _CRM_METHOD.match(method)
        if not match:
            raise method_not_found()
        if not self.operating.admit(method):
            raise operation_time_limit()
        began = time.perf_counter()
        try:
            return self._crm(ENTITIES[match.group(1)], match.group(2), params)
        finally:
            self.operating.charge(method, time.perf_counter() - began)

    def _crm(
        self, entity: Entity, action: str, params: dict[str, Any]
    ) -> dict[str, Any]:
        try:
            if action == "list":
                return self._list(entity, params)
            if action == "get":
                return {"result": self._get(entity, params)}
            if action == "add":
                fields = _as_mapping(params.get("fields"), "fields")
                return {"result": self.store.add(entity, fields, strict=True)}
            if action == "update":
                return {"result": self._update(entity, params)}
            if action == "fields":
                return {"result": self._fields(entity)}
            if action == "userfield.add":
                fields = _as_mapping(params.get("fields"), "fields")
                return {"result": self.store.add_user_field(entity, fields)}
            return self._user_field_list(entity, params)
        except FilterError as error:
            raise ApiError(400, "INVALID_ARG_VALUE", str(error)) from error
        except RefusedByPortal as error:
            raise ApiError(400, error.code, error.description) from error

    def _fields(self, entity: Entity) -> dict[str, Any]:
        answer = {d.name: d.as_bitrix() for d in entity.descriptions}
        for definition in self.store.user_field_definitions(entity):
            answer[definition["FIELD_NAME"]] = as_field_description(definition)
        return answer

    def _user_field_list(
        self, entity: Entity, params: dict[str, Any]
    ) -> dict[str, Any]:
        filters = {
            str(k).upper(): v
            for k, v in _as_mapping(params.get("filter"), "filter").items()
        }
        order = {
            str(k).upper(): str(v).upper()
            for k, v in _as_mapping(params.get("order"), "order").items()
        }
        order = {k: v for k, v in order.items() if k in _USER_FIELD_ORDER}
        definitions = [
            d for d in self.store.user_field_definitions(entity) if matches(d, filters)
        ]
        # stable sorts, last key first: the first key ends up deciding
        for key, way in reversed(list((order or {"SORT": "ASC", "ID": "ASC"}).items())):
            numeric = key in ("ID", "SORT")
            definitions.sort(
                key=lambda d, k=key, n=numeric: int(d[k]) if n else str(d.get(k) or ""),
                reverse=way == "DESC",
            )
        lang = filters.get("LANG")
        items = [as_list_item(d, str(lang) if lang else None) for d in definitions]
        return {"result": items, "total": len(items)}

    def _list(self, entity: Entity, params: dict[str, Any]) -> dict[str, Any]:
        try:
            start = int(str(params.get("start", 0) or 0))
        except ValueError:
            start = 0
        # start=-1 is Bitrix24's "skip the count" mode: no total, no next
        counting = start >= 0
        records, total = self.store.list(
            entity,
            filters=_as_mapping(params.get("filter"), "filter"),
            order=_as_mapping(params.get("order"), "order"),
            start=max(start, 0),
            limit=PAGE_SIZE,
        )
        select = [str(s) for s in _as_list(params.get("select"))]
        user_fields = self.store.user_fields(entity)
        body: dict[str, Any] = {
            "result": [project(entity, r, select, user_fields) for r in records]
        }
        if counting:
            if start + len(records) < total:
                body["next"] = start + PAGE_SIZE
            body["total"] = total
        return body

    def _record_id(self, params: dict[str, Any]) -> str:
        record_id = str(params.get("id", "")).strip()
        if not record_id.isdigit() or int(record_id) <= 0:
            raise ApiError(400, "", "ID is not defined or invalid.")
        return record_id

    def _get(self, entity: Entity, params: dict[str, Any]) -> dict[str, Any]:
        record = self.store.get(entity, self._record_id(params))
        if record is None:
            raise ApiError(400, "", "Not found")
        # .get answers everything, multi-fields and custom fields included
        return project(
            entity,
            record,
            ["*", "UF_*", *entity.multi_fields],
            self.store.user_fields(entity),
        )

    def _update(self, entity: Entity, params: dict[str, Any]) -> bool:
        record_id = self._record_id(params)
        fields = _as_mapping(params.get("fields"), "fields")
        failure = self._take_failure(entity, record_id)
        if failure is not None:
            raise ApiError(failure.status, failure.code, failure.description)
        if self.store.apply_update(entity, record_id, fields) is None:
            raise ApiError(400, "", _NOT_FOUND_ON_UPDATE[entity.name])
        return True

    def _batch(self, params: dict[str, Any]) -> dict[str, Any]:
        commands = params.get("cmd") or {}
        if isinstance(commands, list):
            commands = {str(i): c for i, c in enumerate(commands)}
        if not isinstance(commands, dict):
            raise ApiError(400, "INVALID_ARG_VALUE", "cmd must be an object")
        if len(commands) > MAX_BATCH_COMMANDS:
            raise ApiError(
                400, "ERROR_BATCH_LENGTH_EXCEEDED", "Max batch length exceeded"
            )
        halt = str(params.get("halt", "0")).strip().lower() in ("1", "true", "y")
        results: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        totals: dict[str, Any] = {}
        nexts: dict[str, Any] = {}
        times: dict[str, Any] = {}
        # one SQLite transaction for the whole batch: 50 updates, one commit; a
        # command that fails undoes only its own write (a savepoint)
        with self.store.transaction():
            for name, command in commands.items():
                self.batch_commands += 1
                method, _, query = str(command).partition("?")
                method = method.strip().lower()
                started = time.time()
                try:
                    if method == "batch":
                        raise ApiError(
                            400,
                            "ERROR_BATCH_METHOD_NOT_ALLOWED",
                            "Method is not allowed for batch usage",
                        )
                    answer = self._metered(method, _lower_keys(parse_php_query(query)))
                except ApiError as error:
                    errors[name] = error.body()
                    if halt:
                        break
                    continue
                results[name] = answer["result"]
                if "total" in answer:
                    totals[name] = answer["total"]
                if "next" in answer:
                    nexts[name] = answer["next"]
                times[name] = time_block(
                    started, time.time(), self.store.tz, *self.operating.usage(method)
                )
        # PHP serialises an empty array as [], and Bitrix24 clients have to cope
        return {
            "result": {
                "result": results or [],
                "result_error": errors or [],
                "result_total": totals or [],
                "result_next": nexts or [],
                "result_time": times or [],
            }
        }


def project(
    entity: Entity,
    record: Mapping[str, Any],
    select: list[str],
    user_fields: list[str],
) -> dict[str, Any]:
    """The fields a list answer carries: like Bitrix24, multi-fields and custom
    fields only when selected, standard fields for an empty select or ``*``."""
    wanted = {s.upper() for s in select}
    standard = not wanted or "*" in wanted
    all_user = "UF_*" in wanted
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key == "ID":
            out[key] = value
        elif key in entity.multi_fields:
            if key in wanted:
                out[key] = value
        elif key.startswith("UF_"):
            if all_user or key in wanted:
                out[key] = value
        elif standard or key in wanted:
            out[key] = value
    # a custom field defined on the portal is answered for every record, empty or not
    for name in user_fields:
        if (all_user or name in wanted) and name not in out:
            out[name] = ""
    return out


def parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
    """Parameters from a POST body: JSON, or form-encoded like PHP reads it."""
    if not raw.strip():
        return {}
    text = raw.decode("utf-8", errors="replace")
    if "json" in content_type.lower() or text.lstrip().startswith(("{", "[")):
        try:
            params = json.loads(text)
        except json.JSONDecodeError as error:
            raise ApiError(
                400, "INVALID_REQUEST", f"Invalid JSON body: {error}"
            ) from error
        if not isinstance(params, dict):
            raise ApiError(400, "INVALID_REQUEST", "JSON body must be an object")
        return params
    return parse_php_query(text)
