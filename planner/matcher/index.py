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
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from planner.matcher.data import Event
from planner.matcher.text import (
    Counted,
    analyze,
    as_written,
    counted,
    paragraphs,
    term_counts,
)

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
        for term, times in term_counts(text, implied=True).items():
            counts[term] = counts.get(term, 0.0) + weight * times
    return counts


def _weighted_terms(event: Event, counted: _FieldTerms) -> dict[str, float]:
    """`event_terms`, the description's counts (its weight is 1) copied, then added to: the
    same frequencies (sums of small multiples of 0.5 are exact), in another order."""
    fields = event_fields(event)
    first, *more = counted.parts(fields[-1][1])
    counts: dict[str, float] = dict(first)
    for part in more:
        for term, times in part.items():
            counts[term] = counts.get(term, 0) + times
    for weight, text in fields[:-1]:
        for term, times in counted(text).items():
            counts[term] = counts.get(term, 0) + weight * times
    return counts


class _FieldTerms:
    """The terms of the events' field texts; a text, or a description's paragraph, that
    occurs more than once (a series' description, its boilerplate, a group's name) is
    analyzed once. Texts are told apart by hash first, so that counting them stays small."""

    def __init__(self, events: Sequence[Event]) -> None:
        hashes = array("q")
        for event in events:
            fields = event_fields(event)
            hashes.extend(hash(text) for _, text in fields)
            parts = paragraphs(fields[-1][1])
            if parts:
                hashes.extend(map(hash, parts))
        found, times = np.unique(np.frombuffer(hashes, np.int64), return_counts=True)
        self._repeated = set(found[times > 1].tolist())
        self._known: dict[str, Counted] = {}

    def __call__(self, text: str) -> Counter[str]:
        return self._counted(text).counts

    def parts(self, description: str) -> list[Counter[str]]:
        """The counts of `description`, or of its paragraphs (to be added up)."""
        pieces = None if hash(description) in self._repeated else paragraphs(description)
        if pieces is None:
            return [self(description)]
        found = [self._counted(piece) for piece in pieces]
        if any(piece.open_end for piece in found[:-1]):
            return [self(description)]
        return [piece.counts for piece in found]

    def _counted(self, text: str) -> Counted:
        found = self._known.get(text)
        if found is None:
            found = counted(text, implied=True)
            if hash(text) in self._repeated:
                self._known[text] = found
        return found


class EventIndex:
    """BM25 postings and columns over `events`; rows follow the order given."""

    def __init__(self, events: Sequence[Event]) -> None:
        self.events = list(events)
        self.row = {event.id: row for row, event in enumerate(self.events)}
        self.vocabulary: dict[str, int] = {}
        self._shown: dict[int, dict[str, str | None]] = {}
        self._keys: dict[int, tuple[frozenset[str], frozenset[str]]] = {}
        self._postings(self.events)
        self._columns(self.events)

    def _postings(self, events: Sequence[Event]) -> None:
        """Postings grouped by term, rows ascending within a term. Memory: the terms and weights
        as analyzed (4 + 4 bytes a posting), the weights then in 2 bytes, the order by term (4),
        then the index's own rows and weights (4 + 4), freed as they are used: at most 10
        bytes a posting at any time, 8 of which the index keeps (12 if the weights would not
        fit in 2 bytes)."""
        terms, freqs, sizes, lengths = array("i"), array("f"), array("q"), array("d")
        vocabulary: dict[str, int] = {}  # term -> its number, numbered as first met
        counted = _FieldTerms(events)
        for event in events:
            counts = _weighted_terms(event, counted)
            lengths.append(sum(counts.values()))
            sizes.append(len(counts))
            if not vocabulary.keys() >= counts.keys():
                for term in counts:
                    vocabulary.setdefault(term, len(vocabulary))
            terms.fromlist(list(map(vocabulary.__getitem__, counts)))
            freqs.fromlist(list(counts.values()))
        del counted  # its analyses, before the arrays below are made
        self.vocabulary = vocabulary
        self.size = len(events)
        df = _counts(np.frombuffer(terms, np.int32), len(self.vocabulary))
        self._starts = np.concatenate(([0], np.cumsum(df))).astype(np.int64)
        self.idf = np.log1p((self.size - df + 0.5) / (df + 0.5))
        tf, scale = _compact(np.frombuffer(freqs, np.float32))
        del freqs
        order = _by_term(np.frombuffer(terms, np.int32), self._starts)
        del terms
        tf = tf[order]
        self._docs = _rows_of(order, np.cumsum(np.frombuffer(sizes, np.int64)))
        del order
        length = np.frombuffer(lengths, np.float64) if self.size else np.zeros(0)
        norm = K1 * (1 - B + B * length / max(float(length.mean()) if self.size else 1.0, 1e-9))
        self._saturation = _saturate(tf, scale, norm, self._docs)

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

    def shown(self, row: int, terms: Iterable[str]) -> dict[str, str]:
        """How event `row` first writes each of `terms` it contains, for reasons ("Machine
        Learning" for the term of "machine learning"): read in its title, categories,
        organizers and description in turn, only as far as needed (a goal's words are most
        often in the title), and kept for the index's life (a feed explains hundreds of
        events)."""
        wanted = list(terms)
        written = self._shown.setdefault(row, {})
        missing = {term for term in wanted if term not in written}
        if missing:
            event = self.events[row]
            parts = (event.title, " ".join(event.categories), " ".join(event.organizers),
                     event.description or "")  # fmt: skip
            for part in parts:
                for term, surface in analyze(part, implied=True):
                    if term in missing:
                        written[term] = as_written(part, surface)
                        missing.discard(term)
                if not missing:
                    break
            written.update(dict.fromkeys(missing))  # not in the text (a person's name, say)
        return {term: shown for term in wanted if (shown := written.get(term)) is not None}

    def keys(self, row: int) -> tuple[frozenset[str], frozenset[str]]:
        """The `duplicate_keys` and `series_keys` of event `row`, kept for the index's life."""
        found = self._keys.get(row)
        if found is None:
            from planner.matcher.selection import duplicate_keys, series_keys  # (it reads places)

            event = self.events[row]
            found = frozenset(duplicate_keys(event)), frozenset(series_keys(event))
            self._keys[row] = found
        return found

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


STEP = 1 << 18  # postings handled at a time after analysis, so that temporary arrays stay small


def _by_term(terms: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The positions of `terms` sorted by term, equal terms in position order (a stable sort),
    as 4-byte integers: each term's postings are placed from its start in `starts`, a step of
    postings at a time."""
    order = np.empty(len(terms), dtype=np.int32 if len(terms) < 2**31 else np.int64)
    placed = starts[:-1].copy()  # where the next posting of each term goes
    for lo in range(0, len(terms), STEP):
        part = terms[lo : lo + STEP]
        within = _stable_order(part, len(placed))
        ranked = part[within]
        new = np.empty(len(ranked), dtype=bool)
        new[:1] = True
        np.not_equal(ranked[1:], ranked[:-1], out=new[1:])
        first = np.flatnonzero(new)  # where each run of one term begins in `ranked`
        rank = np.arange(len(ranked)) - np.repeat(first, np.diff(first, append=len(ranked)))
        order[placed[ranked] + rank] = lo + within
        placed += np.bincount(part, minlength=len(placed))
    return order


def _stable_order(terms: np.ndarray, size: int) -> np.ndarray:
    """`np.argsort(terms, kind="stable")` for numbers below `size`: by 16-bit halves, which
    numpy sorts by radix (stable: low half first, then high)."""
    if size <= 1 << 16:
        return np.argsort(terms.astype(np.uint16), kind="stable")
    low = np.argsort((terms & 0xFFFF).astype(np.uint16), kind="stable")
    return low[np.argsort((terms[low] >> 16).astype(np.uint16), kind="stable")]


def _counts(terms: np.ndarray, size: int) -> np.ndarray:
    """`np.bincount(terms, minlength=size)` a step at a time (it copies its input as int64)."""
    found = np.zeros(size, dtype=np.int64)
    for lo in range(0, len(terms), STEP):
        found += np.bincount(terms[lo : lo + STEP], minlength=size)
    return found


def _rows_of(order: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The event row of each posting position in `order` (event n's postings end at
    `ends[n]`)."""
    rows = np.empty(len(order), dtype=np.int32)
    for lo in range(0, len(order), STEP):
        rows[lo : lo + STEP] = np.searchsorted(ends, order[lo : lo + STEP], side="right")
    return rows


def _compact(freqs: np.ndarray) -> tuple[np.ndarray, float]:
    """The frequencies in 2 bytes each, as twice their value, when all are whole halves below
    32768 (field weights of 3, 2, 1.5 and 1 make them halves), and the factor that gives them
    back (0.5); else the frequencies as they are (1.0)."""
    doubled = np.empty(len(freqs), dtype=np.uint16)
    for lo in range(0, len(freqs), STEP):
        part = freqs[lo : lo + STEP] * np.float32(2)
        if len(part) and (part.max() > 65535 or not np.array_equal(part, np.floor(part))):
            return freqs, 1.0
        doubled[lo : lo + STEP] = part
    return doubled, 0.5


def _saturate(tf: np.ndarray, scale: float, norm: np.ndarray, docs: np.ndarray) -> np.ndarray:
    """BM25's tf part / (k1 + 1) of each posting (its frequency `tf` x `scale`), computed in
    float64 and stored as float32."""
    found = np.empty(len(tf), dtype=np.float32)
    for lo in range(0, len(tf), STEP):
        part = tf[lo : lo + STEP].astype(np.float64) * scale
        found[lo : lo + STEP] = part / (part + norm[docs[lo : lo + STEP]])
    return found
