"""`python -m bot content check` catches each kind of breakage an editor can make (on a copy)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from bot.content.check import Report, check_content
from bot.content.library import nlu_intents
from bot.content.translations import Status
from bot.settings import ROOT, load_settings
from tests.conftest import bot_cli

SETTINGS = load_settings(env={})
INTENTS = nlu_intents(ROOT / "nlu" / "data")


@dataclass
class Copy:
    content: Path
    locales: Path

    def check(self) -> Report:
        return check_content(
            self.content, self.locales, SETTINGS.languages, INTENTS, SETTINGS.countries
        )

    def answer(self, name: str) -> Path:
        return self.content / "answers" / name

    def append(self, name: str, paragraph: str) -> int:
        """Add a paragraph to an answer; return its line number."""
        path = self.answer(name)
        lines = path.read_text(encoding="utf-8").rstrip("\n").splitlines()
        path.write_text("\n".join([*lines, "", paragraph]) + "\n", encoding="utf-8")
        return len(lines) + 2

    def replace(self, name: str, old: str, new: str) -> int:
        """Replace text in an answer; return the line where it was."""
        path = self.answer(name) if not name.endswith(".yml") else self.content / name
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        line = text[: text.index(old)].count("\n") + 1
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return line

    def translate(
        self, lang: str, context: str, change: Callable[[str], str], containing: str = ""
    ) -> int:
        """Change the first translation in `context` whose English contains `containing`;
        return its line in the .po file."""
        path = self.locales / lang / "LC_MESSAGES" / "content.po"
        with path.open("rb") as handle:
            catalog = read_po(handle)
        message = next(
            m for m in catalog if m.context == context and m.string and containing in str(m.id)
        )
        message.string = change(str(message.string))
        with path.open("wb") as handle:
            write_po(handle, catalog, include_previous=True)
        with path.open("rb") as handle:
            again = read_po(handle)
        found = again.get(message.id, context=context)
        assert found is not None and found.lineno
        return int(found.lineno)


@pytest.fixture
def copy(tmp_path: Path) -> Copy:
    shutil.copytree(ROOT / "content", tmp_path / "content")
    shutil.copytree(ROOT / "locales", tmp_path / "locales")
    return Copy(tmp_path / "content", tmp_path / "locales")


def _found(report: Report, severity: str, path_end: str, line: int | None, words: str) -> bool:
    problems = report.errors if severity == "error" else report.warnings
    return any(
        str(p.path).endswith(path_end) and (line is None or p.line == line) and words in p.message
        for p in problems
    )


def test_the_shipped_content_passes(copy: Copy) -> None:
    assert [str(p) for p in copy.check().errors] == []


MARKUP_BREAKAGES = [
    ("<b>Go to the clinic now", "never closed"),
    ("<div>Go to the clinic</div>", "<div> is not allowed"),
    ("Condoms & lube", "&amp;"),
    ("Risk < 72 hours", "&lt;"),
    ('<a href="javascript:alert(1)">here</a>', 'needs href="https://…"'),
    ("<b>bold <i>both</b> italic</i>", "closes nothing open here"),
    ("Call your friend: {friend}.", "unknown placeholder {friend}"),
    ("word " * 900, "Telegram's limit is 4096"),
]


@pytest.mark.parametrize(("paragraph", "words"), MARKUP_BREAKAGES)
def test_text_telegram_would_reject_is_an_error_at_its_line(
    copy: Copy, paragraph: str, words: str
) -> None:
    line = copy.append("pep.md", paragraph)
    report = copy.check()
    assert _found(report, "error", "answers/pep.md", line, words), [str(p) for p in report.errors]
    if "limit" not in words:
        # Markup Telegram rejects is never served (the file is left out); an over-long text
        # still is, split at a word boundary.
        assert "the intent 'pep' has no answer" in " ".join(p.message for p in report.errors)


def test_a_very_long_paragraph_is_a_warning(copy: Copy) -> None:
    line = copy.append("sti.md", "Long. " * 150)
    assert _found(copy.check(), "warning", "answers/sti.md", line, "split it for phone screens")


def test_an_intent_without_an_answer_is_an_error(copy: Copy) -> None:
    copy.answer("thanks.md").unlink()
    assert _found(copy.check(), "error", "answers/thanks.md", 1, "'thanks' has no answer")


def test_missing_sources_are_an_error(copy: Copy) -> None:
    path = copy.answer("hepatitis_c.md")
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"sources:\n(  - .*\n)+", "sources: []\n", text), encoding="utf-8")
    assert _found(copy.check(), "error", "answers/hepatitis_c.md", None, "no `sources:`")


def test_broken_front_matter_is_an_error_at_its_line(copy: Copy) -> None:
    line = copy.replace("naloxone.md", "title:", "title: [unclosed\ntitle:")
    report = copy.check()
    assert _found(report, "error", "answers/naloxone.md", None, "not valid YAML")
    (problem,) = [p for p in report.errors if "YAML" in p.message]
    assert line <= problem.line <= line + 2


def test_unknown_service_type_and_front_matter_key_are_errors(copy: Copy) -> None:
    line = copy.replace("pep.md", "find_service: pep", "find_service: peep")
    copy.replace("sti.md", "reviewed_by:", "reviwed_by:")
    report = copy.check()
    assert _found(report, "error", "answers/pep.md", line, "unknown service type 'peep'")
    assert _found(report, "error", "answers/sti.md", None, "unknown front matter key `reviwed_by:`")


def test_a_number_without_source_is_an_error_and_without_date_a_warning(copy: Copy) -> None:
    path = copy.content / "numbers.yml"
    text = path.read_text(encoding="utf-8")
    kz = text.index("KZ:")
    source = text.index("    source:", kz)
    end = text.index("\n", source)
    path.write_text(text[:source] + "    source: null" + text[end:], encoding="utf-8")
    report = copy.check()
    assert _found(report, "error", "numbers.yml", None, "KZ ambulance 103 has no source")
    assert _found(report, "warning", "numbers.yml", None, "TJ ambulance 103 has no verified_on")


def test_unreviewed_legal_text_is_listed(copy: Copy) -> None:
    report = copy.check()
    for country in SETTINGS.countries:
        assert _found(report, "warning", f"rights_police.{country}.md", 2, "local lawyer")


def test_translation_markup_placeholders_and_numbers_are_checked(copy: Copy) -> None:
    markup = copy.translate("ru", "pep", lambda s: s.replace("</b>", "", 1), "</b>")
    ambulance = "{ambulance}"
    placeholder = copy.translate(
        "uk", "overdose_emergency", lambda s: s.replace(ambulance, "103"), ambulance
    )
    number = copy.translate("ro", "pep", lambda s: s.replace("72", "27"), "72")
    report = copy.check()
    assert _found(report, "error", "ru/LC_MESSAGES/content.po", markup, "never closed")
    assert _found(report, "error", "uk/LC_MESSAGES/content.po", placeholder, "placeholders")
    assert _found(report, "error", "ro/LC_MESSAGES/content.po", number, "numbers")


def test_a_broken_po_file_is_an_error_at_its_line(copy: Copy) -> None:
    path = copy.locales / "kk" / "LC_MESSAGES" / "content.po"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(30, 'msgtsr "a typo in a keyword"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = copy.check()
    errors = [p for p in report.errors if str(p.path).endswith("kk/LC_MESSAGES/content.po")]
    assert errors and errors[0].line == 31


def test_missing_and_stale_translations_are_counted(copy: Copy) -> None:
    before = {row.lang: row.counts for row in copy.check().content}
    path = copy.locales / "sr" / "LC_MESSAGES" / "content.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    dropped = next(m for m in catalog if m.context == "sti" and m.string)
    catalog.delete(dropped.id, context="sti")
    stale = next(m for m in catalog if m.context == "tuberculosis" and m.string)
    stale.flags.add("fuzzy")
    stale.previous_id = ["An older English sentence."]
    with path.open("wb") as handle:
        write_po(handle, catalog, include_previous=True)
    report = copy.check()
    after = {row.lang: row.counts for row in report.content}
    assert after["sr"][Status.MISSING] == before["sr"][Status.MISSING] + 1
    assert after["sr"][Status.STALE] == before["sr"][Status.STALE] + 1
    assert _found(report, "warning", "answers/sti.md", 1, "sr: 1 text(s) not translated")
    assert _found(report, "warning", "sr/LC_MESSAGES/content.po", None, "stale since the English")


def test_the_command_exits_non_zero_and_names_file_and_line(copy: Copy) -> None:
    line = copy.append("prep.md", "<b>unclosed")
    args = ["--content-dir", str(copy.content), "--locales-dir", str(copy.locales)]
    broken = bot_cli("content", "check", *args, env=dict(os.environ))
    assert broken.returncode == 1
    assert f"answers/prep.md:{line}: <b> is never closed" in broken.stdout
    assert "content check failed" in broken.stdout
    assert re.search(r"^ru\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+$", broken.stdout, re.MULTILINE)
    copy.replace("prep.md", "<b>unclosed", "")
    fixed = bot_cli("content", "check", *args, env=dict(os.environ))
    assert fixed.returncode == 0, fixed.stdout
