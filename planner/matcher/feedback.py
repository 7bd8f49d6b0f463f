"""What the user's word on past events teaches: organizers, sources and topics they turned down
weigh less; those of events they attended (more so where they met people) weigh more. Every
change comes with the sentence that says why."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from planner.matcher.data import Event, Feedback
from planner.matcher.index import EventIndex
from planner.matcher.text import fold, terms

DISMISSED_ORGANIZER = 0.6  # per dismissed event, down to FLOOR
FLOOR = 0.3
DISMISSED_SOURCE = 0.9
ATTENDED = 0.1  # per attended event, more for one where the user met people
MET = 0.2
CEILING = 1.5
SIMILAR = 0.5  # title similarity from which an event is "like" a judged one
MAX_JUDGED = 50  # the most recent judged events whose topics are compared


@dataclass
class _Tally:
    shown: str
    dismissed: int = 0
    attended: int = 0
    met: int = 0


@dataclass
class Learned:
    """Feedback turned into weights for organizers, sources and topics."""

    organizers: dict[str, _Tally] = field(default_factory=dict)
    sources: dict[str, _Tally] = field(default_factory=dict)
    disliked: list[tuple[str, np.ndarray]] = field(default_factory=list)
    liked: list[tuple[str, np.ndarray]] = field(default_factory=list)

    def most(self) -> float:
        """The largest factor `weigh` can give any event."""
        praised = any(t.attended for t in (*self.organizers.values(), *self.sources.values()))
        return CEILING if praised or self.liked else 1.0

    def weigh(self, event: Event, row: int) -> tuple[float, list[str]]:
        """The factor feedback puts on `event` and the reasons for it: its organizers' record,
        else its sources', else how like it is to an event the user judged."""
        for kind, names in (("organizers", event.organizers), ("sources", event.sources)):
            tallies = [t for t in map(getattr(self, kind).get, map(fold, names)) if t]
            if tallies:
                factor, said = 1.0, []
                for tally in tallies:
                    change, text = _tally_weight(tally, kind == "sources")
                    factor *= change
                    said.append(text)
                return min(max(factor, FLOOR), CEILING), said
        return self._topics(row)

    def _topics(self, row: int) -> tuple[float, list[str]]:
        for title, similarity in self.disliked:
            if similarity[row] >= SIMILAR:
                said = f'like "{title}", which you marked not interested'
                return 1.0 - 0.5 * float(similarity[row]), [said]
        for title, similarity in self.liked:
            if similarity[row] >= SIMILAR:
                return 1.0 + 0.25 * float(similarity[row]), [
                    f'like "{title}", where you met people'
                ]
        return 1.0, []


def _tally_weight(tally: _Tally, source: bool) -> tuple[float, str]:
    if tally.dismissed and not tally.attended:
        per = DISMISSED_SOURCE if source else DISMISSED_ORGANIZER
        what = f"from {tally.shown}" if source else f"by {tally.shown}"
        count = "an event" if tally.dismissed == 1 else f"{tally.dismissed} events"
        return per**tally.dismissed, f"you marked {count} {what} not interested"
    gain = 1.0 + ATTENDED * tally.attended + MET * tally.met
    what = f"listed by {tally.shown}" if source else f"by {tally.shown}"
    count = "an event" if tally.attended == 1 else f"{tally.attended} events"
    met = " and met people there" if tally.met else ""
    return min(gain, CEILING), f"you attended {count} {what}{met}"


def learn(feedback: Sequence[Feedback], index: EventIndex) -> Learned:
    """What the dismissed and attended events in `feedback` say (events not in `index` are
    skipped: their organizers and topics are unknown)."""
    learned = Learned()
    judged = [(f, index.events[index.row[f.event_id]]) for f in feedback if f.event_id in index.row]
    for item, event in judged:
        if item.kind in ("dismissed", "attended"):
            for name in event.organizers:
                _count(learned.organizers, name, item)
            for name in event.sources:
                _count(learned.sources, name, item)
    for item, event in judged[-MAX_JUDGED:]:
        query = dict.fromkeys(terms(event.title), 1.0)
        if item.kind == "dismissed":
            learned.disliked.append((event.title, index.relevance(query, idf=True)))
        elif item.kind == "attended" and item.met:
            learned.liked.append((event.title, index.relevance(query, idf=True)))
    return learned


def _count(tallies: dict[str, _Tally], name: str, item: Feedback) -> None:
    tally = tallies.setdefault(fold(name), _Tally(name))
    if item.kind == "dismissed":
        tally.dismissed += 1
    else:
        tally.attended += 1
        tally.met += bool(item.met)


def decisions(feedback: Iterable[Feedback]) -> dict[int, str]:
    """Each event's latest feedback kind."""
    return {item.event_id: item.kind for item in feedback}
