"""Evaluate planner's matcher on labelled scenarios; prints one JSON object (never asserts).

    .venv/bin/python bench/eval_matcher.py [--limit 10] [--show]

Each scenario in tests/data/matcher/*.json is a user (profile, goals, trips, feedback, contacts)
and the events around a fixed `now`, each event with a graded relevance 0-3 written down before
the matcher was tuned (null: already marked going, left out of the figures), `same_as` for a
second listing of one event, and `truth`: the contacts the event's own text shows to be there.

For the matcher (contact evidence from `find_contacts`, then `match`) and, in the same run, two
baselines:
  soonest: upcoming events, soonest first (what a calendar shows);
  keyword: upcoming events by how often the words of the active goals occur in title and
           description, soonest first among equals;
it reports NDCG@10 (gain 2^rel - 1; the ideal from all labelled events, a second listing of
one event counted once) and precision@5 (share of the first five with relevance 2 or more).
Checks on the matcher's lists: no cancelled, past, judged (going / dismissed / attended) or
duplicate event; every claim that a contact will be there is in the scenario's `truth` and
quotes words the event really has; every "likely" claim names a contact living within the
likely radius whose tags or title hold the words it cites. Targets: NDCG@10 >= 0.85 and at
least 0.2 above the keyword baseline, no failed check. `--show` prints each list to stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from dataclasses import fields
from datetime import date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from planner.matcher import (  # noqa: E402
    Contact,
    ContactIndex,
    Event,
    Feedback,
    Goal,
    Match,
    Person,
    Profile,
    Trip,
    find_contacts,
    match,
)
from planner.matcher.people import LIKELY_KM  # noqa: E402
from planner.matcher.place import distances_km  # noqa: E402

SCENARIOS = ROOT / "tests" / "data" / "matcher"
TARGET = {"ndcg@10": 0.85, "above_keyword": 0.2}
STOP = {"a", "an", "and", "the", "of", "in", "for", "to", "our", "my", "about", "with", "at", "on"}


def _record(kind: type, data: dict[str, Any], **given: Any) -> Any:
    names = {f.name for f in fields(kind)}
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names}
    return kind(**{**values, **given})


def load_scenario(path: Path) -> dict[str, Any]:
    """The scenario's matcher inputs (`profile`, `goals`, `events`, ...) and its labels."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    events = [
        _record(
            Event,
            e,
            start=datetime.fromisoformat(e["start"]),
            end=datetime.fromisoformat(e["end"]) if e.get("end") else None,
            people=tuple(_record(Person, p) for p in e.get("people", [])),
        )
        for e in raw["events"]
    ]
    trips = [
        _record(
            Trip,
            t,
            starts_on=date.fromisoformat(t["starts_on"]),
            ends_on=date.fromisoformat(t["ends_on"]),
        )
        for t in raw.get("trips", [])
    ]
    return {
        "name": raw["name"],
        "now": datetime.fromisoformat(raw["now"]),
        "profile": _record(Profile, raw["profile"]),
        "goals": [_record(Goal, g) for g in raw["goals"]],
        "contacts": [_record(Contact, c) for c in raw["contacts"]],
        "trips": trips,
        "feedback": [_record(Feedback, f) for f in raw.get("feedback", [])],
        "events": events,
        "labels": {e["id"]: e["relevance"] for e in raw["events"]},
        "same_as": {e["id"]: e.get("same_as", e["id"]) for e in raw["events"]},
        "truth": {
            e["id"]: {(t["contact_id"], t["role"]) for t in e["truth"]} for e in raw["events"]
        },
    }


def run_matcher(scenario: dict[str, Any], limit: int) -> tuple[list[Match], dict[int, list[Any]]]:
    contacts = ContactIndex(scenario["contacts"])
    evidence = {event.id: find_contacts(contacts, event) for event in scenario["events"]}
    matches = match(
        scenario["profile"],
        scenario["goals"],
        scenario["events"],
        evidence,
        scenario["feedback"],
        scenario["now"],
        limit=limit,
        trips=scenario["trips"],
    )
    return matches, evidence


def soonest(scenario: dict[str, Any], limit: int) -> list[int]:
    upcoming = [e for e in scenario["events"] if e.start > scenario["now"]]
    return [e.id for e in sorted(upcoming, key=lambda e: (e.start, e.id))][:limit]


def keyword(scenario: dict[str, Any], limit: int) -> list[int]:
    words = {
        w
        for goal in scenario["goals"]
        if not goal.paused
        for w in re.findall(r"\w+", goal.text.lower())
        if w not in STOP
    }

    def hits(event: Event) -> int:
        text = re.findall(r"\w+", f"{event.title} {event.description or ''}".lower())
        return sum(1 for w in text if w in words)

    upcoming = [e for e in scenario["events"] if e.start > scenario["now"]]
    return [e.id for e in sorted(upcoming, key=lambda e: (-hits(e), e.start, e.id))][:limit]


def ndcg(ranked: list[int], scenario: dict[str, Any], k: int = 10) -> float:
    labels, same = scenario["labels"], scenario["same_as"]
    seen: set[int] = set()
    dcg = 0.0
    for place, event_id in enumerate(ranked[:k]):
        canonical = same[event_id]
        rel = labels[event_id] if canonical not in seen else None
        seen.add(canonical)
        dcg += (2 ** (rel or 0) - 1) / math.log2(place + 2)
    best = sorted((r for i, r in labels.items() if r is not None and same[i] == i), reverse=True)
    ideal = sum((2**r - 1) / math.log2(n + 2) for n, r in enumerate(best[:k]))
    return dcg / ideal if ideal else 0.0


def precision(ranked: list[int], scenario: dict[str, Any], k: int = 5) -> float:
    return sum(1 for i in ranked[:k] if (scenario["labels"][i] or 0) >= 2) / k


def checks(scenario: dict[str, Any], matches: list[Match]) -> dict[str, list[str]]:
    """Every broken guarantee in the matcher's list, in words (empty lists: all held)."""
    events = {e.id: e for e in scenario["events"]}
    judged = {f.event_id for f in scenario["feedback"]}
    problems: dict[str, list[str]] = {k: [] for k in ("unlisted", "duplicate", "claims")}
    seen: set[int] = set()
    for m in matches:
        event = events[m.event_id]
        if event.status in ("cancelled", "postponed") or event.start <= scenario["now"]:
            problems["unlisted"].append(f"{m.event_id}: {event.status}, starts {event.start}")
        if m.event_id in judged:
            problems["unlisted"].append(f"{m.event_id}: already judged")
        canonical = scenario["same_as"][m.event_id]
        if canonical in seen:
            problems["duplicate"].append(f"{m.event_id} repeats {canonical}")
        seen.add(canonical)
        problems["claims"] += _claim_problems(scenario, event, m)
    return problems


def _claim_problems(scenario: dict[str, Any], event: Event, m: Match) -> list[str]:
    contacts = {c.id: c for c in scenario["contacts"]}
    truth = scenario["truth"][event.id] | scenario["truth"][scenario["same_as"][event.id]]
    text = " ".join(
        [event.title, event.description or "", *event.organizers]
        + [f"{p.name} {p.url or ''} {p.email or ''}" for p in event.people]
    )
    found = []
    for claim in m.contacts:
        if claim.likely:
            found += _likely_problems(contacts[claim.contact_id], event, claim.evidence)
            continue
        if (claim.contact_id, claim.role) not in truth:
            found.append(f"{event.id}: {claim.name} as {claim.role} is not in the truth")
        for quote in re.findall(r'"([^"]+)"', claim.evidence)[:1]:
            parts = [p.strip() for p in quote.split("…") if p.strip()]
            if not all(" ".join(p.split()) in " ".join(text.split()) for p in parts):
                found.append(f"{event.id}: {claim.name}: quote not in the event: {quote}")
    return found


def _likely_problems(contact: Contact, event: Event, evidence: str) -> list[str]:
    import numpy as np

    if None in (contact.lat, contact.lon, event.lat, event.lon):
        return [f"{event.id}: {contact.name} likely, but a place is unknown"]
    km = distances_km(np.array([[contact.lat, contact.lon]]), (event.lat, event.lon))[0]
    cited = evidence.rsplit(" lists ", 1)[-1].split(", ")
    own = " ".join([*contact.tags, contact.title or ""]).lower()
    if km > LIKELY_KM or not all(word.lower() in own for word in cited):
        return [f"{event.id}: {contact.name} likely: {km:.0f} km, cites {cited}"]
    return []


def evaluate(path: Path, limit: int, show: bool) -> dict[str, Any]:
    scenario = load_scenario(path)
    matches, _ = run_matcher(scenario, limit)
    ranked = {
        "planner": [m.event_id for m in matches],
        "soonest": soonest(scenario, limit),
        "keyword": keyword(scenario, limit),
    }
    if show:
        _show(scenario, matches)
    report: dict[str, Any] = {
        name: {"ndcg@10": round(ndcg(ids, scenario), 3), "p@5": round(precision(ids, scenario), 3)}
        for name, ids in ranked.items()
    }
    report["checks"] = checks(scenario, matches)
    report["claims"] = sum(len([c for c in m.contacts if not c.likely]) for m in matches)
    report["likely_claims"] = sum(len([c for c in m.contacts if c.likely]) for m in matches)
    return report


def _show(scenario: dict[str, Any], matches: list[Match]) -> None:
    events = {e.id: e for e in scenario["events"]}
    print(f"--- {scenario['name']}", file=sys.stderr)
    for m in matches:
        label = scenario["labels"][m.event_id]
        print(
            f"{m.score:7.3f} rel={label} {m.event_id} {events[m.event_id].title}", file=sys.stderr
        )
        for reason in m.reasons:
            print(f"          {reason.kind}: {reason.text}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--show", action="store_true")
    args = parser.parse_args()
    scenarios = {
        p.stem: evaluate(p, args.limit, args.show) for p in sorted(SCENARIOS.glob("*.json"))
    }
    mean = {
        name: {
            metric: round(sum(s[name][metric] for s in scenarios.values()) / len(scenarios), 3)
            for metric in ("ndcg@10", "p@5")
        }
        for name in ("planner", "soonest", "keyword")
    }
    failed = sorted({k for s in scenarios.values() for k, v in s["checks"].items() if v})
    lift = round(mean["planner"]["ndcg@10"] - mean["keyword"]["ndcg@10"], 3)
    met = mean["planner"]["ndcg@10"] >= TARGET["ndcg@10"] and lift >= TARGET["above_keyword"]
    result = {
        "scenarios": scenarios,
        "mean": mean,
        "planner_above_keyword": lift,
        "target": TARGET,
        "failed_checks": failed,
        "ok": met and not failed,
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
