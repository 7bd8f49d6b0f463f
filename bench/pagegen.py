"""Deterministic, realistic ~150 KB event pages (Meetup/Eventbrite style) for bench/pages.py.

`generate(count, seed, markup, size)` draws `Sample(url, data, truth)`s. Every page carries the
heavy markup of a real event page: a head full of meta/link tags, inline CSS and scripts, a
Next.js `__NEXT_DATA__` JSON blob; a body with a navigation bar, Tailwind-style class soup, inline
SVG icons, the event itself, an attendee grid, "similar events" cards, comments and a big footer.
`markup="jsonld"` describes the event in JSON-LD blocks in the head (plus the site's Organization
and a BreadcrumbList); `markup="microdata"` marks the same event up with itemscope/itemprop in
the body and has no JSON-LD at all. `truth` says what a reader should find.

A third of the JSON-LD pages give the event `url` relative, a quarter write offsets without a
colon (`+0200`): both happen on real pages.
"""

from __future__ import annotations

import html
import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from feedgen import FIRST, GROUPS, LAST, NOTES, TOPICS, VENUES

BERLIN = ZoneInfo("Europe/Berlin")
FIRST_DAY = datetime(2026, 3, 2, tzinfo=BERLIN)
CLASSES = [
    "flex",
    "items-center",
    "justify-between",
    "gap-2",
    "gap-4",
    "px-4",
    "py-2",
    "p-6",
    "mt-4",
    "mb-2",
    "rounded-lg",
    "shadow-sm",
    "border",
    "border-gray-200",
    "text-sm",
    "text-gray-600",
    "font-semibold",
    "hover:underline",
    "md:flex-row",
    "lg:w-1/3",
    "truncate",
    "h-full",
    "w-full",
    "bg-white",
    "dark:bg-gray-900",
    "sm:hidden",
    "grid",
    "grid-cols-2",
    "md:grid-cols-4",
]


@dataclass(frozen=True)
class Truth:
    name: str
    start: datetime
    end: datetime
    venue: str
    street: str
    postcode: str
    city: str
    country: str
    lat: float
    lon: float
    organizer: str
    url: str  # absolute

    @property
    def address(self) -> str:
        return f"{self.street}, {self.postcode} {self.city}, {self.country}"


@dataclass(frozen=True)
class Sample:
    url: str
    data: bytes
    truth: Truth
    quirks: tuple[str, ...] = ()  # "relative-url", "offset-without-colon"


def generate(count: int, seed: int, markup: str, size: int = 150_000) -> list[Sample]:
    """`count` pages of about `size` bytes each; the same seed gives the same bytes."""
    rng = random.Random(f"{seed}-{markup}")
    return [page(rng, number, markup, size) for number in range(count)]


def page(rng: random.Random, number: int, markup: str, size: int) -> Sample:
    truth = draw_truth(rng, number)
    relative = markup == "jsonld" and number % 3 == 1
    no_colon = markup == "jsonld" and number % 4 == 2
    head = head_html(rng, truth, markup, relative, no_colon)
    event = event_microdata(rng, truth) if markup == "microdata" else event_html(rng, truth)
    parts = [head, "<body class='min-h-screen bg-gray-50'>", nav_html(rng), event]
    parts.append(attendees_html(rng, 40))
    text_size = sum(len(p.encode()) for p in parts) + 12_000  # the footer and closing tags
    cards: list[str] = []
    while text_size + sum(len(c.encode()) for c in cards) < size:
        cards.append(card_html(rng))
    parts += ["<section class='similar'><h2>Similar events nearby</h2>", *cards, "</section>"]
    parts += [footer_html(rng), "</body></html>"]
    quirks = (("relative-url",) if relative else ()) + (
        ("offset-without-colon",) if no_colon else ()
    )
    return Sample(truth.url, "".join(parts).encode(), truth, quirks)


def draw_truth(rng: random.Random, number: int) -> Truth:
    group, slug, _ = rng.choice(GROUPS)
    venue, street, postcode, lat, lon = rng.choice(VENUES)
    day = FIRST_DAY + timedelta(days=rng.randrange(300), hours=rng.choice((18, 19)))
    start = day.replace(minute=rng.choice((0, 30)))
    return Truth(
        name=f"{group}: {rng.choice(TOPICS)} 🚀",
        start=start,
        end=start + timedelta(minutes=rng.choice((90, 120, 150))),
        venue=venue,
        street=street,
        postcode=postcode,
        city="Berlin",
        country="DE",
        lat=lat,
        lon=lon,
        organizer=group,
        url=f"https://www.meetup.com/{slug}/events/{301000000 + number}/",
    )


def stamp(moment: datetime, no_colon: bool) -> str:
    text = moment.isoformat()
    return text[:-3] + text[-2:] if no_colon else text


def head_html(rng: random.Random, truth: Truth, markup: str, relative: bool, no_colon: bool) -> str:
    title = html.escape(truth.name)
    lines = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{title} | Meetup</title>",
        f"<meta property='og:title' content='{title}'>",
        f"<link rel='canonical' href='{truth.url}'>",
    ]
    for n in range(30):
        lines.append(
            f"<link rel='preload' as='script' href='/_next/static/chunks/{n}-{word(rng)}.js'>"
        )
    lines.append("<style>" + "".join(css_rule(rng) for _ in range(60)) + "</style>")
    lines.append("<script>window.dataLayer=window.dataLayer||[];" + js_noise(rng, 40) + "</script>")
    if markup == "jsonld":
        lines += [
            ld(
                {
                    "@context": "https://schema.org",
                    "@type": "Organization",
                    "name": "Meetup",
                    "url": "https://www.meetup.com/",
                    "logo": "https://www.meetup.com/logo.png",
                }
            ),
            ld(event_json(rng, truth, relative, no_colon)),
            ld(breadcrumbs(truth)),
        ]
    lines.append(next_data(rng, truth))
    return "\n".join(lines) + "</head>"


def ld(value: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(value, ensure_ascii=False)}</script>'


def event_json(rng: random.Random, truth: Truth, relative: bool, no_colon: bool) -> dict:
    url = truth.url.removeprefix("https://www.meetup.com") if relative else truth.url
    return {
        "@context": "https://schema.org",
        "@type": rng.choice(("Event", "SocialEvent", "EducationEvent")),
        "name": truth.name,
        "url": url,
        "description": description(rng, truth),
        "startDate": stamp(truth.start, no_colon),
        "endDate": stamp(truth.end, no_colon),
        "eventStatus": "https://schema.org/EventScheduled",
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "image": [f"https://secure-content.meetupstatic.com/images/{rng.randrange(10**8)}.jpg"],
        "location": {
            "@type": "Place",
            "name": truth.venue,
            "address": {
                "@type": "PostalAddress",
                "streetAddress": truth.street,
                "postalCode": truth.postcode,
                "addressLocality": truth.city,
                "addressCountry": truth.country,
            },
            "geo": {"@type": "GeoCoordinates", "latitude": truth.lat, "longitude": truth.lon},
        },
        "organizer": {
            "@type": "Organization",
            "name": truth.organizer,
            "url": truth.url.split("/events/")[0] + "/",
        },
        "offers": {"@type": "Offer", "price": 0, "priceCurrency": "EUR", "url": truth.url},
    }


def breadcrumbs(truth: Truth) -> dict:
    items = ["https://www.meetup.com/", truth.url.split("/events/")[0] + "/", truth.url]
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": n + 1, "item": url} for n, url in enumerate(items)
        ],
    }


def next_data(rng: random.Random, truth: Truth) -> str:
    """Meetup's Apollo state: a big JSON blob in a plain application/json script."""
    state = {
        f"Member:{rng.randrange(10**9)}": {
            "name": person(rng),
            "bio": sentence(rng, 12),
            "photo": {"baseUrl": f"https://x/{word(rng)}"},
        }
        for _ in range(70)
    }
    state["Event"] = {"title": truth.name, "dateTime": truth.start.isoformat()}
    blob = json.dumps({"props": {"pageProps": {"__APOLLO_STATE__": state}}}, ensure_ascii=False)
    return f'<script id="__NEXT_DATA__" type="application/json">{blob}</script>'


def nav_html(rng: random.Random) -> str:
    links = "".join(
        f"<li class='{cls(rng)}'><a href='/{word(rng)}/' class='{cls(rng)}'>{svg(rng)}"
        f"<span class='{cls(rng)}'>{word(rng).title()}</span></a></li>"
        for _ in range(25)
    )
    menu = f"<nav aria-label='Main'><ul class='{cls(rng)}'>{links}</ul></nav>"
    return f"<header class='{cls(rng)}'>{menu}</header>"


def event_html(rng: random.Random, truth: Truth) -> str:
    """The event as people see it, with no structured data (the JSON-LD pages)."""
    when = truth.start.strftime("%A, %B %d, %Y %H:%M")
    return (
        f"<main class='{cls(rng)}'><div class='{cls(rng)}'><h1 class='{cls(rng)}'>"
        f"{html.escape(truth.name)}</h1><div class='{cls(rng)}'>{svg(rng)}<time "
        f"datetime='{truth.start.isoformat()}'>{when}</time></div><div class='{cls(rng)}'>"
        f"{svg(rng)}<span>{html.escape(truth.venue)}</span><span>{html.escape(truth.street)} · "
        f"{truth.city}</span></div><p>Hosted by <span>{html.escape(truth.organizer)}</span></p>"
        f"<div class='break-words'>{paragraphs(rng, truth)}</div></div></main>"
    )


def event_microdata(rng: random.Random, truth: Truth) -> str:
    """The same event marked up with schema.org microdata (nested Place, address, geo, offer)."""
    when = truth.start.strftime("%A, %B %d, %Y %H:%M")
    group_url = truth.url.split("/events/")[0].removeprefix("https://www.meetup.com") + "/"
    return (
        f"<main class='{cls(rng)}' itemscope itemtype='https://schema.org/Event'>"
        f"<link itemprop='url' href='{truth.url.removeprefix('https://www.meetup.com')}'>"
        f"<h1 class='{cls(rng)}' itemprop='name'>{html.escape(truth.name)}</h1>"
        f"<div class='{cls(rng)}'>{svg(rng)}<time itemprop='startDate' "
        f"datetime='{truth.start.isoformat()}'>{when}</time>"
        f"<meta itemprop='endDate' content='{truth.end.isoformat()}'></div>"
        f"<meta itemprop='eventStatus' content='https://schema.org/EventScheduled'>"
        f"<div class='{cls(rng)}' itemprop='location' itemscope itemtype='https://schema.org/Place'>"
        f"{svg(rng)}<span itemprop='name'>{html.escape(truth.venue)}</span>"
        f"<div itemprop='address' itemscope itemtype='https://schema.org/PostalAddress'>"
        f"<span itemprop='streetAddress'>{html.escape(truth.street)}</span>, "
        f"<span itemprop='postalCode'>{truth.postcode}</span> "
        f"<span itemprop='addressLocality'>{truth.city}</span>"
        f"<meta itemprop='addressCountry' content='{truth.country}'></div>"
        f"<div itemprop='geo' itemscope itemtype='https://schema.org/GeoCoordinates'>"
        f"<meta itemprop='latitude' content='{truth.lat}'>"
        f"<meta itemprop='longitude' content='{truth.lon}'></div></div>"
        f"<p>Hosted by <span itemprop='organizer' itemscope itemtype='https://schema.org/Organization'>"
        f"<a itemprop='url' href='{group_url}'><span itemprop='name'>"
        f"{html.escape(truth.organizer)}</span></a></span></p>"
        f"<div itemprop='offers' itemscope itemtype='https://schema.org/Offer'>"
        f"<meta itemprop='price' content='0'>"
        f"<meta itemprop='priceCurrency' content='EUR'>Free</div>"
        f"<div class='break-words' itemprop='description'>{paragraphs(rng, truth)}</div></main>"
    )


def attendees_html(rng: random.Random, count: int) -> str:
    people = "".join(
        f"<li class='{cls(rng)}'><a href='/members/{rng.randrange(10**9)}/'><img "
        f"src='https://secure.meetupstatic.com/photos/member/{word(rng)}.jpeg' alt='' "
        f"class='{cls(rng)}' loading='lazy'><span class='{cls(rng)}'>{person(rng)}</span>"
        f"<span class='text-xs'>Member</span></a></li>"
        for _ in range(count)
    )
    heading = f"<h2>Attendees ({count})</h2>"
    return f"<section class='{cls(rng)}'>{heading}<ul class='{cls(rng)}'>{people}</ul></section>"


def card_html(rng: random.Random) -> str:
    day = FIRST_DAY + timedelta(days=rng.randrange(300))
    return (
        f"<div class='{cls(rng)}'><a href='/{word(rng)}/events/{rng.randrange(10**9)}/' "
        f"class='{cls(rng)}'><img src='https://x.meetupstatic.com/{word(rng)}.webp' alt='' "
        f"class='{cls(rng)}'><div class='{cls(rng)}'><span class='{cls(rng)}'>"
        f"{day:%a, %b %d · %H:%M} CET</span><h3 class='{cls(rng)}'>{rng.choice(TOPICS)}</h3>"
        f"<p class='{cls(rng)}'>{rng.choice(GROUPS)[0]}</p><div class='{cls(rng)}'>{svg(rng)}"
        f"<span>{rng.randrange(3, 200)} going</span></div></div></a></div>"
    )


def footer_html(rng: random.Random) -> str:
    columns = "".join(
        f"<div class='{cls(rng)}'><h4>{word(rng).title()}</h4><ul>"
        + "".join(
            f"<li><a href='/{word(rng)}/' class='{cls(rng)}'>{word(rng)}</a></li>"
            for _ in range(20)
        )
        + "</ul></div>"
        for _ in range(4)
    )
    icons = "".join(svg(rng) for _ in range(8))
    return f"<footer class='{cls(rng)}'>{columns}<div>{icons}</div><p>© 2026 Meetup</p></footer>"


def paragraphs(rng: random.Random, truth: Truth) -> str:
    return "".join(f"<p>{html.escape(sentence(rng, 40))}</p>" for _ in range(6)) + (
        f"<p>{html.escape(rng.choice(NOTES))}</p>"
    )


def description(rng: random.Random, truth: Truth) -> str:
    return f"{truth.name}\n\n{sentence(rng, 60)}\n\n{rng.choice(NOTES)}"


def svg(rng: random.Random) -> str:
    points = " ".join(f"{rng.uniform(0, 24):.2f},{rng.uniform(0, 24):.2f}" for _ in range(18))
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 24 24' class='h-5 w-5 fill-current'"
        f" aria-hidden='true'><path d='M{points}Z'></path></svg>"
    )


def css_rule(rng: random.Random) -> str:
    color = f"#{rng.randrange(16**6):06x}"
    return f".{word(rng)}-{rng.randrange(99)}{{margin:{rng.randrange(40)}px;color:{color}}}"


def js_noise(rng: random.Random, count: int) -> str:
    return "".join(f"var {word(rng)}{n}={rng.randrange(10**6)};" for n in range(count))


def cls(rng: random.Random) -> str:
    return " ".join(rng.sample(CLASSES, 4))


def word(rng: random.Random) -> str:
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randrange(4, 10)))


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def sentence(rng: random.Random, words: int) -> str:
    pool = " ".join(TOPICS).split()
    return " ".join(rng.choice(pool) for _ in range(words)).capitalize() + "."
