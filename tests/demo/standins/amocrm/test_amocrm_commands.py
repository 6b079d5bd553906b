"""`c360-demo amocrm serve|seed|wait` from the command line."""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from customer360.settings import SettingsError
from demo.standins.amocrm import commands
from demo.standins.amocrm.samples import seed_document

RUNNER = "import sys; from demo.cli import main; sys.exit(main(sys.argv[1:]))"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("C360_")}
    env.update(C360_PROJECT_DIR=str(tmp_path))
    return env


def _seed_file(tmp_path: Path) -> Path:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(seed_document(contacts=3)), encoding="utf-8")
    return path


def test_serve_answers_on_its_port_until_sigterm(tmp_path: Path) -> None:
    port, token = _free_port(), "cli-amocrm-token"
    arguments = ["amocrm", "serve", "--port", str(port), "--data-dir"]
    arguments += [str(tmp_path / "store"), "--seed-from", str(_seed_file(tmp_path))]
    process = subprocess.Popen(
        [sys.executable, "-c", RUNNER, *arguments],
        env={**_env(tmp_path), "C360_AMOCRM_TOKEN": token},
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
        answer = requests.get(
            f"http://127.0.0.1:{port}/api/v4/contacts",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
        assert [c["id"] for c in answer.json()["_embedded"]["contacts"]] == [1, 2, 3]
        waited = subprocess.run(
            [
                sys.executable,
                "-c",
                RUNNER,
                "amocrm",
                "wait",
                "--url",
                f"http://127.0.0.1:{port}",
                "--timeout",
                "5",
            ],
            env=_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert waited.returncode == 0
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=10)
    printed = "".join(lines) + output
    assert process.returncode == 0
    assert f"amocrm: stand-in at http://127.0.0.1:{port}/api/v4/" in printed
    assert "7 requests a second" in printed
    assert token not in printed


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    commands.register(parser.add_subparsers())
    return parser.parse_args(["amocrm", *argv])


def test_serve_without_a_token_says_which_setting_to_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("C360_AMOCRM_TOKEN", raising=False)
    args = _parse("serve", "--data-dir", str(tmp_path))
    with pytest.raises(SettingsError, match="C360_AMOCRM_TOKEN"):
        args.handler(args)


def test_seed_fills_the_store_without_serving(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store_dir = tmp_path / "store"
    args = _parse(
        "seed", "--data-dir", str(store_dir), "--seed-from", str(_seed_file(tmp_path))
    )
    assert args.handler(args) == 0
    assert "contacts: 3 new" in capsys.readouterr().out
    assert (store_dir / "demo.sqlite3").is_file()
    missing = _parse(
        "seed", "--data-dir", str(store_dir), "--seed-from", str(tmp_path / "no")
    )
    with pytest.raises(SettingsError, match="cannot seed"):
        missing.handler(missing)


def test_wait_gives_up_on_a_silent_port(tmp_path: Path) -> None:
    args = _parse(
        "wait", "--url", f"http://127.0.0.1:{_free_port()}", "--timeout", "0.3"
    )
    assert args.handler(args) == 1
