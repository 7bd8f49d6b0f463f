"""The HTML readers without JSON-LD: schema.org microdata, microformats (h-event, hCalendar) and the
heuristic reader for pages with no structured data at all; the lxml tree they read (`Page.tree`,
whose text and HTML must be what BeautifulSoup gives) and the schema.org rules shared with JSON-LD.

Real pages come from ../shared/fixtures/html (provenance in its SOURCES.md); the expected facts
below were read from the pages themselves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from scrapers import heuristic, jsonld, microdata, microformats, schema
from scrapers.model import Person, RawEvent
from scrapers.page import Page, inner_html, inner_text

FIXTURES = Path(__file__).parents[2] / "shared" / "fixtures" / "html"
PAGE_URL = "https://example.org/events/page.html"
PDT = timezone(timedelta(hours=-7))
Reader = Callable[[Page], list[RawEvent]]


def load(name: str, url: str = PAGE_URL) -> Page:
    return Page.from_bytes((FIXTURES / name).read_bytes(), url)


def inline(html: str, url: str = PAGE_URL) -> Page:
    return Page(html, url)


def parsed(page: Page) -> set[str]:
    """The trees built so far: `tree` and `soup` are cached_properties, present once built."""
    return {"tree", "soup"} & set(page.__dict__)


def facts(event: RawEvent, names: list[str]) -> dict[str, Any]:
    found = {name: getattr(event, name) for name in names}
    if "people" in found:
        found["people"] = [(p.name, p.role, p.url) for p in event.people]
    return found


# (fixture, reader, expected facts of its only event)
EXPECTED: list[tuple[str, Reader, dict[str, Any]]] = [
    (
        "schemaorg_microdata_1.html",
        microdata.read,
        {
            "title": "Miami Heat at Philadelphia 76ers - Game 3 (Home Game 1)",
            "start": datetime(2016, 4, 21, 20, 0),
            "end": None,
            "url": "https://example.org/events/nba-miami-philidelphia-game3.html",
            "uid": "https://example.org/events/nba-miami-philidelphia-game3.html",
            "venue": "Wells Fargo Center",
            "address": "Philadelphia, PA",
            "price": "$35",
            "status": None,
            "organizers": [],
            "people": [],
            "reader": "microdata",
            "confidence": 1.0,
        },
    ),
    (
        "schemaorg_microdata_3_cancelled.html",
        microdata.read,
        {
            "title": "CANCELLED - Typhoon with Radiation City",
            "start": datetime(2013, 9, 14, 21, 30),
            "end": None,
            "url": None,
            "uid": f"{PAGE_URL}#event-0",  # the offer's ticket link is not the event's
            "venue": "The Hi-Dive",
            "address": "7 S. Broadway, 80209 Denver, CO",
            "status": "cancelled",
            "price": "USD 13.00",
            "organizers": [],
            "people": [],
        },
    ),
    (
        "mf2_hevent_1.html",
        microformats.read,
        {
            "title": "CPJ Online Press Freedom Summit",
            "start": date(2012, 10, 10),
            "end": None,
            "venue": "San Francisco",
            "address": None,
            "attendance": None,
            "organizers": [],
            "people": [
                ("Brian Warner", "attendee", None),
                ("Kyle Machulis", "attendee", None),
                ("Tantek Çelik", "attendee", None),
                ("Sid Sutter", "attendee", None),
            ],
            "uid": f"{PAGE_URL}#event-0",
            "reader": "hevent",
            "confidence": 1.0,
        },
    ),
    (
        "upcoming_hcal_1.html",
        microformats.read,
        {
            "title": "February BarCamp Portland Informal Tech Meetup",
            "start": datetime(2008, 2, 28, 17, 30),
            "end": datetime(2008, 2, 28, 19, 30),
            "venue": "Jive Software Office",
            "address": "317 SW Alder St Ste 500, 97204 portland",
            "lat": 45.5191,
            "lon": -122.675,
            "url": "http://barcamp.org/BarCampPortlandMeetups",
            "categories": [
                "Social",
                "technology",
                "portland",
                "software",
                "Legion of Tech",
                "Jive Software",
                "oregon",
            ],
            "organizers": [],
            "people": [],
            "reader": "hcalendar",
        },
    ),
    (
        "university_unbc_1_trimmed.html",
        heuristic.read,
        {
            "title": "RoboGarden Machine Learning & AI Bootcamp Info Session",
            "start": datetime(2025, 8, 12, 17, 0, tzinfo=PDT),
            "end": datetime(2025, 8, 12, 18, 0, tzinfo=PDT),
            "venue": "Zoom",
            "address": None,
            "attendance": "online",
            "url": PAGE_URL,
            "uid": f"{PAGE_URL}#event-0",
            "organizers": [],
            "people": [],
            "reader": "heuristic",
            "confidence": 0.5,
        },
    ),
    # The meetup page's event is in JSON-LD (which the heuristic never competes with); read
    # without it, the visible page still gives the same times and address.
    (
        "meetup_1.html",
        heuristic.read,
        {
            "title": "Dagger with Spokane Tech 🚀",
            "start": datetime(2024, 3, 19, 18, 0, tzinfo=PDT),
            "end": datetime(2024, 3, 19, 19, 30, tzinfo=PDT),
            "venue": None,
            "address": "1720 W 4th Ave Unit B · Spokane, WA",
            "url": "https://www.meetup.com/python-spokane/events/dwhxdtygcfbzb/",
        },
    ),
]


@pytest.mark.parametrize(("name", "reader", "expected"), EXPECTED, ids=[e[0] for e in EXPECTED])
def test_fixture_facts(name: str, reader: Reader, expected: dict[str, Any]) -> None:
    events = reader(load(name))
    assert len(events) == 1
    assert facts(events[0], list(expected)) == expected


def test_hcalendar_description_is_raw_html() -> None:
    [event] = microformats.read(load("upcoming_hcal_1.html"))
    assert event.description is not None
    assert "fourth Thursday of every month" in event.description
    assert "<br" in event.description  # the normalize stage cleans it


NO_EVENTS = [
    ("negative_hentry_no_event_1.html", microdata.read),
    ("negative_hentry_no_event_1.html", microformats.read),
    ("negative_hentry_no_event_1.html", heuristic.read),
    ("meetup_1.html", microdata.read),
    ("meetup_1.html", microformats.read),  # Tailwind `h-full` is no microformat root
    ("university_unbc_1_trimmed.html", microdata.read),
    ("university_unbc_1_trimmed.html", microformats.read),
    ("mf2_hevent_1.html", microdata.read),
    ("schemaorg_microdata_1.html", microformats.read),
]


@pytest.mark.parametrize(
    ("name", "reader"), NO_EVENTS, ids=[f"{n}-{r.__module__}" for n, r in NO_EVENTS]
)
def test_pages_without_such_events(name: str, reader: Reader) -> None:
    page = load(name)
    assert reader(page) == []
    assert page.notes == []


@pytest.mark.parametrize(
    "name", ["meetup_1.html", "negative_hentry_no_event_1.html", "university_unbc_1_trimmed.html"]
)
@pytest.mark.parametrize("reader", [microdata.read, microformats.read])
def test_structured_readers_parse_nothing_without_markers(name: str, reader: Reader) -> None:
    page = load(name)
    assert reader(page) == []
    assert parsed(page) == set()


@pytest.mark.parametrize(
    ("name", "reader"),
    [
        ("schemaorg_microdata_1.html", microdata.read),
        ("mf2_hevent_1.html", microformats.read),
        ("upcoming_hcal_1.html", microformats.read),
    ],
)
def test_structured_readers_read_the_lxml_tree_not_the_soup(name: str, reader: Reader) -> None:
    page = load(name)
    assert reader(page)
    assert parsed(page) == {"tree"}


# --- the lxml tree -----------------------------------------------------------------------------

TREES = {
    "document": (
        "<!DOCTYPE html><html><head><title>T</title></head><body><p>Hi</p></body>",
        "T Hi",
    ),
    "fragment": ("<p>Hi</p><p>there</p>", "Hi there"),
    "text only": ("Hi", "Hi"),
    "empty": ("", ""),
    "whitespace": (" \n ", ""),
    "comment only": ("<!-- nothing -->", ""),
    "xml declaration": (
        '<?xml version="1.0" encoding="ISO-8859-1"?><html><p>Grüße</p></html>',
        "Grüße",
    ),
    "stale meta charset": ('<meta charset="windows-1252"><p>Grüße €</p>', "Grüße €"),
}


@pytest.mark.parametrize(("html", "text"), list(TREES.values()), ids=list(TREES))
def test_tree_of_any_page(html: str, text: str) -> None:
    tree = inline(html).tree
    assert tree.tag == "html"
    assert inner_text(tree) == text


def test_tree_of_bytes_in_a_declared_encoding() -> None:
    data = '<meta charset="iso-8859-1"><p>Grüße</p>'.encode("iso-8859-1")
    assert inner_text(Page.from_bytes(data, PAGE_URL).tree) == "Grüße"


SNIPPETS = [
    '<div><p class=" a  b " title=\'say "hi"\' data-x="a&lt;b">x &amp; <b>y</b><br>  <!-- c -->'
    " z</p><pre>  <i> </i>\n </pre><script>if (a<b) {}</script></div>",
    "<div><template><p>t</p></template>tail<ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp></ruby>"
    "<style> p {} </style>  \n <img src=a.png alt=\"x&amp;y\"><a rel=' nofollow  me'>l</a></div>",
    "<div><p>x<p>y<li>z<ul><li>1<li>2</ul>&nbsp;\xa0<textarea>  \n </textarea><?php x ?></div>",
]


SOURCES: list[str | Path] = [*SNIPPETS, *sorted(FIXTURES.glob("*.html"))]


@pytest.mark.parametrize(
    "source",
    SOURCES,
    ids=[s.name if isinstance(s, Path) else f"snippet{n}" for n, s in enumerate(SOURCES)],
)
def test_text_and_html_of_elements_are_what_beautifulsoup_gives(source: str | Path) -> None:
    """Every element of the body: so the readers give what they gave when they read the soup."""
    page = load(source.name) if isinstance(source, Path) else inline(source)
    body = page.soup.body
    assert body is not None
    tags = body.find_all(True)
    elements = list(page.tree.find("body").iterdescendants(tag=etree.Element))
    assert [t.name for t in tags] == [e.tag for e in elements]
    for tag, element in zip(tags, elements, strict=True):
        assert inner_text(element) == " ".join(tag.get_text(" ").split())
        assert inner_html(element) == tag.decode_contents()


# --- microdata ---------------------------------------------------------------------------------

NESTED = """
<div itemscope itemtype="https://schema.org/MusicEvent">
  <span itemprop="name">Night of Jazz</span>
  <time itemprop="startDate" datetime="2024-05-01T20:00:00+0200">1 May</time>
  <time itemprop="endDate" datetime="2024-05-01T23:00:00+02:00">11 pm</time>
  <a itemprop="url" href="/events/jazz-night">details</a>
  <div itemprop="description">An evening <b>of</b> jazz.</div>
  <div itemprop="performer" itemscope itemtype="https://schema.org/Person">
    <span itemprop="name">Ada Keys</span><a itemprop="url" href="/people/ada">profile</a>
  </div>
  <div itemprop="organizer" itemscope itemtype="https://schema.org/Organization">
    <span itemprop="name">Jazz Club e.V.</span>
    <div itemprop="address" itemscope itemtype="https://schema.org/PostalAddress">
      <span itemprop="streetAddress">Other Street 9</span></div>
  </div>
  <div itemprop="location" itemscope itemtype="https://schema.org/Place">
    <span itemprop="name">Blue Note Hall</span>
    <div itemprop="address" itemscope itemtype="https://schema.org/PostalAddress">
      <span itemprop="streetAddress">Hauptstr. 1</span>
      <span itemprop="postalCode">10115</span> <span itemprop="addressLocality">Berlin</span>
      <span itemprop="addressCountry">DE</span>
    </div>
    <div itemprop="geo" itemscope itemtype="https://schema.org/GeoCoordinates">
      <meta itemprop="latitude" content="52.53"><meta itemprop="longitude" content="13.38">
    </div>
  </div>
  <div itemprop="offers" itemscope itemtype="https://schema.org/AggregateOffer">
    <span itemprop="name">Early bird</span><a itemprop="url" href="/tickets/1">buy</a>
    <meta itemprop="priceCurrency" content="EUR">
    <span itemprop="lowPrice">10</span>–<span itemprop="highPrice">25</span>
  </div>
</div>
"""


def test_microdata_nested_items_keep_their_properties() -> None:
    [event] = microdata.read(inline(NESTED, "https://example.org/city/today.html"))
    assert event.title == "Night of Jazz"  # not the offer's or the people's names
    assert event.url == event.uid == "https://example.org/events/jazz-night"
    assert event.start == datetime(2024, 5, 1, 20, 0, tzinfo=timezone(timedelta(hours=2)))
    assert event.end == datetime(2024, 5, 1, 23, 0, tzinfo=timezone(timedelta(hours=2)))
    assert event.description == "An evening <b>of</b> jazz."
    assert (event.venue, event.address) == ("Blue Note Hall", "Hauptstr. 1, 10115 Berlin, DE")
    assert (event.lat, event.lon) == (52.53, 13.38)
    assert event.organizers == ["Jazz Club e.V."]
    assert [(p.name, p.role, p.url) for p in event.people] == [
        ("Jazz Club e.V.", "organizer", None),
        ("Ada Keys", "performer", "https://example.org/people/ada"),
    ]
    assert event.price == "EUR 10–25"


def test_microdata_relative_urls_follow_base_href() -> None:
    html = (
        '<base href="https://cdn.example.net/site/"><div itemscope '
        'itemtype="http://www.schema.org/Hackathon"><span itemprop="name">Hack</span>'
        '<meta itemprop="startDate" content="2024-06-01"><img itemprop="image" src="a.png">'
        '<link itemprop="url" href="hack/1"></div>'
    )
    [event] = microdata.read(inline(html))
    assert event.url == "https://cdn.example.net/site/hack/1"
    assert event.image == "https://cdn.example.net/site/a.png"
    assert event.start == date(2024, 6, 1)


@pytest.mark.parametrize(
    ("location", "mode", "attendance"),
    [
        (
            '<div itemprop="location" itemscope itemtype="https://schema.org/VirtualLocation">'
            '<link itemprop="url" href="https://meet.example.com/x"></div>',
            "",
            "online",
        ),
        (
            '<div itemprop="location" itemscope itemtype="https://schema.org/VirtualLocation"></div>'
            '<div itemprop="location" itemscope itemtype="https://schema.org/Place">'
            '<span itemprop="name">Hall</span></div>',
            "",
            "hybrid",
        ),
        ('<span itemprop="location">Online</span>', "", "online"),
        ("", "https://schema.org/OnlineEventAttendanceMode", "online"),
        ("", "https://schema.org/OfflineEventAttendanceMode", None),
    ],
)
def test_microdata_attendance(location: str, mode: str, attendance: str | None) -> None:
    html = (
        f'<div itemscope itemtype="https://schema.org/EducationEvent"><b itemprop="name">Talk'
        f'</b><meta itemprop="startDate" content="2024-06-01T10:00">{location}'
        f'<meta itemprop="eventAttendanceMode" content="{mode}"></div>'
    )
    [event] = microdata.read(inline(html))
    assert event.attendance == attendance


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("https://schema.org/EventPostponed", "postponed"),
        ("EventRescheduled", "rescheduled"),
        ("http://schema.org/EventCancelled", "cancelled"),
    ],
)
def test_microdata_status(status: str, expected: str) -> None:
    html = (
        f'<div itemscope itemtype="http://schema.org/SportsEvent"><b itemprop="name">Game</b>'
        f'<meta itemprop="startDate" content="2024-06-01T10:00">'
        f'<meta itemprop="eventStatus" content="{status}"></div>'
    )
    assert microdata.read(inline(html))[0].status == expected


def test_microdata_skips_events_without_a_start_and_other_types() -> None:
    page = inline(
        '<div itemscope itemtype="https://schema.org/Event"><b itemprop="name">Soon</b>'
        '</div><div itemscope itemtype="https://schema.org/Product">'
        '<b itemprop="name">Shoe</b><meta itemprop="startDate" content="2024-01-01">'
        '</div><div itemscope itemtype="https://schema.org/EventVenue"></div>'
    )
    assert microdata.read(page) == []
    assert len(page.notes) == 1 and "Soon" in page.notes[0]


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (
            ["1720 W 4th Ave Unit B, Spokane, WA", "", "Spokane", "WA", "us"],
            "1720 W 4th Ave Unit B, Spokane, WA, us",
        ),
        (["7 S. Broadway", "80209", "Denver", "CO", None], "7 S. Broadway, 80209 Denver, CO"),
        (["", "", "portland", " ", ""], "portland"),
        (["Main St 1", "", "", "", ""], "Main St 1"),
        ([None, None, None, None, None], None),
    ],
)
def test_address_parts_are_joined_without_repeats(
    parts: list[str | None], expected: str | None
) -> None:
    assert schema.join_address(parts) == expected


@pytest.mark.parametrize(
    ("place", "online"),
    [
        ("Online", True),
        ("Zoom", True),
        ("Online via Zoom", True),
        ("Microsoft Teams", True),
        ("https://meet.example.com/abc", True),
        ("San Francisco", False),
        ("Virtual Reality Lab", False),
        ("", False),
    ],
)
def test_online_places(place: str, online: bool) -> None:
    assert schema.looks_online(place) is online


def test_microdata_free_offer() -> None:
    html = (
        '<div itemscope itemtype="https://schema.org/Event"><b itemprop="name">Meetup</b>'
        '<meta itemprop="startDate" content="2024-06-01T18:00"><div itemprop="offers" '
        'itemscope itemtype="https://schema.org/Offer"><meta itemprop="price" content="0">'
        '<meta itemprop="priceCurrency" content="USD"></div></div>'
    )
    assert microdata.read(inline(html))[0].price == "free"


def test_microdata_items_without_a_name_are_named_by_their_link() -> None:
    html = (
        '<div itemscope itemtype="https://schema.org/Event"><b itemprop="name">Gig</b>'
        '<meta itemprop="startDate" content="2024-06-01T20:00"><div itemprop="location" itemscope '
        'itemtype="https://schema.org/Place"><a itemprop="url" href="/v/9">Blue Hall</a></div>'
        '<div itemprop="organizer" itemscope itemtype="https://schema.org/Organization">'
        '<a itemprop="url" href="/o/1">Jazz Club</a></div></div>'
    )
    [event] = microdata.read(inline(html))
    assert event.venue == "Blue Hall"
    assert event.people == [Person("Jazz Club", "organizer", "https://example.org/o/1")]


# --- schema.org values: microdata and JSON-LD read alike -----------------------------------------

EVENT_ITEM = (
    '<div itemscope itemtype="https://schema.org/Event"><b itemprop="name">Gig</b>'
    '<meta itemprop="startDate" content="2026-05-04T19:00">{}</div>'
)
# (microdata properties, the same in JSON-LD, what both readers must give)
ALIKE: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "place": (
        '<div itemprop="location" itemscope itemtype="https://schema.org/Place"><span '
        'itemprop="name">Hall</span><div itemprop="address" itemscope itemtype="https://schema.org/'
        'PostalAddress"><span itemprop="streetAddress">Weg 1, Dessau</span><span itemprop="postal'
        'Code">06844</span><span itemprop="addressLocality">Dessau</span></div><div itemprop="geo"'
        ' itemscope><meta itemprop="latitude" content="51.8"><meta itemprop="longitude" '
        'content="12.2"></div></div>',
        {
            "location": {
                "@type": "Place",
                "name": "Hall",
                "address": {
                    "streetAddress": "Weg 1, Dessau",
                    "postalCode": "06844",
                    "addressLocality": "Dessau",
                },
                "geo": {"latitude": "51.8", "longitude": "12.2"},
            }
        },
        {"venue": "Hall", "address": "Weg 1, Dessau, 06844", "lat": 51.8, "lon": 12.2},
    ),
    "offers": (
        '<div itemprop="offers" itemscope><meta itemprop="price" content="25"><meta '
        'itemprop="priceCurrency" content="EUR"></div><div itemprop="offers" itemscope>'
        '<meta itemprop="price" content="10"></div>',
        {"offers": [{"price": "25", "priceCurrency": "EUR"}, {"price": "10"}]},
        {"price": "EUR 10–25"},
    ),
    "people": (
        '<div itemprop="organizer" itemscope><span itemprop="name">Jazz Club</span><a '
        'itemprop="url" href="/clubs/jazz">site</a></div><div itemprop="performer" itemscope>'
        '<span itemprop="givenName">Ada</span> <span itemprop="familyName">Keys</span></div>',
        {
            "organizer": {"name": "Jazz Club", "url": "/clubs/jazz"},
            "performer": {"givenName": "Ada", "familyName": "Keys"},
        },
        {
            "organizers": ["Jazz Club"],
            "people": [
                ("Jazz Club", "organizer", "https://example.org/clubs/jazz"),
                ("Ada Keys", "performer", None),
            ],
        },
    ),
    "hybrid": (
        '<span itemprop="location">Hall</span><div itemprop="location" itemscope '
        'itemtype="https://schema.org/VirtualLocation"></div>',
        {"location": ["Hall", {"@type": "VirtualLocation"}]},
        {"venue": "Hall", "attendance": "hybrid"},
    ),
    "moved online": (
        '<meta itemprop="eventStatus" content="schema:EventMovedOnline">',
        {"eventStatus": "schema:EventMovedOnline"},
        {"status": "scheduled", "attendance": "online"},
    ),
}


@pytest.mark.parametrize(("markup", "fields", "expected"), list(ALIKE.values()), ids=list(ALIKE))
def test_microdata_and_json_ld_read_schema_org_alike(
    markup: str, fields: dict[str, Any], expected: dict[str, Any]
) -> None:
    [micro] = microdata.read(inline(EVENT_ITEM.format(markup)))
    data = {"@type": "Event", "name": "Gig", "startDate": "2026-05-04T19:00", **fields}
    script = f'<script type="application/ld+json">{json.dumps(data)}</script>'
    [linked] = jsonld.read(inline(script))
    assert facts(micro, list(expected)) == facts(linked, list(expected)) == expected


# --- microformats ------------------------------------------------------------------------------


def test_utility_classes_starting_with_h_are_not_events() -> None:
    page = inline(
        '<div class="h-full h-eventual h-events"><span class="p-name">Not me</span>'
        '<time class="dt-start" datetime="2024-01-01">x</time></div>'
    )
    assert microformats.read(page) == []
    assert parsed(page) == set()


def test_utility_classes_inside_an_h_event_do_not_hide_its_properties() -> None:
    page = inline(
        '<div class="h-event flex"><div class="h-full w-full"><span class="p-name">'
        'Rust Night</span></div><time class="dt-start" datetime="2024-03-19T18:00">'
        "</time></div>"
    )
    [event] = microformats.read(page)
    assert (event.title, event.start) == ("Rust Night", datetime(2024, 3, 19, 18, 0))


@pytest.mark.parametrize(
    ("markup", "start", "end"),
    [
        (
            '<span class="dt-start"><span class="value">2024-03-19</span> at '
            '<span class="value">6:00pm</span><span class="value">-0700</span></span>'
            '<span class="dt-end"><span class="value">7:30pm</span></span>',
            datetime(2024, 3, 19, 18, 0, tzinfo=PDT),
            datetime(2024, 3, 19, 19, 30, tzinfo=PDT),
        ),
        (
            '<abbr class="dt-start" title="2024-03-19T18:00:00Z">March 19</abbr>'
            '<data class="dt-end" value="2024-03-20">',
            datetime(2024, 3, 19, 18, 0, tzinfo=UTC),
            date(2024, 3, 20),
        ),
        (
            '<time class="dt-start" datetime="2024-03-19 18:00">6pm</time>'
            '<time class="dt-end" datetime="19:30">7:30pm</time>',
            datetime(2024, 3, 19, 18, 0),
            datetime(2024, 3, 19, 19, 30),
        ),
    ],
)
def test_mf2_value_class_dates(markup: str, start: object, end: object) -> None:
    page = inline(f'<div class="h-event"><b class="p-name">X</b>{markup}</div>')
    [event] = microformats.read(page)
    assert (event.start, event.end) == (start, end)


def test_mf2_nested_card_venue_and_organizer() -> None:
    html = """<article class="h-event">
      <h1 class="p-name">PyLadies Berlin</h1><a class="u-url" href="/e/7">link</a>
      <time class="dt-start" datetime="2024-04-02T19:00+02:00">2 April</time>
      <p class="p-summary">Talks and pizza.</p>
      <div class="p-location h-card"><span class="p-name">Factory</span>
        <span class="p-adr h-adr"><span class="p-street-address">Rheinsberger Str. 76</span>
          <span class="p-postal-code">10115</span> <span class="p-locality">Berlin</span></span>
        <span class="p-geo h-geo"><data class="p-latitude" value="52.5"></data>
          <data class="p-longitude" value="13.4"></data></span></div>
      <a class="p-organizer h-card" href="https://example.org/@rita">Rita Ruiz</a>
      <span class="p-category">python</span>
    </article>"""
    [event] = microformats.read(inline(html))
    assert event.url == "https://example.org/e/7"
    assert event.description == "Talks and pizza."
    assert (event.venue, event.address) == ("Factory", "Rheinsberger Str. 76, 10115 Berlin")
    assert (event.lat, event.lon) == (52.5, 13.4)
    assert event.organizers == ["Rita Ruiz"]
    assert [(p.name, p.role, p.url) for p in event.people] == [
        ("Rita Ruiz", "organizer", "https://example.org/@rita")
    ]
    assert event.categories == ["python"]


def test_hcalendar_value_title_and_text_location() -> None:
    html = """<div class="vevent"><span class="summary">Board games</span>
      <span class="dtstart"><span class="value-title" title="2024-02-01T19:00:00"></span>
        Feb 1</span>
      <span class="location">Online</span>
      <div class="vcard organizer"><a class="url fn" href="/clubs/games">Games Club</a></div>
    </div>"""
    [event] = microformats.read(inline(html))
    assert event.url is None and event.uid == f"{PAGE_URL}#event-0"  # the card's url stays its own
    assert [(p.name, p.url) for p in event.people] == [
        ("Games Club", "https://example.org/clubs/games")
    ]
    assert (event.title, event.start) == ("Board games", datetime(2024, 2, 1, 19, 0))
    assert (event.venue, event.attendance) == ("Online", "online")
    assert event.organizers == ["Games Club"]
    assert event.reader == "hcalendar"


def test_microformat_event_without_start_is_skipped_with_a_note() -> None:
    page = inline('<div class="h-event"><span class="p-name">Someday</span></div>')
    assert microformats.read(page) == []
    assert page.notes and "Someday" in page.notes[0]


# --- heuristic ---------------------------------------------------------------------------------

VISIBLE_RANGE = """<html><head><title>Rust Meetup</title>
<meta name="description" content="Monthly Rust meetup."></head><body>
<nav>Home · Events · Posted March 1, 2024</nav>
<div class="page"><h1>Rust Meetup: async in practice</h1>
<p>When: Tuesday, March 19, 2024 6:00 PM to 7:30 PM PDT</p>
<p><strong>Location:</strong> Foo Hall, 12 Main St, Portland</p>
<p>RSVP below.</p></div><footer>© 2024 Rust PDX</footer></body></html>"""


def test_heuristic_reads_visible_date_text_with_a_range() -> None:
    [event] = heuristic.read(inline(VISIBLE_RANGE))
    assert event.title == "Rust Meetup: async in practice"
    assert event.start == datetime(2024, 3, 19, 18, 0, tzinfo=PDT)
    assert event.end == datetime(2024, 3, 19, 19, 30, tzinfo=PDT)
    assert event.venue == "Foo Hall, 12 Main St, Portland"
    assert event.description == "Monthly Rust meetup."
    assert (event.confidence, event.reader, event.attendance) == (0.5, "heuristic", None)


def test_heuristic_reads_a_floating_range_and_an_address_block() -> None:
    html = (
        '<main><h1>Library book club</h1><div class="meta">Aug 12, 2025 - 5:00 pm to 6:00 pm'
        "</div><address>Central Library<br>801 SW 10th Ave<br>Portland, OR</address>"
        '<a href="/register">Register</a></main>'
    )
    [event] = heuristic.read(inline(html))
    assert (event.start, event.end) == (datetime(2025, 8, 12, 17), datetime(2025, 8, 12, 18))
    assert event.address == "Central Library, 801 SW 10th Ave, Portland, OR"


def test_heuristic_uses_og_tags() -> None:
    html = (
        '<head><meta property="og:type" content="event"><meta property="og:title" '
        'content="Data Night"><meta property="og:url" content="/e/data-night">'
        '<meta property="og:description" content="Talks."></head>'
        "<body><main><p>12 June 2024, 18:30</p></main></body>"
    )
    [event] = heuristic.read(inline(html))
    assert event.title == "Data Night"
    assert event.uid == event.url == "https://example.org/e/data-night"
    assert event.start == datetime(2024, 6, 12, 18, 30)


REFUSED = {
    "cookie banner by class": """<h1>Welcome to the Makers Guild</h1><p>Register for our
        newsletter.</p><div class="cookie-banner">Our cookie policy changed on March 3, 2024
        <time datetime="2024-03-03">March 3</time></div>""",
    "cookie banner by words": """<h1>Welcome to the Makers Guild</h1><p>Tickets for members
        only.</p><div id="cc">This website uses cookies. Policy of 3 March 2024.</div>""",
    "posted on": """<article><h1>Recap: our Rust meetup</h1><p>Posted on
        <time datetime="2024-03-03T10:00">March 3, 2024</time> by Ann.</p><p>Thanks to the
        venue and to everyone who came to register.</p></article>""",
    "published date text": """<article><h1>Recap</h1><p>Published March 3, 2024 · 4 min</p>
        <p>Location of the next one to be announced.</p></article>""",
    "dt-published": """<article class="h-entry"><h1 class="p-name">Recap</h1>
        <time class="dt-published" datetime="2024-03-03">3 March</time><p>Venue: TBA</p>
        </article>""",
    "datePublished": """<article><h1>Recap</h1><meta itemprop="name" content="x">
        <time itemprop="datePublished" datetime="2024-03-03">3 March</time><p>Venue TBA</p>
        </article>""",
    "footer copyright": """<h1>Our venue</h1><p>Where the magic happens.</p>
        <footer>Updated January 5, 2024</footer>""",
    "no event words": """<article><h1>Quarterly results</h1><p>March 19, 2024 was a good day
        for the company.</p></article>""",
    "listing": """<main><h1>Upcoming events</h1><ul>
        <li>Venue A <time datetime="2024-03-01">1 Mar</time></li>
        <li>Venue B <time datetime="2024-03-08">8 Mar</time></li>
        <li>Venue C <time datetime="2024-03-15">15 Mar</time></li>
        <li>Venue D <time datetime="2024-03-22">22 Mar</time></li></ul></main>""",
    "no title": """<p>Date: March 19, 2024 6:00 PM. Location: Hall.</p>""",
}


@pytest.mark.parametrize("html", list(REFUSED.values()), ids=list(REFUSED))
def test_heuristic_does_not_invent_events(html: str) -> None:
    assert heuristic.read(inline(f"<html><body>{html}</body></html>")) == []


def test_heuristic_skips_the_notice_but_keeps_the_event_date() -> None:
    html = (
        "<article><h1>Rust Night</h1><p>Updated on <time datetime='2024-03-01'>1 March</time>"
        "</p><dl><dt>Date</dt><dd><time datetime='2024-03-19T18:00'>19 March</time></dd>"
        "<dt>Venue</dt><dd>Foo Hall</dd></dl></article>"
    )
    [event] = heuristic.read(inline(html))
    assert (event.start, event.venue) == (datetime(2024, 3, 19, 18, 0), "Foo Hall")


def test_meetup_group_events_page_lists_its_event_pages() -> None:
    from scrapers.sites import site_for

    listing = Page(
        "<html><body><ul>"
        '<li><a href="https://www.meetup.com/python-spokane/events/298213205/?eventOrigin=group">'
        "Dagger</a></li>"
        '<li><a href="https://www.meetup.com/python-spokane/events/299999999/">April</a></li>'
        '<li><a href="https://www.meetup.com/python-spokane/events/298213205/">again</a></li>'
        '<li><a href="https://www.meetup.com/python-spokane/photos/">photos</a></li>'
        "</ul></body></html>",
        "https://www.meetup.com/python-spokane/events/",
    )
    assert site_for(listing.url).links(listing) == [
        "https://www.meetup.com/python-spokane/events/298213205/",
        "https://www.meetup.com/python-spokane/events/299999999/",
    ]
