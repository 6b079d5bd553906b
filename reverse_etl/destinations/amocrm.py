"""amoCRM: one account per branch, API v4 PATCHes of up to 50 contacts or companies.

What bites, and what this does about it:
- custom fields are written by id and the mapping names them by `code`
  (C360_LTV, PHONE), so each entity type's field list is read first (paged, 204
  past the last page) and the sync's own fields created with their code;
- the values sent for a field *replace* all of its values: a phone written to a
  record that has one would wipe the manager's. A fill (PHONE, EMAIL) is written
  only to records that still have no value, read back right before the write;
- one invalid entity fails the whole PATCH with 400 `validation-errors`, naming it
  by its `request_id`: that record is rejected with amoCRM's reason and the batch
  sent again without it, so its 49 neighbours still go;
- 7 requests a second per integration, and an account that keeps running into the
  limit (429) is blocked with 403 on every request: the requests go through the
  amoCRM API client the ingest uses too (`pipelines.crm.amocrm_api`), which paces
  them, waits a 429 out and gives up after a few in a row; a 403 stops the whole
  sync, since retrying a blocked account only prolongs the block;
- 5xx, timeouts and dropped connections are retried; a PATCH or POST whose answer
  was lost may have been applied, so it is sent with retry=False and the records
  are read back first: only those not already holding the values are sent again
  (a PATCH sets values, so sending the same again would be harmless too, but it
  would write every record twice).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from customer360.settings import AmoCrmAccount, SettingsError
from pipelines.crm.amocrm_api import (
    AccountBlocked,
    AmoCrmApi,
    AnswerLost,
    KeptFailing,
    StillRateLimited,
    TokenRefused,
)
from reverse_etl.destinations import (
    DestinationError,
    RecordResult,
    RecordUpdate,
    TargetUnavailable,
)
from reverse_etl.mapping import CrmField, FieldMapping

# amoCRM takes up to 250 entities a request and asks integrations to send 50
BATCH_SIZE = 50
# the mapping's entity types as amoCRM's API names them
_ENTITIES = {"contact": "contacts", "company": "companies"}
# amoCRM's field types in the mapping's words; a type missing here is reported
# under its own name, so that check_against_crm calls it a mismatch
_TYPES = {
    "text": "string",
    "textarea": "string",
    "url": "string",
    "streetaddress": "string",
    "select": "string",
    "radiobutton": "string",
    "numeric": "double",
    "monetary": "double",
    "checkbox": "boolean",
    "date": "datetime",
    "date_time": "datetime",
    "birthday": "datetime",
    "multitext": "multi",
    "multiselect": "multi",
}
# and the mapping's types as the type of a field the sync creates; a whole number
# goes to a numeric field too: amoCRM has no separate integer type
_CREATED_TYPE = {
    "string": "text",
    "double": "numeric",
    "integer": "numeric",
    "boolean": "checkbox",
    "datetime": "date_time",
}
_NUMBER_TYPES = {"numeric", "monetary"}
_DATE_TYPES = {"date", "date_time", "birthday"}
# a filled phone or e-mail is marked as a work one
_FILL_ENUM_CODE = "WORK"
_PAGE_LIMIT = 250
_FIELD_PATH = re.compile(r"^custom_fields_values\.(\d+)")


def _request(
    client: AmoCrmApi,
    method: str,
    path: str,
    params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
    body: Any = None,
    retry: bool = True,
) -> tuple[int, Any]:
    """(status, JSON answer or None) of a 2xx or 4xx answer other than 401, 403
    and 429, with amoCRM's refusals in the sync's words. With `retry`, lost
    answers are retried; without it they raise AnswerLost, for a caller that
    must look before sending again."""
    try:
        answer = client.request(method, path, params=params, body=body, retry=retry)
    except SettingsError as error:
        raise DestinationError(str(error)) from error
    except TokenRefused as error:
        branch = client.account.branch
        raise DestinationError(
            f"{client.where} refused the token (401 Unauthorized): set the"
            " integration's long-lived token in"
            f" C360_AMOCRM_TOKEN_{branch.upper()} or C360_AMOCRM_TOKEN"
            " (or [amocrm] token in the secrets file); it needs access to"
            " the CRM"
        ) from error
    except AccountBlocked as error:
        raise DestinationError(
            f"{client.where} is blocked: amoCRM answered 403 Forbidden, as it"
            " does once an account has run into its request limit (429)"
            " repeatedly (or when the token lacks the right to this)."
            " The sync stopped; do not retry at once, since requests to a"
            " blocked account prolong the block: wait until it is lifted"
            " (amoCRM's support lifts it on request), then sync again"
        ) from error
    except StillRateLimited as error:
        raise TargetUnavailable(
            f"{client.where}: still over amoCRM's request limit (429)"
            f" after {error.refused} waits; left for the next run rather"
            " than risk the account being blocked"
        ) from error
    except KeptFailing as error:
        raise TargetUnavailable(f"{client.where}: {method} {path} {error}") from error
    return answer.status, answer.body


class AmoCrmDestination:
    name = "amocrm"
    batch_size = BATCH_SIZE

    def __init__(
        self,
        accounts: Sequence[AmoCrmAccount],
        requests_per_second: float = 7.0,
        max_retries: int = 5,
        backoff_seconds: float = 0.5,
        max_backoff_seconds: float = 30.0,
        rate_limit_backoff_seconds: float = 1.0,
        timeout: float = 60.0,
    ) -> None:
        if requests_per_second <= 0:
            raise ValueError("amoCRM's request rate must be above 0")
        self._clients: dict[str, AmoCrmApi] = {}
        for account in accounts:
            self._clients[account.branch] = AmoCrmApi(
                account,
                requests_per_second=requests_per_second,
                max_retries=max_retries,
                backoff_seconds=backoff_seconds,
                max_backoff_seconds=max_backoff_seconds,
                rate_limit_backoff_seconds=rate_limit_backoff_seconds,
                timeout=timeout,
            )
        # (target, entity_type) -> {code: amoCRM's description of the field}
        self._described: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}

    def targets(self) -> Sequence[str]:
        return list(self._clients)

    @property
    def requests_sent(self) -> int:
        return sum(client.requests_sent for client in self._clients.values())

    @property
    def rate_limited(self) -> int:
        return sum(client.rate_limited for client in self._clients.values())

    # -- fields ----------------------------------------------------------------

    def fields(self, target: str, entity_type: str) -> Mapping[str, CrmField]:
        described = self._read_fields(target, entity_type)
        return {
            code: CrmField(
                name=code,
                type=_TYPES.get(str(spec.get("type")), str(spec.get("type"))),
                read_only=bool(spec.get("is_computed"))
                or spec.get("type") == "tracking_data",
            )
            for code, spec in described.items()
        }

    def _read_fields(self, target: str, entity_type: str) -> dict[str, dict[str, Any]]:
        entity = _entity(entity_type)
        client = self._clients[target]
        described: dict[str, dict[str, Any]] = {}
        page = 1
        while True:
            status, answer = _request(
                client,
                "GET",
                f"{entity}/custom_fields",
                params={"page": page, "limit": _PAGE_LIMIT},
            )
            if status == 204 or not answer:
                break  # past the last page
            if status != 200:
                raise TargetUnavailable(
                    f"{client.where}: reading the {entity} fields: HTTP {status}"
                    f" {_detail(answer)}"
                )
            listed = (answer.get("_embedded") or {}).get("custom_fields") or []
            for spec in listed:
                # a field without a code (made by hand in the interface) cannot be
                # named in the mapping
                if spec.get("code"):
                    described[str(spec["code"])] = spec
            if not listed or "next" not in (answer.get("_links") or {}):
                break
            page += 1
        self._described[target, entity_type] = described
        return described

    def create_field(self, target: str, entity_type: str, mapped: FieldMapping) -> None:
        entity = _entity(entity_type)
        client = self._clients[target]
        spec = {
            "name": mapped.label,
            "type": _CREATED_TYPE[mapped.type],
            "code": mapped.field,
        }
        described = self._described.get((target, entity_type))
        if described is None:
            described = self._read_fields(target, entity_type)
        failures = 0
        while True:
            if mapped.field in described:
                return  # made by an earlier run, by hand, or by a lost answer
            try:
                status, answer = _request(
                    client, "POST", f"{entity}/custom_fields", body=[spec], retry=False
                )
            except AnswerLost as error:
                # a POST is not idempotent: look at the list again before resending
                failures += 1
                if failures > client.max_retries:
                    raise TargetUnavailable(
                        f"{client.where}: creating {entity} field {mapped.field}"
                        f" failed {failures} times, last: {error}"
                    ) from error
                time.sleep(client.backoff(failures))
                described = self._read_fields(target, entity_type)
                continue
            if status == 200:
                created = (answer.get("_embedded") or {}).get("custom_fields") or []
                for spec in created:
                    if spec.get("code"):
                        described[str(spec["code"])] = spec
                return
            if _validation_errors(answer) and any(
                e.get("code") == "NotUnique"
                for entry in _validation_errors(answer)
                for e in entry.get("errors") or []
            ):
                self._read_fields(target, entity_type)
                return  # made meanwhile by someone else
            raise DestinationError(
                f"{mapped.where}: {client.where} refused to create {entity} field"
                f" {mapped.field}: HTTP {status} {_detail(answer)}"
            )

    # -- sending ---------------------------------------------------------------

    def prepare(self, target: str, updates: Sequence[RecordUpdate]) -> None:
        """Nothing ahead: a batch's fills are read right before it is sent. A write
        here replaces all of a field's values, so the read is kept as close to the
        write as it can be; at 7 calls a second the extra call costs little."""

    def send(self, target: str, updates: Sequence[RecordUpdate]) -> list[RecordResult]:
        if len(updates) > BATCH_SIZE:
            raise ValueError(
                f"at most {BATCH_SIZE} updates a batch, got {len(updates)}"
            )
        if not updates:
            return []
        [entity_type] = {update.entity_type for update in updates}
        entity = _entity(entity_type)
        client = self._clients[target]
        described = self._described.get((target, entity_type))
        if described is None:
            described = self._read_fields(target, entity_type)
        results: dict[int, RecordResult] = {}
        pending = list(updates)
        lost = 0
        while pending:
            fills = self._still_empty(target, entity, pending, described)
            bodies, problems = {}, {}
            for update in pending:
                body = _entity_body(update, fills.get(update.crm_id, {}), described)
                if isinstance(body, str):
                    problems[update.crm_id] = body
                else:
                    bodies[update.crm_id] = body
            for crm_id, problem in problems.items():
                results[crm_id] = RecordResult(crm_id, False, problem)
            pending = [update for update in pending if update.crm_id in bodies]
            if not pending:
                break
            try:
                status, answer = _request(
                    client,
                    "PATCH",
                    entity,
                    body=[bodies[update.crm_id] for update in pending],
                    retry=False,
                )
            except AnswerLost as error:
                lost += 1
                if lost > client.max_retries:
                    raise TargetUnavailable(
                        f"{client.where}: PATCH {entity} failed {lost} times,"
                        f" last: {error}"
                    ) from error
                time.sleep(client.backoff(lost))
                # the PATCH may have been applied with its answer lost: those that
                # hold what was sent are confirmed, the others sent again (the
                # fills read anew, so that a phone written then is not rewritten)
                applied = self._holding(target, entity, pending, bodies, described)
                for crm_id in applied:
                    results[crm_id] = RecordResult(crm_id, True)
                pending = [u for u in pending if u.crm_id not in applied]
                continue
            if status == 200:
                listed = (answer.get("_embedded") or {}).get(entity) or []
                written = {int(item["id"]) for item in listed if item.get("id")}
                for update in pending:
                    results[update.crm_id] = (
                        RecordResult(update.crm_id, True)
                        if update.crm_id in written
                        else RecordResult(
                            update.crm_id, False, "not in amoCRM's answer to the PATCH"
                        )
                    )
                break
            refused = _refused_entities(answer, pending, bodies, described)
            if status == 400 and refused:
                # amoCRM writes nothing of a request with an invalid entity (and,
                # should it have written the others, a PATCH sets values: sending
                # them again changes nothing): reject those, send the rest again
                for crm_id, reason in refused.items():
                    results[crm_id] = RecordResult(crm_id, False, reason)
                pending = [u for u in pending if u.crm_id not in refused]
                continue
            reason = f"HTTP {status} {_detail(answer)}".strip()
            for update in pending:
                results[update.crm_id] = RecordResult(update.crm_id, False, reason)
            break
        return [results[update.crm_id] for update in updates]

    def _read_records(
        self, target: str, entity: str, ids: Sequence[int]
    ) -> dict[int, dict[str, Any]]:
        """The records with these ids, as amoCRM has them now."""
        client = self._clients[target]
        records: dict[int, dict[str, Any]] = {}
        page = 1
        while True:
            params = [("filter[id][]", crm_id) for crm_id in ids]
            params += [("limit", _PAGE_LIMIT), ("page", page)]
            status, answer = _request(client, "GET", entity, params=params)
            if status == 204 or not answer:
                break
            if status != 200:
                raise TargetUnavailable(
                    f"{client.where}: reading {entity}: HTTP {status} {_detail(answer)}"
                )
            listed = (answer.get("_embedded") or {}).get(entity) or []
            for record in listed:
                records[int(record["id"])] = record
            if len(listed) < _PAGE_LIMIT or len(records) >= len(ids):
                break
            page += 1
        return records

    def _still_empty(
        self,
        target: str,
        entity: str,
        updates: Sequence[RecordUpdate],
        described: Mapping[str, Mapping[str, Any]],
    ) -> dict[int, dict[str, Any]]:
        """The fills still to write, per record: read right before writing, since a
        write replaces all the field's values and a manager may have typed one."""
        wanting = [update for update in updates if update.fills]
        if not wanting:
            return {}
        records = self._read_records(
            target, entity, [update.crm_id for update in wanting]
        )
        filled = {}
        for update in wanting:
            record = records.get(update.crm_id)
            if record is None:
                continue  # unknown to amoCRM: the PATCH will say so
            values = _values_by_field(record)
            filled[update.crm_id] = {
                code: value
                for code, value in update.fills.items()
                if not any(
                    str(item.get("value") or "").strip()
                    for item in values.get(_field_id(described, code), [])
                )
            }
        return filled

    def _holding(
        self,
        target: str,
        entity: str,
        updates: Sequence[RecordUpdate],
        bodies: Mapping[int, Mapping[str, Any]],
        described: Mapping[str, Mapping[str, Any]],
    ) -> set[int]:
        """The records that already hold every value their PATCH body carries."""
        records = self._read_records(
            target, entity, [update.crm_id for update in updates]
        )
        types = {spec["id"]: spec.get("type") for spec in described.values()}
        holding = set()
        for update in updates:
            record = records.get(update.crm_id)
            if record is None:
                continue
            values = _values_by_field(record)
            if all(
                _same(
                    item["values"] or [],
                    values.get(item["field_id"], []),
                    types.get(item["field_id"]),
                )
                for item in bodies[update.crm_id]["custom_fields_values"]
            ):
                holding.add(update.crm_id)
        return holding


def _entity(entity_type: str) -> str:
    try:
        return _ENTITIES[entity_type]
    except KeyError:
        raise ValueError(f"amoCRM has no entity type {entity_type!r}") from None


def _request_id(crm_id: int) -> str:
    # not a bare number, so that it can never be taken for an entity's index
    return f"c360-{crm_id}"


def _field_id(described: Mapping[str, Mapping[str, Any]], code: str) -> Any:
    spec = described.get(code)
    return spec["id"] if spec else None


def _entity_body(
    update: RecordUpdate,
    fills: Mapping[str, Any],
    described: Mapping[str, Mapping[str, Any]],
) -> dict[str, Any] | str:
    """The PATCH entity for one record, or why it cannot be written."""
    custom = []
    for code, value in [*update.values.items(), *fills.items()]:
        spec = described.get(code)
        if spec is None:
            return f"amoCRM has no {_entity(update.entity_type)} field {code}"
        custom.append({"field_id": spec["id"], "values": _values(spec, value)})
    return {
        "id": update.crm_id,
        "custom_fields_values": custom,
        "request_id": _request_id(update.crm_id),
    }


def _values(spec: Mapping[str, Any], value: Any) -> list[dict[str, Any]] | None:
    """A field's values as amoCRM takes them; None clears the field."""
    if value is None:
        return None
    kind = spec.get("type")
    if kind in _NUMBER_TYPES:
        return [{"value": value}]
    if kind == "checkbox":
        return [{"value": bool(value)}]
    if kind in _DATE_TYPES:
        return [{"value": _unix_seconds(value)}]
    if kind == "multitext":
        return [{"value": str(value), "enum_code": _FILL_ENUM_CODE}]
    return [{"value": str(value)}]


def _unix_seconds(value: Any) -> int:
    if isinstance(value, int | float):
        return int(value)
    moment = datetime.fromisoformat(str(value))
    if not isinstance(moment, datetime):  # a bare date
        moment = datetime.combine(date.fromisoformat(str(value)), datetime.min.time())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _values_by_field(record: Mapping[str, Any]) -> dict[Any, list[dict[str, Any]]]:
    return {
        entry.get("field_id"): entry.get("values") or []
        for entry in record.get("custom_fields_values") or []
    }


def _same(sent: Sequence[Mapping], held: Sequence[Mapping], kind: Any) -> bool:
    def plain(item: Mapping) -> Any:
        value = item.get("value")
        if kind in _NUMBER_TYPES:
            try:
                return float(value)
            except (TypeError, ValueError):
                return value
        return str(value)

    return [plain(item) for item in sent] == [plain(item) for item in held]


def _validation_errors(answer: Any) -> list[dict[str, Any]]:
    if not isinstance(answer, dict):
        return []
    errors = answer.get("validation-errors")
    return [entry for entry in errors if isinstance(entry, dict)] if errors else []


def _refused_entities(
    answer: Any,
    pending: Sequence[RecordUpdate],
    bodies: Mapping[int, Mapping[str, Any]],
    described: Mapping[str, Mapping[str, Any]],
) -> dict[int, str]:
    """crm_id -> amoCRM's reason, for each entity its 400 names: by our
    `request_id`, or by the entity's index in the request when it did not echo it."""
    by_request_id = {_request_id(u.crm_id): u for u in pending}
    codes = {spec["id"]: code for code, spec in described.items()}
    refused = {}
    for entry in _validation_errors(answer):
        request_id = str(entry.get("request_id"))
        update = by_request_id.get(request_id)
        if update is None and request_id.isdigit() and int(request_id) < len(pending):
            update = pending[int(request_id)]
        if update is None:
            continue
        crm_id = update.crm_id
        reasons = []
        for error in entry.get("errors") or []:
            path = str(error.get("path") or "")
            where = path
            position = _FIELD_PATH.match(path)
            if position is not None:
                sent = bodies[crm_id]["custom_fields_values"]
                index = int(position.group(1))
                if index < len(sent):
                    code = codes.get(sent[index]["field_id"], sent[index]["field_id"])
                    where = f"{path} ({code})"
            if path == "id" and error.get("code") == "NotSupportedChoice":
                where = f"id (amoCRM has no {update.entity_type} {crm_id})"
            reasons.append(f"{error.get('code')} at {where}: {error.get('detail')}")
        refused[crm_id] = "; ".join(reasons) or "refused by amoCRM's validation"
    return refused


def _detail(answer: Any) -> str:
    if isinstance(answer, dict):
        return str(answer.get("detail") or answer.get("title") or "")
    return ""
