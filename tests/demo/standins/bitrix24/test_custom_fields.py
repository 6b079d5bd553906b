"""Custom fields behave as on a portal: defined first, or silently dropped on update."""

from __future__ import annotations

from standin_testkit import Portal


def _add_field(portal: Portal, entity: str, **fields: object) -> dict:
    return portal.post(f"crm.{entity}.userfield.add", {"fields": fields}).json()


def test_userfield_add_completes_the_name_and_answers_the_new_id(
    portal: Portal,
) -> None:
    created = _add_field(
        portal,
        "contact",
        FIELD_NAME="C360_LTV",
        USER_TYPE_ID="double",
        XML_ID="c360_ltv",
        LABEL="Customer lifetime value",
    )
    assert isinstance(created["result"], int)
    assert {"operating", "operating_reset_at"} <= set(created["time"])
    # UF_ becomes UF_CRM_, lowercase is raised, a full name stays as it is
    second = _add_field(
        portal, "contact", FIELD_NAME="uf_c360_segment_v2", USER_TYPE_ID="string"
    )
    third = _add_field(
        portal, "company", FIELD_NAME="UF_CRM_C360_LTV", USER_TYPE_ID="double"
    )
    assert second["result"] > created["result"] and "result" in third

    listed = portal.post(
        "crm.contact.userfield.list", {"filter": {"XML_ID": "c360_ltv"}}
    ).json()
    assert listed["total"] == 1
    (field,) = listed["result"]
    assert field["ID"] == str(created["result"])
    assert field["ENTITY_ID"] == "CRM_CONTACT"
    assert field["FIELD_NAME"] == "UF_CRM_C360_LTV"
    assert field["USER_TYPE_ID"] == "double"
    assert field["MULTIPLE"] == "N" and field["MANDATORY"] == "N"
    assert field["SETTINGS"]["PRECISION"] == 2
    # labels only when a language is asked for, then as plain strings
    assert "EDIT_FORM_LABEL" not in field
    with_lang = portal.post(
        "crm.contact.userfield.list",
        {"filter": {"FIELD_NAME": "UF_CRM_C360_LTV", "LANG": "en"}},
    ).json()["result"][0]
    assert with_lang["EDIT_FORM_LABEL"] == "Customer lifetime value"

    names = [
        f["FIELD_NAME"]
        for f in portal.post(
            "crm.contact.userfield.list", {"order": {"ID": "DESC"}}
        ).json()["result"]
    ]
    assert names[:2] == ["UF_CRM_C360_SEGMENT_V2", "UF_CRM_C360_LTV"]
    # the seed's custom fields exist on the portal too
    assert {"UF_CRM_IIN", "UF_CRM_C360_ID", "UF_CRM_C360_SEGMENT"} <= set(names)


def test_adding_a_field_twice_is_the_portals_error(portal: Portal) -> None:
    assert "result" in _add_field(
        portal, "contact", FIELD_NAME="C360_CHURN_RISK", USER_TYPE_ID="double"
    )
    again = portal.post(
        "crm.contact.userfield.add",
        {"fields": {"FIELD_NAME": "UF_CRM_C360_CHURN_RISK", "USER_TYPE_ID": "double"}},
    )
    assert again.status_code == 400
    assert again.json() == {
        "error": "ERROR_CORE",
        "error_description": "The field UF_CRM_C360_CHURN_RISK for the CRM_CONTACT "
        "object already exists.",
    }
    # a field that came with the seed counts as existing
    seeded = portal.post(
        "crm.company.userfield.add",
        {"fields": {"FIELD_NAME": "C360_ID", "USER_TYPE_ID": "string"}},
    )
    assert seeded.json()["error"] == "ERROR_CORE"
    # and a definition without name or type is refused as a portal words it
    nameless = portal.post(
        "crm.contact.userfield.add", {"fields": {"USER_TYPE_ID": "string"}}
    )
    assert nameless.json() == {
        "error": "",
        "error_description": "The 'FIELD_NAME' field is not found.",
    }
    typeless = portal.post(
        "crm.contact.userfield.add", {"fields": {"FIELD_NAME": "X"}}
    ).json()
    assert typeless["error_description"] == "The 'USER_TYPE_ID' field is not found."
    bad_type = _add_field(portal, "contact", FIELD_NAME="X", USER_TYPE_ID="float")
    assert bad_type["error"] == "ERROR_CORE"


def test_fields_describes_standard_and_custom_fields(portal: Portal) -> None:
    _add_field(
        portal, "contact", FIELD_NAME="C360_LTV", USER_TYPE_ID="double", LABEL="LTV"
    )
    fields = portal.get("crm.contact.fields").json()["result"]
    assert fields["ID"] == {
        "type": "integer",
        "isRequired": False,
        "isReadOnly": True,
        "isImmutable": False,
        "isMultiple": False,
        "isDynamic": False,
        "title": "ID",
    }
    assert fields["DATE_MODIFY"]["isReadOnly"] is True
    assert fields["CREATED_BY_ID"]["isReadOnly"] is True
    assert fields["PHONE"]["type"] == "crm_multifield"
    assert fields["PHONE"]["isMultiple"] is True
    assert fields["TYPE_ID"]["statusType"] == "CONTACT_TYPE"
    assert fields["UF_CRM_C360_LTV"] == {
        "type": "double",
        "isRequired": False,
        "isReadOnly": False,
        "isImmutable": False,
        "isMultiple": False,
        "isDynamic": True,
        "title": "UF_CRM_C360_LTV",
        "listLabel": "LTV",
        "formLabel": "LTV",
        "filterLabel": "LTV",
        "settings": {
            "PRECISION": 2,
            "SIZE": 20,
            "MIN_VALUE": 0,
            "MAX_VALUE": 0,
            "DEFAULT_VALUE": None,
        },
    }
    assert fields["UF_CRM_IIN"]["type"] == "string"  # seeded
    company = portal.get("crm.company.fields").json()["result"]
    assert company["TITLE"]["title"] == "Company Name"
    assert "UF_CRM_C360_LTV" not in company


def test_update_drops_a_custom_field_nobody_created_and_keeps_a_created_one(
    portal: Portal,
) -> None:
    update = {
        "id": 7,
        "fields": {"UF_CRM_C360_LTV": "1234.567", "UF_CRM_C360_DUPLICATE_OF": "C1"},
    }
    careless = portal.post("crm.contact.update", update)
    # accepted without a word, as a portal does ...
    assert careless.status_code == 200 and careless.json()["result"] is True
    record = portal.get("crm.contact.get", {"id": 7}).json()["result"]
    # ... and only reading back shows that nothing was kept
    assert "UF_CRM_C360_LTV" not in record
    assert "UF_CRM_C360_DUPLICATE_OF" not in record
    (audited,) = portal.server.store.audit()
    assert sorted(audited["ignored"]) == ["UF_CRM_C360_DUPLICATE_OF", "UF_CRM_C360_LTV"]

    _add_field(portal, "contact", FIELD_NAME="C360_LTV", USER_TYPE_ID="double")
    _add_field(portal, "contact", FIELD_NAME="C360_DUPLICATE_OF", USER_TYPE_ID="string")
    assert portal.post("crm.contact.update", update).json()["result"] is True
    record = portal.get("crm.contact.get", {"id": 7}).json()["result"]
    # a number field rounds to its precision and answers as a string
    assert record["UF_CRM_C360_LTV"] == "1234.57"
    assert record["UF_CRM_C360_DUPLICATE_OF"] == "C1"
    # a defined field is answered on every record, empty where it has no value
    other = portal.get("crm.contact.get", {"id": 8}).json()["result"]
    assert other["UF_CRM_C360_LTV"] == ""
    listed = portal.post(
        "crm.contact.list", {"filter": {"ID": 7}, "select": ["ID", "UF_CRM_C360_LTV"]}
    ).json()["result"]
    assert listed == [{"ID": "7", "UF_CRM_C360_LTV": "1234.57"}]


def test_typed_custom_fields_keep_values_as_a_portal_answers_them(
    portal: Portal,
) -> None:
    for name, user_type in (
        ("C360_LTV", "double"),
        ("C360_ORDERS", "integer"),
        ("C360_VIP", "boolean"),
        ("C360_SEEN_AT", "datetime"),
        ("C360_SINCE", "date"),
        ("C360_TAGS", "string"),
    ):
        extra = {"MULTIPLE": "Y"} if name == "C360_TAGS" else {}
        assert "result" in _add_field(
            portal, "contact", FIELD_NAME=name, USER_TYPE_ID=user_type, **extra
        )
    written = {
        "UF_CRM_C360_LTV": 1500,
        "UF_CRM_C360_ORDERS": "12",
        "UF_CRM_C360_VIP": "Y",
        "UF_CRM_C360_SEEN_AT": "2025-03-01T07:30:00Z",
        "UF_CRM_C360_SINCE": "2024-11-05",
        "UF_CRM_C360_TAGS": ["vip", "b2b"],
    }
    assert portal.post("crm.contact.update", {"id": 3, "fields": written}).ok
    record = portal.get("crm.contact.get", {"id": 3}).json()["result"]
    assert record["UF_CRM_C360_LTV"] == "1500"
    assert record["UF_CRM_C360_ORDERS"] == "12"
    assert record["UF_CRM_C360_VIP"] is True
    assert record["UF_CRM_C360_SEEN_AT"] == "2025-03-01T12:30:00+05:00"
    assert record["UF_CRM_C360_SINCE"] == "2024-11-05"
    assert record["UF_CRM_C360_TAGS"] == ["vip", "b2b"]
    # a decimal comma reads as a point; a date that is no date is refused
    assert portal.post(
        "crm.contact.update", {"id": 3, "fields": {"UF_CRM_C360_LTV": "0,125"}}
    ).ok
    assert (
        portal.get("crm.contact.get", {"id": 3}).json()["result"]["UF_CRM_C360_LTV"]
        == "0.13"
    )
    refused = portal.post(
        "crm.contact.update",
        {"id": 3, "fields": {"UF_CRM_C360_SEEN_AT": "yesterday", "NAME": "Нет"}},
    )
    assert refused.status_code == 400 and refused.json()["error"] == "ERROR_CORE"
    # refused whole: the name did not change either
    assert portal.get("crm.contact.get", {"id": 3}).json()["result"]["NAME"] == "Иван3"


def test_update_ignores_read_only_fields_and_writes_documented_ones(
    portal: Portal,
) -> None:
    before = portal.get("crm.contact.get", {"id": 4}).json()["result"]
    answer = portal.post(
        "crm.contact.update",
        {
            "id": 4,
            "fields": {
                "ID": 999,
                "DATE_CREATE": "2000-01-01T00:00:00+05:00",
                "CREATED_BY_ID": 42,
                "HAS_EMAIL": "Y",
                "LEAD_ID": 5,
                "COMMENTS": "написал в чат",
            },
        },
    )
    assert answer.json()["result"] is True
    after = portal.get("crm.contact.get", {"id": 4}).json()["result"]
    assert after["ID"] == "4" and after["DATE_CREATE"] == before["DATE_CREATE"]
    assert after["HAS_EMAIL"] == "N"
    assert "CREATED_BY_ID" not in after and "LEAD_ID" not in after
    # a documented field the seed record did not carry is written
    assert after["COMMENTS"] == "написал в чат"
    assert portal.get("crm.contact.get", {"id": 999}).status_code == 400


def test_an_email_that_is_no_address_is_refused(portal: Portal) -> None:
    answer = portal.post(
        "crm.contact.update",
        {
            "id": 2,
            "fields": {"EMAIL": [{"VALUE": "petr(at)mail", "VALUE_TYPE": "WORK"}]},
        },
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "error": "ERROR_CORE",
        "error_description": 'The field "Work e-mail" contains an invalid address',
    }
    assert "EMAIL" not in portal.get("crm.contact.get", {"id": 2}).json()["result"]
