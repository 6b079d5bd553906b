"""The landing sources `c360 ingest` knows, in the order they are landed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dlt.extract.source import DltSource

from customer360.settings import Settings
from pipelines.common.tally import SourceTally

Progress = Callable[[str], None]


@dataclass(frozen=True)
class LandingSource:
    """A source system: how to build its dlt source from the project settings."""

    name: str
    description: str
    build: Callable[[Settings, SourceTally, Progress | None], DltSource]
    # the folder under the landing dir a file source reads; None for APIs
    landing_folder: str | None = None
    # for an API source: why the settings give it nothing to read, or None
    unconfigured: Callable[[Settings], str | None] | None = None

    def absent(self, settings: Settings) -> str | None:
        """Why this company has none of this source, or None when it has it.

        A company has some of the systems, not all: an absent source is reported as
        such (not as a clean, empty load) and not landed; its tables read as empty.
        """
        if self.unconfigured is not None:
            return self.unconfigured(settings)
        if self.landing_folder is None:
            return None
        folder = settings.landing_dir / self.landing_folder
        if folder.is_dir():
            return None
        return (
            f"no folder {folder} (the exports go there, see docs/landing_formats.md; "
            "C360_LANDING_DIR names the landing folder)"
        )


def _crm_unconfigured(settings: Settings) -> str | None:
    if settings.crm_portals or settings.amocrm_accounts:
        return None
    return (
        "no CRM portals configured ([crm] portals in c360.toml, or "
        "C360_CRM_PORTALS='almaty=https://...'), nor amoCRM accounts ([amocrm] "
        "accounts, or C360_AMOCRM_ACCOUNTS='taraz=https://taraz.amocrm.ru'); "
        "outside the project folder, C360_PROJECT_DIR says where c360.toml is"
    )


def _build_crm(
    settings: Settings, tally: SourceTally, progress: Progress | None
) -> DltSource:
    # imported here so that the file sources work while the CRM source is absent
    # or broken, and so that `c360 --help` does not import it
    from pipelines.crm import crm_source, source_arguments

    # a missing token is named the way c360 sets it (C360_CRM_WEBHOOK_TOKEN_<BRANCH>,
    # C360_AMOCRM_TOKEN_<BRANCH>), before any extraction; a CRM without portals or
    # accounts is absent and is not landed
    for portal in settings.crm_portals:
        portal.method_url("batch")
    for account in settings.amocrm_accounts:
        account.api_url("contacts")
    # a failing portal or account does not stop the others: land_source reports it
    return crm_source(
        **source_arguments(
            settings.crm_portals,
            settings.amocrm_accounts,
            settings.amocrm_requests_per_second,
        ),
        tally=tally,
        progress=progress,
        skip_failing_portals=True,
    )


def _build_onec(
    settings: Settings, tally: SourceTally, progress: Progress | None
) -> DltSource:
    from pipelines.onec import onec_source

    return onec_source(str(settings.landing_dir), tally=tally, progress=progress)


def _build_telephony(
    settings: Settings, tally: SourceTally, progress: Progress | None
) -> DltSource:
    from pipelines.telephony import telephony_source

    return telephony_source(str(settings.landing_dir), tally=tally, progress=progress)


def _build_support(
    settings: Settings, tally: SourceTally, progress: Progress | None
) -> DltSource:
    from pipelines.support import support_source

    return support_source(str(settings.landing_dir), tally=tally, progress=progress)


SOURCES: dict[str, LandingSource] = {
    source.name: source
    for source in (
        LandingSource(
            "crm",
            "Bitrix24 (or amoCRM) contacts, companies and deals, one CRM per branch",
            _build_crm,
            unconfigured=_crm_unconfigured,
        ),
        LandingSource(
            "onec",
            "1C accounting exports: counterparties, contact persons, documents",
            _build_onec,
            landing_folder="onec",
        ),
        LandingSource(
            "telephony",
            "Asterisk call detail records, one file per month",
            _build_telephony,
            landing_folder="telephony",
        ),
        LandingSource(
            "support",
            "help-desk ticket exports (JSON lines)",
            _build_support,
            landing_folder="support",
        ),
    )
}
