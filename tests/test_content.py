"""The answers in content/ and their translations: coverage, facts, fallbacks and rendering."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from bot.content.library import ContentLibrary, Loaded, load_everything, nlu_intents
from bot.content.locales import update_catalogs
from bot.content.markup import MAX_MESSAGE, markup_problems, plain_text
from bot.content.render import DRAFT_MARK, LEGAL_MARK, NO_NUMBER, split_messages
from bot.content.translations import Status
from bot.settings import ROOT, Settings, load_settings

SETTINGS = load_settings(env={})
LANGUAGES = SETTINGS.languages.supported
INTENTS = nlu_intents(ROOT / "nlu" / "data")
CURRENT = (Status.REVIEWED, Status.DRAFT)
AMBULANCE = [
    ("KZ", "103"),
    ("KG", "103"),
    ("UA", "103"),
    ("RS", "194"),
    ("ME", "124"),
    ("MD", "112"),
]


@pytest.fixture(scope="module")
def library() -> ContentLibrary:
    return ContentLibrary(ROOT, SETTINGS.languages, SETTINGS.countries)


def _text(library: ContentLibrary, intent: str, lang: str, country: str | None = None) -> str:
    rendered = library.render(intent, library.catalogs.get(lang), country)
    return plain_text("\n\n".join(rendered.messages))


def test_shipped_content_loads_without_errors(library: ContentLibrary) -> None:
    assert [str(p) for p in library.live.errors] == []


@pytest.mark.parametrize("intent", sorted(INTENTS))
def test_every_intent_has_an_answer_or_a_flow(library: ContentLibrary, intent: str) -> None:
    assert library.has_answer(intent)
    rendered = library.render(intent, library.catalogs.get("en"), None)
    assert rendered.messages or rendered.flow


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_text_is_translated_in_every_language(library: ContentLibrary, lang: str) -> None:
    """Each language has its own text for every paragraph, title and button: no English leaks."""
    live = library.live
    untranslated = [
        f"{part.path.name}:{text.line}"
        for part in live.content.parts
        for text in part.texts()
        if live.translations.status(lang, part.key, text.text)
        not in (Status.REVIEWED, Status.DRAFT)
    ]
    assert untranslated == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_answer_renders_valid_telegram_messages(library: ContentLibrary, lang: str) -> None:
    t = library.catalogs.get(lang)
    for intent in library.content.answers:
        for country in (None, *SETTINGS.countries):
            rendered = library.render(intent, t, country)
            for message in rendered.messages:
                assert len(message) <= MAX_MESSAGE
                assert markup_problems(message) == [], (intent, lang, country)
            for label, data in rendered.buttons:
                assert label and len(data.encode()) <= 64


# The facts table of shared/DOMAIN.md, as far as a number or a phrase can prove it in any language.
@pytest.mark.parametrize("lang", LANGUAGES)
def test_key_facts_hold_in_every_language(library: ContentLibrary, lang: str) -> None:
    pep = _text(library, "pep", lang)
    assert "72" in pep and "28" in pep and "24" in pep
    assert "95" in _text(library, "hepatitis_c", lang)
    assert "1000" in _text(library, "hiv_treatment", lang)
    assert "2–3" in _text(library, "naloxone", lang)  # repeat the dose after 2–3 minutes
    assert "2+1+1" in _text(library, "prep", lang)
    for intent in set(library.content.answers) - {"prep"}:
        assert "2+1+1" not in _text(library, intent, lang), intent


def test_event_driven_prep_is_only_described_for_men_who_have_sex_with_men(
    library: ContentLibrary,
) -> None:
    paragraphs = [
        (part.path.name, text.text)
        for part in library.content.parts
        for text in part.texts()
        if "2+1+1" in text.text
    ]
    assert paragraphs, "prep.md must explain 2+1+1"
    for name, text in paragraphs:
        assert name == "prep.md"
        assert "men who have sex with men" in text or "not recommended" in text, text


@pytest.mark.parametrize(
    ("country", "number"),
    [("KZ", "103"), ("KG", "103"), ("UA", "103"), ("RS", "194"), ("ME", "124"), ("MD", "112")],
)
@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_overdose_answer_names_the_countrys_ambulance_number(
    library: ContentLibrary, lang: str, country: str, number: str
) -> None:
    rendered = library.render("overdose_emergency", library.catalogs.get(lang), country)
    assert rendered.urgent
    assert number in rendered.messages[0].split("\n")[0]
    assert any(data == "find:naloxone" for _, data in rendered.buttons)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_unverified_or_unknown_number_is_never_shown(library: ContentLibrary, lang: str) -> None:
    t = library.catalogs.get(lang)
    # Tajikistan's ambulance number has no verified_on date in numbers.yml.
    assert library.content.numbers["TJ"]["ambulance"].verified_on is None
    for country in ("TJ", None, "ZZ"):
        text = _text(library, "overdose_emergency", lang, country)
        assert "103" not in text
        assert t.gettext(NO_NUMBER) in text


def test_country_part_follows_the_common_part_with_its_review_mark(library: ContentLibrary) -> None:
    t = library.catalogs.get("ru")
    rendered = library.render("rights_police", t, "KZ")
    text = "\n\n".join(rendered.messages)
    assert "📍" in text and "⚖️" in text
    assert t.gettext(LEGAL_MARK) in text and t.gettext(LEGAL_MARK) != LEGAL_MARK
    assert rendered.awaiting_legal_review
    # Without a country part (or a country) there is no local section and no legal mark.
    assert "⚖️" not in "".join(library.render("rights_police", t, None).messages)


def test_urgent_answers_are_the_intents_the_bot_treats_as_urgent(library: ContentLibrary) -> None:
    from bot.content.library import DERIVED_INTENTS
    from bot.topics import URGENT_INTENTS

    urgent = {i for i, a in library.content.answers.items() if a.common.urgent}
    # The NLU's urgent intents, and "detained now", which the bot derives from urgent words.
    assert urgent == URGENT_INTENTS | DERIVED_INTENTS


def test_machine_drafted_translation_says_so(library: ContentLibrary) -> None:
    ru = library.render("pep", library.catalogs.get("ru"), None)
    en = library.render("pep", library.catalogs.get("en"), None)
    assert ru.unreviewed_translation and not en.unreviewed_translation
    assert library.catalogs.get("ru").gettext(DRAFT_MARK) in ru.messages[-1]
    assert "PEP" in ru.messages[0] and ru.messages[0] != en.messages[0]


def test_long_answers_split_between_paragraphs() -> None:
    paragraphs = [f"{n} " + "word " * 300 for n in range(10)]
    messages = split_messages(paragraphs, limit=4096)
    assert len(messages) > 1 and all(len(m) <= 4096 for m in messages)
    assert "\n\n".join(messages) == "\n\n".join(paragraphs)
    (only,) = split_messages(["x " * 3000], limit=4096)[:1]
    assert len(only) <= 4096


# --- Stale translations fall back along the chain ------------------------------------------


def _copy(tmp_path: Path) -> tuple[Path, Path]:
    content, locales = tmp_path / "content", tmp_path / "locales"
    shutil.copytree(ROOT / "content", content)
    shutil.copytree(ROOT / "locales", locales)
    return content, locales


def _load(content: Path, locales: Path, settings: Settings = SETTINGS) -> Loaded:
    return load_everything(content, locales, settings.languages, INTENTS, settings.countries)


def _edit_po(
    locales: Path, lang: str, context: str, source: str, new: str | None, fuzzy: bool
) -> None:
    path = locales / lang / "LC_MESSAGES" / "content.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    message = catalog.get(source, context=context)
    assert message is not None, (lang, context, source)
    if new is None:
        catalog.delete(source, context=context)
    else:
        message.string = new
        message.previous_id = []
        if fuzzy:
            message.flags.add("fuzzy")
        else:
            message.flags.discard("fuzzy")
    with path.open("wb") as handle:
        write_po(handle, catalog, include_previous=True)


PEP_SECOND = (
    "PEP (post-exposure prophylaxis) is a course of HIV medicines that can stop HIV from taking "
    "hold after a risk"
)


def _change_english(content: Path, old_start: str, addition: str) -> tuple[str, str]:
    """Append a sentence to the paragraph starting with `old_start`; return (old, new) text."""
    path = content / "answers" / "pep.md"
    text = path.read_text(encoding="utf-8")
    old = next(line for line in text.splitlines() if line.startswith(old_start))
    new = old + " " + addition
    path.write_text(text.replace(old, new), encoding="utf-8")
    return old, new


def test_stale_translation_falls_back_along_the_chain(tmp_path: Path) -> None:
    content, locales = _copy(tmp_path)
    _, new = _change_english(content, PEP_SECOND, "Ask for it by name.")
    _extract(content, locales)
    update_catalogs(locales, "content", tuple(lang for lang in LANGUAGES if lang != "en"))

    loaded = _load(content, locales)
    assert loaded.translations.status("kk", "pep", new) is Status.STALE
    assert loaded.translations.status("ru", "pep", new) is Status.STALE
    # A Russian reviewer updates their translation; Kazakh is still stale.
    _edit_po(locales, "ru", "pep", new, "ПКП — это новый проверенный перевод.", fuzzy=False)
    loaded = _load(content, locales)
    kk = loaded.catalogs.get("kk")
    chain = SETTINGS.languages.chain("kk")
    from bot.content.render import render_answer

    text = "\n".join(
        render_answer(loaded.content, loaded.translations, kk, "pep", chain, None).messages
    )
    assert "ПКП — это новый проверенный перевод." in text  # kk → ru
    uk = loaded.catalogs.get("uk")
    text = "\n".join(
        render_answer(
            loaded.content, loaded.translations, uk, "pep", SETTINGS.languages.chain("uk"), None
        ).messages
    )
    assert new in text  # uk → en: the chain for Ukrainian is uk → en
    # Running `make locales` again keeps the Kazakh entry stale (Babel alone would forget it).
    update_catalogs(locales, "content", tuple(lang for lang in LANGUAGES if lang != "en"))
    assert _load(content, locales).translations.status("kk", "pep", new) is Status.STALE
    po = (locales / "kk" / "LC_MESSAGES" / "content.po").read_text(encoding="utf-8")
    assert po.count("#| msgid") == 1 and "# | msgid" not in po  # no copies pile up


def _extract(content: Path, locales: Path) -> None:
    """What `make locales` does for content: extract answer texts into content.pot."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    catalog = Catalog(project="Opora")
    method_map = [("answers/*.md", "bot.content.extract.extract")]
    for filename, lineno, message, comments, context in extract_from_dir(
        str(content), method_map=method_map
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    with (locales / "content.pot").open("wb") as handle:
        write_po(handle, catalog)


def test_the_committed_template_is_up_to_date(tmp_path: Path) -> None:
    """`make locales` was run after the last change to content/ (else translators miss texts)."""
    _extract(ROOT / "content", tmp_path)
    with (tmp_path / "content.pot").open("rb") as handle:
        fresh = {(m.context, m.id) for m in read_po(handle) if m.id}
    with (ROOT / "locales" / "content.pot").open("rb") as handle:
        committed = {(m.context, m.id) for m in read_po(handle) if m.id}
    assert fresh == committed


def test_numbers_must_stay_digits_in_translations(tmp_path: Path) -> None:
    content, locales = _copy(tmp_path)
    first = next(p for p in _load(content, locales).content.parts if p.key == "pep").paragraphs[0]
    broken = re.sub("72", "27", first.text)
    _edit_po(locales, "ro", "pep", first.text, broken, fuzzy=True)
    loaded = _load(content, locales)
    assert any("numbers" in p.message and "ro" in str(p.path) for p in loaded.errors)
    # The broken translation is not served: Romanian falls back to English for that paragraph.
    assert loaded.translations.get("ro", "pep", first.text) is None
