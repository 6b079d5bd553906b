"""`c360-demo standin serve` listens where settings say, checks the token, stops."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from customer360.settings import SettingsError
from demo.standins.bitrix24 import commands

# the `c360-demo` entry point, in a process of its own (it serves until a signal)
RUNNER = "import sys; from demo.cli import main; sys.exit(main(sys.argv[1:]))"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _env(tmp_path: Path, port: int, token: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("C360_")}
    env.update(
        C360_PROJECT_DIR=str(tmp_path),
        C360_CRM_PORTALS=f"almaty=http://127.0.0.1:{port}",
        C360_CRM_STANDIN_DIR=str(tmp_path / "store"),
        C360_LANDING_DIR=str(tmp_path / "landing"),
    )
    if token:
        env["C360_CRM_WEBHOOK_TOKEN"] = token
    return env


def test_serve_listens_on_the_configured_port_until_sigterm(
    tmp_path: Path, landing: Path
) -> None:
    port = _free_port()
    token = "cli-secret-token"
    process = subprocess.Popen(
        [
            *(sys.executable, "-c", RUNNER, "standin", "serve"),
            *("--seed-from", str(landing)),
            *("--operating-limit", "1", "--operating-cost", "0.6"),
        ],
        env=_env(tmp_path, port, token),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        while not any("Ctrl-C" in line for line in lines):
            line = process.stdout.readline()
            assert line, "serve exited early: " + "".join(lines)
            lines.append(line)
        url = f"http://127.0.0.1:{port}/rest/1/{token}/crm.contact.list.json"
        assert requests.get(url, timeout=5).json()["total"] == 120
        # the operating limit from the options: 0.6 s a call, blocked past 1 s
        assert requests.get(url, timeout=5).status_code == 200
        assert requests.get(url, timeout=5).status_code == 429
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=10)
    printed = "".join(lines) + output
    assert process.returncode == 0
    assert f"crm/almaty: Bitrix24 stand-in at http://127.0.0.1:{port}" in printed
    assert "operating limit 1 s of a method within 600 s (+0.6 s a call)" in printed
    assert token not in printed


def test_serve_without_a_token_says_which_setting_to_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in _env(tmp_path, _free_port(), None).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("C360_CRM_WEBHOOK_TOKEN", raising=False)
    parser = argparse.ArgumentParser()
    commands.register(parser.add_subparsers())
    args = parser.parse_args(["standin", "serve"])
    with pytest.raises(SettingsError, match="C360_CRM_WEBHOOK_TOKEN"):
        args.handler(args)
