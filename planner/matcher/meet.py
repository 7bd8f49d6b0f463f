"""People to meet: for each contact worth meeting, the best chance to meet them in person in the
next weeks, with why; when there is none, a gathering to host, a coffee, or a call.

    people_to_meet(profile, goals, contacts, events, evidence, now, trips=trips, feedback=fb)

A contact is worth meeting for the tie and for fitting the user's active goals, unless met
lately (`worth`). Their chance is an open in-person event in the next `WINDOW_DAYS` where the
evidence puts them (confirmed before likely; events the user goes to, in free time and soon
first), within the user's radius of where the user is that day. A contact living beyond the
radius who comes to such an event is a "travel" chance; one with none, and no trip of the
user's to them, gets a call (a weak tie is suggested only in person). Contacts near the user
with no chance who share a goal topic get a small gathering to host (`gathering`); one alone,
a coffee. Evidence is what `find_contacts` found: a contact is never said to be anywhere
without it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from planner.matcher.data import Contact, ContactAtEvent, Event, Feedback, Goal, Profile, Trip
from planner.matcher.feedback import decisions
from planner.matcher.gathering import Gathering, Guest, Place, days_between, plan_gatherings
from planner.matcher.people import STRENGTH
from planner.matcher.place import distances_km, local_day, reach, trip_text, whereabouts, zone
from planner.matcher.timing import fit, span
from planner.matcher.worth import Worth, worth_of

KINDS = ("meet", "host", "call", "travel")
WINDOW_DAYS = 42  # how far ahead chances are looked for
NOTICE_DAYS = 5  # a gathering at home is proposed no sooner
MAX_PEOPLE = 30
AT_PHRASE = {
    "speaker": "is speaking at", "host": "is hosting", "organizer": "is organizing",
    "attendee": "is going to", "mentioned": "is named on", "likely": "will likely be at",
}  # fmt: skip


@dataclass(frozen=True)
class Suggestion:
    """What to do about one contact: kind meet | host | call | travel, in words, with why
    (`reasons`: first about the chance, then about the person, the last `personal` of them);
    the event (meet, travel) or the gathering (host) it is about."""

    contact: Contact
    kind: str
    text: str
    reasons: tuple[str, ...]
    event_id: int | None = None
    gathering: Gathering | None = None
    worth: float = 0.0
    personal: int = 0

    @property
    def about_chance(self) -> tuple[str, ...]:
        return self.reasons[: len(self.reasons) - self.personal]

    @property
    def about_person(self) -> tuple[str, ...]:
        return self.reasons[len(self.reasons) - self.personal :]


@dataclass(frozen=True)
class _Chance:
    event: Event
    claim: ContactAtEvent
    reach_text: str
    km: float | None
    time_text: str
    free: bool
    trip: Trip | None
    going: bool


def people_to_meet(
    profile: Profile,
    goals: Sequence[Goal],
    contacts: Sequence[Contact],
    events: Sequence[Event],
    evidence: Mapping[int, Sequence[ContactAtEvent]],
    now: datetime,
    trips: Sequence[Trip] = (),
    feedback: Sequence[Feedback] = (),
    host: str | None = None,
    limit: int = MAX_PEOPLE,
) -> list[Suggestion]:
    """A suggestion for each of the (at most `limit`) contacts most worth meeting, those most
    worth it first. `evidence` maps event ids to `find_contacts` results; `host` signs the
    drafted invitations."""
    state = _State(profile, goals, events, evidence, now, trips, feedback)
    today = now.astimezone(zone(profile.timezone)).date()
    worth = [w for w in (worth_of(c, state.goals, today) for c in contacts) if w]
    worth = sorted(worth, key=lambda w: (-w.score, w.contact.name))[:limit]
    found: list[Suggestion] = []
    pools: dict[tuple[str, Trip | None], list[Worth]] = {}
    for person in worth:
        chances = state.chances(person.contact)
        reachable = [c for c in chances if c.km is None or c.km <= profile.radius_km]
        if reachable:
            found.append(state.at_event(person, reachable[0]))
            continue
        place = state.meeting_place(person.contact)
        if place is None and person.contact.tie != "weak":  # a weak tie: only in person
            found.append(state.call(person, [c for c in chances if not c.claim.likely]))
        elif place is not None:
            pools.setdefault(place, []).append(person)
    for (_, trip), pool in pools.items():
        found += state.hosted(pool, trip, host)
    order = {w.contact.id: n for n, w in enumerate(worth)}
    return sorted(found, key=lambda s: order[s.contact.id])


class _State:
    """What one run reads, prepared once."""

    def __init__(
        self,
        profile: Profile,
        goals: Sequence[Goal],
        events: Sequence[Event],
        evidence: Mapping[int, Sequence[ContactAtEvent]],
        now: datetime,
        trips: Sequence[Trip],
        feedback: Sequence[Feedback],
    ) -> None:
        self.profile, self.now, self.trips = profile, now, tuple(trips)
        self.today = now.astimezone(zone(profile.timezone)).date()
        self.until = now + timedelta(days=WINDOW_DAYS)
        self.goals = sorted((g for g in goals if not g.paused), key=lambda g: (g.priority, g.id))
        decided = decisions(feedback)
        by_id = {event.id: event for event in events}
        self.going = [by_id[i] for i, kind in decided.items() if kind == "going" and i in by_id]
        self.claims: dict[int, list[tuple[Event, ContactAtEvent]]] = {}
        for event_id, claims in evidence.items():
            event = by_id.get(event_id)
            if event is None or decided.get(event_id) in ("dismissed", "attended"):
                continue
            if self._open(event):
                for claim in claims:
                    self.claims.setdefault(claim.contact_id, []).append((event, claim))

    def _open(self, event: Event) -> bool:
        return (
            event.status == "scheduled"
            and event.gone_at is None
            and event.attendance != "online"
            and self.now < event.start <= self.until
        )

    # --- chances at events ---

    def chances(self, contact: Contact) -> list[_Chance]:
        """The open events where the evidence puts the contact, best chance first."""
        found = []
        going = {event.id for event in self.going}
        for event, claim in self.claims.get(contact.id, []):
            at = whereabouts(self.profile, self.trips, local_day(event, self.profile.timezone))
            place = reach(event, at, self.profile)
            when = fit(event, self.profile.availability, at.timezone)
            found.append(
                _Chance(
                    event,
                    claim,
                    place.text,
                    place.km,
                    when.text,
                    when.free,
                    at.trip,
                    event.id in going,
                )  # fmt: skip
            )
        found.sort(
            key=lambda c: (
                c.claim.likely,
                not c.going,
                not c.free,
                c.event.start,
                -STRENGTH.get(c.claim.role, 0),
            )
        )
        return found

    def at_event(self, person: Worth, chance: _Chance) -> Suggestion:
        contact, event = person.contact, chance.event
        local = event.start.astimezone(zone(event.timezone or self.profile.timezone))
        when = f"{local:%a %-d %b}" + ("" if event.all_day else f", {local:%H:%M}")
        phrase = AT_PHRASE.get(chance.claim.role, "is named on")
        home_km = self.home_km(contact)
        far = home_km is not None and home_km > self.profile.radius_km
        travels = far and chance.trip is None and chance.km is not None
        if travels:
            text = f'{contact.name} comes from {_city(contact)}: {phrase} "{event.title}", {when}'
        else:
            text = f'{contact.name} {phrase} "{event.title}", {when}'
        reasons = [chance.claim.evidence, chance.reach_text, chance.time_text]
        if travels:
            reasons.append(f"lives in {_city(contact)}, {_km(home_km or 0)} from home")
        if chance.trip is not None:
            reasons.append(trip_text(chance.trip))
        if chance.going:
            reasons.append("you are going")
        return _suggestion(person, "travel" if travels else "meet", text, reasons, event.id)

    # --- no event: where the user could see them, else a call ---

    def home_km(self, contact: Contact) -> float | None:
        profile = self.profile
        return _km_between(contact, profile.home_lat, profile.home_lon)

    def meeting_place(self, contact: Contact) -> tuple[str, Trip | None] | None:
        """Home when the contact lives within the radius of it; a trip of the next weeks to
        where they live; None when neither (or nobody knows)."""
        km = self.home_km(contact)
        if km is not None and km <= self.profile.radius_km:
            return ("home", None)
        last = self.until.astimezone(zone(self.profile.timezone)).date()
        for trip in self.trips:
            if trip.ends_on < self.today or trip.starts_on > last:
                continue
            near = _km_between(contact, trip.lat, trip.lon)
            if near is not None and near <= self.profile.radius_km:
                return ("trip", trip)
        return None

    def call(self, person: Worth, confirmed: Sequence[_Chance]) -> Suggestion:
        contact = person.contact
        km = self.home_km(contact)
        weeks = f"the next {WINDOW_DAYS // 7} weeks"
        if km is None:
            text = f"Call {contact.name}: no chance to meet in person found in {weeks}"
            known = self.profile.home_lat is not None
            reasons = ["where they live is not known" if known else "your home place is not set"]
        else:
            text = (
                f"Call {contact.name}: they live in {_city(contact)}, {_km(km)} from home, "
                f"and nothing shows them near you in {weeks}"
            )
            reasons = [
                f"lives {_km(km)} from home, beyond your {_km(self.profile.radius_km)}",
                f"no trip of yours to {_city(contact)} in {weeks}",
            ]
        for chance in confirmed[:1]:
            reasons.append(
                f'{AT_PHRASE.get(chance.claim.role, "is named on")} "{chance.event.title}": '
                f"{chance.reach_text}"
            )
        return _suggestion(person, "call", text, reasons)

    def hosted(self, pool: list[Worth], trip: Trip | None, host: str | None) -> list[Suggestion]:
        """Gatherings for contacts near one place who share a goal topic; a coffee for the
        rest."""
        days, place = self._gathering_days(pool, trip)
        gatherings: list[Gathering] = []
        left = [Guest(w.contact, w.terms, w.score) for w in pool]
        if days:
            busy = [span(event) for event in self.going]
            gatherings, left = plan_gatherings(
                left, self.goals, place, days, self.profile.availability, busy, host
            )
        by_id = {w.contact.id: w for w in pool}
        found = [
            self._host(by_id[cid], gathering, trip)
            for gathering in gatherings
            for cid in gathering.contact_ids
        ]
        found += [self._coffee(by_id[guest.contact.id], trip) for guest in left]
        return found

    def _gathering_days(self, pool: list[Worth], trip: Trip | None) -> tuple[list[date], Place]:
        if trip is not None:
            first = max(self.today + timedelta(days=1), trip.starts_on)
            place = Place(trip.city, trip.timezone or self.profile.timezone)
            return days_between(first, trip.ends_on), place
        last = self.until.astimezone(zone(self.profile.timezone)).date()
        days = [
            day
            for day in days_between(self.today + timedelta(days=NOTICE_DAYS), last)
            if whereabouts(self.profile, self.trips, day).trip is None
        ]
        cities = [_city(w.contact) for w in pool if w.contact.city]
        city = max(sorted(set(cities)), key=cities.count) if cities else "your city"
        return days, Place(city, self.profile.timezone)

    def _host(self, person: Worth, gathering: Gathering, trip: Trip | None) -> Suggestion:
        others = [name for name in gathering.names if name != person.contact.name]
        local = gathering.start
        when = f"{local:%a %-d %b}, {local:%H:%M}–{gathering.end:%H:%M}"
        guests = _listed([person.contact.name, *others])
        text = f"Host a small {gathering.topic} evening in {gathering.city} with {guests}"
        reasons = [
            f'{len(gathering.names)} of your contacts near {gathering.city} share '
            f'"{gathering.topic}" (your goal "{gathering.goal}")',
            f"no event in the next {WINDOW_DAYS // 7} weeks shows them near you",
            f"proposed: {when}" + (", in your free time" if gathering.free else ", outside "
                                  "your free time (none left in these weeks)"),
        ]  # fmt: skip
        if trip is not None:
            reasons.append(trip_text(trip))
        return _suggestion(person, "host", text, reasons, gathering=gathering)

    def _coffee(self, person: Worth, trip: Trip | None) -> Suggestion:
        name = person.contact.name
        if trip is not None:
            text = f"Ask {name} for a coffee while you are in {trip.city}"
            reasons = [trip_text(trip), f"{name} lives near {trip.city}"]
        else:
            text = f"Ask {name} for a coffee"
            reasons = [f"lives near you, in {_city(person.contact)}"]
        reasons.append(f"no event in the next {WINDOW_DAYS // 7} weeks shows them near you")
        return _suggestion(person, "meet", text, reasons)


def _suggestion(
    person: Worth,
    kind: str,
    text: str,
    reasons: Sequence[str],
    event_id: int | None = None,
    gathering: Gathering | None = None,
) -> Suggestion:
    return Suggestion(
        person.contact,
        kind,
        text,
        (*reasons, *person.reasons),
        event_id,
        gathering,
        person.score,
        len(person.reasons),
    )


def _km_between(contact: Contact, lat: float | None, lon: float | None) -> float | None:
    if None in (contact.lat, contact.lon, lat, lon):
        return None
    here = np.array([[contact.lat, contact.lon]], dtype=np.float64)
    return float(distances_km(here, (lat, lon))[0])  # type: ignore[arg-type]


def _city(contact: Contact) -> str:
    return (contact.city or "").split(",")[0].strip() or "their city"


def _km(km: float) -> str:
    return f"{km:.1f} km" if km < 10 else f"{km:.0f} km"


def _listed(names: Sequence[str]) -> str:
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)
