"""Who is worth meeting: the tie, the fit with the user's active goals (the contact's tags and
title read by the same text analysis as events and goals), and how long ago they last met."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from planner.matcher.data import Contact, Goal
from planner.matcher.evidence import TIE_WEIGHT
from planner.matcher.identity import interests
from planner.matcher.rank import PRIORITY
from planner.matcher.text import fold, goal_query, surfaces

RECENT_DAYS = 28  # met this recently: not suggested again yet
STALE_DAYS = 180  # met this long ago: as worth meeting as someone never met
FIT_BASE = 0.5  # what fitting no goal is worth (close ties only), against up to 1 per goal
TIE_WORDS = {"close": "a close contact", "regular": "a regular contact", "weak": "a weak tie"}


@dataclass(frozen=True)
class Worth:
    contact: Contact
    score: float
    terms: dict[str, str]  # the goal terms they fit -> their own words for each
    reasons: tuple[str, ...]


def worth_of(contact: Contact, goals: Sequence[Goal], today: date) -> Worth | None:
    """How much meeting `contact` is worth, with why; None when not now: met in the last
    `RECENT_DAYS`, or fitting no goal and not a close tie. `goals` are the active ones.

    The score is tie weight x (FIT_BASE + sum over goals of priority x fit) x staleness, where
    a goal's fit is the weight of its words the contact shares (up to 1), and staleness grows
    from 1/2 just after a meeting to 1 at `STALE_DAYS` (or never met)."""
    days = (today - contact.last_met).days if contact.last_met else None
    if days is not None and days < RECENT_DAYS:
        return None
    own = interests(contact)
    fit, terms, reasons = 0.0, {}, [TIE_WORDS.get(contact.tie, "a contact")]
    for goal in goals:
        query = goal_query(goal.text)
        hit = [term for term in query if term in own]
        if not hit:
            continue
        fit += PRIORITY.get(goal.priority, 0.5) * min(1.0, sum(query[t] for t in hit))
        terms.update({term: own[term] for term in hit})
        said = surfaces(goal.text, set(hit), implied=False)
        shown = ", ".join(dict.fromkeys(_word(own[t], said.get(t)) for t in hit))
        reasons.append(f'fits your goal "{goal.text}": {shown}')
    if not terms and contact.tie != "close":
        return None
    reasons.append(last_met(contact.last_met, days))
    stale = 1.0 if days is None else min(1.0, days / STALE_DAYS)
    score = TIE_WEIGHT.get(contact.tie, 0.7) * (FIT_BASE + fit) * (0.5 + 0.5 * stale)
    return Worth(contact, round(score, 4), terms, tuple(reasons))


def _word(theirs: str, goal: str | None) -> str:
    """The contact's word for a goal term, with the goal's when they differ."""
    return theirs if goal is None or fold(goal) == fold(theirs) else f"{theirs} (= {goal})"


def last_met(day: date | None, days: int | None) -> str:
    if day is None or days is None:
        return "no meeting with them logged yet"
    if days < 60:
        return f"last met {days} days ago"
    return f"last met {days // 30} months ago ({day:%-d %b %Y})"
