"""The bundled offline demo: iCalendar feeds shaped like real Meetup, Luma and Google exports.

Pure: no database, no network, no clock. Every date is placed relative to the `now` passed in, so
the demo always has upcoming events; the same `now` gives byte-identical feeds. The text is written
by hand, as the exporters write it (their property order, TEXT escaping, CRLF line endings, lines
folded at 75 octets), not by a serializer, so that readers meet the real quirks. UIDs are stable:
loading the demo again moves the same events instead of piling up new ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEMO_CITY = "Berlin"
BERLIN = ZoneInfo("Europe/Berlin")
TUE, WED, THU, FRI = 1, 2, 3, 4


@dataclass(frozen=True)
class DemoFeed:
    """One demo calendar: `slug` names its file (`<slug>.ics`), `url` is where it would live."""

    slug: str
    name: str
    url: str
    content: bytes


def build_feeds(now: datetime) -> list[DemoFeed]:
    """The demo feeds around `now` (a naive `now` is taken as UTC)."""
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    return [_meetup_feed(now), _luma_feed(now), _google_feed(now)]


# --- iCalendar text, as exporters write it -------------------------------------------------------

_VTIMEZONE = [
    "BEGIN:VTIMEZONE",
    "TZID:Europe/Berlin",
    "X-LIC-LOCATION:Europe/Berlin",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "TZNAME:CEST",
    "DTSTART:19700329T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "TZNAME:CET",
    "DTSTART:19701025T030000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
]


def _text(value: str) -> str:
    """A TEXT value escaped as in RFC 5545 3.3.11 (backslash, semicolon, comma, newline)."""
    for raw, escaped in (("\\", "\\\\"), (";", "\\;"), (",", "\\,"), ("\n", "\\n")):
        value = value.replace(raw, escaped)
    return value


def _fold(line: str) -> str:
    """One content line folded at 75 octets, never inside a UTF-8 character."""
    parts, current, size = [], "", 0
    for char in line:
        width = len(char.encode())
        if size + width > 75:
            parts.append(current)
            current, size = " ", 1
        current += char
        size += width
    parts.append(current)
    return "\r\n".join(parts)


def _calendar(header: list[str], body: list[str]) -> bytes:
    lines = ["BEGIN:VCALENDAR", *header, *body, "END:VCALENDAR"]
    return "".join(_fold(line) + "\r\n" for line in lines).encode()


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _local(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def _at(day: date, clock: str) -> datetime:
    """Wall-clock time `clock` (HH:MM) in Berlin on `day`."""
    return datetime.combine(day, time.fromisoformat(clock), tzinfo=BERLIN)


def _next(now: datetime, weekday: int, min_days: int = 2) -> date:
    """The first `weekday` at least `min_days` after today in Berlin: an evening on it (or on a
    later day up to 36 days on) starts between 1 and 40 days after `now`."""
    first = now.astimezone(BERLIN).date() + timedelta(days=min_days)
    return first + timedelta(days=(weekday - first.weekday()) % 7)


# --- Meetup: one group's events -----------------------------------------------------------------

_MEETUP = "https://www.meetup.com/pyberlin"
_KIEZWERK = ("Kiezwerk Coworking", "Invalidenstraße 112", "10115", "52.5312;13.3846")
_SPREEBLICK = ("Spreeblick Lab", "Rosenthaler Straße 40", "10178", "52.5262;13.4021")
# (event id, days after the first Wednesday, start, minutes, title, venue, lead, cancelled)
_MEETUP_EVENTS = [
    (
        "305118427",
        0,
        "19:00",
        150,
        "PyBerlin Talks: Typed Python in Production",
        _KIEZWERK,
        "Talk by Dr. Hanna Vogel (Zalando): what two years of strict mypy taught her team, "
        "from the first `# type: ignore` to a fully typed codebase.",
        False,
    ),
    (
        "305118519",
        6,
        "18:30",
        120,
        "Python Study Group: async & await",
        _SPREEBLICK,
        "Hands-on session led by Tobias Lindner (Kontor Analytics). Bring a laptop; "
        "we work through asyncio in pairs.",
        False,
    ),
    (
        "305118602",
        14,
        "19:00",
        150,
        "CANCELLED: PyBerlin Pub Night",
        _SPREEBLICK,
        "Sorry, our host needs the space this week. See you at the next talks night!",
        True,
    ),
    (
        "305118774",
        21,
        "19:00",
        150,
        "PyBerlin Talks: Data Pipelines with Polars",
        _KIEZWERK,
        "Talk by Mehmet Aydın (Spreewerk Energy): moving nightly ETL jobs from pandas to "
        "Polars, and what broke on the way.",
        False,
    ),
    (
        "305118850",
        28,
        "18:30",
        180,
        "Beginners' Python Workshop",
        _KIEZWERK,
        "Workshop by Sofia Marques (freelance trainer): your first Python script, step by step. "
        "No experience needed.",
        False,
    ),
]


def _meetup_feed(now: datetime) -> DemoFeed:
    anchor = _next(now, WED)
    header = [
        "VERSION:2.0",
        "PRODID:-//Meetup//RemoteApi//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-ORIGINAL-URL:{_MEETUP}/events/ical/",
        "X-WR-CALNAME:Events - PyBerlin",
        "X-MS-OLK-FORCEINSPECTOROPEN:TRUE",
    ]
    body = [line for spec in _MEETUP_EVENTS for line in _meetup_event(now, anchor, spec)]
    content = _calendar(header, _VTIMEZONE + body)
    return DemoFeed("pyberlin-meetup", "PyBerlin", f"{_MEETUP}/events/ical/", content)


def _meetup_event(now: datetime, anchor: date, spec: tuple) -> list[str]:
    event_id, days, clock, minutes, title, venue, lead, cancelled = spec
    start = _at(anchor + timedelta(days=days), clock)
    name, street, postcode, geo = venue
    description = (
        f"PyBerlin\n{title}\n\n{lead}\n\nOrganized by Jonas Weber and Aylin Demir, "
        "PyBerlin organizers.\n\nDoors open 30 minutes before the start. Drinks, snacks, and a "
        "friendly crowd, thanks to our host."
    )
    return [
        "BEGIN:VEVENT",
        f"DTSTAMP:{_utc(now)}",
        f"DTSTART;TZID=Europe/Berlin:{_local(start)}",
        f"DTEND;TZID=Europe/Berlin:{_local(start + timedelta(minutes=minutes))}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        f"SUMMARY:{_text(title)}",
        f"DESCRIPTION:{_text(description)}",
        "CLASS:PUBLIC",
        f"CREATED:{_utc(now - timedelta(days=45))}",
        f"GEO:{geo}",
        f"LOCATION:{_text(f'{name} ({street}, {postcode} Berlin, DE)')}",
        f"URL:{_MEETUP}/events/{event_id}/",
        f"LAST-MODIFIED:{_utc(now - timedelta(days=2 if cancelled else 12))}",
        f"UID:event_{event_id}@meetup.com",
        "END:VEVENT",
    ]


# --- Luma: a community calendar, times in UTC ---------------------------------------------------

_LUMA_URL = "https://api.lu.ma/ics/get?entity=calendar&id=cal-Qx7bT2mLk9RzWp4"
_WERKHALLE = "Werkhalle Kreuzberg, Schlesische Straße 38, 10997 Berlin, Germany"
_GLEIS7 = "Gleis 7 Studios, Am Ostbahnhof 9, 10243 Berlin, Germany"
# (event id, lu.ma slug, days after the first Tuesday, start, minutes, title, address, about);
# no address: an online event.
_LUMA_EVENTS = [
    (
        "evt-Hq3nV8sLk2PzR5d",
        "b7k2qx9d",
        0,
        "18:30",
        180,
        "AI Builders Demo Night",
        _WERKHALLE,
        "Five teams demo what they shipped this month, followed by drinks and open tables.",
    ),
    (
        "evt-Tw9cM4rXb7NfJ2a",
        "x9f3kq2m",
        9,
        "19:00",
        90,
        "Online: Evaluating LLM Apps, a Hands-on Session",
        None,
        "Bring a prompt you care about; we build a small eval suite together, live.",
    ),
    (
        "evt-Lp6yD1gZs8QeK3u",
        "m4s8rt2w",
        14,
        "19:00",
        150,
        "RAG in Production: Lessons Learned",
        _GLEIS7,
        "Panel with Dr. Lea Brandt (Kontor Analytics) and Nikolai Petrov (Quanta "
        "Logistics), moderated by Clara Nguyen.",
    ),
    (
        "evt-Ra2kF5hWn3VcX8m",
        "c3v7yn5p",
        23,
        "18:30",
        150,
        "Open-Weight Models Hack Evening",
        _WERKHALLE,
        "Pick a small open-weight model, fine-tune it, and show the result at 21:00.",
    ),
]


def _luma_feed(now: datetime) -> DemoFeed:
    anchor = _next(now, TUE)
    header = [
        "VERSION:2.0",
        "PRODID:-//Luma//Luma Calendar//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Berlin AI Builders",
        "X-WR-TIMEZONE:Europe/Berlin",
    ]
    body = [line for spec in _LUMA_EVENTS for line in _luma_event(now, anchor, spec)]
    return DemoFeed(
        "berlin-ai-builders-luma", "Berlin AI Builders", _LUMA_URL, _calendar(header, body)
    )


def _luma_event(now: datetime, anchor: date, spec: tuple) -> list[str]:
    event_id, slug, days, clock, minutes, title, address, about = spec
    start = _at(anchor + timedelta(days=days), clock)
    page = f"https://lu.ma/{slug}"
    where = f"Address:\n{address}" if address else "This event is online: join at " + page
    description = (
        f"Get up-to-date information at: {page}\n\n{where}\n\n{about}\n\n"
        "Hosted by Berlin AI Builders"
    )
    return [
        "BEGIN:VEVENT",
        f"DTSTART:{_utc(start)}",
        f"DTEND:{_utc(start + timedelta(minutes=minutes))}",
        f"DTSTAMP:{_utc(now)}",
        'ORGANIZER;CN="Berlin AI Builders":mailto:calendar-invite@lu.ma',
        f"UID:{event_id}",
        f"SUMMARY:{_text(title)}",
        f"DESCRIPTION:{_text(description)}",
        f"LOCATION:{_text(address or page)}",
        f"URL:{page}",
        "STATUS:CONFIRMED",
        "SEQUENCE:0",
        "END:VEVENT",
    ]


# --- Google Calendar: a public community calendar -----------------------------------------------

_GOOGLE_ID = "c_5b1e0f7a3d9c4e2b8a6f1d0c7e3b9a5f2d8c6e4a1b7f3d9e5c2a8b4f6d0e1c3a"
_GOOGLE_URL = (
    f"https://calendar.google.com/calendar/ical/{_GOOGLE_ID}%40group.calendar"
    ".google.com/public/basic.ics"
)
_RUST_UID = "7hq2d4k9m1s3v5x8z0b6n2p4r6@google.com"
_CONF_UID = "3tq8b1c5e7g9j2l4n6p8r0s2u4@google.com"
_HOST = (
    "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=CHAIR;PARTSTAT=ACCEPTED;CN=Lena Hartmann;"
    "X-NUM-GUESTS=0:mailto:lena.hartmann@example.org"
)
_RUST_HTML = (
    "<b>Rust Hack &amp; Learn</b><br>A relaxed evening for everyone learning or using "
    "Rust: bring a project, a question, or just curiosity.<br><br>Hosted by Lena "
    "Hartmann &amp; Felix Brandt. Newcomers welcome, mentors on site."
)
_MOVED_HTML = (
    "<b>This week at Gleis 7 Studios, one hour later!</b><br>Kiezwerk needs the room, "
    "so we start at 20:00.<br><br>" + _RUST_HTML
)
_CONF_HTML = (
    "<b>Spree Open Source Days</b><br>Two days of talks &amp; workshops on open source "
    "in Berlin: maintainers, first-time contributors, and the companies that rely on "
    "them.<br>Tickets and programme on the conference website."
)


def _google_feed(now: datetime) -> DemoFeed:
    header = [
        "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Berlin Tech Community",
        "X-WR-TIMEZONE:Europe/Berlin",
        "X-WR-CALDESC:" + _text("Meetups, hack nights and conferences in Berlin's tech community"),
    ]
    body = _VTIMEZONE + _rust_series(now) + _conference(now)
    return DemoFeed(
        "berlin-tech-community-google",
        "Berlin Tech Community",
        _GOOGLE_URL,
        _calendar(header, body),
    )


def _google_event(
    now: datetime,
    when: list[str],
    summary: str,
    location: str,
    html: str,
    sequence: int = 0,
    transp: str = "OPAQUE",
) -> list[str]:
    return [
        "BEGIN:VEVENT",
        *when,
        f"CREATED:{_utc(now - timedelta(days=60))}",
        f"DESCRIPTION:{_text(html)}",
        f"LAST-MODIFIED:{_utc(now - timedelta(days=3))}",
        f"LOCATION:{_text(location)}",
        f"SEQUENCE:{sequence}",
        "STATUS:CONFIRMED",
        f"SUMMARY:{_text(summary)}",
        f"TRANSP:{transp}",
        "END:VEVENT",
    ]


def _rust_series(now: datetime) -> list[str]:
    """Weekly on Thursdays since four weeks ago; the 2nd upcoming evening is skipped (EXDATE),
    the 3rd moves one hour later to another venue (RECURRENCE-ID)."""
    first = _at(_next(now, THU), "19:00")
    start, skipped, moved = (first + timedelta(weeks=weeks) for weeks in (-4, 1, 2))
    tz = "TZID=Europe/Berlin"
    master = [
        f"DTSTART;{tz}:{_local(start)}",
        f"DTEND;{tz}:{_local(start + timedelta(hours=2.5))}",
        "RRULE:FREQ=WEEKLY;BYDAY=TH",
        f"EXDATE;{tz}:{_local(skipped)}",
        f"DTSTAMP:{_utc(now)}",
        f"UID:{_RUST_UID}",
        _HOST,
    ]
    override = [
        f"DTSTART;{tz}:{_local(moved + timedelta(hours=1))}",
        f"DTEND;{tz}:{_local(moved + timedelta(hours=3.5))}",
        f"DTSTAMP:{_utc(now)}",
        f"UID:{_RUST_UID}",
        f"RECURRENCE-ID;{tz}:{_local(moved)}",
        _HOST,
    ]
    kiezwerk = "Kiezwerk Coworking, Invalidenstraße 112, 10115 Berlin, Germany"
    return _google_event(now, master, "Rust Hack & Learn", kiezwerk, _RUST_HTML) + _google_event(
        now, override, "Rust Hack & Learn", _GLEIS7, _MOVED_HTML, 1
    )


def _conference(now: datetime) -> list[str]:
    """A two-day conference, Friday and Saturday, as all-day dates (DTEND exclusive)."""
    friday = _next(now, FRI, min_days=26)
    when = [
        f"DTSTART;VALUE=DATE:{friday:%Y%m%d}",
        f"DTEND;VALUE=DATE:{friday + timedelta(days=2):%Y%m%d}",
        f"DTSTAMP:{_utc(now)}",
        f"UID:{_CONF_UID}",
    ]
    venue = "Halle am Wasser, Stralauer Allee 8, 10245 Berlin, Germany"
    return _google_event(
        now, when, "Spree Open Source Days", venue, _CONF_HTML, transp="TRANSPARENT"
    )


# The demo's person: a Berlin developer with a few goals and contacts, some of whom speak at or
# organize the demo events (so the recommendations can say whom to meet), some who only live
# nearby and share a topic, and one namesake at another company who must not be claimed.
DEMO_HOME = "Berlin, Germany"
DEMO_GOALS = (
    ("meet Python developers working on typed, production code", 1),
    ("learn about machine learning in production", 2),
    ("find a mentor in data engineering", 2),
)
_DEMO_CARDS = (
    (
        "Hanna Vogel",
        "Zalando",
        "Staff Engineer",
        "Berlin",
        "python,typing",
        "close",
        "https://github.com/hannavogel-demo",
    ),
    (
        "Mehmet Aydın",
        "Spreewerk Energy",
        "Data Engineer",
        "Berlin",
        "data engineering,polars",
        "regular",
        "",
    ),
    (
        "Lea Brandt",
        "Kontor Analytics",
        "Head of Data Science",
        "Berlin",
        "machine learning",
        "weak",
        "",
    ),
    ("Jonas Weber", "PyBerlin", "Community organizer", "Berlin", "python,community", "regular", ""),
    ("Tobias Lindner", "Ostwind Labs", "Product Manager", "Hamburg", "product", "weak", ""),
    ("Mira Okafor", "Freelance", "ML Engineer", "Berlin", "machine learning,mlops", "regular", ""),
    (
        "Paul Richter",
        "Deutsche Bahn",
        "Data Engineer",
        "Munich",
        "data engineering,airflow",
        "close",
        "",
    ),
)


def demo_contacts() -> bytes:
    """The demo person's contacts as a vCard 3.0 file."""
    cards = []
    for name, org, title, city, tags, _tie, url in _DEMO_CARDS:
        given, family = name.split(" ", 1)
        lines = [
            "BEGIN:VCARD",
            "VERSION:3.0",
            f"FN:{name}",
            f"N:{family};{given};;;",
            f"ORG:{org}",
            f"TITLE:{title}",
            f"ADR;TYPE=WORK:;;;{city};;;",
            f"CATEGORIES:{tags}",
        ]
        lines += [f"URL:{url}"] if url else []
        cards.append("\r\n".join([*lines, "END:VCARD"]))
    return ("\r\n".join(cards) + "\r\n").encode()


def demo_ties() -> dict[str, str]:
    return {card[0]: card[5] for card in _DEMO_CARDS}
