"""The one place that says where the warehouse, the landing data and the CRMs are,
and how much memory the matching may take: defaults, c360.toml, the environment."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

CONFIG_FILE_NAME = "c360.toml"
SECRETS_FILE_NAME = ".secrets.toml"
# each default is written here once; c360.toml and the environment override them
DEFAULT_WAREHOUSE_PATH = "data/warehouse/customer360.duckdb"
# the read-only copy BI tools open, published at the end of each successful run;
# by default beside the warehouse, named after it
PUBLISHED_SUFFIX = "_bi"
DEFAULT_LANDING_DIR = "data/landing"
DEFAULT_GROUND_TRUTH_DIR = "data/ground_truth"
DEFAULT_CRM_STANDIN_DIR = "data/crm_standin"
# enough to train on and resolve 1,000,000 person records without spilling much
# (benchmarks/identity_resolution.py); raise it on a big machine, lower it on a
# small one
DEFAULT_IDENTITY_MEMORY_LIMIT = "4GB"
# 03:00 in Almaty: after the branches close and 1C's nightly export is written
DEFAULT_SCHEDULE_CRON = "0 3 * * *"
DEFAULT_SCHEDULE_TIMEZONE = "Asia/Almaty"
# LTV and churn fits read the whole base; between fits the kept parameters score
# every customer. A week follows buying habits closely enough for monthly CRM work;
# a tenth more customers is when new cohorts start to weigh on the parameters
DEFAULT_FORECAST_REFIT_DAYS = 7
DEFAULT_FORECAST_REFIT_GROWTH = 0.10
# the Dagster instance's home: run history, schedule and sensor state, the run queue
DEFAULT_DAGSTER_HOME = "data/dagster"
# what Dagster's schedules take: minute hour day-of-month month day-of-week
_CRON_FIELD_COUNT = 5
_DUCKDB_SIZE = re.compile(r"\s*\d+(\.\d+)?\s*([KMGT]i?B|B)\s*", re.IGNORECASE)


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says which and where to set it."""


@dataclass(frozen=True)
class CrmPortal:
    """One branch office's Bitrix24 portal, reached through an inbound webhook."""

    branch: str
    base_url: str
    user_id: int
    token: str | None = field(default=None, repr=False)

    def method_url(self, method: str) -> str:
        if not self.token:
            raise SettingsError(
                f"no webhook token for the {self.branch} CRM portal: set "
                "C360_CRM_WEBHOOK_TOKEN (or "
                f"C360_CRM_WEBHOOK_TOKEN_{self.branch.upper()}) "
                f"or [crm] webhook_token in {SECRETS_FILE_NAME}"
            )
        base = self.base_url.rstrip("/")
        return f"{base}/rest/{self.user_id}/{self.token}/{method}.json"


@dataclass(frozen=True)
class AmoCrmAccount:
    """One branch office's amoCRM account (`https://<subdomain>.amocrm.ru`), reached
    with a long-lived token (OAuth bearer) of an integration with CRM access."""

    branch: str
    base_url: str
    token: str | None = field(default=None, repr=False)

    def api_url(self, path: str) -> str:
        if not self.token:
            raise SettingsError(
                f"no amoCRM token for the {self.branch} account: set "
                f"C360_AMOCRM_TOKEN (or C360_AMOCRM_TOKEN_{self.branch.upper()}) "
                f"or [amocrm] token in {SECRETS_FILE_NAME}"
            )
        return f"{self.base_url.rstrip('/')}/api/v4/{path.lstrip('/')}"


@dataclass(frozen=True)
class Settings:
    project_dir: Path
    warehouse_path: Path
    landing_dir: Path
    ground_truth_dir: Path
    crm_portals: tuple[CrmPortal, ...]
    crm_standin_dir: Path
    # 1C's Филиал as written in its exports -> the branch code ([onec] branches);
    # a Филиал not named here maps to the portal whose name it transliterates to
    onec_branches: dict[str, str] = field(default_factory=dict, hash=False)
    # the identity matching's DuckDB memory ceiling; beyond it the join spills to disk
    identity_memory_limit: str = DEFAULT_IDENTITY_MEMORY_LIMIT
    # the copy BI tools and readers open; None: beside the warehouse, "_bi" added
    published_warehouse: Path | None = None
    # the CRM sync's mapping file; None: the one shipped in reverse_etl/
    sync_mapping: Path | None = None
    # each Bitrix24 portal's leaky bucket, mirrored by the sync: 50 draining 2 a
    # second on standard plans, 250 and 5 on Enterprise
    crm_rate_capacity: int = 50
    crm_rate_drain_per_second: float = 2.0
    # branches whose CRM is amoCRM rather than Bitrix24 ([amocrm] accounts)
    amocrm_accounts: tuple[AmoCrmAccount, ...] = ()
    # amoCRM allows 7 requests a second per integration
    amocrm_requests_per_second: float = 7.0
    # when Dagster's daily schedule starts the main job: a five-field cron line
    # read in the time zone below (an IANA name)
    schedule_cron: str = DEFAULT_SCHEDULE_CRON
    schedule_timezone: str = DEFAULT_SCHEDULE_TIMEZONE
    # where a failed run is announced as JSON (a chat's incoming webhook); None:
    # only the warehouse (ops.run_failures) and the log. A secret: such URLs
    # carry their token
    alert_webhook_url: str | None = field(default=None, repr=False)
    # DAGSTER_HOME for `c360 ui`; None: data/dagster in the project folder
    dagster_home_dir: Path | None = None
    # LTV and churn refit after this many days, or when the customers grew by this
    # share since the last fit (customer360.forecasts.fit_store)
    forecast_refit_days: int = DEFAULT_FORECAST_REFIT_DAYS
    forecast_refit_growth: float = DEFAULT_FORECAST_REFIT_GROWTH

    @property
    def dagster_home(self) -> Path:
        """The Dagster instance's folder: its config, run history, schedule state."""
        return self.dagster_home_dir or self.project_dir / DEFAULT_DAGSTER_HOME

    @property
    def published_path(self) -> Path:
        """Where the read-only BI copy of the warehouse is published."""
        if self.published_warehouse is not None:
            return self.published_warehouse
        warehouse = self.warehouse_path
        return warehouse.with_name(
            f"{warehouse.stem}{PUBLISHED_SUFFIX}{warehouse.suffix or '.duckdb'}"
        )

    @property
    def branches(self) -> tuple[str, ...]:
        """The company's branch codes: its CRM portals, then the 1C-only ones."""
        codes = [portal.branch for portal in self.crm_portals]
        codes += [account.branch for account in self.amocrm_accounts]
        codes += [code for code in self.onec_branches.values() if code not in codes]
        return tuple(dict.fromkeys(codes))

    def portal(self, branch: str) -> CrmPortal:
        for portal in self.crm_portals:
            if portal.branch == branch:
                return portal
        known = ", ".join(p.branch for p in self.crm_portals)
        raise SettingsError(f"unknown CRM branch {branch!r}; configured: {known}")

    def amocrm_account(self, branch: str) -> AmoCrmAccount:
        for account in self.amocrm_accounts:
            if account.branch == branch:
                return account
        known = ", ".join(a.branch for a in self.amocrm_accounts) or "none"
        raise SettingsError(f"unknown amoCRM branch {branch!r}; configured: {known}")


def find_project_dir(start: Path | None = None) -> Path:
    """The folder holding c360.toml: C360_PROJECT_DIR, else the nearest one up."""
    if env := os.environ.get("C360_PROJECT_DIR"):
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE_NAME).is_file():
            return folder
    # an installed package run outside a checkout still gets sane defaults
    return here


def _read_toml(path: Path) -> dict:
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path}: not valid TOML: {error}") from error


def _parse_pairs(text: str, variable: str, shape: str) -> dict[str, str]:
    """'a=b,c=d' as {a: b, c: d}; SettingsError naming the variable otherwise."""
    pairs = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise SettingsError(f"{variable}: expected {shape!r}, got {item!r}")
        pairs[key.strip()] = value.strip()
    return pairs


def _parse_portals(text: str) -> dict[str, str]:
    return _parse_pairs(text, "C360_CRM_PORTALS", "branch=url,branch=url")


def _onec_branches(env: Mapping[str, str], config: dict) -> dict[str, str]:
    if env.get("C360_ONEC_BRANCHES"):
        return _parse_pairs(
            env["C360_ONEC_BRANCHES"],
            "C360_ONEC_BRANCHES",
            "Филиал=branch,Филиал=branch",
        )
    table = config.get("onec", {}).get("branches", {})
    if not isinstance(table, dict) or not all(
        isinstance(code, str) and code.strip() for code in table.values()
    ):
        raise SettingsError(
            '[onec] branches: expected a table of Филиал = "branch", e.g. '
            '{ "Караганда" = "karaganda" }'
        )
    return {name.strip(): code.strip() for name, code in table.items()}


def _identity_memory_limit(env: Mapping[str, str], config: dict) -> str:
    if env.get("C360_IDENTITY_MEMORY_LIMIT"):
        value, where = env["C360_IDENTITY_MEMORY_LIMIT"], "C360_IDENTITY_MEMORY_LIMIT"
    else:
        value = config.get("identity", {}).get("memory_limit")
        value, where = value or DEFAULT_IDENTITY_MEMORY_LIMIT, "[identity] memory_limit"
    if not isinstance(value, str) or not _DUCKDB_SIZE.fullmatch(value):
        raise SettingsError(
            f"{where}={value!r} is not a size DuckDB understands"
            " (for example 4GB or 500MB)"
        )
    return value.strip()


def _number(
    env: Mapping[str, str],
    config: dict,
    variable: str,
    section: str,
    key: str,
    default: float,
    kind: type,
):
    raw = env.get(variable) or config.get(section, {}).get(key) or default
    try:
        value = kind(raw)
    except (TypeError, ValueError):
        value = None
    if value is None or value <= 0:
        raise SettingsError(
            f"{variable} / [{section}] {key}: expected a positive number, got {raw!r}"
        )
    return value


def _refit_days(env: Mapping[str, str], config: dict) -> int:
    raw = env.get("C360_FORECAST_REFIT_DAYS") or config.get("forecasts", {}).get(
        "refit_days", DEFAULT_FORECAST_REFIT_DAYS
    )
    text = str(raw).strip()
    if isinstance(raw, bool) or not text.isdigit() or int(text) == 0:
        raise SettingsError(
            f"C360_FORECAST_REFIT_DAYS / [forecasts] refit_days: expected a whole"
            f" number of days above 0, got {raw!r}"
        )
    return int(text)


def _refit_growth(env: Mapping[str, str], config: dict) -> float:
    raw = env.get("C360_FORECAST_REFIT_GROWTH") or config.get("forecasts", {}).get(
        "refit_growth", DEFAULT_FORECAST_REFIT_GROWTH
    )
    try:
        value = float(raw) if not isinstance(raw, bool) else None
    except (TypeError, ValueError):
        value = None
    if value is None or not 0 < value < float("inf"):
        raise SettingsError(
            f"C360_FORECAST_REFIT_GROWTH / [forecasts] refit_growth: expected a"
            f" share of the customers above 0 (0.1 for 10%), got {raw!r}"
        )
    return value


def _cron_schedule(env: Mapping[str, str], config: dict) -> str:
    if env.get("C360_SCHEDULE_CRON"):
        value, where = env["C360_SCHEDULE_CRON"], "C360_SCHEDULE_CRON"
    else:
        value = config.get("schedule", {}).get("cron") or DEFAULT_SCHEDULE_CRON
        where = "[schedule] cron"
    problem = _cron_problem(value) if isinstance(value, str) else "it is not a string"
    if problem:
        raise SettingsError(
            f"{where}={value!r} is not a cron schedule: {problem} (five fields:"
            ' minute hour day-of-month month day-of-week, e.g. "0 3 * * *" for'
            " 03:00 every day)"
        )
    return " ".join(value.split())


def _cron_problem(line: str) -> str | None:
    """Why `line` is not a five-field cron schedule, or None when it is one."""
    from croniter import CroniterError, croniter

    fields = len(line.split())
    # croniter also takes 6 and 7 fields (seconds, years); Dagster's schedules do not
    if fields != _CRON_FIELD_COUNT:
        return f"{fields} field(s) instead of {_CRON_FIELD_COUNT}"
    try:
        croniter(line)
    except CroniterError as error:
        return str(error)
    return None


def _schedule_timezone(env: Mapping[str, str], config: dict) -> str:
    if env.get("C360_SCHEDULE_TIMEZONE"):
        value, where = env["C360_SCHEDULE_TIMEZONE"], "C360_SCHEDULE_TIMEZONE"
    else:
        value = config.get("schedule", {}).get("timezone") or DEFAULT_SCHEDULE_TIMEZONE
        where = "[schedule] timezone"
    try:
        ZoneInfo(str(value).strip())
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise SettingsError(
            f"{where}={value!r} is not a time zone: use an IANA name such as"
            ' "Asia/Almaty" or "Europe/Moscow"'
        ) from error
    return str(value).strip()


def _alert_webhook_url(
    env: Mapping[str, str], config: dict, secrets: dict
) -> str | None:
    if env.get("C360_ALERT_WEBHOOK_URL"):
        value, where = env["C360_ALERT_WEBHOOK_URL"], "C360_ALERT_WEBHOOK_URL"
    else:
        value = secrets.get("alerts", {}).get("webhook_url") or config.get(
            "alerts", {}
        ).get("webhook_url")
        where = "[alerts] webhook_url"
    if not value:
        return None
    if not isinstance(value, str) or not re.match(r"https?://[^\s/]+", value.strip()):
        # the URL is not echoed: a chat's webhook URL carries its token
        raise SettingsError(
            f"{where}: expected an http:// or https:// URL (a chat's incoming webhook)"
        )
    return value.strip()


def load_settings(project_dir: Path | None = None) -> Settings:
    """Defaults < c360.toml (or C360_CONFIG) < environment.

    Secrets come from the environment or the git-ignored .secrets.toml only.
    """
    root = Path(project_dir).resolve() if project_dir else find_project_dir()
    config_path = Path(os.environ.get("C360_CONFIG", root / CONFIG_FILE_NAME))
    config = _read_toml(config_path)
    secrets = _read_toml(root / SECRETS_FILE_NAME)
    env = os.environ

    def path_setting(env_name: str, section: str, key: str, default: str) -> Path:
        value = env.get(env_name) or config.get(section, {}).get(key) or default
        path = Path(value).expanduser()
        return path if path.is_absolute() else (root / path)

    crm = config.get("crm", {})
    portal_urls = (
        _parse_portals(env["C360_CRM_PORTALS"])
        if env.get("C360_CRM_PORTALS")
        else dict(crm.get("portals", {}))
    )
    try:
        user_id = int(env.get("C360_CRM_USER_ID") or crm.get("user_id") or 1)
    except ValueError as error:
        raise SettingsError(f"C360_CRM_USER_ID must be a number: {error}") from error
    shared_token = env.get("C360_CRM_WEBHOOK_TOKEN") or secrets.get("crm", {}).get(
        "webhook_token"
    )
    portals = tuple(
        CrmPortal(
            branch=branch,
            base_url=url,
            user_id=user_id,
            token=env.get(f"C360_CRM_WEBHOOK_TOKEN_{branch.upper()}") or shared_token,
        )
        for branch, url in portal_urls.items()
    )
    amocrm = config.get("amocrm", {})
    account_urls = (
        _parse_pairs(
            env["C360_AMOCRM_ACCOUNTS"],
            "C360_AMOCRM_ACCOUNTS",
            "branch=https://subdomain.amocrm.ru,...",
        )
        if env.get("C360_AMOCRM_ACCOUNTS")
        else dict(amocrm.get("accounts", {}))
    )
    both = sorted(set(account_urls) & set(portal_urls))
    if both:
        raise SettingsError(
            f"branch {', '.join(both)} is both a Bitrix24 portal ([crm] portals) and "
            "an amoCRM account ([amocrm] accounts): a branch has one CRM"
        )
    amocrm_token = env.get("C360_AMOCRM_TOKEN") or secrets.get("amocrm", {}).get(
        "token"
    )
    accounts = tuple(
        AmoCrmAccount(
            branch=branch,
            base_url=url,
            token=env.get(f"C360_AMOCRM_TOKEN_{branch.upper()}") or amocrm_token,
        )
        for branch, url in account_urls.items()
    )
    return Settings(
        project_dir=root,
        warehouse_path=path_setting(
            "C360_WAREHOUSE", "warehouse", "path", DEFAULT_WAREHOUSE_PATH
        ),
        published_warehouse=(
            path_setting("C360_PUBLISHED_WAREHOUSE", "warehouse", "published_path", "")
            if env.get("C360_PUBLISHED_WAREHOUSE")
            or config.get("warehouse", {}).get("published_path")
            else None
        ),
        landing_dir=path_setting(
            "C360_LANDING_DIR", "landing", "dir", DEFAULT_LANDING_DIR
        ),
        ground_truth_dir=path_setting(
            "C360_GROUND_TRUTH_DIR",
            "landing",
            "ground_truth_dir",
            DEFAULT_GROUND_TRUTH_DIR,
        ),
        crm_portals=portals,
        crm_standin_dir=path_setting(
            "C360_CRM_STANDIN_DIR", "crm", "standin_dir", DEFAULT_CRM_STANDIN_DIR
        ),
        onec_branches=_onec_branches(env, config),
        sync_mapping=(
            path_setting("C360_SYNC_MAPPING", "sync", "mapping", "")
            if env.get("C360_SYNC_MAPPING") or config.get("sync", {}).get("mapping")
            else None
        ),
        crm_rate_capacity=_number(
            env, config, "C360_CRM_RATE_CAPACITY", "crm", "rate_capacity", 50, int
        ),
        crm_rate_drain_per_second=_number(
            env,
            config,
            "C360_CRM_RATE_DRAIN",
            "crm",
            "rate_drain_per_second",
            2.0,
            float,
        ),
        identity_memory_limit=_identity_memory_limit(env, config),
        amocrm_accounts=accounts,
        amocrm_requests_per_second=_number(
            env,
            config,
            "C360_AMOCRM_RATE",
            "amocrm",
            "requests_per_second",
            7.0,
            float,
        ),
        schedule_cron=_cron_schedule(env, config),
        schedule_timezone=_schedule_timezone(env, config),
        alert_webhook_url=_alert_webhook_url(env, config, secrets),
        dagster_home_dir=path_setting(
            "C360_DAGSTER_HOME", "orchestration", "dagster_home", DEFAULT_DAGSTER_HOME
        ),
        forecast_refit_days=_refit_days(env, config),
        forecast_refit_growth=_refit_growth(env, config),
    )
