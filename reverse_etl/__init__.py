"""The CRM sync (reverse ETL): the golden record back in the CRMs, only what changed.

mapping.py reads and checks which mart column goes to which CRM field; plan.py
works out what differs from what each CRM last confirmed (state.py keeps that in
the warehouse); destinations/ speak each CRM's protocol; sync.py runs the lot.
See docs/crm_sync.md.
"""
