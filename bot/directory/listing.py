"""Search results as a person reads them: short lines with distance, hours, marks and warnings."""

from __future__ import annotations

import datetime as dt
import html

from bot.directory.records import opening_now
from bot.directory.search import Found
from bot.i18n import N_, Translator

__all__ = ["TYPE_LABELS", "describe", "type_label"]

TYPE_LABELS = {
    "hiv_testing": N_("HIV testing"),
    "art": N_("HIV treatment (ART)"),
    "ost": N_("OST"),
    "needle_syringe": N_("Needles and syringes"),
    "prep": N_("PrEP"),
    "pep": N_("PEP"),
    "naloxone": N_("Naloxone"),
    "hepatitis": N_("Hepatitis"),
    "tb": N_("TB"),
    "sti": N_("STI testing"),
    "legal_aid": N_("Legal help"),
    "shelter": N_("Shelter"),
    "community_center": N_("Community centre"),
    "mental_health": N_("Mental health"),
}
MARKS = (
    ("free", N_("free")),
    ("anonymous", N_("anonymous")),
    ("peer_run", N_("peer-run")),
    ("no_documents", N_("no documents needed")),
)


def type_label(t: Translator, types: tuple[str, ...]) -> str:
    if not types:
        return t.gettext("All services")
    return ", ".join(t.gettext(TYPE_LABELS[name]) for name in types)


def describe(t: Translator, number: int, found: Found, now: dt.datetime) -> str:
    """One result, in a few short lines of Telegram HTML."""
    r = found.record
    lines = [f"{number}. <b>{html.escape(r.organization_name)}</b> — {found.distance_km:.1f} km"]
    if r.service_name != r.organization_name:
        lines.append(html.escape(r.service_name))
    open_now, closes = opening_now(r.hours, r.timezone, now)
    details = []
    if open_now is True:
        until = t.gettext("open now, until {time}").format(time=closes) if closes else ""
        details.append("🟢 " + (until or t.gettext("open now")))
    elif open_now is False:
        details.append("🔴 " + t.gettext("closed now"))
    details.extend(t.gettext(label) for name, label in MARKS if getattr(r, name))
    if r.languages:
        details.append("🗣 " + " ".join(r.languages))
    if details:
        lines.append(" · ".join(details))
    if r.alert:
        lines.append("⚠️ " + html.escape(r.alert))
    if r.status == "temporarily closed":
        lines.append("⚠️ " + t.gettext("temporarily closed"))
    if r.demo:
        lines.append("🧪 <i>" + t.gettext("Demo entry: verify before going.") + "</i>")
    elif r.assured_date:
        lines.append(t.gettext("Last verified: {date}").format(date=r.assured_date.isoformat()))
    else:
        lines.append(t.gettext("Not verified yet."))
    return "\n".join(lines)
