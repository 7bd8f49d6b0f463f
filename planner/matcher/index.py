"""The events, indexed once: BM25 postings for text and numpy columns for time, place and status.

Scoring every event for a query is a few numpy operations per query term: the BM25 weight of
each (term, event) pair is computed at build time (postings sorted by term, CSR-style), so a
query adds the slices of its terms into one score array.

Fields weigh differently: the title counts three times a description word, categories twice,
organizers one and a half (BM25F-style: weighted term frequencies, weighted lengths).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from planner.matcher.data import Event
from planner.matcher.text import analyze

K1 = 1.2
B = 0.75
TITLE, CATEGORIES, ORGANIZERS, DESCRIPTION = 3.0, 2.0, 1.5, 1.0
MAX_DESCRIPTION = 4000  # characters of a description that are read
# a query's score over this share of its best possible score counts as a full match
FULL_MATCH = 0.7
ATTENDANCE = {"in_person": 0, "hybrid": 1, "online": 2}
UNLISTED = ("cancelled", "postponed")  # statuses never recommended (postponed: no date yet)


def event_fields(event: Event) -> list[tuple[float, str]]:
    """(weight, text) of each field of `event` that is indexed."""
    return [
        (TITLE, event.title),
        (CATEGORIES, " ".join(event.categories)),
        (ORGANIZERS, " ".join(event.organizers)),
        (DESCRIPTION, (event.description or "")[:MAX_DESCRIPTION]),
    ]


def event_terms(event: Event) -> dict[str, float]:
    """Each term of `event` with its field-weighted frequency."""
    counts: dict[str, float] = {}
    for weight, text in event_fields(event):
        for term, _ in analyze(text, implied=True):
            counts[term] = counts.get(term, 0.0) + weight
    return counts


class EventIndex:
    """BM25 postings and columns over `events`; rows follow the order given."""

    def __init__(self, events: Sequence[Event]) -> None:
        self.events = list(events)
        self.row = {event.id: row for row, event in enumerate(self.events)}
        self.vocabulary: dict[str, int] = {}
        self._postings(self.events)
        self._columns(self.events)

    def _postings(self, events: Sequence[Event]) -> None:
        docs, terms, freqs = array("i"), array("i"), array("f")
        lengths = np.zeros(len(events), dtype=np.float64)
        for row, event in enumerate(events):
            counts = event_terms(event)
            lengths[row] = sum(counts.values())
            for term, freq in counts.items():
                docs.append(row)
                terms.append(self.vocabulary.setdefault(term, len(self.vocabulary)))
                freqs.append(freq)
        order = np.lexsort((np.frombuffer(docs, np.int32), np.frombuffer(terms, np.int32)))
        doc = np.frombuffer(docs, np.int32)[order]
        term_of = np.frombuffer(terms, np.int32)[order]
        tf = np.frombuffer(freqs, np.float32).astype(np.float64)[order]
        df = np.bincount(term_of, minlength=len(self.vocabulary))
        self.size = len(events)
        self.idf = np.log1p((self.size - df + 0.5) / (df + 0.5))
        norm = K1 * (1 - B + B * lengths / max(float(lengths.mean()) if self.size else 1.0, 1e-9))
        self._starts = np.concatenate(([0], np.cumsum(df))).astype(np.int64)
        self._docs = doc.copy()
        self._saturation = (tf / (tf + norm[doc])).astype(np.float32)  # BM25's tf part / (k1+1)

    def _columns(self, events: Sequence[Event]) -> None:
        self.ids = np.array([e.id for e in events], dtype=np.int64)
        self.start = np.array([e.start.timestamp() for e in events], dtype=np.float64)
        self.end = np.array([(e.end or e.start).timestamp() for e in events], dtype=np.float64)
        self.lat = np.array([_coordinate(e.lat) for e in events], dtype=np.float64)
        self.lon = np.array([_coordinate(e.lon) for e in events], dtype=np.float64)
        self.attendance = np.array([ATTENDANCE.get(e.attendance, 0) for e in events], np.int8)
        self.all_day = np.array([e.all_day for e in events], dtype=bool)
        self.listed = np.array(
            [e.status not in UNLISTED and e.gone_at is None for e in events], dtype=bool
        )

    def scores(self, query: Mapping[str, float], idf: bool = True) -> np.ndarray:
        """BM25 score of every event for `query` (term -> weight); with `idf` false, each term
        counts by its weight alone, however common it is among these events."""
        total = np.zeros(self.size, dtype=np.float32)
        for term, weight in query.items():
            found = self.vocabulary.get(term)
            if found is not None:
                lo, hi = self._starts[found], self._starts[found + 1]
                factor = weight * (K1 + 1) * (float(self.idf[found]) if idf else 1.0)
                total[self._docs[lo:hi]] += np.float32(factor) * self._saturation[lo:hi]
        return total

    def best_score(self, query: Mapping[str, float], idf: bool = True) -> float:
        """The score of an ideal event for `query`: every term, saturated, in a short text."""
        total = 0.0
        for term, weight in query.items():
            found = self.vocabulary.get(term)
            rarity = self.idf[found] if found is not None else math.log1p(self.size + 1.0)
            total += weight * (K1 + 1) * (float(rarity) if idf else 1.0)
        return total

    def relevance(self, query: Mapping[str, float], idf: bool = False) -> np.ndarray:
        """How well each event answers `query`, from 0 to 1 (1: a full match).

        The score over `FULL_MATCH` of the best possible one, times the square root of the
        share of the query's topic terms (weight 1; all terms when none has weight 1) the event
        contains: no topic term, no relevance, whatever else matches. Without `idf` (goals: a
        user's own calendar full of Rust events still makes Rust relevant) the terms weigh as
        the query says; with it (titles, whose common words say little) rarer terms weigh more."""
        best = self.best_score(query, idf)
        if best <= 0:
            return np.zeros(self.size, dtype=np.float32)
        topics = [t for t, w in query.items() if w >= 1.0] or list(query)
        share = np.sqrt(self.presence(topics) / np.float32(len(topics)))
        scores = self.scores(query, idf) / np.float32(best * FULL_MATCH)
        return np.minimum(scores, 1.0) * share

    def presence(self, terms: Iterable[str]) -> np.ndarray:
        """How many of `terms` each event contains."""
        count = np.zeros(self.size, dtype=np.float32)
        for term in terms:
            found = self.vocabulary.get(term)
            if found is not None:
                count[self._docs[self._starts[found] : self._starts[found + 1]]] += 1
        return count

    def matched(self, query: Iterable[str], row: int) -> list[str]:
        """The terms of `query` that event `row` contains."""
        found = []
        for term in query:
            at = self.vocabulary.get(term)
            if at is None:
                continue
            docs = self._docs[self._starts[at] : self._starts[at + 1]]
            spot = int(np.searchsorted(docs, row))
            if spot < len(docs) and docs[spot] == row:
                found.append(term)
        return found


def _coordinate(value: float | None) -> float:
    return math.nan if value is None else float(value)
