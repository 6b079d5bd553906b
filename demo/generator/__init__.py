"""Demo source data: a company's CRMs, 1C, telephony, help desk, and ground truth."""

from demo.generator.corruption import PROFILES
from demo.generator.report import GenerationReport
from demo.generator.runner import MAX_CUSTOMERS, generate

__all__ = ["MAX_CUSTOMERS", "PROFILES", "GenerationReport", "generate"]
