"""Every UI string is translated in every language, with placeholders and markup intact."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from bot.i18n import Catalogs, negotiate
from bot.settings import ROOT, load_settings

LANGUAGES = ["ru", "uk", "kk", "ky", "tg", "sr", "ro"]
PLACEHOLDER = re.compile(r"\{\w+\}")
TAG = re.compile(r"</?\w+>")
COMMAND = re.compile(r"/[a-z]+\b")


def template_ids() -> set[str]:
    with (ROOT / "locales" / "bot.pot").open("rb") as handle:
        return {str(message.id) for message in read_po(handle) if message.id}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_is_complete_and_consistent(lang: str) -> None:
    with (ROOT / "locales" / lang / "LC_MESSAGES" / "bot.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {
        str(m.id): m for m in catalog if m.id and m.string and (not m.pluralizable or all(m.string))
    }
    missing = template_ids() - set(translated)
    assert not missing, f"{lang} lacks {sorted(missing)[:5]}"
    for message in translated.values():
        # A plural entry: every form keeps what the English plural form has.
        ids = message.id if isinstance(message.id, (list, tuple)) else [message.id]
        forms = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        msgid = str(ids[-1])
        for msgstr in (str(form) for form in forms):
            assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(msgstr)), msgid
            assert sorted(TAG.findall(msgid)) == sorted(TAG.findall(msgstr)), msgid
            assert set(COMMAND.findall(msgid)) <= set(COMMAND.findall(msgstr)), msgid


def test_template_is_up_to_date() -> None:
    """`make locales` was run after the last change of a UI string."""
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "babel.messages.frontend",
                "extract",
                "-F",
                "locales/babel.cfg",
                "-k",
                "N_",
                "-k",
                "gettext",
                "-k",
                "ngettext:1,2",
                "--no-location",
                "-o",
                f"{tmp}/bot.pot",
                ".",
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        with open(f"{tmp}/bot.pot", "rb") as handle:
            fresh = {str(m.id) for m in read_po(handle) if m.id}
    assert fresh == template_ids()


def test_fallback_chain_reaches_russian_then_english() -> None:
    settings = load_settings(env={})
    catalogs, problems = Catalogs.load(ROOT / "locales", settings.languages)
    assert not [p for p in problems if p.severity == "error"]
    assert catalogs.get("ru").gettext("Main menu") == "Главное меню"
    assert catalogs.get("en").gettext("Main menu") == "Main menu"
    assert catalogs.get("xx").lang == "en"
    assert catalogs.get("kk").gettext("no such string") == "no such string"


@pytest.mark.parametrize(
    ("stored", "telegram", "expected"),
    [
        ("kk", "ru", "kk"),
        (None, "uk-UA", "uk"),
        (None, "sr-Latn", "sr"),
        (None, "de", "en"),
        ("zz", None, "en"),
    ],
)
def test_negotiation(stored: str | None, telegram: str | None, expected: str) -> None:
    assert negotiate(stored, telegram, load_settings(env={}).languages) == expected
