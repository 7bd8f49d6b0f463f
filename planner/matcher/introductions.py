"""Introductions worth making: two contacts at the same event who share an interest."""

from __future__ import annotations

from collections.abc import Sequence

from planner.matcher.data import ContactAtEvent, Introduction
from planner.matcher.text import analyze

MAX_INTRODUCTIONS = 3


def introductions(claims: Sequence[ContactAtEvent], title: str) -> list[Introduction]:
    """Pairs of contacts at one event who share an interest, at least one of them confirmed."""
    topics = [(_topic_terms(claim), claim) for claim in claims]
    found = []
    for n, (first_terms, first) in enumerate(topics):
        for second_terms, second in topics[n + 1 :]:
            shared = [first_terms[t] for t in first_terms if t in second_terms]
            if shared and not (first.likely and second.likely):
                found.append(_introduction(first, second, list(dict.fromkeys(shared)), title))
    return found[:MAX_INTRODUCTIONS]


def _topic_terms(claim: ContactAtEvent) -> dict[str, str]:
    """Term -> the contact's own words for it, first spelling kept."""
    found: dict[str, str] = {}
    for interest in claim.interests:
        for term, _ in analyze(interest, implied=True):
            found.setdefault(term, interest)
    return found


def _introduction(
    first: ContactAtEvent, second: ContactAtEvent, shared: list[str], title: str
) -> Introduction:
    hedge = " (if they come)" if first.likely or second.likely else ""
    text = (
        f'introduce {first.name} and {second.name} at "{title}"{hedge}: '
        f"both into {', '.join(shared[:3])}"
    )
    return Introduction(first.contact_id, second.contact_id, tuple(shared), text)
