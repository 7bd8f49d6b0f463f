"""Contacts at an event: whom the event's own text shows will be there, and who likely comes.

Evidence, strongest first:
- an exact handle, profile URL or email of a contact among the event's people or in its text;
- a name (people, organizers, title, description prose) that agrees with a contact's name, when
  nothing says otherwise: a common family name, a short form or an initial also needs the
  affiliation the event gives ("Kat Müller (Spreewerk Energy)") or the city to agree; a company
  or city beside the name that is not the contact's rules it out, however rare the name (the
  user could not check it is theirs);
- "likely there": a contact living within `LIKELY_KM` of the venue whose tags or title share the
  event's topic. Said as such: a guess, never a confirmed presence.
Every claim carries the words of the event it rests on. `find_contacts` is meant to run when
events or contacts change, with one `ContactIndex` for all of a user's events.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain

import numpy as np

from planner.matcher.data import Contact, ContactAtEvent, Event
from planner.matcher.identity import GENERIC, ContactIndex, identity_keys, person_role
from planner.matcher.names import (
    Name,
    first_names_agree,
    is_common,
    mentions,
    parse_name,
    role_at,
    sentence_at,
)
from planner.matcher.place import distances_km
from planner.matcher.text import analyze, fold, term_counts

STRENGTH = {"speaker": 5, "host": 4, "organizer": 3, "attendee": 2, "mentioned": 1, "likely": 0}
TIE_ORDER = {"close": 0, "regular": 1, "weak": 2}
LIKELY_KM = 25.0
NEAR_KM = 100.0  # a contact living this close to the venue lives where the event is
MAX_LIKELY = 5

_URL = re.compile(r"https?://[^\s<>\"')\]]+")
_HANDLE = re.compile(r"(?<![\w@])@[\w.]+@[\w-]+(?:\.[\w-]+)+")
_EMAIL = re.compile(r"(?<![\w@.])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ADDRESSES = re.compile(r"https?://\S+|\S*@\S+|www\.\S+")
# Words beside a name that say nothing about where its person works or lives.
NEUTRAL = frozenset(
    term
    for term, _ in analyze(
        "speaker speakers host organizer organiser moderator keynote panelist panel mc "
        "facilitator guest invited remote online virtual tbc tba tbd"
    )
)


@dataclass(frozen=True)
class _Claim:
    contact_id: int
    role: str
    evidence: str
    confidence: int  # 3: handle, URL or email; 2: affiliation agrees; 1: city agrees; 0: name


def find_contacts(contacts: ContactIndex | Iterable[Contact], event: Event) -> list[ContactAtEvent]:
    """The contacts the event shows to be there (strongest role first), then the likely ones."""
    index = contacts if isinstance(contacts, ContactIndex) else ContactIndex(contacts)
    found: dict[int, list[_Claim]] = {}
    for claim in chain(_by_identity(index, event), _by_name(index, event)):
        found.setdefault(claim.contact_id, []).append(claim)
    confirmed = [_merge(index, claims) for claims in found.values()]
    confirmed.sort(key=lambda c: (-STRENGTH[c.role], TIE_ORDER.get(c.tie, 1), c.name))
    return confirmed + _likely(index, event, set(found))


def _merge(index: ContactIndex, claims: list[_Claim]) -> ContactAtEvent:
    claims = sorted(claims, key=lambda c: (-c.confidence, -STRENGTH[c.role]))
    role = max((c.role for c in claims), key=STRENGTH.__getitem__)
    evidence = list(dict.fromkeys(c.evidence for c in claims))[:2]
    contact = index.contacts[claims[0].contact_id]
    return ContactAtEvent(
        contact.id,
        contact.name,
        role,
        "; ".join(evidence),
        contact.tie,
        index.interests_of(contact.id),
    )


# --- exact: handles, profile URLs, emails ---


def _by_identity(index: ContactIndex, event: Event) -> Iterator[_Claim]:
    for person in event.people:
        role = person_role(person.role)
        if person.email:
            for cid in index.by_identity(identity_keys(email=person.email)):
                yield _Claim(cid, role, f"listed as {role} with their email {person.email}", 3)
        if person.url:
            shown = _shown_url(person.url)
            for cid in index.by_identity(identity_keys(url=person.url)):
                text = f'listed as {role} with their profile {shown} ("{person.name}")'
                yield _Claim(cid, role, text, 3)
    text = event.description or ""
    for pattern, kind, what in ((_URL, "url", "profile"), (_HANDLE, "handle", "handle")):
        for hit in pattern.finditer(text):
            value = hit.group().rstrip(".,;:!?")
            yield from _in_prose(index, text, hit, identity_keys(**{kind: value}), what, value)
    blanked = _HANDLE.sub(lambda handle: " " * len(handle.group()), text)  # same offsets
    for hit in _EMAIL.finditer(blanked):
        yield from _in_prose(
            index, text, hit, identity_keys(email=hit.group()), "email", hit.group()
        )


def _in_prose(
    index: ContactIndex, text: str, hit: re.Match[str], keys: set[str], what: str, value: str
) -> Iterator[_Claim]:
    ids = index.by_identity(keys)
    if not ids:
        return
    start, end = hit.span()
    role = role_at(text, start, end)
    quote = sentence_at(text, start, end)
    for cid in ids:
        yield _Claim(cid, role, f'the description gives their {what} {value}: "{quote}"', 3)


def _shown_url(url: str) -> str:
    return re.sub(r"^https?://(www\.)?", "", url).rstrip("/")


# --- names ---


def _by_name(index: ContactIndex, event: Event) -> Iterator[_Claim]:
    for person in event.people:
        name, said = parse_name(person.name)
        role = person_role(person.role)
        yield from _judged(index, event, name, said, role, f'named as {role}: "{person.name}"')
    for organizer in event.organizers:
        name, said = parse_name(organizer)
        yield from _judged(
            index, event, name, said, "organizer", f'named as organizer: "{organizer}"'
        )
    for field, text in (("title", event.title), ("description", event.description or "")):
        for m in mentions(text):
            if index.named(m.name.last):
                quote = f'the {field} says: "{sentence_at(text, m.start, m.end)}"'
                yield from _judged(index, event, m.name, m.said, m.role, quote)


def _judged(
    index: ContactIndex, event: Event, name: Name | None, said: str | None, role: str, quote: str
) -> Iterator[_Claim]:
    if name is None:
        return
    for cid in index.named(name.last):
        found = _agreement(index, index.contacts[cid], name, said, event)
        if found is not None:
            yield _Claim(cid, role, quote + found[1], found[0])


def _agreement(
    index: ContactIndex, contact: Contact, name: Name, said: str | None, event: Event
) -> tuple[int, str] | None:
    """How sure and why a name is taken to be this contact ((2, " — ...") when the affiliation
    agrees, (1, ...) when the city does, (0, ...) for the name alone), or None when it is not.

    A common family name (or one two contacts share), a short form or an initial needs the
    affiliation the event gives, or the city, to agree; a rare full name needs only that
    nothing disagrees. A company or city the event gives that is not the contact's rules the
    name out, however rare: it names someone else as far as the user can check."""
    own = index.names[contact.id]
    level = first_names_agree(own.first, name.first)
    if level is None:
        return None
    common = is_common(own) or index.namesakes(contact.id) > 1
    if said and affiliation_agrees(contact, said):
        return 2, f' — "{said}", as in your contacts'
    if said and affiliation_disagrees(contact, said):
        return None  # the event says where its person works or lives, and it is not yours
    place = _place_agrees(contact, event)
    if place:
        return None if level == "similar" else (1, f" — they live in {contact.city or 'the area'}")
    if common or level not in ("same", "nickname"):
        return None
    return 0, f" — though they live in {contact.city}" if place is False else ""


_LEGAL = frozenset(
    [
        "gmbh",
        "ag",
        "se",
        "inc",
        "ltd",
        "llc",
        "co",
        "corp",
        "corporation",
        "company",
        "limited",
        "plc",
        "sa",
        "sarl",
        "bv",
        "nv",
        "oy",
        "ab",
        "kg",
        "ug",
    ]
)


def _organisation(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", fold(text)) if w not in _LEGAL}


def affiliation_agrees(contact: Contact, said: str) -> bool:
    """Whether what an event says beside a name fits the contact's company or city."""
    words = _organisation(said)
    if not words:
        return False
    for known in (contact.company, contact.city and contact.city.split(",")[0]):
        own = _organisation(known or "")
        if own and (own <= words or words <= own):
            return True
    return False


def affiliation_disagrees(contact: Contact, said: str) -> bool:
    """Whether what an event says beside a name (not agreeing) names another company or city
    than the contact's: it has words other than pronouns, roles, generic job words, links and
    the contact's own title, and the contact has a company or city to compare with."""
    if not (contact.company or contact.city):
        return False
    own_title = {term for term, _ in analyze(contact.title or "")}
    plain = _ADDRESSES.sub(" ", said)
    return any(
        term not in GENERIC and term not in NEUTRAL and term not in own_title
        for term, _ in analyze(plain)
    )


def _place_agrees(contact: Contact, event: Event) -> bool | None:
    """Whether the contact lives where the event is: True, False, or None (cannot tell)."""
    if None not in (contact.lat, contact.lon, event.lat, event.lon):
        here = np.array([[contact.lat, contact.lon]], dtype=np.float64)
        return bool(distances_km(here, (event.lat, event.lon))[0] <= NEAR_KM)  # type: ignore[arg-type]
    place = fold(" ".join(filter(None, (event.venue, event.address))))
    if contact.city and place:
        return fold(contact.city.split(",")[0].strip()) in place
    return None


# --- likely there ---


def _likely(index: ContactIndex, event: Event, confirmed: set[int]) -> list[ContactAtEvent]:
    if event.attendance == "online" or event.lat is None or event.lon is None:
        return []
    near = index.near((event.lat, event.lon), LIKELY_KM)
    if not near:
        return []
    headline = {t for t, _ in analyze(" ".join((event.title, *event.categories)), implied=True)}
    body = headline | set(term_counts(event.description or "", implied=True))
    found = []
    for cid, km in near:
        interests = index.interest_terms.get(cid, {})
        shared = [t for t in interests if t in body]
        if cid not in confirmed and (set(shared) & headline or len(shared) >= 2):
            found.append((index.contacts[cid], km, [interests[t] for t in shared]))
    found.sort(key=lambda f: (TIE_ORDER.get(f[0].tie, 1), -len(f[2]), f[1]))
    return [_likely_claim(index, *f) for f in found[:MAX_LIKELY]]


def _likely_claim(
    index: ContactIndex, contact: Contact, km: float, shared: list[str]
) -> ContactAtEvent:
    where = f" ({contact.city})" if contact.city else ""
    evidence = (
        f"likely there, not confirmed: lives {km:.0f} km from the venue{where} and "
        f"lists {', '.join(dict.fromkeys(shared))}"
    )
    return ContactAtEvent(
        contact.id, contact.name, "likely", evidence, contact.tie, index.interests_of(contact.id)
    )
