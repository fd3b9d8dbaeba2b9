"""One directory entry as importers, exporters, search and the bot see it: a service at a place."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.content.model import SERVICE_TYPES

__all__ = [
    "DAYS",
    "SERVICE_TYPES",
    "STATUSES",
    "Opening",
    "Phone",
    "ServiceRecord",
    "format_hours",
    "is_open",
    "opening_now",
    "parse_hours",
    "type_mask",
]

STATUSES = ("active", "inactive", "defunct", "temporarily closed")
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DAY_ALIASES = {"mo": 0, "tu": 1, "we": 2, "th": 3, "fr": 4, "sa": 5, "su": 6}
_RANGE = re.compile(
    r"^(?P<days>[A-Za-z]{2}(?:\s*-\s*[A-Za-z]{2})?(?:\s*,\s*[A-Za-z]{2}(?:\s*-\s*[A-Za-z]{2})?)*)"
    r"\s+(?P<opens>\d{1,2}:\d{2})\s*-\s*(?P<closes>\d{1,2}:\d{2})$"
)


def type_mask(types: tuple[str, ...] | list[str]) -> int:
    """One bit per service type, so SQL can filter with `type_mask & bit`."""
    mask = 0
    for name in types:
        mask |= 1 << SERVICE_TYPES.index(name)
    return mask


@dataclass(frozen=True)
class Phone:
    number: str
    languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Opening:
    """Open on these weekdays (0 = Monday) from `opens` to `closes` (minutes after midnight)."""

    days: tuple[int, ...]
    opens: int
    closes: int

    @property
    def byday(self) -> str:
        return ",".join(DAYS[d] for d in self.days)

    @staticmethod
    def clock(minutes: int) -> str:
        return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(text: str) -> int:
    hours, minutes = (int(part) for part in text.split(":"))
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or (hours == 24 and minutes):
        raise ValueError(f"{text!r} is not a time of day")
    return hours * 60 + minutes


def _days(text: str) -> tuple[int, ...]:
    days: list[int] = []
    for chunk in text.split(","):
        ends = [part.strip().lower() for part in chunk.split("-")]
        if any(end not in _DAY_ALIASES for end in ends):
            raise ValueError(f"{chunk.strip()!r} is not a day such as Mo, Tu, We, Th, Fr, Sa, Su")
        first, last = _DAY_ALIASES[ends[0]], _DAY_ALIASES[ends[-1]]
        span = range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)]
        days.extend(span)
    return tuple(sorted(set(days)))


def parse_hours(text: str) -> tuple[Opening, ...]:
    """'Mo-Fr 09:00-18:00; Sa 10:00-14:00' → openings. Raises ValueError saying what is wrong."""
    openings = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        match = _RANGE.match(part)
        if match is None:
            raise ValueError(f"{part!r} is not like 'Mo-Fr 09:00-18:00'")
        opens, closes = _minutes(match["opens"]), _minutes(match["closes"])
        if closes == opens:
            raise ValueError(f"{part!r} opens and closes at the same time")
        openings.append(Opening(_days(match["days"]), opens, closes))
    return tuple(openings)


def format_hours(openings: tuple[Opening, ...]) -> str:
    """The inverse of parse_hours (days written out one by one)."""
    return "; ".join(
        f"{','.join(DAYS[d].title() for d in o.days)} {o.clock(o.opens)}-{o.clock(o.closes)}"
        for o in openings
    )


def opening_now(
    openings: tuple[Opening, ...], timezone: str | None, now: dt.datetime
) -> tuple[bool | None, str | None]:
    """(open at `now`?, the local closing time if open). None when hours or zone are unknown."""
    if not openings or not timezone:
        return None, None
    try:
        local = now.astimezone(ZoneInfo(timezone))
    except ZoneInfoNotFoundError:
        return None, None
    minute = local.hour * 60 + local.minute
    today, yesterday = local.weekday(), (local.weekday() - 1) % 7
    for opening in openings:
        closes = Opening.clock(opening.closes % (24 * 60))
        if opening.opens < opening.closes:
            if today in opening.days and opening.opens <= minute < opening.closes:
                return True, closes
        else:  # past midnight, e.g. 20:00-02:00
            if today in opening.days and minute >= opening.opens:
                return True, closes
            if yesterday in opening.days and minute < opening.closes:
                return True, closes
    return False, None


def is_open(openings: tuple[Opening, ...], timezone: str | None, now: dt.datetime) -> bool | None:
    """Open at `now` (an aware datetime)? None when the hours or the timezone are not known."""
    return opening_now(openings, timezone, now)[0]


@dataclass
class ServiceRecord:
    """A service at one location, with its organisation: one row of the flattened CSV."""

    service_id: str
    organization_id: str
    organization_name: str
    service_name: str
    types: tuple[str, ...]
    location_id: str
    latitude: float
    longitude: float
    country: str
    city: str | None = None
    region: str | None = None
    address: str | None = None
    timezone: str | None = None
    description: str | None = None
    organization_url: str | None = None
    phones: tuple[Phone, ...] = ()
    languages: tuple[str, ...] = ()
    hours: tuple[Opening, ...] = ()
    free: bool | None = None
    anonymous: bool | None = None
    peer_run: bool | None = None
    no_documents: bool | None = None
    status: str = "active"
    alert: str | None = None
    assured_date: dt.date | None = None
    demo: bool = False
    source: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """The service_at_location id: stable across re-imports of the same data."""
        return f"{self.service_id}@{self.location_id}"
