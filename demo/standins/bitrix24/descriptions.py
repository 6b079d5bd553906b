"""What `crm.<entity>.fields` answers for a portal's standard (non-custom) fields.

Taken from the example answers in Bitrix24's REST reference (crm.contact.fields,
crm.company.fields, crm.deal.fields): type, flags and English title of each field.
The read-only flag is also what `crm.<entity>.update` goes by: it ignores a write
to a read-only field, as a portal does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldDescription:
    """One standard field as `crm.<entity>.fields` describes it."""

    name: str
    type: str
    title: str
    required: bool = False
    read_only: bool = False
    immutable: bool = False
    multiple: bool = False
    status_type: str | None = None

    def as_bitrix(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "type": self.type,
            "isRequired": self.required,
            "isReadOnly": self.read_only,
            "isImmutable": self.immutable,
            "isMultiple": self.multiple,
            "isDynamic": False,
        }
        if self.status_type:
            answer["statusType"] = self.status_type
        answer["title"] = self.title
        return answer


def _f(name: str, type_: str, title: str, **flags: Any) -> FieldDescription:
    return FieldDescription(name, type_, title, **flags)


_ADDRESS = (
    _f("ADDRESS_2", "string", "Address (Line 2)"),
    _f("ADDRESS_CITY", "string", "City"),
    _f("ADDRESS_POSTAL_CODE", "string", "Postal Code"),
    _f("ADDRESS_REGION", "string", "Region"),
    _f("ADDRESS_PROVINCE", "string", "Province"),
    _f("ADDRESS_COUNTRY", "string", "Country"),
    _f("ADDRESS_COUNTRY_CODE", "string", "Country Code"),
    _f("ADDRESS_LOC_ADDR_ID", "integer", "Location Address ID"),
)
_UTM = (
    _f("ORIGINATOR_ID", "string", "External Source"),
    _f("ORIGIN_ID", "string", "Identifier in External Source"),
    _f("ORIGIN_VERSION", "string", "Original Version"),
    _f("UTM_SOURCE", "string", "Advertising System"),
    _f("UTM_MEDIUM", "string", "Traffic Type"),
    _f("UTM_CAMPAIGN", "string", "Campaign Identifier"),
    _f("UTM_CONTENT", "string", "Campaign Content"),
    _f("UTM_TERM", "string", "Campaign Search Condition"),
)
_MULTI_FIELDS = (
    _f("PHONE", "crm_multifield", "Phone", multiple=True),
    _f("EMAIL", "crm_multifield", "E-mail", multiple=True),
    _f("WEB", "crm_multifield", "Website", multiple=True),
    _f("IM", "crm_multifield", "Messenger", multiple=True),
    _f("LINK", "crm_multifield", "LINK", multiple=True),
)
_AUTHORSHIP = (
    _f("CREATED_BY_ID", "user", "Created By", read_only=True),
    _f("MODIFY_BY_ID", "user", "Modified By", read_only=True),
    _f("DATE_CREATE", "datetime", "Creation Date", read_only=True),
    _f("DATE_MODIFY", "datetime", "Modification Date", read_only=True),
)
_FLAGS = (
    _f("HAS_PHONE", "char", "Phone Set", read_only=True),
    _f("HAS_EMAIL", "char", "E-mail Set", read_only=True),
    _f("HAS_IMOL", "char", "Open Line Set", read_only=True),
)

# the docs' example portal marks the name fields required; a portal's own
# settings decide that, and the stand-in does not enforce it
CONTACT_FIELDS: tuple[FieldDescription, ...] = (
    _f("ID", "integer", "ID", read_only=True),
    _f("HONORIFIC", "crm_status", "Salutation", status_type="HONORIFIC"),
    _f("NAME", "string", "First Name", required=True),
    _f("SECOND_NAME", "string", "Middle Name", required=True),
    _f("LAST_NAME", "string", "Last Name", required=True),
    _f("PHOTO", "file", "Photo"),
    _f("BIRTHDATE", "date", "Birthdate"),
    _f("TYPE_ID", "crm_status", "Contact Type", status_type="CONTACT_TYPE"),
    _f("SOURCE_ID", "crm_status", "Source", status_type="SOURCE"),
    _f("SOURCE_DESCRIPTION", "string", "Additional Source Information"),
    _f("POST", "string", "Position"),
    _f("ADDRESS", "string", "Address"),
    *_ADDRESS,
    _f("COMMENTS", "string", "Comment"),
    _f("OPENED", "char", "Available to All"),
    _f("EXPORT", "char", "Participates in Contact Export"),
    *_FLAGS,
    _f("ASSIGNED_BY_ID", "user", "Responsible Person"),
    *_AUTHORSHIP,
    _f("COMPANY_ID", "crm_company", "Company"),
    _f("COMPANY_IDS", "crm_company", "COMPANY_IDS", multiple=True),
    _f("LEAD_ID", "crm_lead", "Lead", read_only=True),
    *_UTM,
    _f("LAST_ACTIVITY_TIME", "datetime", "Last Activity", read_only=True),
    _f("LAST_ACTIVITY_BY", "user", "Last Activity By", read_only=True),
    *_MULTI_FIELDS,
)

COMPANY_FIELDS: tuple[FieldDescription, ...] = (
    _f("ID", "integer", "ID", read_only=True),
    _f("TITLE", "string", "Company Name", required=True),
    _f("COMPANY_TYPE", "crm_status", "Company Type", status_type="COMPANY_TYPE"),
    _f("LOGO", "file", "Logo"),
    _f("ADDRESS", "string", "Physical Address"),
    *_ADDRESS,
    _f("ADDRESS_LEGAL", "string", "Legal Address"),
    _f("REG_ADDRESS", "string", "Legal Address"),
    _f("REG_ADDRESS_2", "string", "Legal Address (line 2)"),
    _f("REG_ADDRESS_CITY", "string", "Legal Address City"),
    _f("REG_ADDRESS_POSTAL_CODE", "string", "Legal Address Postal Code"),
    _f("REG_ADDRESS_REGION", "string", "Legal Address Region"),
    _f("REG_ADDRESS_PROVINCE", "string", "Legal Address Province"),
    _f("REG_ADDRESS_COUNTRY", "string", "Legal Address Country"),
    _f("REG_ADDRESS_COUNTRY_CODE", "string", "Legal Address Country Code"),
    _f("REG_ADDRESS_LOC_ADDR_ID", "integer", "Legal Address Location ID"),
    _f("BANKING_DETAILS", "string", "Banking Details"),
    _f("INDUSTRY", "crm_status", "Industry", status_type="INDUSTRY"),
    _f("EMPLOYEES", "crm_status", "Number of Employees", status_type="EMPLOYEES"),
    _f("CURRENCY_ID", "crm_currency", "Currency"),
    _f("REVENUE", "double", "Annual Revenue"),
    _f("OPENED", "char", "Available to Everyone"),
    _f("COMMENTS", "string", "Comment"),
    *_FLAGS,
    _f("IS_MY_COMPANY", "char", "My Company"),
    _f("ASSIGNED_BY_ID", "user", "Responsible Person"),
    *_AUTHORSHIP,
    _f("CONTACT_ID", "crm_contact", "Contact", multiple=True),
    _f("LEAD_ID", "crm_lead", "Lead", read_only=True),
    *_UTM,
    _f("LAST_ACTIVITY_TIME", "datetime", "Last Activity Time"),
    _f("LAST_ACTIVITY_BY", "user", "Last Activity Author"),
    _f("LAST_COMMUNICATION_TIME", "string", "Last Communication Date", read_only=True),
    *_MULTI_FIELDS,
)

DEAL_FIELDS: tuple[FieldDescription, ...] = (
    _f("ID", "integer", "ID", read_only=True),
    _f("TITLE", "string", "Title"),
    _f("TYPE_ID", "crm_status", "Type", status_type="DEAL_TYPE"),
    _f("CATEGORY_ID", "crm_category", "Sales Funnel", immutable=True),
    _f("STAGE_ID", "crm_status", "Deal Stage", status_type="DEAL_STAGE"),
    _f("STAGE_SEMANTIC_ID", "string", "Stage Group", read_only=True),
    _f("IS_NEW", "char", "New Deal", read_only=True),
    _f("IS_RECURRING", "char", "Recurring Deal"),
    _f("IS_RETURN_CUSTOMER", "char", "Repeat Deal"),
    _f("IS_REPEATED_APPROACH", "char", "Repeated Approach"),
    _f("PROBABILITY", "integer", "Probability"),
    _f("CURRENCY_ID", "crm_currency", "Currency"),
    _f("OPPORTUNITY", "double", "Amount"),
    _f("IS_MANUAL_OPPORTUNITY", "char", "IS_MANUAL_OPPORTUNITY"),
    _f("TAX_VALUE", "double", "Tax Rate"),
    _f("COMPANY_ID", "crm_company", "Company"),
    _f("CONTACT_ID", "crm_contact", "Contact"),
    _f("CONTACT_IDS", "crm_contact", "Contacts", multiple=True),
    _f("QUOTE_ID", "crm_quote", "Estimate", read_only=True),
    _f("BEGINDATE", "date", "Start Date"),
    _f("CLOSEDATE", "date", "Close Date"),
    _f("OPENED", "char", "Available to All"),
    _f("CLOSED", "char", "Closed"),
    _f("COMMENTS", "string", "Comment"),
    _f("ASSIGNED_BY_ID", "user", "Responsible"),
    _f("CREATED_BY_ID", "user", "Created By", read_only=True),
    _f("MODIFY_BY_ID", "user", "Modified By", read_only=True),
    _f("MOVED_BY_ID", "user", "MOVED_BY_ID", read_only=True),
    _f("DATE_CREATE", "datetime", "Creation Date", read_only=True),
    _f("DATE_MODIFY", "datetime", "Modification Date", read_only=True),
    _f("MOVED_TIME", "datetime", "MOVED_TIME", read_only=True),
    _f("SOURCE_ID", "crm_status", "Source", status_type="SOURCE"),
    _f("SOURCE_DESCRIPTION", "string", "Additional Info about Source"),
    _f("LEAD_ID", "crm_lead", "Lead", read_only=True),
    _f("ADDITIONAL_INFO", "string", "Additional Information"),
    _f("LOCATION_ID", "location", "Location"),
    *_UTM[:2],
    *_UTM[3:],
    _f("LAST_ACTIVITY_TIME", "datetime", "LAST_ACTIVITY_TIME", read_only=True),
    _f("LAST_ACTIVITY_BY", "user", "LAST_ACTIVITY_BY", read_only=True),
)
