"""What each goal and each source has yielded: events recommended, marked going, attended or
dismissed, the people met there and the follow-ups done, in all and month by month.

An event counts for a goal when a recommendation named the goal; for a source when a
recommendation came from it or the source lists the event (an event attended without ever being
recommended still counts for its source).

    facts = load_facts(session, user)            # a few queries, the owner's rows only
    tally(facts, by_goal(facts)[goal.id], today) # -> Tally
    chart(monthly(facts, None, today))           # -> Chart, bars to draw as SVG

Everything below `load_facts` is pure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Row, Select, and_, select, union
from sqlalchemy.orm import Session

from planner.models import (
    Contact,
    Event,
    EventFeedback,
    EventSource,
    Meeting,
    Recommendation,
    Source,
    User,
)

MONTHS = 6  # how far back the chart looks, this month included
SERIES = ("recommended", "attended", "people")


@dataclass(frozen=True)
class Touched:
    """One of the owner's events that was recommended, marked or where someone was met."""

    id: int
    title: str
    start: datetime
    day: date  # the start's date where the user lives (all-day and floating: as written)
    status: str
    recommended_at: datetime | None = None
    goal_ids: frozenset[int] = frozenset()
    source_ids: frozenset[int] = frozenset()
    state: str | None = None  # going | dismissed | attended


@dataclass(frozen=True)
class Met:
    """Someone met at one of those events, and the follow-up it called for."""

    id: int
    event_id: int
    contact_id: int
    name: str
    met_on: date
    follow_up_on: date | None
    followed_up_at: datetime | None

    def follow_up(self, today: date) -> str:
        """done | due | later | none"""
        if self.followed_up_at is not None:
            return "done"
        if self.follow_up_on is None:
            return "none"
        return "due" if self.follow_up_on <= today else "later"


@dataclass(frozen=True)
class Facts:
    events: dict[int, Touched]
    meetings: list[Met]
    zone: ZoneInfo


def load_facts(session: Session, user: User) -> Facts:
    """The user's events that were recommended, marked or where someone was met, with the
    sources listing them, and those meetings: three queries, whatever the number of rows."""
    touched = select(
        union(
            select(Recommendation.event_id).where(Recommendation.owner_id == user.id),
            select(EventFeedback.event_id).where(EventFeedback.owner_id == user.id),
            select(Meeting.event_id).where(Meeting.owner_id == user.id),
        ).subquery()
    )
    listed: dict[int, set[int]] = defaultdict(set)
    for event_id, source_id in session.execute(
        select(EventSource.event_id, EventSource.source_id)
        .join(Source, Source.id == EventSource.source_id)
        .where(Source.owner_id == user.id, EventSource.event_id.in_(touched))
    ):
        listed[event_id].add(source_id)
    zone = _zone(user.timezone)
    events = {
        row.id: _touched(row, zone, listed.get(row.id, set()))
        for row in session.execute(_events_query(user.id, touched))
    }
    return Facts(events, _meetings(session, user.id, events), zone)


def _events_query(owner: int, touched: Select[Any]) -> Select[Any]:
    return (
        select(
            Event.id,
            Event.title,
            Event.start,
            Event.all_day,
            Event.floating,
            Event.status,
            Recommendation.first_at,
            Recommendation.goal_ids,
            Recommendation.source_ids,
            EventFeedback.state,
        )
        .outerjoin(
            Recommendation,
            and_(Recommendation.event_id == Event.id, Recommendation.owner_id == owner),
        )
        .outerjoin(
            EventFeedback,
            and_(EventFeedback.event_id == Event.id, EventFeedback.owner_id == owner),
        )
        .where(Event.owner_id == owner, Event.id.in_(touched))
    )


def _touched(row: Row[Any], zone: ZoneInfo, listed: set[int]) -> Touched:
    return Touched(
        id=row.id,
        title=row.title,
        start=row.start,
        day=row.start.date() if row.all_day or row.floating else _day(row.start, zone),
        status=row.status,
        recommended_at=row.first_at,
        goal_ids=frozenset(int(i) for i in row.goal_ids or ()),
        source_ids=frozenset(int(i) for i in row.source_ids or ()) | listed,
        state=row.state,
    )


def _meetings(session: Session, owner: int, events: Collection[int]) -> list[Met]:
    query = (
        select(
            Meeting.id,
            Meeting.event_id,
            Meeting.contact_id,
            Contact.name,
            Meeting.met_on,
            Meeting.follow_up_on,
            Meeting.followed_up_at,
        )
        .join(Contact, Contact.id == Meeting.contact_id)
        .where(Meeting.owner_id == owner, Contact.owner_id == owner, Meeting.event_id.is_not(None))
        .order_by(Meeting.met_on, Meeting.id)
    )
    rows = session.execute(query)
    return [Met(**row._mapping) for row in rows if row.event_id in events]


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


# --- pure from here on ---------------------------------------------------------------------------


def by_goal(facts: Facts) -> dict[int, set[int]]:
    """Goal id -> the ids of the events recommended for it."""
    found: dict[int, set[int]] = defaultdict(set)
    for event in facts.events.values():
        for goal_id in event.goal_ids:
            found[goal_id].add(event.id)
    return found


def by_source(facts: Facts) -> dict[int, set[int]]:
    """Source id -> the ids of the events recommended from it or listed by it."""
    found: dict[int, set[int]] = defaultdict(set)
    for event in facts.events.values():
        for source_id in event.source_ids:
            found[source_id].add(event.id)
    return found


@dataclass(frozen=True)
class Tally:
    recommended: int = 0
    going: int = 0
    attended: int = 0
    dismissed: int = 0
    people: int = 0  # distinct contacts met
    meetings: int = 0
    followed_up: int = 0
    due: int = 0  # follow-ups whose day has come, not done


def tally(facts: Facts, event_ids: Collection[int] | None, today: date) -> Tally:
    """The counts for the events `event_ids` (None: every event in `facts`)."""
    events = _chosen(facts, event_ids)
    ids = {event.id for event in events}
    meetings = [m for m in facts.meetings if m.event_id in ids]
    follow_ups = [m.follow_up(today) for m in meetings]
    states = [event.state for event in events]
    return Tally(
        recommended=sum(event.recommended_at is not None for event in events),
        going=states.count("going"),
        attended=states.count("attended"),
        dismissed=states.count("dismissed"),
        people=len({m.contact_id for m in meetings}),
        meetings=len(meetings),
        followed_up=follow_ups.count("done"),
        due=follow_ups.count("due"),
    )


def _chosen(facts: Facts, event_ids: Collection[int] | None) -> list[Touched]:
    if event_ids is None:
        return list(facts.events.values())
    return [facts.events[i] for i in event_ids if i in facts.events]


@dataclass(frozen=True)
class Month:
    first: date  # the month's first day
    recommended: int  # events first recommended that month
    attended: int  # events attended that took place that month
    people: int  # distinct contacts met at those events that month

    def value(self, series: str) -> int:
        return int(getattr(self, series))


def month_starts(today: date, count: int = MONTHS) -> list[date]:
    """The first days of the `count` months up to today's, oldest first."""
    index = today.year * 12 + today.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - count + 1, index + 1)]


def monthly(
    facts: Facts, event_ids: Collection[int] | None, today: date, count: int = MONTHS
) -> list[Month]:
    """Month by month, for the last `count` months: recommended, attended, people met."""
    events = _chosen(facts, event_ids)
    ids = {event.id for event in events}
    recommended: dict[date, int] = defaultdict(int)
    attended: dict[date, int] = defaultdict(int)
    people: dict[date, set[int]] = defaultdict(set)
    for event in events:
        if event.recommended_at is not None:
            recommended[_first(_day(event.recommended_at, facts.zone))] += 1
        if event.state == "attended":
            attended[_first(event.day)] += 1
    for meeting in facts.meetings:
        if meeting.event_id in ids:
            people[_first(meeting.met_on)].add(meeting.contact_id)
    return [
        Month(first, recommended[first], attended[first], len(people[first]))
        for first in month_starts(today, count)
    ]


def _first(day: date) -> date:
    return day.replace(day=1)


@dataclass(frozen=True)
class PersonMet:
    contact_id: int
    name: str
    meetings: list[Met]

    @property
    def last_met(self) -> date:
        return max(m.met_on for m in self.meetings)


def people_met(facts: Facts, event_ids: Collection[int] | None) -> list[PersonMet]:
    """Each contact met at those events with the meetings, most recently met first."""
    ids = {event.id for event in _chosen(facts, event_ids)}
    grouped: dict[int, list[Met]] = defaultdict(list)
    for meeting in facts.meetings:
        if meeting.event_id in ids:
            grouped[meeting.contact_id].append(meeting)
    found = [PersonMet(cid, met[0].name, met) for cid, met in grouped.items()]
    return sorted(found, key=lambda p: (-p.last_met.toordinal(), p.name.casefold()))


def events_behind(facts: Facts, event_ids: Collection[int] | None) -> list[Touched]:
    """The events behind a tally, latest first."""
    return sorted(_chosen(facts, event_ids), key=lambda e: (e.start, e.id), reverse=True)


def met_at(facts: Facts) -> dict[int, list[Met]]:
    """Event id -> the meetings there."""
    found: dict[int, list[Met]] = defaultdict(list)
    for meeting in facts.meetings:
        found[meeting.event_id].append(meeting)
    return found


# --- the chart -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    series: str
    x: float
    y: float
    width: float
    height: float
    value: int


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True)
class Group:
    month: Month
    x: float  # the centre, for the month's label
    bars: list[Bar]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: int
    baseline: float
    top: int  # the value at the top of the scale
    ticks: list[Tick]
    groups: list[Group]

    @property
    def empty(self) -> bool:
        return all(bar.value == 0 for group in self.groups for bar in group.bars)


WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 480, 210, 30, 6, 14, 40


def scale(maximum: int) -> tuple[int, list[int]]:
    """A round top for the axis (at least `maximum`, at least 1) and its ticks: 1, 2 or 5 times a
    power of ten apart, at most five of them past zero."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if maximum <= step * factor * 5:
                size = step * factor
                top = max(1, -(-maximum // size)) * size
                return top, list(range(0, top + 1, size))
        step *= 10


def chart(months: Iterable[Month]) -> Chart:
    """Grouped bars: per month, recommended, attended and people met, to draw as SVG."""
    months = list(months)
    top, ticks = scale(max((m.value(s) for m in months for s in SERIES), default=0))
    plot = HEIGHT - TOP - BOTTOM
    baseline = float(TOP + plot)
    width = (WIDTH - LEFT - RIGHT) / max(1, len(months))
    groups = [
        _group(month, LEFT + width * (index + 0.5), width, baseline, plot / top)
        for index, month in enumerate(months)
    ]
    marks = [Tick(round(baseline - plot * value / top, 2), value) for value in ticks]
    return Chart(WIDTH, HEIGHT, LEFT, RIGHT, baseline, top, marks, groups)


def _group(month: Month, centre: float, width: float, baseline: float, unit: float) -> Group:
    """One month's bars side by side around `centre`, `unit` high per 1."""
    bar, gap = width * 0.24, width * 0.03
    first = centre - (len(SERIES) * bar + (len(SERIES) - 1) * gap) / 2
    bars = []
    for number, series in enumerate(SERIES):
        value = month.value(series)
        x, height = round(first + number * (bar + gap), 2), round(value * unit, 2)
        bars.append(Bar(series, x, round(baseline - height, 2), round(bar, 2), height, value))
    return Group(month, round(centre, 2), bars)
