"""The part of Bitrix24's REST protocol the stand-in speaks: parameters, methods."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from demo.standins.bitrix24.entities import ENTITIES, Entity
from demo.standins.bitrix24.store import FilterError, PortalStore

PAGE_SIZE = 50  # Bitrix24 answers list methods 50 records at a time, always
MAX_BATCH_COMMANDS = 50

_CRM_METHOD = re.compile(r"^crm\.(contact|company|deal)\.(list|get|add|update)$")
_KEY_PARTS = re.compile(r"\[([^\]]*)\]")


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


def time_block(started: float, finished: float, tz: Any) -> dict[str, Any]:
    """Bitrix24's ``time`` member of every answer."""
    return {
        "start": round(started, 6),
        "finish": round(finished, 6),
        "duration": round(finished - started, 6),
        "processing": round(finished - started, 6),
        "date_start": datetime.fromtimestamp(started, tz).isoformat(timespec="seconds"),
        "date_finish": datetime.fromtimestamp(finished, tz).isoformat(
            timespec="seconds"
        ),
        "operating_reset_at": int(started) + 600,
        "operating": 0,
    }


class Protocol:
    """Answers REST methods against one portal's store."""

    def __init__(self, store: PortalStore) -> None:
        self.store = store
        self.batch_commands = 0

    def call(self, method: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """The answer body (without ``time``) for a method, or ApiError."""
        method = method.lower()
        if method == "batch":
            return self._batch(_lower_keys(params))
        return self._crm(method, _lower_keys(params))

    def _crm(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        match = _CRM_METHOD.match(method)
        if not match:
            raise method_not_found()
        entity = ENTITIES[match.group(1)]
        action = match.group(2)
        try:
            if action == "list":
                return self._list(entity, params)
            if action == "get":
                return {"result": self._get(entity, params)}
            if action == "add":
                fields = _as_mapping(params.get("fields"), "fields")
                return {"result": self.store.add(entity, fields)}
            return {"result": self._update(entity, params)}
        except FilterError as error:
            raise ApiError(400, "INVALID_ARG_VALUE", str(error)) from error

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
        if not self.store.update(entity, record_id, fields):
            raise ApiError(400, "", "Not found")
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
        for name, command in commands.items():
            self.batch_commands += 1
            method, _, query = str(command).partition("?")
            started = time.time()
            try:
                if method.strip().lower() == "batch":
                    raise ApiError(
                        400,
                        "ERROR_BATCH_METHOD_NOT_ALLOWED",
                        "Method is not allowed for batch usage",
                    )
                answer = self._crm(
                    method.strip().lower(), _lower_keys(parse_php_query(query))
                )
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
            times[name] = time_block(started, time.time(), self.store.tz)
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
