"""Demo source data: a company's CRMs, 1C, telephony, help desk, and ground truth."""

from customer360.generator.corruption import PROFILES
from customer360.generator.report import GenerationReport
from customer360.generator.runner import MAX_CUSTOMERS, generate

__all__ = ["MAX_CUSTOMERS", "PROFILES", "GenerationReport", "generate"]
