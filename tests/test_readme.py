"""Every command the README gives runs (make test is the command that runs this)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_commands_are_the_ones_tested_here() -> None:
    blocks = re.findall(r"```sh\n(.*?)```", README, re.S)
    commands = [line.split("#")[0].strip() for block in blocks for line in block.splitlines()]
    assert [c for c in commands if c] == [
        "make run",
        "make test",
        "make train",
        "NLU_AUTH_TOKEN=secret make nlu",
        'echo "где сдать тест на вич в алматы" | NLU_AUTH_TOKEN=secret .venv/bin/python -m bot '
        "nlu parse --lang ru",
        "make nlu-eval",
        ".venv/bin/python -m bot content check",
        ".venv/bin/python -m bot content show pep --lang ru --country KZ",
        ".venv/bin/python -m bot services near --lat 43.238 --lon 76.945 --type hiv_testing "
        "--limit 3",
        ".venv/bin/python -m bot services city Кишинэу",
        ".venv/bin/python -m bot services export /tmp/opora-directory.csv",
        ".venv/bin/python -m bot check-config",
        ".venv/bin/python -m bot --help",
    ]
    # make train runs before every make test; make nlu, nlu parse and make nlu-eval run in
    # tests/test_nlu_service.py; the rest below.
    assert "python -m bot keygen" in README


@pytest.mark.parametrize(
    "args",
    [
        ["check-config"],
        ["--help"],
        ["keygen"],
        ["content", "check"],
        ["content", "show", "pep", "--lang", "ru", "--country", "KZ"],
        [
            "services",
            "near",
            "--lat",
            "43.238",
            "--lon",
            "76.945",
            "--type",
            "hiv_testing",
            "--limit",
            "3",
        ],
        ["services", "city", "Кишинэу"],
        ["services", "export", "{tmp}/opora-directory.csv"],
    ],
)
def test_cli_commands(args: list[str], tmp_path: Path) -> None:
    env = {**os.environ, "OPORA_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", *(a.replace("{tmp}", str(tmp_path)) for a in args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


@pytest.mark.rasa
def test_make_run_starts_nlu_and_local_chat_and_cleans_up(tmp_path: Path) -> None:
    """`make run` without a token: the embedded NLU service, then the local chat."""
    env = {**os.environ, "OPORA_DATA_DIR": str(tmp_path), "OPORA_NLU__URL": "http://127.0.0.1:5399"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    result = subprocess.run(
        ["make", "--no-print-directory", "run"],
        cwd=ROOT,
        env=env,
        input="2\n1\n1\n/quit\n",
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "LOCAL CHAT mode" in result.stdout
    assert "Что вы хотите сделать?" in result.stdout
    log = (tmp_path / "opora.log").read_text()
    assert "Started the NLU service" in log
    # The NLU child process was stopped with the chat.
    ps = subprocess.run(["pgrep", "-f", "rasa run.*5399"], capture_output=True, text=True)
    assert ps.stdout.strip() == ""
