"""The sync domain: the golden record written back to the CRMs."""
