"""Weekly availability: when a user could go to an event.

Availability is a list of weekly slots "<day>:<part>" (`planner.models.DAYS` x `PARTS`). The parts
of a day, in local time at the user's home:

    morning    06:00-12:00
    afternoon  12:00-17:00
    evening    17:00-23:00

A start between 23:00 and 06:00 falls in no part, so never in anyone's free time. Slots are said
and read in plain words: "weekday evenings, Saturday and Sunday" (`describe_availability`,
`parse_slots`, which read each other's output back).
"""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Any

from planner.models import DAYS, PARTS

PART_HOURS = {
    "morning": (time(6), time(12)),
    "afternoon": (time(12), time(17)),
    "evening": (time(17), time(23)),
}
_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAY_NAMES = dict(zip(DAYS, _NAMES, strict=True))
WEEKDAYS, WEEKEND = DAYS[:5], DAYS[5:]
ALL_SLOTS = tuple(f"{day}:{part}" for day in DAYS for part in PARTS)
EXAMPLE = "weekday evenings, saturday"


class AvailabilityError(ValueError):
    """Words that do not say when someone is free; the message is for the user."""


_DAY_WORDS: dict[str, tuple[str, ...]] = {"weekday": WEEKDAYS, "weekend": WEEKEND, "daily": DAYS}
_DAY_WORDS |= {name.lower(): (day,) for day, name in DAY_NAMES.items()} | {d: (d,) for d in DAYS}
_DAY_WORDS |= {"tues": ("tue",), "thur": ("thu",), "thurs": ("thu",), "everyday": DAYS}
_PART_WORDS = {part: part for part in PARTS} | {"night": "evening"}
_FILLERS = {"on", "the", "in", "every", "each", "all", "day", "days", "."}
_SEPARATORS = {",": ",", ";": ",", "and": "and", "or": "and", "&": "and", "+": "and", "/": "and"}
_ANY_TIME = {"anytime", "always"}
_PHRASES = (("any time", "anytime"), ("every day", "daily"), ("all week", "daily"))


def _word(token: str) -> str:
    """A token without its plural s ("evenings", "saturdays"); "always" and "days" stay."""
    singular = token[:-1] if token.endswith("s") and token not in ("always", "days") else token
    return singular if singular in _DAY_WORDS or singular in _PART_WORDS else token


def _tokens(text: str) -> list[str]:
    text = " ".join(text.lower().split())
    for phrase, word in _PHRASES:
        text = re.sub(rf"\b{phrase}\b", word, text)
    tokens = re.findall(r"\w+:\w+|\w+|[^\w\s]", text)
    return [_SEPARATORS.get(token) or _word(token) for token in tokens]


class _Clauses:
    """Collects "<days> <parts>" clauses: no days means every day, no parts means all day."""

    def __init__(self) -> None:
        self.slots: set[str] = set()
        self.days: list[str] = []
        self.parts: set[str] = set()
        self.named_days = True  # only day names so far (a comma continues such a list)

    def close(self) -> None:
        if self.days or self.parts:
            for day in self.days or DAYS:
                self.slots.update(f"{day}:{part}" for part in self.parts or PARTS)
        self.days, self.parts, self.named_days = [], set(), True

    def add_days(self, word: str, after_comma: bool) -> None:
        named = len(_DAY_WORDS[word]) == 1
        if self.parts or (after_comma and not (self.named_days and named)):
            self.close()
        self.days.extend(_DAY_WORDS[word])
        self.named_days = self.named_days and named


def parse_slots(text: str) -> list[str]:
    """Slots from plain words: "weekday evenings, saturday", "Tuesday and Thursday evenings",
    "weekend mornings and afternoons", "any time", "sat:evening". A day without a part of the day
    means the whole day; parts without a day mean every day."""
    clauses, after_comma = _Clauses(), False
    for word in _tokens(text):
        if word == ",":
            after_comma = True
            if clauses.parts:
                clauses.close()
            continue
        if word in _DAY_WORDS:
            clauses.add_days(word, after_comma)
        elif word in _PART_WORDS:
            clauses.parts.add(_PART_WORDS[word])
        elif word in _ANY_TIME:
            clauses.slots.update(ALL_SLOTS)
        elif word in ALL_SLOTS:
            clauses.slots.add(word)
        elif word not in _FILLERS and word != "and":
            message = f"'{word}' is not a day or a part of the day: try '{EXAMPLE}'"
            raise AvailabilityError(message)
        after_comma = False
    clauses.close()
    if not clauses.slots:
        raise AvailabilityError(f"say when you are free, e.g. '{EXAMPLE}'")
    return sort_slots(clauses.slots)


def sort_slots(slots: Any) -> list[str]:
    """Known slots only, each once, in week order."""
    chosen = set(slots)
    return [slot for slot in ALL_SLOTS if slot in chosen]


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _piece(days: tuple[str, ...], parts: tuple[str, ...]) -> str:
    """Words for the same parts on some days: "weekday evenings", "Tuesday and Friday mornings"."""
    if days == DAYS:
        return "every " + _listed(list(parts))
    if days in (WEEKDAYS, WEEKEND):
        who = "weekday" if days == WEEKDAYS else "weekend"
    else:
        who = _listed([DAY_NAMES[day] for day in days])
    return f"{who} {_listed([part + 's' for part in parts])}"


def _pieces(groups: dict[tuple[str, ...], list[str]]) -> list[str]:
    """Words for groups of days sharing the same parts (parts -> days), in week order."""
    pieces: list[tuple[int, str]] = []
    for parts, days in groups.items():
        for block in (DAYS, WEEKDAYS, WEEKEND):
            if set(block) <= set(days):
                pieces.append((DAYS.index(block[0]), _piece(block, parts)))
                days = [day for day in days if day not in block]
        if days:
            pieces.append((DAYS.index(days[0]), _piece(tuple(days), parts)))
    return [text for _, text in sorted(pieces)]


def describe_availability(slots: Any) -> str:
    """Slots in plain words, e.g. "weekday evenings, Saturday and Sunday": grouped by day or by
    part of the day, whichever says it shorter; whole days come last, so that
    `parse_availability` reads the words back as the same slots."""
    chosen = set(sort_slots(slots))
    if len(chosen) in (0, len(ALL_SLOTS)):
        return "any time" if chosen else "no time at all"
    whole = tuple(d for d in DAYS if all(f"{d}:{p}" in chosen for p in PARTS))
    rest = [(d, p) for d in DAYS for p in PARTS if f"{d}:{p}" in chosen and d not in whole]
    by_day: dict[tuple[str, ...], list[str]] = {}
    for day in dict.fromkeys(d for d, _ in rest):
        by_day.setdefault(tuple(p for d, p in rest if d == day), []).append(day)
    by_part: dict[tuple[str, ...], list[str]] = {}
    for part in PARTS:
        days = tuple(d for d, p in rest if p == part)
        if days:
            by_part.setdefault(days, []).append(part)
    grouped = {tuple(parts): list(days) for days, parts in by_part.items()}
    words = min(_pieces(by_day), _pieces(grouped), key=lambda w: len(", ".join(w)))
    if whole:
        words.append("weekdays" if whole == WEEKDAYS else _listed([DAY_NAMES[d] for d in whole]))
    return ", ".join(words)


PRESET_WORDS = (
    "weekday evenings, Saturday and Sunday",
    "weekday evenings",
    "weekends",
    "Saturday",
    "Sunday",
    "weekday mornings",
    "weekday afternoons",
    "any time",
)
PRESETS: dict[str, list[str]] = {words: parse_slots(words) for words in PRESET_WORDS}


def part_of_day(moment: time) -> str | None:
    """The part of the day a local wall-clock time falls in; None at night (23:00-06:00)."""
    for part, (start, end) in PART_HOURS.items():
        if start <= moment < end:
            return part
    return None


def available_at(slots: Any, local: datetime) -> bool:
    """Whether `local` (a wall-clock time in the user's zone) is in one of the user's slots."""
    part = part_of_day(local.time())
    return part is not None and f"{DAYS[local.weekday()]}:{part}" in set(slots)
