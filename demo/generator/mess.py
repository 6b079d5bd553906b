"""Every rate and proportion the demo generator draws from (see docs/demo_data.md)."""

from __future__ import annotations

from datetime import date

# The generated world's "today": the data never depends on the wall clock, so the
# same seed gives the same bytes on any day. Base data ends the day before.
TODAY = date(2026, 11, 1)
HISTORY_DAYS = 730  # about two years of deals, calls and tickets
BRANCHES = ("almaty", "astana", "shymkent")

# --- who the customers are -------------------------------------------------------
ORGANISATION_SHARE = 0.70  # the rest are private persons
LEGAL_FORM_WEIGHTS = (("ТОО", 0.70), ("ИП", 0.22), ("АО", 0.08))
CONTACT_PERSONS_PER_ORGANISATION = (1, 3)  # inclusive; an ИП has only its owner
KAZAKH_NAME_SHARE = 0.68  # the rest Russian (with a few Korean/Ukrainian surnames)

# --- where they appear ----------------------------------------------------------
CRM_PRESENCE_RATE = 0.92  # the rest are known to 1C only (walk-in, cash)
MULTI_BRANCH_RATE = 0.22  # of customers in the CRM: in two or more branch portals
ALL_BRANCHES_RATE = 0.05  # of customers in the CRM: in all three
ONEC_PRESENCE_RATE = 0.80  # customers with a 1C counterparty (CRM-less ones always)
DEALS_PER_CUSTOMER = (0, 6)  # inclusive, uniform
CALLS_PER_CUSTOMER = 3.0  # mean over HISTORY_DAYS
TICKETS_PER_CUSTOMER = 0.5  # mean over HISTORY_DAYS

# --- documents ------------------------------------------------------------------
INVOICED_STAGES = ("WON", "FINAL_INVOICE", "PREPAYMENT_INVOICE")
DEAL_INVOICE_LINK_RATE = 0.75  # invoiced CRM deals whose UF_CRM_1C_INVOICE is filled
FULL_PAYMENT_RATE = 0.75  # of invoices; then split into two payments, else unpaid
SPLIT_PAYMENT_RATE = 0.10
PAYMENT_ON_ACCOUNT_RATE = 0.05  # payments with an empty НомерСчета
SHIPMENT_RATE = 0.80  # of invoices
RETURN_RATE = 0.05  # of shipments
DISCOUNT_RATE = 0.10  # of invoices
NON_KZT_DEAL_RATE = 0.06  # CRM deals in USD or RUB
DELETION_MARK_RATE = 0.02  # 1C counterparties marked for deletion

# --- realistic mess (measured back in GenerationReport.mess_rates) --------------
CRM_DUPLICATE_RATE = 0.04  # a CRM contact/company entered twice in one portal
ONEC_DUPLICATE_RATE = 0.03  # a second 1C counterparty for the same customer
LATIN_SPELLING_RATE = 0.12  # a name typed in Latin letters (Ivan Petrov)
KAZAKH_LETTERS_FLATTENED_RATE = 0.40  # Қанат typed as Канат (Russian keyboard)
TYPO_RATE = 0.05  # one letter dropped, doubled or swapped
SWAPPED_NAME_FIELDS_RATE = 0.02  # surname in NAME, first name in LAST_NAME
MISSING_PATRONYMIC_RATE = 0.35  # CRM contacts without SECOND_NAME
MISSING_PHONE_RATE = 0.07  # a record without any phone
MISSING_EMAIL_RATE = 0.30  # a record without any e-mail
MISSING_CRM_IIN_BIN_RATE = 0.45  # CRM records with UF_CRM_IIN / UF_CRM_BIN empty
MISSING_ONEC_IIN_BIN_RATE = 0.05  # 1C counterparties with БИН_ИИН empty
INVALID_IIN_BIN_RATE = 0.03  # a filled IIN/BIN mistyped so that its checksum fails
STALE_PHONE_RATE = 0.08  # persons whose old number still sits in some records
RECYCLED_PHONE_RATE = 0.30  # of stale numbers: now used by a stranger who calls
FAMILY_PHONE_RATE = 0.05  # private persons sharing their number with another customer
SWITCHBOARD_PHONE_RATE = 0.45  # contact persons listed with the office switchboard
SHARED_MAILBOX_RATE = 0.35  # contact persons listed with info@/buh@/office@/sales@
UNKNOWN_CALLER_RATE = 0.10  # calls from numbers that belong to no customer
UNKNOWN_REQUESTER_RATE = 0.08  # tickets from people who are not customers
LATE_UPDATE_RATE = 0.15  # tickets repeated in a later export with a newer updated_at
# an invoice whose Дата was hand-edited into a day that does not exist (30.02):
# the 1C pipeline must reject it with its line, never drop or guess it
IMPOSSIBLE_INVOICE_DATE_RATE = 0.005
THOUSANDS_SEPARATOR_RATE = 0.03  # 1C amounts written 1 250 000,00 (space or NBSP)
# how a legal form is typed around the name: ТОО «Ромашка», Ромашка ТОО, Romashka LLP
ORGANISATION_TITLE_STYLE_WEIGHTS = (
    ("guillemets", 0.40),  # ТОО «Ромашка»
    ("quotes", 0.15),  # ТОО "Ромашка"
    ("bare", 0.15),  # ТОО Ромашка
    ("form_last", 0.10),  # "Ромашка" ТОО / Ромашка ТОО
    ("no_form", 0.08),  # Ромашка
    ("full_form", 0.04),  # Товарищество с ограниченной ответственностью «Ромашка»
    ("latin", 0.08),  # Romashka LLP / TOO Romashka
)
# how a phone number is typed
PHONE_FORMAT_WEIGHTS = (
    ("+7 777 123 45 67", 0.30),
    ("8 (777) 123-45-67", 0.22),
    ("87771234567", 0.18),
    ("7771234567", 0.10),
    ("+77771234567", 0.15),
    ("8 777 123 4567", 0.05),
)

# --- increments: what one "day" after the base changes ---------------------------
DAILY_CRM_CHANGE_RATE = 0.02  # of base customers: a CRM record modified
DAILY_ONEC_CHANGE_RATE = 0.01  # of base customers: the 1C counterparty modified
DAILY_NEW_DEAL_RATE = 0.01  # of base customers: a new deal (and maybe 1C documents)
DAILY_NEW_CUSTOMER_RATE = 0.003  # new customers, as a share of the base count
DAILY_LATE_TICKET_UPDATE_RATE = 0.003  # of base customers: their ticket updated late
