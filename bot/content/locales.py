"""`make locales`: update every language's .po files from the extracted templates.

Babel's own update forgets a stale entry's previous source on the next run (turning "stale"
into "draft"); this keeps it, so an entry stays stale until a translator clears the fuzzy mark.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from bot.content.translations import read_catalog

__all__ = ["update_catalogs"]


def _read(path: Path, locale: str | None = None) -> Catalog:
    catalog = read_catalog(path)
    if locale:
        catalog.locale = locale
    return catalog


def update_catalogs(locales_dir: Path, domain: str, languages: tuple[str, ...]) -> list[Path]:
    """Merge locales/<domain>.pot into each language's <domain>.po, creating missing ones."""
    template = _read(locales_dir / f"{domain}.pot")
    written = []
    for lang in languages:
        path = locales_dir / lang / "LC_MESSAGES" / f"{domain}.po"
        if path.exists():
            catalog = _read(path, lang)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=lang, domain=domain, project="Opora")
        previous = {
            (m.id, m.context): list(m.previous_id) for m in catalog if m.id and m.previous_id
        }
        catalog.update(template, update_header_comment=False)
        for message in catalog:
            key = (message.id, message.context)
            if message.fuzzy and not message.previous_id and key in previous:
                message.previous_id = previous[key]
            if not message.fuzzy:
                message.previous_id = []
        with path.open("wb") as handle:
            write_po(handle, catalog, include_previous=True)
        written.append(path)
    return written
