"""Reading and writing directory files: the flattened CSV (columns below) and HSDS 3.0 JSON.

Every bad row is reported with file, line and reason; nothing is imported from a file with a bad
row unless the caller asks for the good ones (`--partial`).

Flattened CSV, one row per service at a location (header names as listed in CSV_COLUMNS):
  service_types   taxonomy values separated by spaces or ";" (hiv_testing pep ...)
  phones          "+7 700 000 0000 [ru kk]; +7 ..."  (languages in brackets, optional)
  languages       "ru kk"
  hours           "Mo-Fr 09:00-18:00; Sa 10:00-14:00" in the location's `timezone` (IANA)
  free, anonymous, peer_run, no_documents, demo   yes/no (empty: not known)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.directory.records import (
    DAYS,
    SERVICE_TYPES,
    STATUSES,
    Opening,
    Phone,
    ServiceRecord,
    format_hours,
    parse_hours,
)

__all__ = ["CSV_COLUMNS", "RowProblem", "read_directory", "write_directory"]

CSV_COLUMNS = (
    "service_id",
    "organization_id",
    "organization_name",
    "organization_url",
    "service_name",
    "description",
    "service_types",
    "location_id",
    "latitude",
    "longitude",
    "address",
    "city",
    "region",
    "country",
    "timezone",
    "phones",
    "languages",
    "hours",
    "free",
    "anonymous",
    "peer_run",
    "no_documents",
    "status",
    "alert",
    "assured_date",
    "demo",
    "source",
)
REQUIRED = (
    "service_id",
    "organization_id",
    "organization_name",
    "service_name",
    "service_types",
    "location_id",
    "latitude",
    "longitude",
    "country",
)
FLAGS = ("free", "anonymous", "peer_run", "no_documents")
_TRUE = {"yes", "true", "1", "y"}
_FALSE = {"no", "false", "0", "n"}
_PHONE = re.compile(r"^(?P<number>\+?[0-9][0-9 ()\-]{2,30}?)\s*(?:\[(?P<langs>[a-z ,]*)\])?$")
_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,100}$")
VOCABULARY_TYPE = "opora_service_type"
VOCABULARY_FLAG = "opora_flag"


@dataclass(frozen=True)
class RowProblem:
    path: Path
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


class _Row:
    """Field access for one row that collects every problem instead of stopping at the first."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        self.reasons: list[str] = []

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        value = str(value).strip()
        return value or None

    def required(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            self.reasons.append(f"{name} is required")
            return ""
        return value

    def ident(self, name: str) -> str:
        value = self.required(name)
        if value and not _ID.match(value):
            self.reasons.append(f"{name} {value!r} may only hold letters, digits and _.:- (≤100)")
        return value

    def number(self, name: str, low: float, high: float) -> float:
        raw = self.required(name)
        if not raw:
            return 0.0
        try:
            value = float(raw.replace(",", "."))
        except ValueError:
            self.reasons.append(f"{name} {raw!r} is not a number")
            return 0.0
        if not low <= value <= high:
            self.reasons.append(f"{name} {value} is out of range ({low} to {high})")
        return value

    def flag(self, name: str) -> bool | None:
        raw = (self.text(name) or "").lower()
        if not raw:
            return None
        if raw in _TRUE or raw in _FALSE:
            return raw in _TRUE
        self.reasons.append(f"{name} must be yes or no, not {raw!r}")
        return None

    def types(self, raw: str) -> tuple[str, ...]:
        names = tuple(dict.fromkeys(t for t in re.split(r"[\s;,]+", raw) if t))
        unknown = [t for t in names if t not in SERVICE_TYPES]
        if unknown:
            self.reasons.append(
                f"unknown service type {', '.join(unknown)}; use {', '.join(SERVICE_TYPES)}"
            )
        elif raw and not names:
            self.reasons.append("service_types is empty")
        return tuple(t for t in names if t in SERVICE_TYPES)

    def country(self, raw: str) -> str:
        if raw and not re.fullmatch(r"[A-Z]{2}", raw):
            self.reasons.append(f"country {raw!r} must be an ISO code such as KZ")
        return raw

    def timezone(self, raw: str | None) -> str | None:
        if raw is None:
            return None
        try:
            ZoneInfo(raw)
        except (ZoneInfoNotFoundError, ValueError):
            self.reasons.append(f"timezone {raw!r} is not an IANA zone such as Asia/Almaty")
            return None
        return raw

    def date(self, name: str) -> dt.date | None:
        raw = self.text(name)
        if raw is None:
            return None
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            self.reasons.append(f"{name} {raw!r} is not a date like 2026-11-25")
            return None

    def status(self) -> str:
        raw = (self.text("status") or "active").lower()
        if raw not in STATUSES:
            self.reasons.append(f"status {raw!r} is not one of {', '.join(STATUSES)}")
        return raw

    def hours(self, raw: str | None) -> tuple[Opening, ...]:
        if raw is None:
            return ()
        try:
            return parse_hours(raw)
        except ValueError as exc:
            self.reasons.append(f"hours: {exc}")
            return ()


def _languages(raw: str | None) -> tuple[str, ...]:
    return tuple(code for code in re.split(r"[\s;,]+", (raw or "").lower()) if code)


def _phones(row: _Row) -> tuple[Phone, ...]:
    phones = []
    for part in filter(None, (p.strip() for p in (row.text("phones") or "").split(";"))):
        match = _PHONE.match(part)
        if match is None:
            row.reasons.append(f"phone {part!r} is not like '+7 700 000 0000 [ru kk]'")
            continue
        phones.append(Phone(match["number"].strip(), _languages(match["langs"])))
    return tuple(phones)


def record_from_row(values: dict[str, Any]) -> tuple[ServiceRecord | None, list[str]]:
    """A flattened row → a record, or None and every reason it cannot be imported."""
    row = _Row(values)
    for name in REQUIRED:
        if not row.text(name):
            row.reasons.append(f"{name} is required")
    if row.reasons:
        return None, row.reasons
    record = ServiceRecord(
        service_id=row.ident("service_id"),
        organization_id=row.ident("organization_id"),
        organization_name=row.required("organization_name"),
        service_name=row.required("service_name"),
        types=row.types(row.required("service_types")),
        location_id=row.ident("location_id"),
        latitude=row.number("latitude", -90, 90),
        longitude=row.number("longitude", -180, 180),
        country=row.country(row.required("country")),
        city=row.text("city"),
        region=row.text("region"),
        address=row.text("address"),
        timezone=row.timezone(row.text("timezone")),
        description=row.text("description"),
        organization_url=row.text("organization_url"),
        phones=_phones(row),
        languages=_languages(row.text("languages")),
        hours=row.hours(row.text("hours")),
        free=row.flag("free"),
        anonymous=row.flag("anonymous"),
        peer_run=row.flag("peer_run"),
        no_documents=row.flag("no_documents"),
        status=row.status(),
        alert=row.text("alert"),
        assured_date=row.date("assured_date"),
        demo=bool(row.flag("demo")),
        source=row.text("source"),
    )
    if record.hours and not record.timezone:
        row.reasons.append("hours need a timezone (e.g. Asia/Almaty) to tell if it is open now")
    return (None, row.reasons) if row.reasons else (record, [])


def _read_csv(path: Path, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise _FileError(1, f"missing column(s): {', '.join(missing)}")
    for values in reader:
        yield reader.line_num, values


class _FileError(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


def _flatten_json(service: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """An HSDS 3.0 service object → flattened rows, one per service_at_location."""
    organization = service.get("organization") or {}
    attributes = [a.get("taxonomy_term") or {} for a in service.get("attributes") or []]
    types = [t.get("code") for t in attributes if t.get("vocabulary") == VOCABULARY_TYPE]
    codes = [str(t.get("code") or "") for t in attributes if t.get("vocabulary") == VOCABULARY_FLAG]
    flags, known_flags = set(codes), {code.removeprefix("not_") for code in codes}
    phones = "; ".join(
        f"{p.get('number', '')} [{_codes(p.get('languages'))}]" for p in service.get("phones") or []
    )
    base = {
        "service_id": service.get("id"),
        "organization_id": organization.get("id"),
        "organization_name": organization.get("name"),
        "organization_url": organization.get("website"),
        "service_name": service.get("name"),
        "description": service.get("description"),
        "service_types": " ".join(str(t) for t in types if t),
        "phones": phones,
        "languages": _codes(service.get("languages")),
        "status": service.get("status"),
        "alert": service.get("alert"),
        "assured_date": service.get("assured_date"),
        "demo": "yes" if service.get("x_opora_demo") else "no",
        "source": service.get("x_opora_source"),
    }
    for name in FLAGS:
        base[name] = ("yes" if name in flags else "no") if name in known_flags else ""
    for at in service.get("service_at_locations") or [{}]:
        location = at.get("location") or {}
        address = (location.get("addresses") or [{}])[0]
        schedules = at.get("schedules") or []
        hours = "; ".join(
            f"{_byday_to_days(s.get('byday', ''))} {s.get('opens_at', '')}-{s.get('closes_at', '')}"
            for s in schedules
        )
        timezone = next((s.get("timezone") for s in schedules if s.get("timezone")), None)
        yield {
            **base,
            "location_id": location.get("id"),
            "latitude": location.get("latitude"),
            "longitude": location.get("longitude"),
            "address": address.get("address_1"),
            "city": address.get("city"),
            "region": address.get("state_province"),
            "country": address.get("country"),
            "timezone": timezone or location.get("x_opora_timezone"),
            "hours": hours,
        }


def _codes(languages: list[dict[str, str]] | None) -> str:
    return " ".join(lang.get("code", "") for lang in languages or [])


def _byday_to_days(byday: str) -> str:
    return ",".join(day.strip().title() for day in byday.split(",") if day.strip())


def _read_json(path: Path, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _FileError(exc.lineno, f"not valid JSON: {exc.msg}") from None
    services = data.get("services") if isinstance(data, dict) else data
    if not isinstance(services, list):
        raise _FileError(1, 'expected a list of HSDS services, or {"services": [...]}')
    for index, service in enumerate(services):
        if not isinstance(service, dict):
            yield 1, {"service_id": None}
            continue
        ident = str(service.get("id") or "")
        line = text[: text.find(json.dumps(ident))].count("\n") + 1 if ident else 1
        for row in _flatten_json(service):
            row["_where"] = f"services[{index}]"
            yield line, row


def read_directory(path: Path) -> tuple[list[ServiceRecord], list[RowProblem]]:
    """Every good record and every problem of one CSV or JSON file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [RowProblem(path, 1, f"cannot read the file: {exc}")]
    rows = _read_json if path.suffix.lower() == ".json" else _read_csv
    records: list[ServiceRecord] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    try:
        for line, values in rows(path, text):
            record, reasons = record_from_row(values)
            where = f"{values['_where']}: " if "_where" in values else ""
            problems.extend(RowProblem(path, line, where + reason) for reason in reasons)
            if record is None:
                continue
            if record.id in seen:
                problems.append(
                    RowProblem(path, line, f"duplicate of line {seen[record.id]} ({record.id})")
                )
                continue
            seen[record.id] = line
            records.append(record)
    except _FileError as exc:
        return [], [RowProblem(path, exc.line, exc.reason)]
    except csv.Error as exc:
        return [], [RowProblem(path, 1, f"not valid CSV: {exc}")]
    return records, problems


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def record_to_row(record: ServiceRecord) -> dict[str, str]:
    return {
        "service_id": record.service_id,
        "organization_id": record.organization_id,
        "organization_name": record.organization_name,
        "organization_url": record.organization_url or "",
        "service_name": record.service_name,
        "description": record.description or "",
        "service_types": " ".join(record.types),
        "location_id": record.location_id,
        "latitude": repr(record.latitude),
        "longitude": repr(record.longitude),
        "address": record.address or "",
        "city": record.city or "",
        "region": record.region or "",
        "country": record.country,
        "timezone": record.timezone or "",
        "phones": "; ".join(
            f"{p.number} [{' '.join(p.languages)}]" if p.languages else p.number
            for p in record.phones
        ),
        "languages": " ".join(record.languages),
        "hours": format_hours(record.hours),
        **{name: _yes_no(getattr(record, name)) for name in FLAGS},
        "status": record.status,
        "alert": record.alert or "",
        "assured_date": record.assured_date.isoformat() if record.assured_date else "",
        "demo": "yes" if record.demo else "no",
        "source": record.source or "",
    }


def _service_json(records: list[ServiceRecord]) -> dict[str, Any]:
    first = records[0]
    attributes = [
        {"taxonomy_term": {"vocabulary": VOCABULARY_TYPE, "code": t}} for t in first.types
    ] + [
        {"taxonomy_term": {"vocabulary": VOCABULARY_FLAG, "code": name if value else f"not_{name}"}}
        for name in FLAGS
        if (value := getattr(first, name)) is not None
    ]
    return {
        "id": first.service_id,
        "name": first.service_name,
        "description": first.description,
        "status": first.status,
        "alert": first.alert,
        "assured_date": first.assured_date.isoformat() if first.assured_date else None,
        "organization": {
            "id": first.organization_id,
            "name": first.organization_name,
            "website": first.organization_url,
        },
        "attributes": attributes,
        "languages": [{"code": code} for code in first.languages],
        "phones": [
            {"number": p.number, "languages": [{"code": code} for code in p.languages]}
            for p in first.phones
        ],
        "service_at_locations": [
            {
                "id": r.id,
                "location": {
                    "id": r.location_id,
                    "latitude": r.latitude,
                    "longitude": r.longitude,
                    "x_opora_timezone": r.timezone,
                    "addresses": [
                        {
                            "address_1": r.address,
                            "city": r.city,
                            "state_province": r.region,
                            "country": r.country,
                        }
                    ],
                },
                "schedules": [
                    {
                        "byday": ",".join(DAYS[d] for d in o.days),
                        "opens_at": o.clock(o.opens),
                        "closes_at": o.clock(o.closes),
                        "timezone": r.timezone,
                    }
                    for o in r.hours
                ],
            }
            for r in records
        ],
        "x_opora_demo": first.demo,
        "x_opora_source": first.source,
    }


def write_directory(path: Path, records: Iterable[ServiceRecord]) -> int:
    """Write records as flattened CSV, or as HSDS JSON when the name ends in .json."""
    records = sorted(records, key=lambda r: (r.service_id, r.location_id))
    if path.suffix.lower() == ".json":
        by_service: dict[str, list[ServiceRecord]] = {}
        for record in records:
            by_service.setdefault(record.service_id, []).append(record)
        payload = {"services": [_service_json(group) for group in by_service.values()]}
        path.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return len(records)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for record in records:
            writer.writerow(record_to_row(record))
    return len(records)
