"""Made-up cases for trying the statistics and for the sample export in docs/stats/.

Deterministic (a fixed random seed), so the committed sample can be made again. Nothing here is
real: the numbers only show the layout.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from bot.cases.categories import (
    AGE_BANDS,
    GENDERS,
    GROUPS,
    SERVICES_GIVEN,
    VIOLATIONS,
)
from bot.cases.tables import Case

__all__ = ["demo_cases"]

# Weights: police and health workers dominate in the programme reports this imitates.
_PERPETRATORS = {
    "police": 40,
    "health": 20,
    "family": 10,
    "individual": 8,
    "social": 6,
    "prison": 6,
    "employer": 4,
    "other": 2,
}
_COUNTRIES = {"KZ": 30, "KG": 20, "UA": 25, "MD": 10, "TJ": 8, "RS": 5, "ME": 2}
_TOWNS = {
    "KZ": ["Алматы", "Астана", "Шымкент"],
    "KG": ["Бишкек", "Ош"],
    "UA": ["Київ", "Одеса", "Дніпро"],
    "MD": ["Chișinău", "Bălți"],
    "TJ": ["Душанбе"],
    "RS": ["Beograd", "Novi Sad"],
    "ME": ["Podgorica"],
}


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def demo_cases(count: int, start: dt.date, end: dt.date, seed: int = 2026) -> list[Case]:
    rng = random.Random(seed)  # noqa: S311 (made-up data, reproducible on purpose)
    span = (end - start).days + 1
    cases = []
    for n in range(count):
        created = dt.datetime.combine(
            start + dt.timedelta(days=rng.randrange(span)), dt.time(9), tzinfo=dt.UTC
        ) + dt.timedelta(minutes=rng.randrange(600))
        report = rng.random() < 0.85
        country = _pick(rng, _COUNTRIES)
        fields: dict[str, Any] = {
            "code": f"D{n:06d}",
            "kind": "report" if report else "consultation",
            "client": None,
            "language": "ru",
            "country": country,
            "city": rng.choice(_TOWNS[country]) if rng.random() < 0.8 else None,
            "submission": f"demo-{seed}-{n}",
            "created_at": created,
            "urgent": rng.random() < 0.08,
            "violations": rng.sample(sorted(VIOLATIONS), rng.choice((1, 1, 2))) if report else [],
            "perpetrators": [_pick(rng, _PERPETRATORS)] if report else [],
            "groups": rng.sample(sorted(GROUPS)[:8], rng.choice((1, 2))),
            "gender": rng.choice(sorted(GENDERS)),
            "age_band": rng.choice(sorted(AGE_BANDS)),
            "status": "new",
            "services_given": [],
        }
        if rng.random() < 0.9:
            fields["first_response_at"] = created + dt.timedelta(hours=rng.expovariate(1 / 10))
            fields["status"] = "in_progress"
            fields["services_given"] = rng.sample(sorted(SERVICES_GIVEN), rng.choice((1, 2)))
        if "first_response_at" in fields and rng.random() < 0.6:
            fields["closed_at"] = created + dt.timedelta(days=rng.uniform(2, 60))
            fields["status"] = "resolved"
            fields["outcome"] = rng.choices(["full", "partial", "none"], [5, 3, 2])[0]
            fields["qualified"] = rng.random() < 0.8
        cases.append(Case(**fields))
    return cases
