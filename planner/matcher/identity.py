"""A user's contacts indexed for finding them at events: by handle, profile URL, email, family
name and home, with the topic words each one's tags and title give."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from urllib.parse import urlsplit

import numpy as np

from planner.matcher.data import Contact
from planner.matcher.names import Name, parse_name
from planner.matcher.place import distances_km
from planner.matcher.text import analyze, as_written

PERSON_ROLES = {
    "speaker": "speaker", "presenter": "speaker", "performer": "speaker", "panelist": "speaker",
    "instructor": "speaker", "trainer": "speaker", "teacher": "speaker", "keynote": "speaker",
    "host": "host", "moderator": "host", "mc": "host", "facilitator": "host",
    "organizer": "organizer", "organiser": "organizer", "contact": "organizer",
    "attendee": "attendee", "going": "attendee", "participant": "attendee", "rsvp": "attendee",
}  # fmt: skip
# Words of job titles and tags that say nothing about a topic.
GENERIC = frozenset(
    term
    for term, _ in analyze(
        "senior junior lead head chief principal staff manager management director founder "
        "cofounder ceo cto cfo coo vp president consultant consulting freelance freelancer "
        "student intern software engineer engineering developer development programmer "
        "specialist associate assistant officer member partner owner analyst architect "
        "researcher scientist team community self employed independent"
    )
)
_X_HOSTS = {"twitter.com", "x.com", "mobile.twitter.com"}


def person_role(role: str | None) -> str:
    """An event person's role in the matcher's words; unknown roles are "mentioned"."""
    return PERSON_ROLES.get((role or "").strip().lower(), "mentioned")


def identity_keys(
    email: str | None = None, url: str | None = None, handle: str | None = None
) -> set[str]:
    """Comparable keys for an email, a profile URL (and the handle it shows) or a handle."""
    keys = set()
    if email:
        keys.add("email:" + email.strip().removeprefix("mailto:").lower())
    if handle:
        keys.add(handle.strip().lower())
    if url:
        keys |= _url_keys(url)
    return keys


def _url_keys(url: str) -> set[str]:
    parts = urlsplit(url.strip() if "//" in url else "https://" + url.strip())
    host = re.sub(r"^(www|m)\.", "", (parts.hostname or "").lower())
    path = parts.path.rstrip("/").lower()
    if not host or not path:  # a bare site names a company as often as a person
        return set()
    keys = {f"url:{host}{path}"}
    first = path.strip("/").split("/")[0]
    if host == "github.com" and "/" not in path.strip("/"):
        keys.add(f"github:{first}")
    elif host in _X_HOSTS and "/" not in path.strip("/"):
        keys.add(f"x:{first}")
    elif first.startswith("@") and "/" not in path.strip("/"):
        keys.add(f"{first}@{host}")
    return keys


class ContactIndex:
    """A user's contacts by identity keys, family name and home, with their topic words."""

    def __init__(self, contacts: Iterable[Contact]) -> None:
        self.contacts = {contact.id: contact for contact in contacts}
        self.names: dict[int, Name] = {}
        self._keys: dict[str, list[int]] = {}
        self._families: dict[str, list[int]] = {}
        self.interest_terms: dict[int, dict[str, str]] = {}
        for contact in self.contacts.values():
            self._add(contact)
        self._twins = Counter((n.first, n.last) for n in self.names.values())
        located = [c for c in self.contacts.values() if c.lat is not None and c.lon is not None]
        self._located = np.array([c.id for c in located], dtype=np.int64)
        self._places = np.array([[c.lat, c.lon] for c in located], dtype=np.float64)

    def _add(self, contact: Contact) -> None:
        keys = set().union(
            *(identity_keys(email=e) for e in contact.emails),
            *(identity_keys(url=u) for u in contact.urls),
            *(identity_keys(handle=h) for h in contact.handles),
        )
        for key in keys:
            self._keys.setdefault(key, []).append(contact.id)
        name, _ = parse_name(contact.name)
        if name is not None:
            self.names[contact.id] = name
            self._families.setdefault(name.last, []).append(contact.id)
        self.interest_terms[contact.id] = interests(contact)

    def by_identity(self, keys: Iterable[str]) -> list[int]:
        return list(dict.fromkeys(cid for key in keys for cid in self._keys.get(key, ())))

    def named(self, family: str) -> list[int]:
        """The contacts whose family name has this key."""
        return self._families.get(family, [])

    def namesakes(self, contact_id: int) -> int:
        """How many contacts share this contact's first and family name (itself included)."""
        name = self.names[contact_id]
        return self._twins[(name.first, name.last)]

    def near(self, place: tuple[float, float], km: float) -> list[tuple[int, float]]:
        """(contact id, distance) of the contacts living within `km` of `place`."""
        if not len(self._located):
            return []
        distance = distances_km(self._places, place)
        close = np.flatnonzero(distance <= km)
        return [(int(self._located[i]), float(distance[i])) for i in close]

    def interests_of(self, contact_id: int) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.interest_terms.get(contact_id, {}).values()))


def interests(contact: Contact) -> dict[str, str]:
    """Topic term -> the contact's words for it: a whole tag, or the words of the job title
    (generic job words left out)."""
    found: dict[str, str] = {}
    for tag in contact.tags:
        for term, _ in analyze(tag, implied=True):
            if term not in GENERIC:
                found.setdefault(term, tag)
    title = contact.title or ""
    for term, surface in analyze(title, implied=True):
        if term not in GENERIC:
            found.setdefault(term, as_written(title, surface))
    return found
