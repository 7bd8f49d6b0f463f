"""A deterministic, realistic iCalendar feed of Berlin tech meetups, for the benchmarks.

`generate(count, seed, now, start, end)` draws the events; `Feed.render()` writes them as an
aggregator would export them: CRLF, lines folded at 75 octets, escaped TEXT, a Europe/Berlin
VTIMEZONE, Meetup/Google/Luma/Mobilizon style UIDs, and 5% weekly series with EXDATEs.
`Feed.render(changed, revision)` rewrites the chosen VEVENTs (same UIDs) for a re-read.
"""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
SERIES_SHARE = 0.05
STAMP = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)  # DTSTAMP of the export: fixed, not the clock

# fmt: off
# (name, slug, homepage)
GROUPS = [
    ("PyData Berlin", "pydata-berlin", "https://pydata.berlin"),
    ("Berlin Rust Hack & Learn", "rust-berlin", "https://berline.rs"),
    ("Berlin.js", "berlinjs", "https://berlinjs.org"),
    ("Women in Tech Berlin", "women-in-tech-berlin", "https://witberlin.de"),
    ("Startup Grind Berlin", "startup-grind-berlin", "https://startupgrind.berlin"),
    ("CityLAB Berlin", "citylab-berlin", "https://citylab-berlin.org"),
    ("Data Science Stammtisch", "ds-stammtisch", "https://ds-stammtisch.de"),
    ("Golang Berlin", "golang-users-berlin", "https://golang.berlin"),
    ("Kotlin User Group Berlin", "kug-berlin", "https://kug.berlin"),
    ("Berlin DevOps", "devops-berlin", "https://devops.berlin"),
    ("UX Berlin", "ux-berlin", "https://uxberlin.com"),
    ("ProductTank Berlin", "producttank-berlin", "https://producttank.berlin"),
    ("AI Berlin", "ai-berlin", "https://ai-berlin.net"),
    ("Berliner Linux User Group", "belug", "https://belug.de"),
    ("OpenTechSchool Berlin", "opentechschool-berlin", "https://opentechschool.org/berlin"),
    ("Clojure Berlin", "clojure-berlin", "https://clojure.berlin"),
    ("Elixir Berlin", "elixir-berlin", "https://elixir.berlin"),
    ("Haskell Users Berlin", "berlin-haskell", "https://haskell.berlin"),
    ("Creative Coding Berlin", "creative-coding-berlin", "https://creativecoding.berlin"),
    ("Hardware Hackers Berlin", "hardware-hackers", "https://hwhackers.berlin"),
    ("Neukölln Founders Breakfast", "nk-founders", "https://nk-founders.de"),
    ("Frontend Freunde Friedrichshain", "frontend-freunde", "https://frontendfreunde.de"),
    ("Berlin Security Meetup", "berlin-security", "https://secmeetup.berlin"),
    ("Postgres Berlin", "postgres-berlin", "https://postgres.berlin"),
    ("Green Coding Berlin", "green-coding", "https://green-coding.berlin"),
    ("Berlin Tech Mentoring", "tech-mentoring-berlin", "https://techmentoring.berlin"),
    ("Open Data Berlin", "open-data-berlin", "https://opendata.berlin"),
    ("Berlin Engineering Leaders", "eng-leaders-berlin", "https://engleaders.berlin"),
]

# (venue, street, postcode, lat, lon)
VENUES = [
    ("Factory Berlin Görlitzer Park", "Lohmühlenstraße 65", "12435", 52.4937, 13.4466),
    ("betahaus Kreuzberg", "Rudi-Dutschke-Straße 23", "10969", 52.5068, 13.3911),
    ("c-base", "Rungestraße 20", "10179", 52.5130, 13.4201),
    ("Zalando Campus", "Valeska-Gert-Straße 5", "10243", 52.5072, 13.4412),
    ("Google Berlin", "Tucholskystraße 2", "10117", 52.5218, 13.3941),
    ("St. Oberholz", "Rosenthaler Straße 72a", "10119", 52.5295, 13.4017),
    ("Microsoft Berlin", "Unter den Linden 17", "10117", 52.5170, 13.3889),
    ("Wikimedia Deutschland", "Tempelhofer Ufer 23-24", "10963", 52.4990, 13.3797),
    ("Spielfeld Digital Hub", "Skalitzer Straße 85-86", "10997", 52.4999, 13.4363),
    ("Motionlab.Berlin", "Bouchéstraße 12", "12435", 52.4919, 13.4540),
    ("Impact Hub Berlin", "Rollbergstraße 28A", "12053", 52.4779, 13.4333),
    ("Kulturbrauerei", "Schönhauser Allee 36", "10435", 52.5390, 13.4130),
    ("Pfefferberg Haus 13", "Schönhauser Allee 176", "10119", 52.5331, 13.4085),
    ("Urania Berlin", "An der Urania 17", "10787", 52.5016, 13.3437),
    ("TU Berlin, Hauptgebäude H 0104", "Straße des 17. Juni 135", "10623", 52.5125, 13.3269),
    ("Erwin Schrödinger-Zentrum", "Rudower Chaussee 26", "12489", 52.4313, 13.5302),
    ("Fraunhofer FOKUS", "Kaiserin-Augusta-Allee 31", "10589", 52.5256, 13.3147),
    ("Holzmarkt 25", "Holzmarktstraße 25", "10243", 52.5115, 13.4260),
    ("Kalkscheune", "Johannisstraße 2", "10117", 52.5245, 13.3890),
    ("Alte Münze", "Molkenmarkt 2", "10179", 52.5155, 13.4094),
    ("silent green Kulturquartier", "Gerichtstraße 35", "13347", 52.5449, 13.3667),
    ("Delivery Hero", "Oranienburger Straße 70", "10117", 52.5253, 13.3926),
    ("N26 Office", "Voltairestraße 8", "10179", 52.5170, 13.4170),
    ("Contentful", "Max-Urich-Straße 3", "13355", 52.5437, 13.3871),
    ("Ableton", "Schönhauser Allee 6-7", "10119", 52.5299, 13.4115),
    ("Station Berlin", "Luckenwalder Straße 4-6", "10963", 52.4980, 13.3760),
    ("Mindspace Friedrichstraße", "Friedrichstraße 68", "10117", 52.5110, 13.3900),
    ("Hertie School", "Friedrichstraße 180", "10117", 52.5097, 13.3896),
]

TOPICS = [
    "Async Python in Production", "Rust für Pythonistas", "Observability mit OpenTelemetry",
    "Kubernetes Operators selbst gebaut", "Vektordatenbanken im Vergleich",
    "Prompt Engineering jenseits des Hypes", "Barrierefreiheit im Frontend",
    "Datenschutz & DSGVO für Startups", "Fundraising in 2026: What VCs Want",
    "From Notebook to Pipeline", "Postgres Performance Tuning", "WebAssembly am Edge",
    "Typsichere APIs mit TypeScript", "Product Discovery in kleinen Teams",
    "Green Software: CO₂-bewusst programmieren", "Mentoring für Quereinsteiger:innen",
    "Hiring Senior Engineers in Berlin", "Security Champions im Team", "Feature Flags done right",
    "Event Sourcing in der Praxis", "Property-based Testing mit Hypothesis",
    "Designsysteme skalieren", "Machine Learning on the Edge", "Open Source nachhaltig finanzieren",
    "Kotlin Multiplatform in Production", "GraphQL vs. REST – eine Bestandsaufnahme",
    "Data Mesh: Hype oder Hilfe?", "Remote-Teams führen", "Zero Trust Networking",
    "Terraform-Module testen", "LLMs im Kundenservice", "Go Generics, two years later",
    "Elixir & LiveView für Echtzeit-UIs", "Embedded Rust auf dem ESP32", "Haskell in der Fintech",
    "Offene Verwaltungsdaten nutzen", "Generative Art mit p5.js", "Wie man ein Tech-Team aufbaut",
    "SQLite überall", "DuckDB für Analysten", "Lessons from a Failed Startup",
    "Pricing für SaaS-Gründer:innen", "Accessibility Audits in der Praxis", "CRDTs erklärt",
    "Platform Engineering ohne Buzzwords", "Incident Reviews ohne Schuldzuweisung",
    "Rechenzentren & Klimabilanz", "Mobile Performance messen", "Local-first Software",
    "Supply-Chain-Security mit SBOMs", "Career Paths for Staff Engineers",
    "Pair Programming remote",
]

SERIES_NAMES = [
    "Hack & Learn", "Co-Working Donnerstag", "Open Office Hours", "Stammtisch", "Lunch & Learn",
    "Coding Dojo", "Study Group", "Code Review Club", "Mentoring-Abend", "Show & Tell",
    "Founders Coffee", "Reading Group", "Repair Café", "Newcomer Night",
]
SINGLE_FORMATS = [
    "{group}: {topic}", "{group} #{n} – {topic}", "{topic} | {group}",
    "{topic} (Talk & Networking)", "Workshop: {topic}", "{group} Meetup {month}: {topic}",
    "Lightning Talks: {topic}", "{group} – Vortrag: {topic}", "{topic} – Panel & Drinks",
]
FIRST = [
    "Anna", "Jonas", "Leonie", "Mehmet", "Sofia", "Lukas", "Priya", "Björn", "Zeynep", "Matthias",
    "Chloé", "Oleksandr", "Yuki", "Fatima", "Jürgen", "Marta", "Kwame", "Ingrid", "Tomás", "Hannah",
]
LAST = [
    "Müller", "Schmidt", "Yılmaz", "Nowak", "Kowalski", "Fischer", "Weber", "Nguyen", "Rossi",
    "Becker", "Hoffmann", "Schäfer", "Okafor", "Lindqvist", "Petrović", "García", "Wagner", "Koch",
]
COMPANIES = [
    "Zalando", "N26", "Delivery Hero", "SoundCloud", "Ecosia", "HelloFresh", "Trade Republic",
    "Contentful", "GetYourGuide", "Personio", "SAP", "Ableton", "Babbel", "Raisin", "freelance",
]
NOTES = [
    "Please bring a photo ID, the building has a front desk.",
    "Der Eingang ist barrierefrei; bitte klingelt im Erdgeschoss.",
    "We follow the Berlin Code of Conduct: https://berlincodeofconduct.org/",
    "Limited seats, so please RSVP, and free your spot if you cannot make it.",
    "Sprache: Deutsch, Folien auf Englisch.",
    "Pizza, drinks (also alcohol-free) and snacks are sponsored by our host.",
    "Nächste U-Bahn: U1/U8 Kottbusser Tor, ca. 5 Minuten zu Fuß.",
    "The talk will be recorded; tell us if you do not want to be on camera.",
]
CATEGORIES = ["Tech", "Networking", "Python", "Startups", "Data", "Design", "Career", "Open Source"]
# fmt: on
STYLES = (("meetup", 0.55), ("google", 0.25), ("luma", 0.18), ("mobilizon", 0.02))


@dataclass
class Spec:
    """One VEVENT as drawn; `occurrences` is how many of its starts fall in the window."""

    uid: str
    style: str
    title: str
    start: datetime | date
    end: datetime | date
    venue: int | None  # index into VENUES; None: online
    description: str
    organizer: tuple[str, str]
    url: str
    categories: list[str]
    created: datetime
    utc: bool = False
    rrule: str | None = None
    exdates: list[datetime] = field(default_factory=list)
    status: str = "CONFIRMED"
    sequence: int = 0
    occurrences: int = 1


@dataclass
class Feed:
    specs: list[Spec]
    now: datetime

    @property
    def occurrences(self) -> int:
        return sum(s.occurrences for s in self.specs)

    @property
    def series(self) -> int:
        return sum(1 for s in self.specs if s.rrule)

    def pick_changes(self, share: float, seed: int) -> list[int]:
        """Indexes of `share` of all VEVENTs, drawn among the single (non-recurring) ones."""
        singles = [i for i, s in enumerate(self.specs) if not s.rrule]
        count = max(1, round(share * len(self.specs)))
        return sorted(random.Random(seed).sample(singles, count))

    def render(self, changed: Collection[int] = (), revision: int = 0) -> bytes:
        """The feed; VEVENTs in `changed` get a new title, venue and SEQUENCE for `revision`."""
        lines = header_lines()
        for i, spec in enumerate(self.specs):
            lines += event_lines(revised(spec, revision) if i in changed else spec)
        lines.append("END:VCALENDAR")
        return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode()


def changed_title(spec: Spec, revision: int) -> str:
    return f"{spec.title} (neuer Ort, Update {revision})"


def revised(spec: Spec, revision: int) -> Spec:
    """The same event (same UID) after its organizer edited it: new title, moved venue."""
    venue = ((spec.venue or 0) + revision) % len(VENUES)
    return replace(spec, title=changed_title(spec, revision), venue=venue, sequence=revision)


# --- drawing ---------------------------------------------------------------------------------


def generate(
    count: int, seed: int, now: datetime, start: datetime, end: datetime, url_uids: bool = True
) -> Feed:
    """`count` VEVENTs, 5% of them weekly series; every start lies inside [start, end).
    `url_uids=False` leaves out Mobilizon's UIDs (the event's https:// address)."""
    rng = random.Random(seed)
    styles = {name: share for name, share in STYLES if url_uids or name != "mobilizon"}
    taken: set[tuple[str, str]] = set()  # (title, start): fingerprints must not collide
    n_series = round(count * SERIES_SHARE)
    specs = [draw_series(rng, styles, now, start, end, taken) for _ in range(n_series)]
    specs += [draw_single(rng, styles, now, taken) for _ in range(count - n_series)]
    rng.shuffle(specs)
    return Feed(specs, now)


def draw_single(
    rng: random.Random, styles: dict[str, float], now: datetime, taken: set[tuple[str, str]]
) -> Spec:
    group = rng.randrange(len(GROUPS))
    while True:
        day = (now + timedelta(days=rng.randint(1, 360))).date()
        title = single_title(rng, group, day)
        if (title.casefold(), day.isoformat()) not in taken:  # one title per day at most
            taken.add((title.casefold(), day.isoformat()))
            break
    clock = time(rng.choice([17, 18, 18, 19, 19, 19, 20]), rng.choice([0, 0, 30, 15, 45]))
    local = datetime.combine(day, clock, BERLIN)
    end = local + timedelta(minutes=rng.randint(3, 7) * 30)
    spec = base_spec(rng, styles, group, title, local, end)
    roll = rng.random()
    if roll < 0.02:  # an all-day conference or hackathon
        spec.start, spec.end = day, day + timedelta(days=rng.choice([1, 1, 2]))
    elif roll < 0.12:  # written in UTC, as some exporters do
        spec.utc = True
    if rng.random() < 0.01:
        spec.status = "CANCELLED"
    return spec


def single_title(rng: random.Random, group: int, day: date) -> str:
    return rng.choice(SINGLE_FORMATS).format(
        group=GROUPS[group][0],
        topic=rng.choice(TOPICS),
        n=rng.randint(12, 180),
        month=day.strftime("%B %Y"),
    )


def draw_series(
    rng: random.Random,
    styles: dict[str, float],
    now: datetime,
    start: datetime,
    end: datetime,
    taken: set[tuple[str, str]],
) -> Spec:
    """A weekly series starting near `now`: open-ended, UNTIL or COUNT, a few EXDATEs."""
    group = rng.randrange(len(GROUPS))
    while True:
        title = f"{GROUPS[group][0]} {rng.choice(SERIES_NAMES)}"
        first = datetime.combine(
            (now + timedelta(days=rng.randint(-2, 14))).date(),
            time(rng.choice([12, 18, 19]), rng.choice([0, 30])),
            BERLIN,
        )
        key = (title.casefold(), first.strftime("W%w%H%M"))
        if key not in taken:
            taken.add(key)
            break
    spec = base_spec(rng, styles, group, title, first, first + timedelta(hours=2))
    spec.rrule, weeks, until = series_rule(rng, first)
    starts = [s for s in weekly(first, weeks, until, end) if s.astimezone(UTC) >= start]
    spec.exdates = sorted(rng.sample(starts[1:-1], rng.randint(2, 4)))
    spec.occurrences = len(starts) - len(spec.exdates)
    return spec


def series_rule(rng: random.Random, first: datetime) -> tuple[str, int | None, datetime | None]:
    day = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][first.weekday()]
    roll = rng.random()
    if roll < 0.15:
        until = (first + timedelta(weeks=rng.randint(20, 40))).astimezone(UTC)
        return f"FREQ=WEEKLY;BYDAY={day};UNTIL={until:%Y%m%dT%H%M%SZ}", None, until
    if roll < 0.25:
        weeks = rng.randint(20, 40)
        return f"FREQ=WEEKLY;COUNT={weeks}", weeks, None
    return f"FREQ=WEEKLY;WKST=MO;BYDAY={day}", None, None


def weekly(
    first: datetime, weeks: int | None, until: datetime | None, end: datetime
) -> list[datetime]:
    """Starts of the series before `end` (wall-clock weekly, across DST), COUNT/UNTIL applied."""
    starts = []
    while first.astimezone(UTC) < end and (weeks is None or len(starts) < weeks):
        if until is not None and first.astimezone(UTC) > until:
            break
        starts.append(first)
        first += timedelta(weeks=1)  # aware + timedelta keeps the wall clock
    return starts


def base_spec(
    rng: random.Random,
    styles: dict[str, float],
    group: int,
    title: str,
    start: datetime,
    end: datetime,
) -> Spec:
    style = rng.choices(list(styles), list(styles.values()))[0]
    uid, url = identity(rng, style, group)
    venue = None if rng.random() < 0.04 else rng.randrange(len(VENUES))
    name = GROUPS[group][0]
    return Spec(
        uid=uid,
        style=style,
        title=title,
        start=start,
        end=end,
        venue=venue,
        description=description(rng, title, venue, url, html=style == "google"),
        organizer=(name, f"info@{GROUPS[group][2].split('//')[1].split('/')[0]}"),
        url=url,
        categories=rng.sample(CATEGORIES, rng.randint(0, 2)),
        created=STAMP - timedelta(days=rng.randint(5, 400), seconds=rng.randint(0, 86399)),
    )


def identity(rng: random.Random, style: str, group: int) -> tuple[str, str]:
    """(UID, URL) as each exporter writes them."""
    slug, home = GROUPS[group][1], GROUPS[group][2]
    if style == "meetup":
        code = "".join(rng.choices(string.ascii_lowercase, k=12))
        return f"event_{code}@meetup.com", f"https://www.meetup.com/{slug}/events/{code}/"
    if style == "google":
        code = "".join(rng.choices(string.ascii_lowercase + string.digits, k=26))
        return f"{code}@google.com", f"{home}/events/{code[:8]}"
    if style == "luma":
        code = "".join(rng.choices(string.ascii_letters + string.digits, k=14))
        return f"evt-{code}@events.lu.ma", f"https://lu.ma/{code[:8].lower()}"
    url = f"https://mobilizon.berlin/events/{uuid.UUID(int=rng.getrandbits(128), version=4)}"
    return url, url  # Mobilizon: the event's address is its UID


def description(rng: random.Random, title: str, venue: int | None, url: str, html: bool) -> str:
    speaker = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    company = rng.choice(COMPANIES)
    intro = rng.choice(
        [
            f"Join us for an evening about {title}. {speaker} ({company}) shares lessons learned, "
            "followed by Q&A, drinks and networking.",
            f"Wir treffen uns zum Thema „{title}“. {speaker} ({company}) berichtet aus der Praxis, "
            "danach gibt es Fragen, Getränke und Zeit zum Netzwerken.",
        ]
    )
    hour = rng.choice([18, 19])
    agenda = [
        f"{hour}:00 Doors open, pizza & drinks",
        f"{hour}:30 Talk by {speaker}",
        f"{hour + 1}:15 Q&A, networking",
        f"{hour + 2}:30 Wrap-up",
    ]
    notes = rng.sample(NOTES, rng.randint(1, 3))
    place = "Online, link after RSVP" if venue is None else f"Hosted by {VENUES[venue][0]}."
    if html:
        items = "".join(f"<li>{a}</li>" for a in agenda)
        body = f"<p>{intro}</p><b>Agenda</b><ul>{items}</ul><p>{'<br>'.join(notes)}</p>"
        return body + f'<p>{place} <a href="{url}">RSVP</a></p>'
    parts = [intro, "Agenda:\n" + "\n".join(agenda), "\n".join(notes), place, f"RSVP: {url}"]
    return "\n\n".join(parts)


# --- writing ---------------------------------------------------------------------------------

VTIMEZONE = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
X-LIC-LOCATION:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE"""


def header_lines() -> list[str]:
    return [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Berlin Tech Calendar//Aggregator 2.4//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Berlin Tech & Startup Meetups",
        "X-WR-TIMEZONE:Europe/Berlin",
        "X-WR-CALDESC:" + text("Meetups, talks, workshops and Stammtische in Berlin, daily"),
        "X-PUBLISHED-TTL:PT1H",
        *VTIMEZONE.split("\n"),
    ]


def event_lines(spec: Spec) -> list[str]:
    lines = ["BEGIN:VEVENT", f"DTSTAMP:{STAMP:%Y%m%dT%H%M%SZ}", f"UID:{spec.uid}"]
    lines += [when("DTSTART", spec.start, spec.utc), when("DTEND", spec.end, spec.utc)]
    if spec.rrule:
        stamps = ",".join(f"{d:%Y%m%dT%H%M%S}" for d in spec.exdates)
        lines += [f"RRULE:{spec.rrule}", f"EXDATE;TZID=Europe/Berlin:{stamps}"]
    lines += [f"SUMMARY:{text(spec.title)}", f"DESCRIPTION:{text(spec.description)}"]
    lines += place_lines(spec)
    lines.append(f"ORGANIZER;CN={param(spec.organizer[0])}:mailto:{spec.organizer[1]}")
    if spec.categories:
        lines.append("CATEGORIES:" + ",".join(text(c) for c in spec.categories))
    modified = STAMP - timedelta(hours=1) if spec.sequence else spec.created
    lines += [f"STATUS:{spec.status}", "CLASS:PUBLIC", "TRANSP:OPAQUE", f"SEQUENCE:{spec.sequence}"]
    lines += [f"CREATED:{spec.created:%Y%m%dT%H%M%SZ}", f"LAST-MODIFIED:{modified:%Y%m%dT%H%M%SZ}"]
    return [*lines, "END:VEVENT"]


def place_lines(spec: Spec) -> list[str]:
    url = f"URL;VALUE=URI:{spec.url}" if spec.style == "meetup" else f"URL:{spec.url}"
    if spec.venue is None:
        return ["LOCATION:Online", url]
    name, street, code, lat, lon = VENUES[spec.venue]
    if spec.style == "meetup":  # Meetup: "Venue (street, city)" and GEO
        return [f"LOCATION:{text(f'{name} ({street}, {code} Berlin)')}", f"GEO:{lat};{lon}", url]
    return [f"LOCATION:{text(f'{name}, {street}, {code} Berlin, Deutschland')}", url]


def when(name: str, value: datetime | date, utc: bool) -> str:
    if not isinstance(value, datetime):
        return f"{name};VALUE=DATE:{value:%Y%m%d}"
    if utc:
        return f"{name}:{value.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    return f"{name};TZID=Europe/Berlin:{value:%Y%m%dT%H%M%S}"


def text(value: str) -> str:
    """RFC 5545 TEXT escaping."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\n", "\\n")


def param(value: str) -> str:
    return f'"{value}"' if any(c in value for c in ":;,") else value


def fold(line: str) -> str:
    """Fold at 75 octets (continuations begin with a space), never inside a UTF-8 sequence."""
    raw = line.encode()
    if len(raw) <= 75:
        return line
    parts, begin, limit = [], 0, 75
    while begin < len(raw):
        stop = min(begin + limit, len(raw))
        while stop < len(raw) and raw[stop] & 0xC0 == 0x80:
            stop -= 1
        parts.append(raw[begin:stop].decode())
        begin, limit = stop, 74
    return "\r\n ".join(parts)
