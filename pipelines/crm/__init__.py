"""The CRM source: contacts, companies and deals from every branch's CRM.

A branch runs Bitrix24 (a portal) or amoCRM (an account): amoCRM's contacts and
companies are shaped as Bitrix24 records and land in the same tables.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import dlt

from customer360.settings import AmoCrmAccount, CrmPortal, SettingsError
from pipelines.common.contracts import SchemaDriftError, compare_columns
from pipelines.common.landed_content import LandedContent
from pipelines.common.rejects import reject
from pipelines.common.tally import SourceTally, record_key
from pipelines.crm.amocrm import AmoCrmClient, CrmBlockedError, bitrix_shaped
from pipelines.crm.amocrm_api import AmoCrmApi
from pipelines.crm.helpers import (
    BadRecord,
    Bitrix24Client,
    CrmAuthError,
    CrmError,
    CrmRequestError,
    Page,
    changed_types,
    content_hash,
    landed_row,
    parse_instant,
    record_fingerprint,
)
from pipelines.crm.settings import (
    AMOCRM_ENTITIES,
    AMOCRM_REQUESTS_PER_SECOND,
    CONTENT_HASH,
    ENTITIES,
    ORDER,
    PAGE_SIZE,
    PRIMARY_KEY,
    SCHEMA_CONTRACT,
    SELECT,
    SOURCE_NAME,
    CrmEntity,
    column_hints,
)

__all__ = [
    "CrmAuthError",
    "CrmBlockedError",
    "CrmError",
    "CrmRequestError",
    "crm_source",
    "source_arguments",
]

# dlt re-validates a table variant's hints on every yield: hand it a batch call's
# worth of rows at a time rather than each page
_ROWS_PER_YIELD = 2_500

_PROGRESS_EVERY = 2_500


@dlt.source(name=SOURCE_NAME, max_table_nesting=0)
def crm_source(
    portals: dict[str, str] = dlt.config.value,
    webhook_token: str | None = dlt.secrets.value,
    branch_tokens: dict[str, str] | None = dlt.secrets.value,
    user_id: int = 1,
    tally: SourceTally | None = None,
    page_size: int = PAGE_SIZE,
    max_retries: int = 5,
    progress: Callable[[str], None] | None = None,
    backoff_seconds: float = 0.5,
    rate_limit_wait: float = 0.5,
    timeout: float = 60.0,
    skip_failing_portals: bool = False,
    amocrm_accounts: dict[str, str] | None = None,
    amocrm_token: str | None = None,
    amocrm_tokens: dict[str, str] | None = None,
    amocrm_requests_per_second: float = AMOCRM_REQUESTS_PER_SECOND,
) -> Any:
    """Every branch's contacts, companies and deals, one table each with `branch`.

    `portals` maps each branch to its Bitrix24 portal (`https://almaty.bitrix24.kz`),
    read through the inbound webhook of user `user_id`; `webhook_token` is the
    webhook's token on every portal, `branch_tokens` a branch's own where it
    differs. Left out, they come from dlt's config and secrets (`sources.crm.*`).
    `page_size` must match the portal's (Bitrix24: always 50). Retries and waits:
    see `Bitrix24Client`. `tally` counts records read, landed and rejected.

    A portal that cannot be read (unreachable, failing after the retries, refusing
    the token) stops the load, unless `skip_failing_portals`: then the other
    portals are landed and the failing one is recorded in `tally.failures`, which
    whoever runs the source must then report (customer360's runner does).

    `amocrm_accounts` maps each branch that runs amoCRM to its account
    (`https://branch.amocrm.ru`), read with the long-lived token `amocrm_token`
    (`amocrm_tokens` a branch's own) at most `amocrm_requests_per_second`. Its
    contacts and companies land in the same tables as Bitrix24's, shaped as
    Bitrix24 records (`pipelines.crm.amocrm.bitrix_record`); it lands no deals.
    A failing account is a failing portal for `skip_failing_portals`.
    """
    crm_portals = tuple(
        CrmPortal(
            branch,
            url,
            user_id,
            token=(branch_tokens or {}).get(branch) or webhook_token,
        )
        for branch, url in portals.items()
    )
    # a missing token is a setting to fix: say so now, before any extraction
    for portal in crm_portals:
        if not portal.token:
            raise SettingsError(
                f"no webhook token for the {portal.branch} CRM portal: set "
                "sources.crm.webhook_token (every portal) or "
                f"sources.crm.branch_tokens.{portal.branch} in .dlt/secrets.toml, "
                "or SOURCES__CRM__WEBHOOK_TOKEN in the environment"
            )
    accounts = tuple(
        AmoCrmAccount(
            branch, url, token=(amocrm_tokens or {}).get(branch) or amocrm_token
        )
        for branch, url in (amocrm_accounts or {}).items()
    )
    both = sorted(set(portals) & {account.branch for account in accounts})
    if both:
        raise SettingsError(
            f"branch {', '.join(both)} has both a Bitrix24 portal and an amoCRM "
            "account: a branch has one CRM"
        )
    for account in accounts:
        if not account.token:
            raise SettingsError(
                f"no amoCRM token for the {account.branch} account: set "
                "sources.crm.amocrm_token (every account) or "
                f"sources.crm.amocrm_tokens.{account.branch} in .dlt/secrets.toml"
            )
    if skip_failing_portals and tally is None:
        raise ValueError("skip_failing_portals needs a tally to record them in")
    tally = tally if tally is not None else SourceTally(SOURCE_NAME)
    failing = _FailingPortals(tally) if skip_failing_portals else None
    client_options = {
        "max_retries": max_retries,
        "backoff_seconds": backoff_seconds,
        "rate_limit_wait": rate_limit_wait,
        "timeout": timeout,
    }
    branches = (
        *(_Bitrix24Branch(portal, page_size, client_options) for portal in crm_portals),
        *(
            _AmoCrmBranch(account, amocrm_requests_per_second, client_options)
            for account in accounts
        ),
    )
    return [
        dlt.resource(
            _entity_records,
            name=entity.table,
            primary_key=PRIMARY_KEY,
            write_disposition="merge",
            schema_contract=SCHEMA_CONTRACT,
            # DuckDB loads parquet in bulk; dlt's default row inserts are far slower
            file_format="parquet",
        )(entity, branches, tally, progress, failing)
        for entity in ENTITIES
    ]


def source_arguments(
    portals: Sequence[CrmPortal],
    amocrm_accounts: Sequence[AmoCrmAccount] = (),
    amocrm_requests_per_second: float = AMOCRM_REQUESTS_PER_SECOND,
) -> dict[str, Any]:
    """`crm_source`'s arguments for portals and accounts as the settings say them.

    Every token goes in `branch_tokens` / `amocrm_tokens` and the shared ones are
    an explicit None, so dlt's config and secrets add nothing to what they say.
    """
    user_ids = {portal.user_id for portal in portals}
    if len(user_ids) > 1:
        raise SettingsError(
            "every CRM portal is read through the same webhook user; got user ids "
            + ", ".join(map(str, sorted(user_ids)))
        )
    return {
        "portals": {portal.branch: portal.base_url for portal in portals},
        "webhook_token": None,
        "branch_tokens": {
            portal.branch: portal.token for portal in portals if portal.token
        },
        "user_id": user_ids.pop() if user_ids else 1,
        "amocrm_accounts": {a.branch: a.base_url for a in amocrm_accounts},
        "amocrm_token": None,
        "amocrm_tokens": {a.branch: a.token for a in amocrm_accounts if a.token},
        "amocrm_requests_per_second": amocrm_requests_per_second,
    }


def _table_hints(entity: CrmEntity) -> Any:
    """The typed columns, carried by the rows rather than set on the resource.

    dlt starts a table variant (the rejects this resource also yields) from a copy
    of the resource's hints, so resource-level columns would leak into `rejects`
    as NOT NULL branch/id columns.
    """
    return dlt.mark.make_hints(
        table_name=entity.table,
        primary_key=PRIMARY_KEY,
        write_disposition="merge",
        columns=column_hints(entity),
        schema_contract=SCHEMA_CONTRACT,
    )


def _capped(newest: dict[str, Any], listing_began: str | None) -> dict[str, Any]:
    """The cursor, but never past the moment the listing began.

    Pages are read in ID order, so a record edited during the load (the CRM sync
    writes back while we read) may be passed already when a later one carries a
    newer DATE_MODIFY; starting the next load from the listing's start re-reads
    such edits instead of losing them (merge makes the re-read harmless).
    """
    try:
        began = parse_instant(listing_began)
    except BadRecord:
        began = None
    if began is None or newest["last_ts"] is None:
        return newest
    if newest["last_ts"] <= began.timestamp():
        return newest
    return {"last": listing_began, "last_ts": began.timestamp(), "seen": {}}


def _fingerprint(record: dict[str, Any]) -> str:
    return hashlib.sha1(record_fingerprint(record).encode()).hexdigest()[:16]


class _FailingPortals:
    """The portals that failed this run, shared by the entities' resources.

    A portal that failed for one entity is not asked for the others: it is most
    likely down, and each ask would wait out all the retries again.
    """

    def __init__(self, tally: SourceTally) -> None:
        self.tally = tally
        self.errors: dict[str, str] = {}
        self.not_landed: dict[str, list[str]] = {}

    def __contains__(self, branch: str) -> bool:
        return branch in self.errors

    def record(self, branch: str, table: str, error: CrmError | None = None) -> None:
        if error is not None:
            self.errors.setdefault(branch, str(error))
        self.not_landed.setdefault(branch, []).append(table)
        self.tally.note_failure(
            f"portal {branch}",
            f"{self.errors[branch]}; not landed from it this run: "
            + ", ".join(self.not_landed[branch]),
        )


class _Bitrix24Branch:
    """A branch whose CRM is a Bitrix24 portal: its records need no translation."""

    def __init__(
        self, portal: CrmPortal, page_size: int, client_options: dict[str, Any]
    ) -> None:
        self.branch = portal.branch
        self.portal = portal
        self.page_size = page_size
        self.client_options = client_options

    def reads(self, entity: CrmEntity) -> bool:
        return True

    def listing(
        self, entity: CrmEntity, cursor: dict[str, Any]
    ) -> tuple[str, Iterator[Page], Callable[[Any], dict[str, Any]] | None]:
        client = Bitrix24Client(self.portal, **self.client_options)
        params: dict[str, Any] = {"select": list(SELECT), "order": dict(ORDER)}
        if cursor.get("last"):
            params["filter"] = {">=DATE_MODIFY": cursor["last"]}
        pages = client.list_pages(entity.method, params, self.page_size)
        return client.masked_url, pages, None


class _AmoCrmBranch:
    """A branch whose CRM is an amoCRM account: contacts and companies only,
    translated into Bitrix24 records.

    One client for both entities, so that one pacer keeps the whole account
    within its requests a second (dlt may read the resources in turns).
    """

    def __init__(
        self,
        account: AmoCrmAccount,
        requests_per_second: float,
        client_options: dict[str, Any],
    ) -> None:
        self.branch = account.branch
        options = dict(client_options)
        # the Bitrix24 client's first wait after a refusal is amoCRM's backoff base
        options["rate_limit_backoff_seconds"] = options.pop("rate_limit_wait")
        self.client = AmoCrmClient(
            AmoCrmApi(account, requests_per_second=requests_per_second, **options)
        )

    def reads(self, entity: CrmEntity) -> bool:
        return entity.table in AMOCRM_ENTITIES

    def listing(
        self, entity: CrmEntity, cursor: dict[str, Any]
    ) -> tuple[str, Iterator[Page], Callable[[Any], dict[str, Any]] | None]:
        last_ts = cursor.get("last_ts")
        # amoCRM filters on whole seconds, from the given one on
        updated_from = None if last_ts is None else math.floor(last_ts)
        pages = self.client.list_pages(entity, updated_from)
        return self.client.masked_url, pages, bitrix_shaped(entity)


_Branch = _Bitrix24Branch | _AmoCrmBranch


def _entity_records(
    entity: CrmEntity,
    branches: tuple[_Branch, ...],
    tally: SourceTally,
    progress: Callable[[str], None] | None,
    failing: _FailingPortals | None,
) -> Iterator[Any]:
    # cursor per branch: the newest DATE_MODIFY seen, and which record versions
    # carried it, so that asking for ">= newest" (not to lose a record changed in
    # the same second) does not land those versions again
    cursors = dlt.current.resource_state().setdefault("date_modify", {})
    landed = LandedContent(dlt.current.pipeline(), entity.table, key="id")
    hints = _table_hints(entity)
    tally.keyed_by(entity.table, *PRIMARY_KEY)
    for branch in branches:
        if not branch.reads(entity):
            continue
        if failing is not None and branch.branch in failing:
            failing.record(branch.branch, entity.table)
            continue
        try:
            yield from _branch_records(
                entity, branch, cursors, landed, hints, tally, progress
            )
        except CrmError as error:
            if failing is None:
                raise
            # what was read before the failure is landed (merge makes a re-read
            # harmless); the branch's cursor stays, so the next run reads it again
            failing.record(branch.branch, entity.table, error)
            if progress is not None:
                progress(f"crm/{branch.branch} {entity.table}: FAILED: {error}")


def _branch_records(
    entity: CrmEntity,
    branch: _Branch,
    cursors: dict[str, Any],
    landed: LandedContent,
    hints: Any,
    tally: SourceTally,
    progress: Callable[[str], None] | None,
) -> Iterator[Any]:
    """One branch's records of `entity`; its cursor moves only once all are read.

    Rows are held back up to a batch call's worth and then looked up in the
    warehouse all at once: a row whose content is the landed one's is neither
    read nor landed, like a version the cursor skips.
    """
    code = branch.branch

    def changed(rows: list[dict[str, Any]]) -> Iterator[Any]:
        rows = landed.changed_only(rows, branch=code)
        if rows:
            tally.count_read(entity.table, len(rows))
            tally.count_landed(
                entity.table, [record_key(row["branch"], row["id"]) for row in rows]
            )
            yield dlt.mark.with_hints(rows, hints, create_table_variant=True)

    cursor = cursors.get(code) or {}
    last_ts: float | None = cursor.get("last_ts")
    seen: dict[str, str] = dict(cursor.get("seen") or {})
    where, pages, translate = branch.listing(entity, cursor)
    newest = {"last": cursor.get("last"), "last_ts": last_ts, "seen": dict(seen)}
    done = reported = 0
    listing_began: str | None = None
    rows: list[dict[str, Any]] = []
    try:
        for page in pages:
            listing_began = listing_began or page.portal_started_at
            for record in page.records:
                item = _land_or_reject(
                    entity,
                    (code, where, translate),
                    page.start,
                    record,
                    (last_ts, seen, newest),
                    tally,
                )
                if item is None:
                    continue  # already landed by the previous load
                if isinstance(item, dict):
                    rows.append(item)  # counted once compared with the landed row
                else:
                    tally.count_read(entity.table)
                    tally.count_rejected(entity.table, [item.data["reject_id"]])
                    yield item
            if len(rows) >= _ROWS_PER_YIELD:
                yield from changed(rows)
                rows = []
            done += len(page.records)
            # one line per batch of pages, not per page: 100,000 contacts would
            # otherwise print 2,000 lines
            last_page = page.total is not None and done >= page.total
            if progress is not None and (
                done - reported >= _PROGRESS_EVERY or last_page
            ):
                reported = done
                progress(
                    f"crm/{code} {entity.table}: "
                    + (
                        f"{min(done, page.total):,} / {page.total:,}"
                        if page.total is not None
                        else f"{done:,} read"
                    )
                )
    except CrmError:
        # the rows read before the failure land all the same
        if rows:
            yield from changed(rows)
        raise
    if rows:
        yield from changed(rows)
    cursors[code] = _capped(newest, listing_began)


def _land_or_reject(
    entity: CrmEntity,
    source: tuple[str, str, Callable[[Any], dict[str, Any]] | None],
    start: int,
    record: Any,
    cursor: tuple[float | None, dict[str, str], dict[str, Any]],
    tally: SourceTally,
) -> Any:
    """The row to land, a reject item, or None for a version landed before.

    `source` is (the branch, where it was read, and the translation of its
    records into Bitrix24's, None for a Bitrix24 portal); `cursor` is (the
    previous load's newest DATE_MODIFY, the versions it carried, this load's
    newest so far, updated here).
    """
    branch, where, translate = source
    last_ts, seen, newest = cursor
    if not isinstance(record, dict):
        return reject(
            SOURCE_NAME,
            entity.table,
            "not a JSON object",
            json.dumps(record, ensure_ascii=False),
            file=where,
            page=start,
        )
    if translate is not None:
        try:
            record = translate(record)
        except BadRecord as error:
            return reject(
                SOURCE_NAME,
                entity.table,
                str(error),
                json.dumps(record, ensure_ascii=False),
                file=where,
                page=start,
            )
    # a field the staging models read that disappeared, or whose kind of value
    # changed, stops the load; any other field is landed and reported
    appeared, missing = compare_columns(
        entity.required, record, optional=entity.optional
    )
    changed = changed_types(entity, record)
    if missing or changed:
        raise SchemaDriftError(SOURCE_NAME, entity.table, [], missing, changed)
    if appeared:
        tally.note_extra_fields(entity.table, {name.lower() for name in appeared})
    record_id = str(record.get("ID", ""))
    fingerprint = _fingerprint(record)
    try:
        modified = parse_instant(record.get("DATE_MODIFY"))
    except BadRecord:
        modified = None  # rejected below; it cannot move the cursor
    instant = modified.timestamp() if modified else None
    if (
        instant is not None
        and instant == last_ts
        and seen.get(record_id) == fingerprint
    ):
        return None
    if instant is not None:
        if newest["last_ts"] is None or instant > newest["last_ts"]:
            newest.update(last=record["DATE_MODIFY"], last_ts=instant, seen={})
        if instant == newest["last_ts"]:
            newest["seen"][record_id] = fingerprint
    try:
        row = landed_row(record, branch, entity.fields)
    except BadRecord as error:
        return reject(
            SOURCE_NAME,
            entity.table,
            str(error),
            json.dumps(record, ensure_ascii=False),
            file=where,
            page=start,
        )
    row[CONTENT_HASH] = content_hash(record)
    return row
