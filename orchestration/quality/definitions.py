"""The quality domain's definitions: the suites' checks on the assets they guard."""

from __future__ import annotations

from collections.abc import Iterable

from dagster import AssetsDefinition, Definitions

from orchestration.quality.checks import build_quality_checks


def quality_definitions(guarded: Iterable[AssetsDefinition]) -> Definitions:
    keys = {key for assets in guarded for key in assets.keys}
    return Definitions(asset_checks=build_quality_checks(keys))
