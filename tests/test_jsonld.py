"""JSON-LD reader: a real saved page, then one small page per tolerance rule and structure."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from scrapers import jsonld
from scrapers.model import Person
from scrapers.page import Page

# Real pages with what to expect in SOURCES.md next to them (copied to tests/data later).
FIXTURES = Path(__file__).parents[2] / "shared" / "fixtures" / "html"
URL = "https://example.org/events/42"
PDT = timezone(timedelta(hours=-7))
CEST = timezone(timedelta(hours=2))


def page(*blocks: Any, url: str = URL, body: str = "<p>hello</p>") -> Page:
    """A page with one `application/ld+json` script per block (text as given, else JSON)."""
    scripts = "".join(
        f'<script type="application/ld+json">{b if isinstance(b, str) else json.dumps(b)}</script>'
        for b in blocks
    )
    return Page(f"<html><head>{scripts}</head><body>{body}</body></html>", url)


def event(**fields: Any) -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": "Rust Hack & Learn",
        "startDate": "2026-05-04T19:00:00+02:00",
        **fields,
    }


def only(page: Page) -> Any:
    events = jsonld.read(page)
    assert len(events) == 1, events
    return events[0]


# --- a real page -------------------------------------------------------------------------------


def test_meetup_event_page() -> None:
    url = "https://www.meetup.com/python-spokane/events/dwhxdtygcfbzb/"
    found = Page.from_bytes((FIXTURES / "meetup_1.html").read_bytes(), url)
    assert len(jsonld.blocks(found)) == 3  # Organization, Event, RsvpAction
    one = only(found)
    assert one.title == "Dagger with Spokane Tech 🚀"
    assert one.start == datetime(2024, 3, 19, 18, 0, tzinfo=PDT)
    assert one.end == datetime(2024, 3, 19, 19, 30, tzinfo=PDT)
    assert (one.venue, one.address) == ("IntelliTect", "1720 W 4th Ave Unit B, Spokane, WA, us")
    assert (one.lat, one.lon) == (47.65278, -117.43826)
    assert one.organizers == ["Spokane Python User Group"]
    assert one.people == [
        Person("Spokane Python User Group", "organizer", "https://www.meetup.com/python-spokane/")
    ]
    assert (one.attendance, one.status) == ("in_person", "scheduled")
    assert one.url == one.uid == "https://www.meetup.com/python-spokane/events/298213205/"
    assert (
        one.image
        == "https://secure-content.meetupstatic.com/images/classic-events/519844270/676x676.jpg"
    )
    assert one.description.startswith("Join us for our monthly SPUG meetup!")
    assert (one.reader, one.confidence, one.timezone, one.group) == ("jsonld", 1.0, None, None)
    assert found.notes == []
    assert jsonld.links(found) == []
    assert "soup" not in vars(found)  # the fast path never builds the tree


@pytest.mark.parametrize(
    "name", sorted(p.name for p in FIXTURES.glob("*.html") if p.name != "meetup_1.html")
)
def test_pages_without_json_ld_give_nothing(name: str) -> None:
    found = Page.from_bytes((FIXTURES / name).read_bytes(), URL)
    assert (jsonld.read(found), jsonld.links(found), jsonld.blocks(found)) == ([], [], [])
    assert found.notes == []
    assert "soup" not in vars(found)


# --- finding and decoding the blocks --------------------------------------------------------------

GOOD = json.dumps(event())


@pytest.mark.parametrize(
    "tag",
    [
        '<script type="application/ld+json">',
        "<script type='application/ld+json'>",
        "<script type=application/ld+json>",
        '<SCRIPT TYPE="APPLICATION/LD+JSON">',
        '<script id="ld" data-next="1" type="application/ld+json; charset=utf-8">',
        '<script\n    type="application/ld+json"\n    nonce="abc">',
    ],
)
def test_script_tag_variants(tag: str) -> None:
    found = Page(f"<html><head>{tag}{GOOD}</ScRiPt ></head></html>", URL)
    assert only(found).title == "Rust Hack & Learn"


@pytest.mark.parametrize(
    "html",
    [
        f'<script type="application/json">{GOOD}</script>',
        f'<script data-type="application/ld+json">{GOOD}</script>',
        "<script>q = 'script[type=\"application/ld+json\"]';</script><p>application/ld+json</p>",
        f'<script type="application/activity+json">{GOOD}</script>',
    ],
)
def test_other_scripts_are_not_json_ld(html: str) -> None:
    assert jsonld.read(Page(f"<html><body>{html}</body></html>", URL)) == []


@pytest.mark.parametrize(
    "block",
    [
        pytest.param(f"<!-- {GOOD} -->", id="html-comment"),
        pytest.param(f"//<![CDATA[\n{GOOD}\n//]]>", id="cdata-js-comment"),
        pytest.param(f"/*<![CDATA[*/ {GOOD} /*]]>*/", id="cdata-block-comment"),
        pytest.param(f"<![CDATA[{GOOD}]]>", id="cdata"),
        pytest.param(GOOD[:-1] + ', "keywords": ["rust", "hack",],}', id="trailing-commas"),
        pytest.param(GOOD[:-1] + ', "description": "line one\nline\ttwo"}', id="control-chars"),
        pytest.param(GOOD.replace('"', "&quot;"), id="html-escaped"),
        pytest.param(GOOD.replace('"', "&#34;")[:-1] + ",}", id="html-escaped-trailing-comma"),
        pytest.param(f"\n  {GOOD};\n", id="whitespace-and-semicolon"),
    ],
)
def test_tolerant_decoding(block: str) -> None:
    found = page(block)
    assert only(found).title == "Rust Hack & Learn"
    assert found.notes == []


def test_trailing_comma_repair_leaves_strings_alone() -> None:
    block = GOOD[:-1] + ', "description": "a, ] b ,} c",}'
    assert only(page(block)).description == "a, ] b ,} c"


def test_raw_control_characters_are_kept_in_text() -> None:
    assert only(page(GOOD[:-1] + ', "description": "one\ntwo"}')).description == "one\ntwo"


def test_concatenated_objects_in_one_block() -> None:
    second = json.dumps(event(name="Second", startDate="2026-05-05"))
    found = page(f"{GOOD}\n{second}{json.dumps(event(name='Third'))}")
    assert [e.title for e in jsonld.read(found)] == ["Rust Hack & Learn", "Second", "Third"]
    assert len(jsonld.blocks(found)) == 3


def test_broken_block_is_skipped_with_a_note_and_the_good_one_still_read() -> None:
    found = page('{"@type": "Event", "name": "Broken" "startDate": "2026-05-04"}', GOOD)
    assert only(found).title == "Rust Hack & Learn"
    assert len(found.notes) == 1
    assert found.notes[0].startswith("skipped a JSON-LD block: Expecting ',' delimiter")


def test_offsets_without_colon_and_plain_dates() -> None:
    one = only(page(event(startDate="2026-05-04T19:00:00+0200", endDate="2026-05-06")))
    assert one.start == datetime(2026, 5, 4, 19, 0, tzinfo=CEST)
    assert one.end == date(2026, 5, 6)


def test_floating_times_stay_floating() -> None:
    assert only(page(event(startDate="2026-05-04T19:00"))).start == datetime(2026, 5, 4, 19, 0)


def test_event_without_a_start_is_skipped_with_a_note() -> None:
    found = page(event(startDate="soon"), event(name="Kept"))
    assert only(found).title == "Kept"
    assert found.notes == ["skipped a JSON-LD event without a start: 'Rust Hack & Learn'"]


def test_blocks_returns_every_decoded_value() -> None:
    found = page({"@type": "Organization", "name": "Meetup"}, [event(), event()], "{broken")
    values = jsonld.blocks(found)
    assert [type(v) for v in values] == [dict, list]
    assert found.notes == []  # only read() notes what it skips


# --- structure ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(jsonld.EVENT_TYPES))
def test_every_event_subtype(kind: str) -> None:
    assert only(page(event(**{"@type": kind}))).title == "Rust Hack & Learn"


@pytest.mark.parametrize(
    "kind",
    [
        "http://schema.org/MusicEvent",
        "https://schema.org/Hackathon",
        "schema:Festival",
        ["Event", "Thing"],
        ["https://schema.org/EducationEvent", "Course"],
    ],
)
def test_type_forms(kind: Any) -> None:
    assert only(page(event(**{"@type": kind}))).title == "Rust Hack & Learn"


@pytest.mark.parametrize("kind", ["Organization", "Place", "Product", "EventReservation", None])
def test_things_that_are_not_events(kind: Any) -> None:
    assert jsonld.read(page(event(**{"@type": kind}))) == []


def test_top_level_array() -> None:
    found = page([{"@type": "WebSite", "name": "x"}, event(name="A"), event(name="B")])
    assert [e.title for e in jsonld.read(found)] == ["A", "B"]


def test_graph_with_references_resolved() -> None:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebPage", "@id": f"{URL}#page", "mainEntity": {"@id": f"{URL}#event"}},
            event(
                **{
                    "@id": f"{URL}#event",
                    "location": {"@id": "#venue"},
                    "organizer": [{"@id": "#org"}],
                }
            ),
            {"@type": "Place", "@id": "#venue", "name": "c-base", "address": {"@id": "#address"}},
            {
                "@type": "PostalAddress",
                "@id": "#address",
                "streetAddress": "Rungestraße 20",
                "postalCode": "10179",
                "addressLocality": "Berlin",
            },
            {"@type": "Organization", "@id": "#org", "name": "Rust Berlin"},
        ],
    }
    one = only(page(graph))
    assert (one.venue, one.address) == ("c-base", "Rungestraße 20, 10179 Berlin")
    assert one.organizers == ["Rust Berlin"]
    assert one.uid == f"{URL}#event"


def test_events_nested_in_other_things() -> None:
    found = page(
        {"@type": "Organization", "name": "PyData", "event": [event(name="A")]},
        {"@type": "WebPage", "mainEntity": event(name="B")},
    )
    assert [e.title for e in jsonld.read(found)] == ["A", "B"]


def test_item_list_of_events() -> None:
    listing = {
        "@type": "ItemList",
        "itemListElement": [
            event(name="A", url="/events/a"),
            {"@type": "ListItem", "position": 2, "item": event(name="B", url="/events/b")},
        ],
    }
    found = page(listing)
    events = jsonld.read(found)
    assert [(e.title, e.url) for e in events] == [
        ("A", "https://example.org/events/a"),
        ("B", "https://example.org/events/b"),
    ]
    assert jsonld.links(found) == []  # the events are here already


def test_item_list_of_urls_gives_links() -> None:
    listing = {
        "@type": "ItemList",
        "itemListElement": [
            "https://example.org/events/1",
            {"@type": "ListItem", "position": 2, "url": "/events/2"},
            {"@type": "ListItem", "position": 3, "item": "events/3"},
            {"@type": "ListItem", "position": 4, "item": {"@id": "https://example.org/events/4"}},
            {"@type": "ListItem", "url": "/events/2"},
            {"@type": "ListItem", "item": {"@type": "Product", "url": "/shop/mug"}},
            "javascript:void(0)",
        ],
    }
    found = page({"@type": "CollectionPage", "mainEntity": listing}, url="https://example.org/")
    assert jsonld.read(found) == []
    assert jsonld.links(found) == [f"https://example.org/events/{n}" for n in (1, 2, 3, 4)]


def test_breadcrumbs_are_not_listings() -> None:
    crumbs = {
        "@type": "BreadcrumbList",
        "itemListElement": [{"@type": "ListItem", "item": "https://example.org/"}],
    }
    assert jsonld.links(page(crumbs)) == []


def test_sub_events_are_events() -> None:
    series = {
        "@type": "EventSeries",
        "name": "PyCon DE",
        "subEvent": [
            event(name="Tutorials", startDate="2026-04-14", url="https://pycon.de/tutorials"),
            event(name="Talks", startDate="2026-04-15", url="https://pycon.de/talks"),
        ],
    }
    found = page(series)
    assert [e.title for e in jsonld.read(found)] == ["Tutorials", "Talks"]
    assert found.notes == []  # a series that only carries its occurrences is no loss


def test_parent_with_start_and_its_sub_events() -> None:
    festival = event(
        **{
            "@type": "Festival",
            "name": "Fest",
            "startDate": "2026-07-01",
            "subEvent": event(name="Opening", startDate="2026-07-01T18:00"),
        }
    )
    assert [e.title for e in jsonld.read(page(festival))] == ["Fest", "Opening"]


def test_super_event_is_not_read_as_an_event_of_the_page() -> None:
    talk = event(name="Talk", superEvent=event(name="Conference", startDate="2026-05-01"))
    assert only(page(talk)).title == "Talk"


def test_same_event_twice_on_the_page_is_read_once() -> None:
    assert only(page(event(url="/e/1"), event(url="/e/1"))).uid == "https://example.org/e/1"


# --- fields -------------------------------------------------------------------------------------


def test_location_place_with_postal_address_and_geo() -> None:
    place = {
        "@type": "Place",
        "name": "Factory Berlin",
        "address": {
            "@type": "PostalAddress",
            "streetAddress": "Lohmühlenstraße 65",
            "postalCode": "12435",
            "addressLocality": "Berlin",
            "addressRegion": "Berlin",
            "addressCountry": {"@type": "Country", "name": "DE"},
        },
        "geo": {"@type": "GeoCoordinates", "latitude": "52.4937", "longitude": 13.4466},
    }
    one = only(page(event(location=place)))
    assert (one.venue, one.address) == ("Factory Berlin", "Lohmühlenstraße 65, 12435 Berlin, DE")
    assert (one.lat, one.lon, one.attendance) == (52.4937, 13.4466, "in_person")


@pytest.mark.parametrize(
    ("location", "venue", "address", "attendance"),
    [
        (
            {
                "@type": "PostalAddress",
                "streetAddress": "1 Main St",
                "addressLocality": "Spokane",
                "addressRegion": "WA",
                "addressCountry": "US",
            },
            None,
            "1 Main St, Spokane, WA, US",
            "in_person",
        ),
        (
            {"@type": "Place", "name": "Hall", "address": "1 Main St, Spokane"},
            "Hall",
            "1 Main St, Spokane",
            "in_person",
        ),
        (
            {
                "@type": "Place",
                "name": "Hall",
                "address": {
                    "streetAddress": "Weg 1, Dessau",
                    "addressLocality": "Dessau",
                    "addressCountry": "DE",
                },
            },
            "Hall",
            "Weg 1, Dessau, DE",
            "in_person",
        ),
        ("Tech Hub Spokane", "Tech Hub Spokane", None, "in_person"),
        ("Online", None, None, "online"),
        ("Online via Google Meet", None, None, "online"),  # the microdata reader's rule too
        ("https://zoom.us/j/123", None, None, "online"),
        ({"@type": "VirtualLocation", "url": "https://meet.jit.si/x"}, None, None, "online"),
        (
            [{"@type": "Place", "name": "Hall"}, {"@type": "VirtualLocation", "url": "https://x"}],
            "Hall",
            None,
            "hybrid",
        ),
        ({"@type": "EventVenue", "name": "Arena"}, "Arena", None, "in_person"),
        ({"name": "Untyped venue"}, "Untyped venue", None, "in_person"),
        (None, None, None, None),
    ],
)
def test_location_forms(location: Any, venue: Any, address: Any, attendance: Any) -> None:
    one = only(page(event(location=location)))
    assert (one.venue, one.address, one.attendance) == (venue, address, attendance)


def test_location_geo_coordinates_alone() -> None:
    one = only(page(event(location={"@type": "GeoCoordinates", "latitude": 1.5, "longitude": 2})))
    assert (one.lat, one.lon, one.attendance) == (1.5, 2.0, "in_person")


def test_impossible_coordinates_are_dropped() -> None:
    place = {"@type": "Place", "name": "x", "geo": {"latitude": 95, "longitude": "east"}}
    assert only(page(event(location=place))).lat is None


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("https://schema.org/OfflineEventAttendanceMode", "in_person"),
        ("http://schema.org/OnlineEventAttendanceMode", "online"),
        ("MixedEventAttendanceMode", "hybrid"),
        ("OnlineEventAttendanceMode", "online"),
    ],
)
def test_attendance_mode_overrides_location(mode: str, expected: str) -> None:
    one = only(page(event(eventAttendanceMode=mode, location={"@type": "Place", "name": "x"})))
    assert one.attendance == expected


@pytest.mark.parametrize(
    ("status", "expected", "attendance"),
    [
        ("https://schema.org/EventCancelled", "cancelled", "in_person"),
        ("http://schema.org/EventPostponed", "postponed", "in_person"),
        ("EventRescheduled", "rescheduled", "in_person"),
        ("https://schema.org/EventMovedOnline", "scheduled", "online"),
        ("https://schema.org/EventScheduled", "scheduled", "in_person"),
        ("eventcancelled", "cancelled", "in_person"),
        (None, None, "in_person"),
    ],
)
def test_event_status(status: Any, expected: Any, attendance: str) -> None:
    one = only(
        page(
            event(
                eventStatus=status,
                location="Hall",
                eventAttendanceMode="OfflineEventAttendanceMode",
            )
        )
    )
    assert (one.status, one.attendance) == (expected, attendance)


def test_organizers_and_performers_as_people() -> None:
    one = only(
        page(
            event(
                organizer=[
                    {"@type": "Organization", "name": "PyData Berlin", "url": "/groups/pydata"},
                    {"@type": "Person", "name": "Ada Lovelace", "url": "https://ada.example"},
                    "Berlin.js",
                    {"@type": "Person", "givenName": "Grace", "familyName": "Hopper"},
                ],
                performer={"@type": "Person", "name": "Linus"},
            )
        )
    )
    assert one.organizers == ["PyData Berlin", "Ada Lovelace", "Berlin.js", "Grace Hopper"]
    assert one.people == [
        Person("PyData Berlin", "organizer", "https://example.org/groups/pydata"),
        Person("Ada Lovelace", "organizer", "https://ada.example"),
        Person("Berlin.js", "organizer"),
        Person("Grace Hopper", "organizer"),
        Person("Linus", "performer"),
    ]


def test_single_string_organizer() -> None:
    one = only(page(event(organizer="Spokane Tech")))
    assert (one.organizers, one.people) == (["Spokane Tech"], [Person("Spokane Tech", "organizer")])


@pytest.mark.parametrize(
    ("offers", "price"),
    [
        ({"@type": "Offer", "price": 0, "priceCurrency": "EUR"}, "free"),
        ({"@type": "Offer", "price": "0", "priceCurrency": "USD"}, "free"),
        ({"@type": "Offer", "price": "0.00"}, "free"),
        ({"@type": "Offer", "price": "Free"}, "free"),
        ({"@type": "Offer", "price": 10.0, "priceCurrency": "EUR"}, "EUR 10"),
        ({"@type": "Offer", "price": "12.50", "priceCurrency": "GBP"}, "GBP 12.50"),
        (
            {"@type": "AggregateOffer", "lowPrice": 10, "highPrice": 25, "priceCurrency": "EUR"},
            "EUR 10–25",
        ),
        (
            [
                {"@type": "Offer", "price": 25, "priceCurrency": "USD"},
                {"@type": "Offer", "price": 5, "priceCurrency": "USD"},
            ],
            "USD 5–25",
        ),
        ({"@type": "AggregateOffer", "lowPrice": "$35", "offerCount": "1938"}, "$35"),
        ({"@type": "Offer", "priceSpecification": {"price": 8, "priceCurrency": "CHF"}}, "CHF 8"),
        ({"@type": "Offer", "url": "/tickets"}, None),
        ({"@type": "Offer", "price": "35 USD", "priceCurrency": "USD"}, "35 USD"),
        ([{"price": "Free"}, {"price": 15, "priceCurrency": "EUR"}], "EUR 0–15"),
    ],
)
def test_offers(offers: Any, price: Any) -> None:
    assert only(page(event(offers=offers))).price == price


def test_accessible_for_free() -> None:
    assert only(page(event(isAccessibleForFree=True))).price == "free"


@pytest.mark.parametrize(
    ("keywords", "categories"),
    [
        ("rust, systems,meetup", ["rust", "systems", "meetup"]),
        (["AI", "AI", " data "], ["AI", "data"]),
    ],
)
def test_keywords_become_categories(keywords: Any, categories: list[str]) -> None:
    assert only(page(event(keywords=keywords))).categories == categories


@pytest.mark.parametrize(
    "image",
    [
        "/img/a.jpg",
        ["/img/a.jpg", "/img/b.jpg"],
        {"@type": "ImageObject", "url": "/img/a.jpg", "width": 600},
        [{"@type": "ImageObject", "contentUrl": "https://example.org/img/a.jpg"}],
    ],
)
def test_image_forms(image: Any) -> None:
    assert only(page(event(image=image))).image == "https://example.org/img/a.jpg"


def test_relative_url_resolved_against_base_href() -> None:
    found = page(event(url="e/7"))
    found.text = found.text.replace("<head>", '<head><base href="https://example.com/site/">')
    assert only(found).url == "https://example.com/site/e/7"


def test_language_tagged_values() -> None:
    name = [{"@language": "de", "@value": "Stammtisch"}, {"@language": "en", "@value": "Meetup"}]
    assert only(page(event(name=name))).title == "Stammtisch"


def test_lone_event_without_url_takes_the_page_url() -> None:
    one = only(page(event()))
    assert (one.url, one.uid) == (URL, f"{URL}#event-1")


def test_uids_on_a_page_with_several_events() -> None:
    found = page(
        [
            event(name="A", url="/e/a"),
            event(name="B", **{"@id": "#b"}),
            event(name="C", **{"@id": "_:b0"}),
            event(name="D", url="/e/a", startDate="2026-06-01T19:00:00+02:00"),
        ]
    )
    events = jsonld.read(found)
    assert [e.uid for e in events] == [
        "https://example.org/e/a",
        f"{URL}#b",
        f"{URL}#event-3",
        "https://example.org/e/a#2026-06-01T19:00:00+02:00",
    ]
    assert [e.url for e in events] == [
        "https://example.org/e/a",
        None,
        None,
        "https://example.org/e/a",
    ]


def test_event_without_name_keeps_an_empty_title_for_other_readers_to_fill() -> None:
    assert only(page({"@type": "Event", "startDate": "2026-05-04"})).title == ""


def test_page_without_json_ld() -> None:
    found = Page("<html><body><h1>Nothing here</h1></body></html>", URL)
    assert (jsonld.read(found), jsonld.links(found), jsonld.blocks(found)) == ([], [], [])


def test_not_accessible_for_free_says_nothing_about_price() -> None:
    assert only(page(event(isAccessibleForFree="False"))).price is None


def test_absurdly_deep_nesting_never_crashes_the_reader() -> None:
    deep_block = "[" * 100_000 + "]" * 100_000
    deep_name = '{"@value": ' * 950 + '"x"' + "}" * 950  # decodable, or nearly so
    found = page(deep_block, GOOD[:-1] + f', "name": {deep_name}}}', GOOD)
    assert "Rust Hack & Learn" in [e.title for e in jsonld.read(found)]
    assert found.notes[0].startswith("skipped a JSON-LD block: maximum recursion depth")
