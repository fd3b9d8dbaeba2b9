"""The local chat that `make run` opens without a token: a real terminal conversation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.settings import ROOT


def chat(tmp_path: Path, lines: list[str], language: str = "ru") -> str:
    env = {
        **os.environ,
        "OPORA_DATA_DIR": str(tmp_path),
        "OPORA_NLU__MANAGE": "external",
        "NLU_URL": "http://127.0.0.1:9",  # nothing listens: free text falls back to the menu
        "OPORA_NLU__STARTUP_WAIT_SECONDS": "0",
    }
    env.pop("TELEGRAM_BOT_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--telegram-language", language],
        cwd=ROOT,
        env=env,
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout


def test_onboarding_and_every_main_menu_button(tmp_path: Path) -> None:
    # Language 2 = Русский, country 1 = Kazakhstan, 1 = Understood; then each main-menu button,
    # going back to /menu in between.
    lines = ["2", "1", "1"]
    for number in range(1, 9):
        # Find services (4) asks what kind first: 15 = all services.
        lines += [str(number), *(["15"] if number == 4 else []), "/menu"]
    output = chat(tmp_path, lines)
    assert "LOCAL CHAT mode" in output
    assert "[2] ✅ Русский" in output
    assert "В какой стране вы находитесь?" in output
    assert "[1] Казахстан" in output
    assert "Ваша конфиденциальность" in output
    for expected in (
        "Тестирование на ВИЧ",
        "Передозировка",
        "Полиция",
        "геолокацией",
        "Что хранит Опора и как долго",
    ):
        assert expected in output
    # Report and Talk to a person explain who will see what, and ask for consent first.
    from bot.i18n import Catalogs
    from bot.settings import ROOT, load_settings

    catalogs, _ = Catalogs.load(ROOT / "locales", load_settings(env={}).languages)
    agree = "✅ " + catalogs.get("ru").gettext("I agree, go on")
    assert output.count(agree) == 2
    assert "[keyboard]" in output  # the location request is a reply keyboard button


def test_location_staff_view_and_free_text(tmp_path: Path) -> None:
    output = chat(tmp_path, ["2", "1", "1", "/loc 43.2389 76.8897", "/staff", "привет", "/sticker"])
    assert "Doverie Plus" in output  # the nearest (demo) entry to that point in Almaty
    assert "The paralegal group has received nothing." in output
    assert "не могу читать" in output.lower() or "сейчас" in output
    assert "текст" in output
    # The data stays where it was told to, and the log has no message text in it.
    log = (tmp_path / "opora.log").read_text()
    assert "привет" not in log
    assert "43.2389" not in log
