"""`c360-demo generate`: arguments, validation and output."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from demo.generator import commands


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="c360-demo")
    commands.register(parser.add_subparsers(dest="command"))
    return parser


def test_generate_writes_the_landing_folders_and_prints_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _parser().parse_args(
        [
            "generate",
            "--customers",
            "200",
            "--seed",
            "3",
            "--landing-dir",
            str(tmp_path / "landing"),
            "--ground-truth-dir",
            str(tmp_path / "truth"),
        ]
    )
    assert args.handler(args) == 0
    out = capsys.readouterr().out
    assert "100%" in out and "mess rates" in out and "crm/almaty.json" in out
    for folder in ("crm", "onec", "telephony", "support"):
        assert any((tmp_path / "landing" / folder).iterdir())
    assert (tmp_path / "truth" / "source_records.csv").exists()


def test_defaults_come_from_the_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("C360_PROJECT_DIR", str(tmp_path))
    monkeypatch.setenv("C360_LANDING_DIR", str(tmp_path / "l"))
    monkeypatch.setenv("C360_GROUND_TRUTH_DIR", str(tmp_path / "g"))
    args = _parser().parse_args(["generate"])
    assert args.customers == 10_000 and args.seed == 42 and args.increments == 0
    assert args.landing_dir is None  # resolved from the settings when run
    # run small: the folders come from the settings, not from arguments
    args = _parser().parse_args(["generate", "--customers", "50"])
    assert args.handler(args) == 0
    assert (tmp_path / "l" / "crm" / "almaty.json").is_file()
    assert (tmp_path / "g" / "source_records.csv").is_file()


@pytest.mark.parametrize("value", ["0", "10000001", "-3", "many"])
def test_out_of_range_customer_counts_are_refused_clearly(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        _parser().parse_args(["generate", "--customers", value])
    assert stopped.value.code == 2
    assert "--customers" in capsys.readouterr().err


def test_profile_harsh_is_chosen_on_the_command_line_and_its_rates_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _parser().parse_args(
        [
            "generate",
            "--customers",
            "100",
            "--profile",
            "harsh",
            "--landing-dir",
            str(tmp_path / "landing"),
            "--ground-truth-dir",
            str(tmp_path / "truth"),
        ]
    )
    assert args.handler(args) == 0
    out = capsys.readouterr().out
    assert "profile harsh" in out
    assert "harsh: name parts swapped" in out and "harsh: phone digit typos" in out
    assert _parser().parse_args(["generate"]).profile == "default"


def test_an_unknown_profile_is_refused_clearly(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as stopped:
        _parser().parse_args(["generate", "--profile", "brutal"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "--profile" in err and "harsh" in err
