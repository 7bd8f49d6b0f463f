"""From scored candidates to the short list: no duplicates, no crowding by one series or
organizer, within the user's budget of events per week and month, plus one serendipity pick."""

from __future__ import annotations

import dataclasses
import functools
import heapq
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from planner.matcher.data import ContactAtEvent, Event, Reason
from planner.matcher.place import zone
from planner.matcher.text import fold

# each earlier pick of the same series (title) or by the same organizer multiplies a score by
VARIETY = {"title": 0.6, "org": 0.8}
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


@dataclass
class Candidate:
    row: int
    event: Event
    score: float
    reasons: list[Reason] = field(default_factory=list)
    contacts: list[ContactAtEvent] = field(default_factory=list)
    serendipity: bool = False
    duplicates: frozenset[str] = frozenset()  # `duplicate_keys` of the event
    series: frozenset[str] = frozenset()  # `series_keys` of the event
    reach: float = 1.0  # the place factor
    free: bool = True  # inside the user's free time, no clash
    judged: bool = False  # feedback moved its score


def duplicate_keys(event: Event) -> Iterator[str]:
    """Keys two listings of one event share: the fingerprint, or the title and start."""
    if event.fingerprint:
        yield "fp:" + event.fingerprint
    yield f"at:{event.start.isoformat()}:{' '.join(fold(event.title).split())}"


def series_keys(event: Event) -> set[str]:
    """What makes events "the same again": an organizer, or the title without its subtitle
    and numbers ("PyBerlin Talks: Typed Python" -> "pyberlin talks")."""
    keys = {"org:" + fold(name).strip() for name in event.organizers if name.strip()}
    head = re.split(r":| [-–—|] ", fold(event.title), maxsplit=1)[0]
    head = " ".join(w for w in re.findall(r"[a-z]+", head))
    if head:
        keys.add("title:" + head)
    return keys


@functools.lru_cache(maxsize=8192)
def _periods(start: datetime, timezone: str) -> tuple[date, tuple[int, int]]:
    """The Monday of the week and the (year, month) of `start` in `timezone`."""
    day = start.astimezone(zone(timezone)).date()
    return day - timedelta(days=day.weekday()), (day.year, day.month)


class Budget:
    """Events per week (Monday to Sunday) and per month, in the user's zone; events the user
    is going to count first."""

    def __init__(self, per_week: int, per_month: int, timezone: str, going: Iterable[Event]):
        self.per_week, self.per_month, self.timezone = per_week, per_month, timezone
        self.week: Counter[date] = Counter()
        self.month: Counter[tuple[int, int]] = Counter()
        self.left_week: Counter[date] = Counter()
        self.left_month: Counter[tuple[int, int]] = Counter()
        for event in going:
            self.take(event)

    def periods(self, event: Event) -> tuple[date, tuple[int, int]]:
        return _periods(event.start, self.timezone)

    def room(self, event: Event) -> bool:
        week, month = self.periods(event)
        return self.week[week] < self.per_week and self.month[month] < self.per_month

    def take(self, event: Event) -> None:
        week, month = self.periods(event)
        self.week[week] += 1
        self.month[month] += 1

    def leave(self, event: Event) -> None:
        week, month = self.periods(event)
        if self.week[week] >= self.per_week:
            self.left_week[week] += 1
        else:
            self.left_month[month] += 1

    def reason(self, event: Event) -> Reason | None:
        """Says so on a kept event when others in its week or month were left out."""
        week, month = self.periods(event)
        if self.left_week[week]:
            left = self.left_week[week]
            period, limit = f"the week of {week.day} {MONTHS[week.month - 1][:3]}", self.per_week
        elif self.left_month[month]:
            left, period, limit = self.left_month[month], MONTHS[month[1] - 1], self.per_month
        else:
            return None
        others = "1 other" if left == 1 else f"{left} others"
        picks = "pick" if limit == 1 else f"{limit} picks"
        return Reason("budget", f"one of your {picks} for {period}: {others} left out")


def select(
    candidates: list[Candidate], budget: Budget, limit: int, judged: frozenset[str] = frozenset()
) -> list[Candidate]:
    """The best `limit` candidates, each once, within the budget (which records what it left
    out); a pick's score is multiplied by `VARIETY` for each pick already made from its series
    and by its organizer. `judged` holds the duplicate keys of the events the user already
    judged: other listings of them stay out too. The candidates themselves are not changed."""
    seen: set[str] = set(judged)
    unique = []
    for candidate in sorted(candidates, key=lambda c: (-c.score, c.event.start, c.event.id)):
        if not candidate.duplicates & seen:
            seen |= candidate.duplicates
            unique.append(candidate)
    # candidates with the same series keys share their variety factor, so only the best of
    # each such group can be the next pick: the heap holds one head per group, keyed by its
    # score as last worked out (never less than its score now: factors only fall)
    groups: dict[frozenset[str], list[int]] = {}
    for n, candidate in enumerate(unique):
        groups.setdefault(candidate.series, []).append(n)
    queues = {keys: iter(members) for keys, members in groups.items()}
    heap = []
    for keys, queue in queues.items():
        first = next(queue)
        heap.append((-unique[first].score, first, keys))
    heapq.heapify(heap)
    counts: dict[str, int] = {}
    picks: list[Candidate] = []
    while heap and len(picks) < limit:
        negative, n, keys = heapq.heappop(heap)
        candidate = unique[n]
        factor = _variety(_kinds(keys), counts)
        score = candidate.score * factor
        if score < -negative - 1e-12:
            heapq.heappush(heap, (-score, n, keys))
            continue
        if not budget.room(candidate.event):
            budget.leave(candidate.event)
        else:
            budget.take(candidate.event)
            for key in keys:
                counts[key] = counts.get(key, 0) + 1
            picks.append(dataclasses.replace(candidate, score=score))
            factor = _variety(_kinds(keys), counts)
        following = next(queues[keys], None)
        if following is not None:
            heapq.heappush(heap, (-unique[following].score * factor, following, keys))
    return picks


@functools.lru_cache(maxsize=4096)
def _kinds(keys: frozenset[str]) -> tuple[tuple[float, tuple[str, ...]], ...]:
    """Series keys by kind, each kind with its `VARIETY` factor (kinds without keys left out):
    worked out once per set of keys, not at every turn of the selection."""
    return tuple(
        (per, found)
        for kind, per in VARIETY.items()
        if (found := tuple(key for key in keys if key.startswith(kind + ":")))
    )


def _variety(kinds: tuple[tuple[float, tuple[str, ...]], ...], counts: dict[str, int]) -> float:
    """The factor for a candidate with these series keys (`_kinds`), given how many earlier
    picks had each key: per kind, its factor to the power of its most repeated key."""
    factor = 1.0
    for per, keys in kinds:
        most = max([counts.get(key, 0) for key in keys])
        if most:
            factor *= per**most
    return factor


def surprise(
    pool: Iterable[Candidate],
    picks: list[Candidate],
    budget: Budget,
    judged: frozenset[str] = frozenset(),
) -> Candidate | None:
    """The best serendipity candidate that is not a duplicate of a pick, not by an organizer
    already picked and fits in the budget."""
    taken = {key for pick in picks for key in pick.duplicates} | judged
    organizers = {k for pick in picks for k in pick.series if k.startswith("org:")}
    for candidate in sorted(pool, key=lambda c: (-c.score, c.event.start, c.event.id)):
        if candidate.duplicates & taken or candidate.series & organizers:
            continue
        if budget.room(candidate.event):
            budget.take(candidate.event)
            return candidate
    return None
