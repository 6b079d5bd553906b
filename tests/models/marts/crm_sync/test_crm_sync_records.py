"""crm_sync_records on a real build: what the CRM sync writes to each CRM record."""

from __future__ import annotations

from tests.landed_company import BuiltCompany


def test_every_placed_crm_record_has_one_row(built_company: BuiltCompany) -> None:
    [(landed, placed, rows)] = built_company.query(
        "select"
        " (select count(*) from staging.stg_crm__contacts)"
        " + (select count(*) from staging.stg_crm__companies),"
        " (select count(*) from intermediate.int_record_customer_ids"
        "  where record_key like 'crm:contacts:%'"
        "  or record_key like 'crm:companies:%'),"
        " count(*) from marts.crm_sync_records"
    )
    assert rows == placed > 0
    assert placed <= landed


def test_a_duplicate_points_at_the_oldest_record_of_the_same_entity(
    built_company: BuiltCompany,
) -> None:
    duplicates = built_company.query(
        "select d.branch, d.entity_type, d.crm_id, d.duplicate_of_crm_id,"
        " d.c360_id = s.c360_id, s.duplicate_of_crm_id is null,"
        " d.crm_id > s.crm_id"
        " from marts.crm_sync_records d"
        " left join marts.crm_sync_records s"
        "  on s.branch = d.branch and s.entity_type = d.entity_type"
        "  and s.crm_id = d.duplicate_of_crm_id"
        " where d.duplicate_of_crm_id is not null"
    )
    assert duplicates, "the demo company has duplicate CRM records in a portal"
    for branch, entity, crm_id, survivor, same_id, survives, newer in duplicates:
        assert same_id and survives and newer, (branch, entity, crm_id, survivor)
    # and every record of an entity with several in one portal but the oldest points
    [(unpointed,)] = built_company.query(
        "select count(*) from ("
        " select branch, entity_type, c360_id, count(*) as records,"
        "  count(duplicate_of_crm_id) as pointing"
        " from marts.crm_sync_records group by all"
        ") where pointing <> records - 1"
    )
    assert unpointed == 0


def test_the_figures_are_the_customers_in_customer_360(
    built_company: BuiltCompany,
) -> None:
    [(rows, differing)] = built_company.query(
        "select count(*), count(*) filter (where"
        " r.rfm_segment is distinct from c.rfm_segment"
        " or r.churn_risk_band is distinct from c.churn_risk_band"
        " or r.ltv_12m_kzt is distinct from round(c.predicted_value_12m_kzt, 2)"
        " or (coalesce(r.data_quality_flags, '') like '%missing_phone%')"
        " <> c.is_missing_phone)"
        " from marts.crm_sync_records r"
        " join marts.customer_360 c using (customer_id)"
    )
    assert rows > 0
    assert differing == 0
