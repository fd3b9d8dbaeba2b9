"""The information topics, keyed by intent name, and the menu sections that list them.

Only labels live here (UI strings); the answers themselves come from content/ (issue 4).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import N_

__all__ = ["SECTIONS", "TOPICS", "URGENT_INTENTS", "Section", "Topic"]


@dataclass(frozen=True)
class Topic:
    intent: str
    label: str


@dataclass(frozen=True)
class Section:
    key: str
    icon: str
    label: str
    topics: tuple[Topic, ...]


SECTIONS = (
    Section(
        "health",
        "🩺",
        N_("Health & HIV"),
        (
            Topic("hiv_info", N_("What HIV is")),
            Topic("hiv_testing", N_("HIV testing")),
            Topic("prep", N_("PrEP: before a risk")),
            Topic("pep", N_("PEP: after a risk")),
            Topic("hiv_treatment", N_("HIV treatment")),
            Topic("hepatitis_c", N_("Hepatitis C")),
            Topic("tuberculosis", N_("Tuberculosis")),
            Topic("sti", N_("Other STIs")),
        ),
    ),
    Section(
        "ost",
        "💊",
        N_("OST & harm reduction"),
        (
            Topic("overdose_emergency", N_("Overdose: help now")),
            Topic("ost_info", N_("About OST")),
            Topic("ost_enrollment", N_("Getting on OST")),
            Topic("harm_reduction", N_("Safer use")),
            Topic("naloxone", N_("Naloxone")),
        ),
    ),
    Section(
        "rights",
        "⚖️",
        N_("My rights"),
        (
            Topic("detained_now", N_("🚨 Stopped by police right now")),
            Topic("rights_police", N_("Police")),
            Topic("rights_healthcare", N_("Doctors and clinics")),
            Topic("rights_hiv_disclosure", N_("HIV status confidentiality")),
            Topic("rights_prison", N_("Prison and detention")),
        ),
    ),
)

TOPICS = {topic.intent: topic for section in SECTIONS for topic in section.topics}
TOPICS["mental_health_crisis"] = Topic("mental_health_crisis", N_("Crisis support"))

# Intents that must be answered first and never lost to a menu or a "did you mean".
URGENT_INTENTS = frozenset({"overdose_emergency", "mental_health_crisis"})
