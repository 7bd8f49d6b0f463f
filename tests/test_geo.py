"""planner.geo: the offline gazetteer, Nominatim (geopy) on a local server, time zones, distance."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from planner.geo import (
    Gazetteer,
    GeoError,
    NominatimGeocoder,
    Place,
    distance_km,
    timezone_at,
)
from planner.politeness import LocalHostLimiter
from tests.localserver import LocalServer

UA = "planner-test/0.1 (+https://example.org/planner; ops@example.org)"


@pytest.fixture(scope="session")
def gazetteer() -> Gazetteer:
    gazetteer = Gazetteer()
    gazetteer.locate("Berlin")  # builds the process-wide index once for the session
    return gazetteer


@pytest.mark.parametrize(
    ("text", "name", "country", "region_lat"),
    [
        ("Berlin", "Berlin", "DE", 52.5),
        ("Berlin, Germany", "Berlin", "DE", 52.5),
        ("Berlin, NH", "Berlin", "US", 44.5),
        ("Paris", "Paris", "FR", 48.9),
        ("Paris, France", "Paris", "FR", 48.9),
        ("Paris, TX", "Paris", "US", 33.7),
        ("Paris, Texas", "Paris", "US", 33.7),
        ("Paris, US", "Paris", "US", 33.7),
        ("Munich", "Munich", "DE", 48.1),
        ("München", "Munich", "DE", 48.1),
        ("Muenchen", "Munich", "DE", 48.1),
        ("Köln", "Köln", "DE", 50.9),
        ("Cologne", "Köln", "DE", 50.9),
        ("koln", "Köln", "DE", 50.9),
        ("NYC", "New York City", "US", 40.7),
        ("New York, NY", "New York City", "US", 40.7),
        ("SF", "San Francisco", "US", 37.8),
        ("LA", "Los Angeles", "US", 34.1),  # not Laos
        ("Seattle, WA", "Seattle", "US", 47.6),
        ("Seattle, WA, U.S.A.", "Seattle", "US", 47.6),
        ("Seattle, Washington, United States", "Seattle", "US", 47.6),
        ("Dover, DE", "Dover", "US", 39.2),  # DE the state, since Germany has no Dover
        ("Berlin, DE", "Berlin", "DE", 52.5),
        ("Washington", "Washington", "US", 38.9),
        ("Washington, DC", "Washington", "US", 38.9),
        (
            "Some Venue, Washington",
            "Washington",
            "US",
            38.9,
        ),  # DE the country, since Delaware has no Berlin
        ("Toronto, ON", "Toronto", "CA", 43.7),
        ("Alexanderplatz 1, 10115 Berlin, Germany", "Berlin", "DE", 52.5),
        ("Munich, Bavaria, Germany", "Munich", "DE", 48.1),
    ],
)
def test_gazetteer_locates_cities(
    gazetteer: Gazetteer, text: str, name: str, country: str, region_lat: float
) -> None:
    place = gazetteer.locate(text)
    assert place is not None
    assert (place.name, place.country, place.source) == (name, country, "gazetteer")
    assert place.lat == pytest.approx(region_lat, abs=0.1)


@pytest.mark.parametrize(
    "text", ["Spokane, WA", "1720 W 4th Ave Unit B, Spokane, WA, us", "Spokane, WA 99201"]
)
def test_gazetteer_reads_event_addresses(gazetteer: Gazetteer, text: str) -> None:
    assert gazetteer.locate(text) == Place(
        "Spokane", 47.65966, -117.42908, "America/Los_Angeles", "US", 229447, "gazetteer"
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        " , ",
        "Online",
        "Qwxzyville",
        "U.S.A.",
        "Germany",
        "DE",
        "Berlin, Texas",
        "Cafe, Berlin, Idaho",
    ],
)
def test_gazetteer_answers_none_when_no_city_is_named(gazetteer: Gazetteer, text: str) -> None:
    assert gazetteer.locate(text) is None


def test_gazetteer_prefers_the_populous_berlin(gazetteer: Gazetteer) -> None:
    berlin = gazetteer.locate("Berlin")
    assert berlin is not None and berlin.population is not None
    assert berlin.population > 3_000_000 and berlin.timezone == "Europe/Berlin"


def test_timezone_at() -> None:
    assert timezone_at(52.52, 13.40) == "Europe/Berlin"
    assert timezone_at(47.66, -117.43) == "America/Los_Angeles"


def test_distance_berlin_potsdam(gazetteer: Gazetteer) -> None:
    berlin, potsdam = gazetteer.locate("Berlin"), gazetteer.locate("Potsdam")
    assert berlin is not None and potsdam is not None
    km = distance_km((berlin.lat, berlin.lon), (potsdam.lat, potsdam.lon))
    assert km == pytest.approx(27, abs=2)
    assert distance_km((0.0, 0.0), (0.0, 0.0)) == 0.0


class FakeClock:
    """A monotonic clock that only moves when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


SPOKANE = [
    {
        "place_id": 298167000,
        "licence": "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright",
        "osm_type": "relation",
        "osm_id": 237385,
        "lat": "47.6571934",
        "lon": "-117.42351",
        "class": "boundary",
        "type": "administrative",
        "place_rank": 16,
        "importance": 0.6712,
        "addresstype": "city",
        "name": "Spokane",
        "display_name": "Spokane, Spokane County, Washington, United States",
        "address": {
            "city": "Spokane",
            "county": "Spokane County",
            "state": "Washington",
            "ISO3166-2-lvl4": "US-WA",
            "country": "United States",
            "country_code": "us",
        },
        "extratags": {"population": "228989", "wikidata": "Q187805"},
        "boundingbox": ["47.5876", "47.7587", "-117.6036", "-117.3036"],
    }
]


def _geocoder(local_server: LocalServer, clock: FakeClock) -> NominatimGeocoder:
    limiter = LocalHostLimiter(1.0, clock=clock, sleep=clock.sleep)
    domain = f"127.0.0.1:{local_server.port}"
    return NominatimGeocoder(UA, domain=domain, scheme="http", limiter=limiter)


def test_nominatim_locates_through_geopy(local_server: LocalServer) -> None:
    body = json.dumps(SPOKANE).encode()
    local_server.add("/search", body, content_type="application/json")
    clock = FakeClock()
    geocoder = _geocoder(local_server, clock)
    place = geocoder.locate("1720 W 4th Ave Unit B, Spokane, WA")
    again = geocoder.locate("Spokane, WA")
    assert place == Place(
        "Spokane", 47.6571934, -117.42351, "America/Los_Angeles", "US", 228989, "nominatim"
    )
    assert again == place
    first, second = local_server.requests
    assert first.headers["User-Agent"] == UA
    query = parse_qs(urlsplit(first.path).query)
    assert query["q"] == ["1720 W 4th Ave Unit B, Spokane, WA"] and query["format"] == ["json"]
    assert clock.sleeps == [pytest.approx(1.0)]  # the second lookup waited out the interval


def test_nominatim_empty_result_is_none(local_server: LocalServer) -> None:
    local_server.add("/search", b"[]", content_type="application/json")
    assert _geocoder(local_server, FakeClock()).locate("Qwxzyville") is None


def test_nominatim_server_error_is_geo_error(local_server: LocalServer) -> None:
    local_server.add("/search", b"oops", content_type="text/plain", status=500)
    with pytest.raises(GeoError, match="Nominatim at 127.0.0.1:.* failed for 'Berlin'") as info:
        _geocoder(local_server, FakeClock()).locate("Berlin")
    assert info.value.query == "Berlin"
