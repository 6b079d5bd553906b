"""Settings: one documented place, environment over file, secrets kept out of git."""

import json
import os
import shlex
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from customer360.dbt_context import dbt_environment, dbt_vars, environment_for_dbt
from customer360.settings import SettingsError, load_settings

PROJECT_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in (
        "C360_WAREHOUSE",
        "C360_LANDING_DIR",
        "C360_GROUND_TRUTH_DIR",
        "C360_CRM_PORTALS",
        "C360_CRM_WEBHOOK_TOKEN",
        "C360_CRM_WEBHOOK_TOKEN_ASTANA",
        "C360_CRM_USER_ID",
        "C360_CONFIG",
        "C360_PROJECT_DIR",
        "C360_ONEC_BRANCHES",
        "C360_IDENTITY_MEMORY_LIMIT",
        "C360_PUBLISHED_WAREHOUSE",
        "C360_AMOCRM_ACCOUNTS",
        "C360_AMOCRM_TOKEN",
        "C360_AMOCRM_TOKEN_TARAZ",
        "C360_AMOCRM_RATE",
        "C360_SCHEDULE_CRON",
        "C360_SCHEDULE_TIMEZONE",
        "C360_ALERT_WEBHOOK_URL",
        "C360_DAGSTER_HOME",
        "C360_FORECAST_REFIT_DAYS",
        "C360_FORECAST_REFIT_GROWTH",
    ):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "c360.toml").write_text(
        '[warehouse]\npath = "wh/c.duckdb"\n'
        '[crm]\nuser_id = 7\nportals = { almaty = "http://127.0.0.1:1", '
        'astana = "http://127.0.0.1:2" }\n',
        encoding="utf-8",
    )
    return tmp_path


def test_file_values_resolve_relative_to_the_project(project: Path) -> None:
    settings = load_settings(project)
    assert settings.warehouse_path == project / "wh" / "c.duckdb"
    assert settings.landing_dir == project / "data" / "landing"
    assert [p.branch for p in settings.crm_portals] == ["almaty", "astana"]
    assert settings.portal("astana").user_id == 7


def test_the_bi_copy_is_published_beside_the_warehouse_unless_set(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert load_settings(project).published_path == project / "wh" / "c_bi.duckdb"
    config = project / "c360.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            'path = "wh/c.duckdb"\n',
            'path = "wh/c.duckdb"\npublished_path = "bi/published.duckdb"\n',
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("C360_WAREHOUSE", str(tmp_path / "moved.duckdb"))
    # the file's own published_path stays where it says, wherever the warehouse is
    assert load_settings(project).published_path == project / "bi" / "published.duckdb"
    monkeypatch.setenv("C360_PUBLISHED_WAREHOUSE", str(tmp_path / "bi.duckdb"))
    assert load_settings(project).published_path == tmp_path / "bi.duckdb"


def test_environment_overrides_the_file(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("C360_WAREHOUSE", str(tmp_path / "other.duckdb"))
    monkeypatch.setenv("C360_CRM_PORTALS", "shymkent=http://127.0.0.1:3")
    settings = load_settings(project)
    assert settings.warehouse_path == tmp_path / "other.duckdb"
    assert [p.branch for p in settings.crm_portals] == ["shymkent"]


def test_webhook_token_comes_from_env_or_the_ignored_secrets_file(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(SettingsError, match="C360_CRM_WEBHOOK_TOKEN"):
        load_settings(project).portal("almaty").method_url("crm.contact.list")

    (project / ".secrets.toml").write_text('[crm]\nwebhook_token = "s3"\n')
    monkeypatch.setenv("C360_CRM_WEBHOOK_TOKEN_ASTANA", "per-branch")
    settings = load_settings(project)
    assert settings.portal("almaty").method_url("crm.contact.list") == (
        "http://127.0.0.1:1/rest/7/s3/crm.contact.list.json"
    )
    assert "per-branch" in settings.portal("astana").method_url("batch")
    # the token never shows in a printed portal
    assert "s3" not in repr(settings.portal("almaty"))


def test_amocrm_accounts_are_branches_with_their_own_token(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_settings(project).amocrm_accounts == ()
    with (project / "c360.toml").open("a", encoding="utf-8") as config:
        config.write(
            '[amocrm]\naccounts = { taraz = "https://taraz.amocrm.ru/", '
            'oral = "https://oral.amocrm.ru" }\nrequests_per_second = 3\n'
        )
    settings = load_settings(project)
    assert settings.branches == ("almaty", "astana", "taraz", "oral")
    assert settings.amocrm_requests_per_second == 3.0
    with pytest.raises(SettingsError, match="C360_AMOCRM_TOKEN_TARAZ"):
        settings.amocrm_account("taraz").api_url("contacts")
    (project / ".secrets.toml").write_text('[amocrm]\ntoken = "shared"\n')
    monkeypatch.setenv("C360_AMOCRM_TOKEN_TARAZ", "own")
    settings = load_settings(project)
    assert settings.amocrm_account("taraz").token == "own"
    assert settings.amocrm_account("oral").token == "shared"
    assert settings.amocrm_account("taraz").api_url("/contacts") == (
        "https://taraz.amocrm.ru/api/v4/contacts"
    )
    assert "own" not in repr(settings.amocrm_account("taraz"))
    # a dbt run by hand (`c360 settings --exports`) knows the amoCRM branches too
    assert dbt_environment(settings)["C360_AMOCRM_ACCOUNTS"] == (
        "taraz=https://taraz.amocrm.ru/,oral=https://oral.amocrm.ru"
    )
    with pytest.raises(SettingsError, match="unknown amoCRM branch 'almaty'"):
        settings.amocrm_account("almaty")
    # the environment replaces the file's accounts; a branch has one CRM
    monkeypatch.setenv("C360_AMOCRM_ACCOUNTS", "astana=https://astana.amocrm.ru")
    with pytest.raises(SettingsError, match="both a Bitrix24 portal"):
        load_settings(project)
    monkeypatch.setenv("C360_AMOCRM_ACCOUNTS", "taraz")
    with pytest.raises(SettingsError, match="C360_AMOCRM_ACCOUNTS"):
        load_settings(project)


def test_malformed_values_give_clear_errors(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("C360_CRM_PORTALS", "almaty")
    with pytest.raises(SettingsError, match="branch=url"):
        load_settings(project)
    monkeypatch.delenv("C360_CRM_PORTALS")
    (project / "c360.toml").write_text("[warehouse\n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(project)
    (project / "c360.toml").write_text("")
    with pytest.raises(SettingsError, match="unknown CRM branch"):
        load_settings(project).portal("nowhere")


def test_the_schedule_is_03_00_in_almaty_unless_set_and_a_bad_one_is_named(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(project)
    assert (settings.schedule_cron, settings.schedule_timezone) == (
        "0 3 * * *",
        "Asia/Almaty",
    )
    assert settings.dagster_home == project / "data" / "dagster"
    with (project / "c360.toml").open("a") as config:
        config.write('[schedule]\ncron = "30 1 * * mon-fri"\ntimezone = "Asia/Aqtau"\n')
    settings = load_settings(project)
    assert (settings.schedule_cron, settings.schedule_timezone) == (
        "30 1 * * mon-fri",
        "Asia/Aqtau",
    )
    for cron, problem in (
        ("0 3 * *", "4 field"),
        ("0 25 * * *", "out of range"),
        ("0 3 * * sunday", "not acceptable"),
        ("@daily", "1 field"),
    ):
        monkeypatch.setenv("C360_SCHEDULE_CRON", cron)
        with pytest.raises(SettingsError, match=f"C360_SCHEDULE_CRON=.*{problem}"):
            load_settings(project)
    monkeypatch.delenv("C360_SCHEDULE_CRON")
    monkeypatch.setenv("C360_SCHEDULE_TIMEZONE", "Almaty")
    with pytest.raises(SettingsError, match="C360_SCHEDULE_TIMEZONE=.*IANA"):
        load_settings(project)


def test_forecasts_refit_weekly_or_on_a_tenth_more_customers_unless_set(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(project)
    assert (settings.forecast_refit_days, settings.forecast_refit_growth) == (7, 0.1)
    with (project / "c360.toml").open("a") as config:
        config.write("[forecasts]\nrefit_days = 14\nrefit_growth = 0.25\n")
    settings = load_settings(project)
    assert (settings.forecast_refit_days, settings.forecast_refit_growth) == (14, 0.25)
    # every dbt run that customer360 starts gets them as vars, a run by hand from
    # the exported environment
    assert json.loads(dbt_vars(settings))["forecast_refit_days"] == 14
    assert dbt_environment(settings)["C360_FORECAST_REFIT_GROWTH"] == "0.25"
    monkeypatch.setenv("C360_FORECAST_REFIT_DAYS", "3")
    assert load_settings(project).forecast_refit_days == 3
    for days in ("a week", "1.5", "-2"):
        monkeypatch.setenv("C360_FORECAST_REFIT_DAYS", days)
        with pytest.raises(SettingsError, match="C360_FORECAST_REFIT_DAYS.*whole"):
            load_settings(project)
    monkeypatch.delenv("C360_FORECAST_REFIT_DAYS")
    for share in ("10%", "-0.1", "inf"):
        monkeypatch.setenv("C360_FORECAST_REFIT_GROWTH", share)
        with pytest.raises(SettingsError, match="C360_FORECAST_REFIT_GROWTH.*share"):
            load_settings(project)


def test_the_alert_webhook_comes_from_the_settings_and_is_never_shown(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    assert load_settings(project).alert_webhook_url is None
    (project / ".secrets.toml").write_text(
        '[alerts]\nwebhook_url = "https://chat.example/hooks/t0ken"\n'
    )
    settings = load_settings(project)
    assert settings.alert_webhook_url == "https://chat.example/hooks/t0ken"
    assert "t0ken" not in repr(settings)
    from c360.main import main

    monkeypatch.chdir(project)
    assert main(["settings"]) == 0
    shown = capsys.readouterr().out
    assert "failure alerts webhook      set" in shown and "t0ken" not in shown
    monkeypatch.setenv("C360_ALERT_WEBHOOK_URL", "chat.example/hooks/t0ken")
    with pytest.raises(SettingsError, match="C360_ALERT_WEBHOOK_URL") as error:
        load_settings(project)
    assert "t0ken" not in str(error.value)


def test_1c_branch_names_come_from_the_file_or_the_environment(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_settings(project).onec_branches == {}
    assert load_settings(project).branches == ("almaty", "astana")
    with (project / "c360.toml").open("a", encoding="utf-8") as config:
        config.write(
            '[onec]\nbranches = { "Караганда" = "karaganda", "Алма-Ата" = "almaty" }\n'
        )
    settings = load_settings(project)
    assert settings.onec_branches == {"Караганда": "karaganda", "Алма-Ата": "almaty"}
    # the CRM portals first, then the branches only 1C knows, each once
    assert settings.branches == ("almaty", "astana", "karaganda")

    monkeypatch.setenv("C360_ONEC_BRANCHES", "Нур-Султан=astana")
    assert load_settings(project).onec_branches == {"Нур-Султан": "astana"}
    monkeypatch.setenv("C360_ONEC_BRANCHES", "Нур-Султан")
    with pytest.raises(SettingsError, match="C360_ONEC_BRANCHES"):
        load_settings(project)


def test_settings_exports_give_dbt_the_branches(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from c360.main import main

    monkeypatch.setenv("C360_PROJECT_DIR", str(project))
    monkeypatch.setenv("C360_ONEC_BRANCHES", "Караганда=karaganda")
    assert main(["settings", "--exports"]) == 0
    # what a shell sees after `eval "$(c360 settings --exports)"`
    exports = dict(
        shlex.split(line)[1].split("=", 1)
        for line in capsys.readouterr().out.splitlines()
    )
    assert exports["C360_ONEC_BRANCHES"] == "Караганда=karaganda"
    assert exports["C360_CRM_PORTALS"] == (
        "almaty=http://127.0.0.1:1,astana=http://127.0.0.1:2"
    )
    # the same values every dbt run that customer360 starts is given
    settings = load_settings()
    assert dbt_environment(settings).items() <= exports.items()
    assert exports["C360_WAREHOUSE"] == str(project / "wh" / "c.duckdb")
    assert exports["C360_IDENTITY_MEMORY_LIMIT"] == "4GB"
    # where BI reads is shown, but not pinned for a shell that moves the warehouse
    assert "C360_PUBLISHED_WAREHOUSE" not in exports
    assert main(["settings"]) == 0
    assert f"C360_PUBLISHED_WAREHOUSE    {project / 'wh' / 'c_bi.duckdb'}" in (
        capsys.readouterr().out
    )


def test_an_in_process_dbt_run_gets_the_settings_and_leaves_the_environment(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("C360_WAREHOUSE", "/somewhere/else.duckdb")
    settings = load_settings(project)
    settings = replace(settings, warehouse_path=project / "run.duckdb")
    with environment_for_dbt(settings):
        assert os.environ["C360_WAREHOUSE"] == str(project / "run.duckdb")
        assert os.environ["C360_CRM_PORTALS"].startswith("almaty=")
    assert os.environ["C360_WAREHOUSE"] == "/somewhere/else.duckdb"
    assert "C360_CRM_PORTALS" not in os.environ
    assert json.loads(dbt_vars(settings, identity_retrain=True)) == {
        "c360_branches": ["almaty", "astana"],
        "c360_onec_branches": {},
        "forecast_refit_days": 7,
        "forecast_refit_growth": 0.1,
        "identity_retrain": True,
    }


def test_dbt_by_hand_without_the_exports_names_the_missing_setting(
    project: Path,
) -> None:
    # a shell without `eval "$(c360 settings --exports)"`: dbt stops at once and
    # names the variable, rather than building some default warehouse
    environment = {k: v for k, v in os.environ.items() if not k.startswith("C360_")}
    result = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "parse", "--target-path",
         str(project / "target"), "--log-path", str(project / "logs")],
        cwd=PROJECT_DIR, env=environment, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode != 0
    assert "C360_WAREHOUSE" in result.stdout + result.stderr


def test_the_committed_gitignore_keeps_secrets_out() -> None:
    ignored = (PROJECT_DIR / ".gitignore").read_text().splitlines()
    assert ".secrets.toml" in ignored
