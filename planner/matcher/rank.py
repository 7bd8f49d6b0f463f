"""Ranking: a user's profile, goals, trips and feedback, the events, the contact evidence found
for them and `now` in; a short list of matches, each with the reasons that put it there, out.

An event is a candidate when it matches a goal or a contact will be there; nearness and time
only weigh a candidate, so an event does not rank for being near or soon alone. The score is

    (goal relevance + CONTACT x contact value) x reach x time fit x horizon x feedback

where goal relevance sums each active goal's BM25 relevance (0-1) weighted by its priority,
contact value grows with each contact there (by role and tie), reach is the place factor
(`place`), time fit the availability and clash factor (`timing`), and feedback the learned
weight (`feedback`). Cancelled, postponed, gone, past and already-judged events never enter;
`selection` then removes duplicates, spreads series and organizers, applies the budget and
adds one serendipity pick.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import numpy as np

from planner.matcher.data import ContactAtEvent, Event, Feedback, Goal, Match, Profile, Reason, Trip
from planner.matcher.evidence import EvidenceTable, contact_weight
from planner.matcher.feedback import decisions, learn
from planner.matcher.index import ATTENDANCE, EventIndex
from planner.matcher.introductions import introductions
from planner.matcher.place import (
    Reach,
    Whereabouts,
    day_reach_bounds,
    local_day,
    reach_bounds,
    reaches,
    trip_text,
    whereabouts,
)
from planner.matcher.selection import (
    Budget,
    Candidate,
    duplicate_keys,
    select,
    surprise,
)
from planner.matcher.text import fold, goal_query, surfaces
from planner.matcher.timing import (
    CLASH,
    Busy,
    clash_text,
    fit,
    fit_bounds,
    horizon,
    horizon_bounds,
)

PRIORITY = {1: 1.0, 2: 0.75, 3: 0.5}
GOAL_MIN = 0.25  # goal relevance below this is no match
OFF_TOPIC = 0.15  # serendipity picks match no goal beyond this
CONTACT = 0.8
ROLE_PHRASE = {
    "speaker": "is speaking", "host": "is hosting", "organizer": "is organizing",
    "attendee": "is going", "mentioned": "is named on the event",
}  # fmt: skip
NEAR = 0.75  # the least reach of a serendipity pick (in person, within the radius)
CHUNK = 32  # candidates scored before the first check whether the rest can still make it
SERENDIPITY_POOL = 64  # the off-topic events, most contacts first, weighed for serendipity


def match(
    profile: Profile,
    goals: Sequence[Goal],
    events: Sequence[Event],
    evidence: Mapping[int, Sequence[ContactAtEvent]] | EvidenceTable,
    feedback: Sequence[Feedback],
    now: datetime,
    limit: int = 10,
    serendipity: bool = True,
    trips: Sequence[Trip] = (),
    index: EventIndex | None = None,
) -> list[Match]:
    """The best events for the user, best first, at most `limit`; with `serendipity` the last
    place goes to one labelled pick from outside the user's goals, when one fits.

    `evidence` maps event ids to `find_contacts` results, or is an `EvidenceTable` built from
    them; `index` may be given when it was built for these `events` already. Both are meant
    to be built when events or contacts change, not for every ranking."""
    state = _State(profile, goals, index or EventIndex(events), evidence, feedback, now, trips)
    picks, budget = _ranked(state, limit)
    if serendipity and limit > 0:
        extra = surprise(_serendipity_pool(state), picks, budget, state.judged)
        if extra is not None:
            picks = picks[: limit - 1] + [extra]
    return [_as_match(state, pick, budget) for pick in picks]


def explain(
    profile: Profile,
    goals: Sequence[Goal],
    index: EventIndex,
    evidence: Mapping[int, Sequence[ContactAtEvent]] | EvidenceTable,
    feedback: Sequence[Feedback],
    now: datetime,
    trips: Sequence[Trip],
    event_ids: Iterable[int],
) -> list[Match]:
    """The matches these events would be were they not marked (going): reasons, contacts and
    introductions as `match` gives them, without the selection (budget, variety). Events that
    have started, are cancelled or no longer reach the user give none."""
    ids = set(event_ids)
    unmarked = [said for said in feedback if said.event_id not in ids]
    state = _State(profile, goals, index, evidence, unmarked, now, trips)
    rows = np.array(sorted(index.row[i] for i in ids if i in index.row), dtype=np.int64)
    rows = rows[state.open[rows]]
    budget = state.budget()
    return [_as_match(state, found, budget) for found in _scored_all(state, rows) if found]


class _State:
    """Everything one ranking reads, computed once."""

    def __init__(
        self,
        profile: Profile,
        goals: Sequence[Goal],
        index: EventIndex,
        evidence: Mapping[int, Sequence[ContactAtEvent]] | EvidenceTable,
        feedback: Sequence[Feedback],
        now: datetime,
        trips: Sequence[Trip],
    ) -> None:
        self.profile, self.index, self.now, self.trips = profile, index, now, tuple(trips)
        self.home = Whereabouts(profile.home_lat, profile.home_lon, profile.timezone)
        self._goals(goals)
        self.decided = decisions(feedback)
        going = [i for i, kind in self.decided.items() if kind == "going" and i in index.row]
        self.going = [index.events[index.row[i]] for i in going]
        self.busy = Busy(self.going)
        judged = np.fromiter(self.decided, dtype=np.int64, count=len(self.decided))
        self.open = index.listed & (index.start > now.timestamp()) & ~np.isin(index.ids, judged)
        self.judged = frozenset(  # other listings of judged events stay out too
            key
            for i in self.decided
            if i in index.row
            for key in duplicate_keys(index.events[index.row[i]])
        )
        self.learned = learn(feedback, index)
        self._contacts(evidence)

    def _goals(self, goals: Sequence[Goal]) -> None:
        """Each active goal's query and relevance per event; their priority-weighted sum."""
        self.goals = sorted((g for g in goals if not g.paused), key=lambda g: (g.priority, g.id))
        self.queries = [goal_query(g.text) for g in self.goals]
        size = self.index.size
        self.relevance = np.zeros((len(self.goals), size), dtype=np.float32)
        for n, query in enumerate(self.queries):
            self.relevance[n] = self.index.relevance(query)
        weights = np.array([PRIORITY.get(g.priority, 0.5) for g in self.goals])
        # the weighted sum goal by goal, in float64: what `weights @ relevant` gives, without
        # a BLAS call whose threads would spin beside the ranking
        relevant = np.where(self.relevance >= GOAL_MIN, self.relevance, 0.0)
        self.goal_score = np.zeros(size)
        for weight, row in zip(weights, relevant, strict=True):
            self.goal_score += weight * row
        self.best_goal = self.relevance.max(axis=0) if self.goals else np.zeros(size)

    def _contacts(self, evidence: Mapping[int, Sequence[ContactAtEvent]] | EvidenceTable) -> None:
        if not isinstance(evidence, EvidenceTable):
            evidence = EvidenceTable(self.index, evidence)
        value = evidence.value(self.open)
        self.evidence = value.claims
        self.claim_rows = value.rows
        self.repeats = value.repeats
        self.contact_score = value.score
        self.confirmed = value.confirmed
        self.contact_sum = value.total

    def whereabouts(self, event: Event) -> Whereabouts:
        """Where the user is on the event's day (at home, when there are no trips)."""
        if not self.trips:
            return self.home
        return whereabouts(self.profile, self.trips, local_day(event, self.profile.timezone))

    def budget(self) -> Budget:
        profile = self.profile
        return Budget(
            profile.events_per_week, profile.events_per_month, profile.timezone, self.going
        )


def _ranked(state: _State, limit: int) -> tuple[list[Candidate], Budget]:
    """The picks, and the budget they used. Candidates are scored in order of an upper bound
    of their score (interest x best reach that day x best time fit x horizon x most feedback
    can give, all vectorized), in growing batches, until no unscored one can still make the
    list."""
    qualified = state.open & ((state.best_goal >= GOAL_MIN) | state.confirmed)
    rows = np.flatnonzero(qualified)
    interest = (state.goal_score + CONTACT * state.contact_score)[rows]
    places = day_reach_bounds(state.index, rows, state.profile, state.trips)
    times = fit_bounds(state.index, rows, state.profile, state.trips)
    soon = horizon_bounds(state.index, rows, state.now)
    bound = interest * places * times * soon * state.learned.most()
    order = _best_first(bound, 8 * CHUNK)
    scored: list[Candidate] = []
    picks: list[Candidate] = []
    budget = state.budget()
    start, size = 0, CHUNK
    while start < len(rows):
        if len(order) <= start + size < len(rows):
            order = _best_first(bound, 4 * (start + size))
        batch = rows[order[start : start + size]]
        scored.extend(c for c in _scored_all(state, batch) if c)
        start, size = start + size, size * 2
        if len(scored) < limit and start < len(rows):
            continue  # fewer than `limit` picks cannot end the search: score more first
        budget = state.budget()
        picks = select(scored, budget, limit, state.judged)
        rest = bound[order[start]] if start < len(rows) else -1.0
        if len(picks) == limit and min(p.score for p in picks) > rest:
            break
    return picks, budget


def _best_first(bound: np.ndarray, count: int) -> np.ndarray:
    """The positions of the `count` largest bounds (of all, when there are fewer), largest
    first: a partition, then a sort of that part only."""
    if count >= len(bound):
        return np.argsort(-bound, kind="stable")
    top = np.sort(np.argpartition(-bound, count)[:count])
    return top[np.argsort(-bound[top], kind="stable")]


def _scored_all(state: _State, rows: np.ndarray) -> list[Candidate | None]:
    """`_scored` of each row, the distances to the events computed together."""
    events = [state.index.events[row] for row in rows.tolist()]
    ats = [state.whereabouts(event) for event in events]
    places = reaches(events, ats, state.profile)
    return [
        _scored(state, *found) for found in zip(rows.tolist(), events, ats, places, strict=True)
    ]


def _scored(
    state: _State, row: int, event: Event, at: Whereabouts, place: Reach
) -> Candidate | None:
    profile = state.profile
    if place.factor <= 0:
        return None
    when = fit(event, profile.availability, at.timezone)
    other = state.busy.clash(event)
    learned, said = state.learned.weigh(event, row)
    interest = state.goal_score[row] + CONTACT * state.contact_score[row]
    score = interest * place.factor * when.factor * horizon(event, state.now) * learned
    reasons = [Reason("trip", trip_text(at.trip))] if at.trip else []
    reasons += [Reason("place", place.text), Reason("time", when.text)]
    if other is not None:
        score *= CLASH
        reasons.append(Reason("time", clash_text(other, at.timezone)))
    reasons += [Reason("feedback", text) for text in said]
    claims = state.evidence.get(row, [])
    free = when.free and other is None
    duplicates, series = state.index.keys(row)
    return Candidate(
        row,
        event,
        float(score),
        reasons,
        claims,
        duplicates=duplicates,
        series=series,
        reach=place.factor,
        free=free,
        judged=bool(said),
    )


def _serendipity_pool(state: _State) -> list[Candidate]:
    """Events from outside the user's goals, in person within reach, in free time, where
    contacts of theirs are or likely are, not like anything the user turned down."""
    pool = []
    rows = state.claim_rows[state.open[state.claim_rows]]
    in_person = state.index.attendance[rows] != ATTENDANCE["online"]
    rows = rows[in_person & (state.best_goal[rows] < OFF_TOPIC)]  # cheap tests first
    rows = rows[reach_bounds(state.index, rows, state.profile, state.trips) >= NEAR]
    best_first = np.argsort(-state.contact_sum[rows], kind="stable")
    for found in _scored_all(state, rows[best_first][:SERENDIPITY_POOL]):
        if found is None or found.judged or not found.free or found.reach < NEAR:
            continue
        claims = state.evidence[found.row]
        text = "something different, outside your goals: " + _people_words(claims)
        value = sum(contact_weight(c) for c in claims) * found.reach
        reasons = [Reason("serendipity", text), *found.reasons]
        pool.append(dataclasses.replace(found, score=value, reasons=reasons, serendipity=True))
    return pool


def _people_words(claims: Sequence[ContactAtEvent]) -> str:
    words = []
    for claim in claims[:3]:
        topic = f" ({', '.join(claim.interests[:2])})" if claim.interests else ""
        verb = "likely there" if claim.likely else ROLE_PHRASE.get(claim.role, "is there")
        words.append(f"{claim.name}{topic} {verb}")
    return "; ".join(words)


def _as_match(state: _State, pick: Candidate, budget: Budget) -> Match:
    reasons = _goal_reasons(state, pick.row) + _contact_reasons(state, pick.contacts)
    reasons += pick.reasons
    kept = budget.reason(pick.event)
    if kept is not None:
        reasons.append(kept)
    return Match(
        pick.event.id,
        round(pick.score, 4),
        reasons,
        list(pick.contacts),
        pick.serendipity,
        introductions(pick.contacts, pick.event.title),
    )


def _goal_reasons(state: _State, row: int) -> list[Reason]:
    reasons = []
    for n, goal in enumerate(state.goals):
        if state.relevance[n, row] < GOAL_MIN:
            continue
        found = state.index.matched(state.queries[n], row)
        shown = state.index.shown(row, found)
        own = surfaces(goal.text, set(found), implied=False)
        words = [_word(shown.get(t, t), own.get(t)) for t in found]
        reasons.append(Reason("goal", f'matches your goal "{goal.text}": {", ".join(words)}'))
    return reasons


def _word(event_word: str, goal_word: str | None) -> str:
    if goal_word is None or fold(goal_word) == fold(event_word):
        return event_word
    return f"{event_word} (= {goal_word})"


def _contact_reasons(state: _State, claims: Sequence[ContactAtEvent]) -> list[Reason]:
    reasons = []
    for claim in claims:
        if claim.likely:
            continue
        text = f"{claim.name} {ROLE_PHRASE.get(claim.role, 'is there')}"
        text += " (a close contact)" if claim.tie == "close" else ""
        more = state.repeats[claim.contact_id] - 1
        if more:
            text += f"; also at {more} other upcoming event{'s' if more > 1 else ''}"
        reasons.append(Reason("contact", text))
    likely = [c.name for c in claims if c.likely]
    if likely:
        text = f"likely there, not confirmed: {', '.join(likely)} (live nearby, share the topic)"
        reasons.append(Reason("contact", text))
    return reasons
