"""Every rate of the harsh corruption profile (see docs/demo_data.md, "Profiles")."""

from __future__ import annotations

# Modelled on FEBRL's data set generator (Christen 2005, "Probabilistic data
# generation for deduplication and data linkage"; dsgen/generate.py and
# generate2.py): its field dictionaries (select_prob, miss_prob and the mix of
# ins/del/sub/trans/misspell modifications per field) run with the settings of
# its data set 4 (one duplicate per original, at most 2 modifications per field
# and 4 per record). Simulated, those settings touch a duplicate's surname 41%
# of the time, its given name 30%, address parts and birth date 26-28%, phone
# and identifier 14%, and a touched field twice 45% of the time. Half of a
# FEBRL data set is clean originals, so the per-record rates below are half
# the per-duplicate ones: two records of one customer, both corrupted here,
# then differ about as much as a FEBRL original and its duplicate do.
# Everything here comes on top of the default profile's mess (mess.py).

# --- names ------------------------------------------------------------------
# FEBRL field_swap_prob (given_name, surname) 0.05 per duplicate
NAME_PARTS_SWAPPED_RATE = 0.025  # first name and surname exchanged
# FEBRL miss_prob 0.02 for each name part, raised: CRM forms leave parts optional
NAME_PART_MISSING_RATE = 0.05  # a name of 2+ parts loses one of them
SURNAME_MODIFIED_RATE = 0.20  # FEBRL surname, 41% per duplicate
FIRST_NAME_MODIFIED_RATE = 0.15  # FEBRL given name, 30% per duplicate
PATRONYMIC_MODIFIED_RATE = 0.15  # as a given name (FEBRL has no patronymic)
# an organisation's name is its "surname": the field identity resolution leans on
TITLE_MODIFIED_RATE = 0.20
TITLE_WORD_MISSING_RATE = 0.05  # ТОО «Алма Трейд» → ТОО «Алма»
# FEBRL allows up to 2 modifications per field, and a touched field gets 2 in 45%
SECOND_MODIFICATION_RATE = 0.45  # a modified name, title, address or city: again

# how one modification changes a text value. FEBRL's name dictionaries: sub
# 0.35, misspell (a sound-alike from a table) 0.30, del 0.10-0.15, ins 0.05-0.10,
# trans 0.04-0.05; the last ~10% (value and word swaps, spaces, missing) goes to
# the OCR errors that generate2 added (ocr_prob)
TEXT_MODIFICATION_WEIGHTS = (
    ("substitute", 0.35),  # a neighbouring key: Петров → Петрлв
    ("phonetic", 0.30),  # a sound-alike: Мухамедов → Мухамидов, Dmitriy → Dmitry
    ("delete", 0.12),  # Петров → Петов
    ("insert", 0.08),  # Петров → Петрпов
    ("transpose", 0.05),  # Петров → Петорв
    ("ocr", 0.10),  # a look-alike: O → 0, l → 1, rn → m, З → 3
)
# FEBRL single_typo_prob: a substituted or inserted key is a neighbour in the same
# keyboard row 40% of the time, in the same column 30%, else any letter
KEYBOARD_SAME_ROW_RATE = 0.40
KEYBOARD_SAME_COLUMN_RATE = 0.30

# --- addresses and cities ---------------------------------------------------------
# FEBRL address_1 and street_number: 13-14% each per record, miss_prob 0.02-0.04
ADDRESS_MISSING_RATE = 0.04
ADDRESS_TYPO_RATE = 0.12  # FEBRL address_1: ins+del+sub+trans = 0.85 of 0.14
ADDRESS_PART_MISSING_RATE = 0.06  # the house number, the flat or the city left out
# ул. ↔ улица, пр. ↔ проспект, д. ↔ дом, street type after the name, city last
ADDRESS_RESTYLED_RATE = 0.15
# FEBRL suburb (13% per record): misspell 0.40, ins/del/sub/trans 0.51; miss 0.01
# (state: 0.10)
CITY_MISSING_RATE = 0.05
CITY_ALIAS_RATE = 0.05  # an older or other name: Алма-Ата, Нур-Султан, Чимкент
CITY_MODIFIED_RATE = 0.07

# --- birth dates (FEBRL date_of_birth: 13% per record; sub 0.50, trans 0.30,
# val_swap 0.05, miss_prob 0.10) --------------------------------------------------
BIRTH_DATE_MISSING_RATE = 0.10
BIRTH_DATE_DIGIT_TYPO_RATE = 0.065  # one digit wrong, still a real calendar date
# of dates whose day is 12 or less and not the month: read the other way round
BIRTH_DATE_DAY_MONTH_SWAPPED_RATE = 0.04
BIRTH_DATE_YEAR_OFF_RATE = 0.02  # a year too early or too late

# --- postcodes (FEBRL postcode: 5% per record, sub and trans; miss_prob 0.05) ----
POSTCODE_MISSING_RATE = (
    0.05  # of filled postcodes (Bitrix24 ADDRESS_POSTAL_CODE, 1C Индекс)
)
POSTCODE_TYPO_RATE = 0.05  # one digit wrong or two swapped

# --- phones, e-mail, IIN/BIN ------------------------------------------------------
# FEBRL phone_number: 7% per record, sub 0.40, trans 0.30, miss_prob 0.05
PHONE_MISSING_RATE = 0.05  # a record without any phone
PHONE_TYPO_RATE = 0.05  # of phone numbers: one digit wrong or two swapped
# FEBRL has no e-mail: treated like the phone
EMAIL_MISSING_RATE = 0.05
EMAIL_TYPO_RATE = 0.05  # a typo in the part before the @
# FEBRL soc_sec_id: 7% per record, sub 0.50, trans 0.40; no missing, but a CRM
# field nobody has to fill stays empty
IIN_BIN_MISSING_RATE = 0.03
IIN_BIN_TYPO_RATE = 0.06  # about 6% of them still pass the checksum

# --- more duplicates --------------------------------------------------------------
# FEBRL data set 3: 2,000 originals and 3,000 duplicates, up to 5 per original,
# Zipf-distributed. Here: CRM contacts and companies (once per portal) copied
# again into the same portal, each copy typed afresh by the same errors
CRM_EXTRA_DUPLICATE_RATE = 0.10
MAX_EXTRA_DUPLICATES = 8  # with the default profile's duplicate: up to 10 records
# FEBRL's Zipf: P(k copies) proportional to 1 / k ** (1 - theta)
EXTRA_DUPLICATES_ZIPF_THETA = 0.5
