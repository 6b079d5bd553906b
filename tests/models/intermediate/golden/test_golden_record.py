"""The golden record (dim_contacts, dim_customers) on a generated company: one row
per entity, every value traceable to the source record that supplied it, the masters
from seeds/survivorship_rules.csv honoured, and disagreements flagged."""

from __future__ import annotations

import pytest

from tests.models.intermediate.golden.conftest import GoldenWarehouse

pytestmark = pytest.mark.slow

PERSON_RECORDS = "intermediate.int_person_records_unioned"
ORGANISATION_RECORDS = "intermediate.int_organisation_records_unioned"
CROSSWALK = "intermediate.int_record_crosswalk"

# dim column -> the same value in the source record its lineage points at (alias r)
CONTACT_FIELDS = {
    "full_name": "r.full_name",
    "first_name": "r.first_name",
    "last_name": "r.last_name",
    "middle_name": "r.middle_name",
    "phone_e164": "r.phone_e164",
    "email": "r.email",
    "iin": "r.iin",
    "birth_date": "r.birth_date",
    "sex": "r.sex",
    "city": "r.city",
    "address": "r.address",
    "customer_id": (
        f"(select x.stable_id from {CROSSWALK} as x"
        " where x.record_key = r.organisation_record_key)"
    ),
}
ORGANISATION_FIELDS = {
    "customer_name": "r.organisation_name",
    "legal_form": "r.legal_form",
    "bin_iin": "r.bin",
    "phone_e164": "r.phone_e164",
    "email": "r.email",
    "city": "r.city",
    "address": "r.address",
}
INDIVIDUAL_FIELDS = {
    "customer_name": "r.full_name",
    "bin_iin": "r.iin",
    "phone_e164": "r.phone_e164",
    "email": "r.email",
    "city": "r.city",
    "address": "r.address",
}


def _lineage_offenders(
    warehouse: GoldenWarehouse,
    dim: str,
    where: str,
    records: str,
    fields: dict[str, str],
) -> dict[str, list[tuple]]:
    """Per field: rows whose value has no source record, or a record holding another
    value or another updated_at, or lineage without a value."""
    offenders = {}
    for field, source_value in fields.items():
        rows = warehouse.query(
            f"""
            select d.{field}, d.{field}__source_system, d.{field}__source_record_id
            from {dim} as d
            left join {records} as r
                on r.source_system = d.{field}__source_system
                and r.source_table = d.{field}__source_table
                and r.source_record_id = d.{field}__source_record_id
            where {where} and (
                (d.{field} is not null and (
                    r.record_key is null
                    or {source_value} is distinct from d.{field}
                    or r.updated_at is distinct from d.{field}__updated_at))
                or (d.{field} is null and d.{field}__source_record_id is not null))
            limit 5
            """
        )
        if rows:
            offenders[field] = rows
    return offenders


def test_build_ran_the_survivorship_unit_tests_and_golden_checks(
    golden_warehouse: GoldenWarehouse,
) -> None:
    # the unit tests in the shared company's build (the suite's one build that runs
    # them), the golden checks in the build after the conflict was seeded
    expected = [
        [
            "test_survivorship_rules_pick_the_expected_winner",
            "test_conflicting_iin_and_birth_date_are_flagged",
        ],
        [
            "assert_every_golden_field_has_one_rule",
            "assert_golden_records_in_equal_records_mapped",
        ],
    ]
    for build, names in zip(golden_warehouse.builds, expected, strict=True):
        statuses = {result.node.name: str(result.status) for result in build.result}
        assert {name: statuses.get(name) for name in names} == dict.fromkeys(
            names, "pass"
        )


def test_every_contact_and_customer_appears_once(
    golden_warehouse: GoldenWarehouse,
) -> None:
    (contacts, contact_ids, null_contact_ids) = golden_warehouse.query(
        "select count(*), count(distinct contact_id), count(*) - count(contact_id)"
        " from marts.dim_contacts"
    )[0]
    (customers, customer_ids, null_customer_ids) = golden_warehouse.query(
        "select count(*), count(distinct customer_id), count(*) - count(customer_id)"
        " from marts.dim_customers"
    )[0]
    assert contacts == contact_ids and null_contact_ids == 0 and contacts > 100
    assert customers == customer_ids and null_customer_ids == 0 and customers > 50
    # records in = records mapped, counted from the crosswalk side
    persons, organisations = golden_warehouse.query(
        f"""
        select
            count(distinct stable_id) filter (where entity_type = 'person'),
            count(distinct stable_id) filter (where entity_type = 'organisation')
        from {CROSSWALK} where still_seen
        """
    )[0]
    assert contacts == persons
    (organisation_rows,) = golden_warehouse.query(
        "select count(*) from marts.dim_customers where customer_type = 'organisation'"
    )[0]
    assert organisation_rows == organisations
    (records, counted) = golden_warehouse.query(
        f"""
        select
            (select count(*) from {CROSSWALK}
                where still_seen and entity_type = 'person'),
            (select sum(source_record_count) from marts.dim_contacts)
        """
    )[0]
    assert records == counted


def test_every_value_comes_from_a_real_source_record_holding_it(
    golden_warehouse: GoldenWarehouse,
) -> None:
    offenders = {
        "dim_contacts": _lineage_offenders(
            golden_warehouse,
            "marts.dim_contacts",
            "true",
            PERSON_RECORDS,
            CONTACT_FIELDS,
        ),
        "dim_customers organisations": _lineage_offenders(
            golden_warehouse,
            "marts.dim_customers",
            "d.customer_type = 'organisation'",
            ORGANISATION_RECORDS,
            ORGANISATION_FIELDS,
        ),
        "dim_customers individuals": _lineage_offenders(
            golden_warehouse,
            "marts.dim_customers",
            "d.customer_type = 'individual'",
            PERSON_RECORDS,
            INDIVIDUAL_FIELDS,
        ),
    }
    assert offenders == {name: {} for name in offenders}
    # the check saw values, not an empty mart
    (filled,) = golden_warehouse.query(
        "select count(phone_e164) + count(email) + count(birth_date)"
        " from marts.dim_contacts"
    )[0]
    assert filled > 100


def test_legal_name_and_bin_come_from_1c_when_1c_has_the_customer(
    golden_warehouse: GoldenWarehouse,
) -> None:
    rows = golden_warehouse.query(
        f"""
        with onec as (
            select
                x.stable_id,
                count(r.organisation_name) as names,
                count(case when r.bin_is_valid then 1 end) as valid_bins
            from {ORGANISATION_RECORDS} as r
            inner join {CROSSWALK} as x on r.record_key = x.record_key
            where r.source_system = 'onec'
            group by x.stable_id
        )
        select
            count(*) filter (where onec.names > 0),
            count(*) filter (where onec.names > 0
                and d.customer_name__source_system is distinct from 'onec'),
            count(*) filter (where onec.valid_bins > 0),
            count(*) filter (where onec.valid_bins > 0
                and d.bin_iin__source_system is distinct from 'onec')
        from marts.dim_customers as d
        inner join onec on d.customer_id = onec.stable_id
        """
    )[0]
    with_name, name_not_from_1c, with_bin, bin_not_from_1c = rows
    assert with_name > 20 and with_bin > 20
    assert (name_not_from_1c, bin_not_from_1c) == (0, 0)


def test_email_comes_from_the_crm_when_the_crm_has_one(
    golden_warehouse: GoldenWarehouse,
) -> None:
    (not_from_crm,) = golden_warehouse.query(
        f"""
        select count(*)
        from marts.dim_contacts as d
        where d.email__source_system != 'crm'
            and exists (
                select 1
                from {PERSON_RECORDS} as r
                inner join {CROSSWALK} as x on r.record_key = x.record_key
                where x.stable_id = d.contact_id
                    and r.source_system = 'crm' and r.email is not null
            )
        """
    )[0]
    assert not_from_crm == 0


def test_phone_is_the_number_the_person_used_last_calls_included(
    golden_warehouse: GoldenWarehouse,
) -> None:
    (stale, from_calls) = golden_warehouse.query(
        """
        with latest as (
            select stable_id, max(updated_at) as last_used_at
            from intermediate.int_golden_candidate_values
            where entity = 'contact' and field_name = 'phone_e164'
            group by stable_id
        )
        select
            count(*) filter (where d.phone_e164__updated_at < latest.last_used_at),
            count(*) filter (where d.phone_e164__source_system = 'telephony')
        from marts.dim_contacts as d
        inner join latest on d.contact_id = latest.stable_id
        """
    )[0]
    assert stale == 0
    assert from_calls > 0


def test_seeded_birth_date_conflict_is_flagged_with_both_dates(
    golden_warehouse: GoldenWarehouse,
) -> None:
    conflict = golden_warehouse.conflict
    rows = golden_warehouse.query(
        f"""
        select d.has_conflicting_birth_date, d.conflicts, d.birth_date
        from marts.dim_contacts as d
        inner join {CROSSWALK} as x on d.contact_id = x.stable_id
        where x.record_key = '{conflict.record_key}'
        """
    )
    assert len(rows) == 1
    flagged, conflicts, _ = rows[0]
    assert flagged is True
    assert conflict.original_birth_date in conflicts
    assert conflict.moved_birth_date in conflicts
    # and only persons with really different dates are flagged
    (false_flags,) = golden_warehouse.query(
        f"""
        select count(*)
        from marts.dim_contacts as d
        where d.has_conflicting_birth_date
            and (
                select count(distinct r.birth_date)
                from {PERSON_RECORDS} as r
                inner join {CROSSWALK} as x on r.record_key = x.record_key
                where x.stable_id = d.contact_id
            ) < 2
        """
    )[0]
    assert false_flags == 0
