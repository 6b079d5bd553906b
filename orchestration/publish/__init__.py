"""The publish domain: the read-only copy of the warehouse that BI tools open."""
