"""The mapping file is checked before anything is sent, naming the line at fault."""

from __future__ import annotations

from pathlib import Path

import pytest

from reverse_etl.mapping import (
    CrmField,
    MappingError,
    check_against_crm,
    check_against_mart,
    load_mapping,
)
from reverse_etl.sync import DEFAULT_MAPPING

MART = {
    "branch": "VARCHAR",
    "entity_type": "VARCHAR",
    "crm_id": "BIGINT",
    "c360_id": "VARCHAR",
    "ltv_12m_kzt": "DOUBLE",
    "golden_phone_e164": "VARCHAR",
    "crm_phone_e164": "VARCHAR",
}
CRM = {
    "ID": CrmField("ID", "integer", read_only=True),
    "NAME": CrmField("NAME", "string"),
    "PHONE": CrmField("PHONE", "multi"),
    "UF_CRM_C360_LTV": CrmField("UF_CRM_C360_LTV", "double"),
    # a number field, as amoCRM's `numeric` is
    "UF_CRM_RANK": CrmField("UF_CRM_RANK", "double"),
}


def _mapping(tmp_path: Path, entries: str) -> Path:
    path = tmp_path / "mapping.yml"
    path.write_text("bitrix24:\n  contact:\n" + entries, encoding="utf-8")
    return path


GOOD = (
    "    - {column: c360_id, field: UF_CRM_C360_ID, type: string, mode: overwrite}\n"
    "    - {column: ltv_12m_kzt, field: UF_CRM_C360_LTV, type: double,"
    " mode: overwrite}\n"
    "    - {column: golden_phone_e164, field: PHONE, type: string,"
    " mode: fill_if_empty, empty_when: crm_phone_e164}\n"
)


def test_a_good_mapping_passes_and_says_which_fields_to_create(tmp_path: Path) -> None:
    mapping = load_mapping(_mapping(tmp_path, GOOD), "bitrix24")
    check_against_mart(mapping, MART)
    created = check_against_crm(mapping, "contact", CRM, "almaty portal")
    assert [m.field for m in created] == ["UF_CRM_C360_ID"]


def test_the_shipped_mapping_loads_for_amocrm_with_fields_named_by_code() -> None:
    mapping = load_mapping(DEFAULT_MAPPING, "amocrm")
    assert {"contact", "company"} == set(mapping.entity_types)
    assert {m.field for m in mapping.for_entity("contact")} == {
        "C360_ID",
        "C360_CUSTOMER_ID",
        "C360_LTV",
        "C360_CHURN_RISK",
        "C360_SEGMENT",
        "C360_DQ_FLAGS",
        "C360_DUPLICATE_OF",
        "PHONE",
        "EMAIL",
    }
    # the forecast that moves every day is resent once it moved by 5%; nothing else
    assert {
        (m.entity_type, m.field, m.resend_when_changed_by)
        for m in mapping.fields
        if m.resend_when_changed_by is not None
    } == {
        ("contact", "C360_LTV", 0.05),
        ("company", "C360_LTV", 0.05),
    }
    assert {m.field for m in mapping.fields if m.mode == "fill_if_empty"} == {
        "PHONE",
        "EMAIL",
    }


def test_the_shipped_mapping_loads_for_bitrix24() -> None:
    mapping = load_mapping(DEFAULT_MAPPING, "bitrix24")
    assert {"contact", "company"} == set(mapping.entity_types)
    assert {m.field for m in mapping.fields if m.mode == "fill_if_empty"} == {
        "PHONE",
        "EMAIL",
    }
    assert {
        (m.entity_type, m.field, m.resend_when_changed_by)
        for m in mapping.fields
        if m.resend_when_changed_by is not None
    } == {
        ("contact", "UF_CRM_C360_LTV", 0.05),
        ("company", "UF_CRM_C360_LTV", 0.05),
    }
    assert {
        (m.entity_type, m.field, m.resend_when_changed_by)
        for m in mapping.fields
        if m.resend_when_changed_by is not None
    } == {
        ("contact", "UF_CRM_C360_LTV", 0.05),
        ("company", "UF_CRM_C360_LTV", 0.05),
    }


@pytest.mark.parametrize(
    ("line", "says"),
    [
        (
            "    - {column: lifetime_value, field: UF_CRM_C360_VALUE, type: double,"
            " mode: overwrite}\n",
            "mapping.yml:6: unknown column 'lifetime_value'",
        ),
        (
            "    - {column: c360_id, field: UF_CRM_C360_SCORE, type: double,"
            " mode: overwrite}\n",
            "mapping.yml:6: type mismatch: column c360_id is VARCHAR",
        ),
        (
            "    - {column: c360_id, field: NAME, type: string, mode: clobber}\n",
            "mapping.yml:6: mode 'clobber' is not one of",
        ),
        (
            "    - {column: c360_id, field: NAME, type: string, mode: fill_if_empty}\n",
            "mapping.yml:6: fill_if_empty needs empty_when",
        ),
        (
            "    - {column: c360_id, field: UF_CRM_C360_ID, type: string,"
            " mode: overwrite}\n",
            "mapping.yml:6: UF_CRM_C360_ID is mapped twice (also mapping.yml:3)",
        ),
        (
            "    - {column: ltv_12m_kzt, field: UF_CRM_C360_LTV2, type: double,"
            " mode: overwrite, resend_when_changed_by: 150%}\n",
            "mapping.yml:6: resend_when_changed_by '150%' is not a share between 0"
            " and 1",
        ),
        (
            "    - {column: c360_id, field: UF_CRM_C360_ID2, type: string,"
            " mode: overwrite, resend_when_changed_by: 0.05}\n",
            "mapping.yml:6: resend_when_changed_by applies to the sync's own number"
            " fields",
        ),
    ],
)
def test_a_bad_line_is_named(tmp_path: Path, line: str, says: str) -> None:
    path = _mapping(tmp_path, GOOD + line)
    with pytest.raises(MappingError) as raised:
        mapping = load_mapping(path, "bitrix24")
        check_against_mart(mapping, MART)
    assert says in str(raised.value)
    assert "nothing was sent" in str(raised.value)


@pytest.mark.parametrize(
    ("line", "says"),
    [
        (
            "    - {column: c360_id, field: ID, type: integer, mode: overwrite}\n",
            "mapping.yml:6: ID is read-only in the almaty portal's contacts",
        ),
        (
            "    - {column: c360_id, field: SECOND_EMAIL, type: string,"
            " mode: fill_if_empty, empty_when: crm_phone_e164}\n",
            "mapping.yml:6: unknown field SECOND_EMAIL in the almaty portal's",
        ),
        (
            "    - {column: c360_id, field: NAME, type: string, mode: overwrite}\n",
            None,  # a standard string field may be overwritten when the user says so
        ),
        (
            "    - {column: crm_id, field: UF_CRM_RANK, type: integer,"
            " mode: overwrite}\n",
            None,  # a whole number fits a number field
        ),
        (
            "    - {column: c360_id, field: UF_CRM_RANK, type: string,"
            " mode: overwrite}\n",
            "mapping.yml:6: type mismatch: UF_CRM_RANK is double",
        ),
    ],
)
def test_fields_are_checked_against_the_crm(
    tmp_path: Path, line: str, says: str | None
) -> None:
    mapping = load_mapping(_mapping(tmp_path, GOOD + line), "bitrix24")
    if says is None:
        check_against_crm(mapping, "contact", CRM, "the almaty portal")
        return
    with pytest.raises(MappingError, match=says):
        check_against_crm(mapping, "contact", CRM, "the almaty portal")


def test_a_phone_cannot_be_overwritten(tmp_path: Path) -> None:
    path = _mapping(
        tmp_path,
        "    - {column: golden_phone_e164, field: PHONE, type: string,"
        " mode: overwrite}\n",
    )
    with pytest.raises(MappingError, match="map it fill_if_empty"):
        check_against_crm(load_mapping(path, "bitrix24"), "contact", CRM, "almaty")


def test_an_unknown_destination_lists_the_ones_there(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="no mapping for destination 'amocrm'"):
        load_mapping(_mapping(tmp_path, GOOD), "amocrm")
