"""customer360: a warehouse-first Customer 360 (golden record, marts and CRM sync)."""

__version__ = "0.1.0"
