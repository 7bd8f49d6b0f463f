"""Benchmark planner's ranking; prints one JSON object with figures (never asserts times).

    .venv/bin/python bench/rank.py [--events 100000] [--contacts 2000] [--runs 11]
                                   [--baseline-runs 3] [--seed 1]

Generates a realistic world (bench/rankgen.py: a year of events in 50 cities, one user with 5
goals and `--contacts` contacts) and measures, in the same run:
  index:     `EventIndex(events)` (BM25 postings and columns), built when events change;
  evidence:  `ContactIndex(contacts)` and `find_contacts` for every event, then the
             `EvidenceTable`: built when events or contacts change, not when ranking;
  rank:      `match` for the user with the index and table given: once untimed, then for
             `--runs` different `now`s, 19 hours apart (other days, other hours of the day);
  baseline:  a per-event pure-Python loop, no numpy: a plain BM25 over each event's term
             counts (built first, timed apart) for every goal, the same contact claims (those
             the planner child found), distance from home or the trip city, free time, clashes
             and horizon, then the ten best, one listing of each. It leaves out what `match`
             also does (variety, budget, serendipity, reasons, introductions): that only
             flatters it. Same `now`s as the first rankings.
Each side runs in a fresh child process (the planner's: index, evidence and rankings together,
as ranking needs both), so that each reports its own peak RSS (VmHWM): interpreter, imports and
the generated events included, `peak_rss_mb` shows it after each step. Times are wall clock
(`*_ms`), with the process's CPU time beside them (`cpu_*`): the load average says how busy the
machine was. Targets (issue 5, point 8): rank median under 50 ms, at least 10x faster than the
baseline, index build under 10 s, peak RSS under 400 MB. Progress goes to stderr.
`--phase planner|baseline --workdir DIR` runs one child.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ingest import code_version, peak_rss_mb
from rankgen import CITIES, World, generate

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STEP = timedelta(hours=19)  # between the `now`s of successive runs
TARGET = {"rank_ms": 50.0, "speedup": 10.0, "index_s": 10.0, "peak_rss_mb": 400.0}
STARTED = time.perf_counter()


def progress(message: str) -> None:
    print(f"[bench {time.perf_counter() - STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


def nows(runs: int) -> list[datetime]:
    return [NOW + n * STEP for n in range(runs)]


def clocked(work: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds, result) of `work()`."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def spread(seconds: list[float]) -> dict[str, Any]:
    """Milliseconds: median, p90 (nearest rank), best and worst of the runs."""
    ms = sorted(s * 1e3 for s in seconds)
    p90 = ms[max(0, math.ceil(0.9 * len(ms)) - 1)]
    return {
        "runs": len(ms),
        "median": round(statistics.median(ms), 2),
        "p90": round(p90, 2),
        "best": round(ms[0], 2),
        "worst": round(ms[-1], 2),
    }


# --- child: planner --------------------------------------------------------------------------


def phase_planner(args: argparse.Namespace) -> dict[str, Any]:
    rss = {"ready": peak_rss_mb()}
    wall, _, world = clocked(lambda: generate(args.events, args.contacts, args.seed, NOW))
    rss["after_generate"] = peak_rss_mb()
    figures: dict[str, Any] = {"seconds": {"generate": wall}, "cpu_seconds": {}, "rss_mb": rss}
    index, table, found = build(world, figures)
    figures |= rankings(world, index, table, args.runs)
    write_claims(found, Path(args.workdir) / "claims.jsonl")
    rss["final"] = peak_rss_mb()
    figures |= {"claims": count_claims(found), "series": world.series, "world": world.counts}
    figures["goals"] = len(world.goals)
    return figures | {"vocabulary": len(index.vocabulary), "postings": len(index._docs)}


def build(world: World, figures: dict[str, Any]) -> tuple[Any, Any, dict[int, list[Any]]]:
    """The index, then the evidence, each timed, with the peak RSS after each."""
    from planner.matcher import ContactIndex, EventIndex, EvidenceTable, find_contacts

    seconds, cpu, rss = figures["seconds"], figures["cpu_seconds"], figures["rss_mb"]
    seconds["index_build"], cpu["index_build"], index = clocked(lambda: EventIndex(world.events))
    rss["after_index"] = peak_rss_mb()
    progress(f"planner: index built in {seconds['index_build']:.1f} s")

    def evidence() -> dict[int, list[Any]]:
        contacts = ContactIndex(world.contacts)
        return {e.id: claims for e in world.events if (claims := find_contacts(contacts, e))}

    seconds["evidence_find_contacts"], cpu["evidence_find_contacts"], found = clocked(evidence)
    seconds["evidence_table"], cpu["evidence_table"], table = clocked(
        lambda: EvidenceTable(index, found)
    )
    rss["after_evidence"] = peak_rss_mb()
    progress(f"planner: evidence found in {seconds['evidence_find_contacts']:.1f} s")
    return index, table, found


def rankings(world: World, index: Any, table: Any, runs: int) -> dict[str, Any]:
    """One untimed ranking (it fills the caches of zones and stems), then one per `now`."""
    from planner.matcher import match

    def rank(now: datetime) -> list[Any]:
        return match(
            world.profile, world.goals, world.events, table, world.feedback, now,
            trips=world.trips, index=index,
        )  # fmt: skip

    first = clocked(lambda: rank(NOW - STEP))[0]
    timed = [clocked(lambda now=now: rank(now)) for now in nows(runs)]
    picks = [[m.event_id for m in matches] for _, _, matches in timed]
    return {
        "first_rank_s": first,
        "rank_s": [wall for wall, _, _ in timed],
        "rank_cpu_s": [cpu for _, cpu, _ in timed],
        "picks": picks,
        "checks": check_picks(world, picks),
    }


def write_claims(found: dict[int, list[Any]], path: Path) -> None:
    """One line per event: [event id, [[contact id, role, tie], ...]], for the baseline."""
    with path.open("w") as out:
        for event_id, claims in found.items():
            rows = [(c.contact_id, c.role, c.tie) for c in claims]
            out.write(json.dumps([event_id, rows]) + "\n")


def read_claims(path: Path) -> dict[int, list[tuple[int, str, str]]]:
    found = {}
    with path.open() as lines:
        for line in lines:
            event_id, rows = json.loads(line)
            found[event_id] = [tuple(row) for row in rows]
    return found


def count_claims(found: dict[int, list[Any]]) -> dict[str, int]:
    claims = [claim for here in found.values() for claim in here]
    likely = sum(1 for claim in claims if claim.likely)
    return {
        "total": len(claims),
        "confirmed": len(claims) - likely,
        "likely": likely,
        "events_with_claims": len(found),
        "contacts_confirmed_somewhere": len({c.contact_id for c in claims if not c.likely}),
    }


def check_picks(world: World, picks: list[list[int]]) -> dict[str, Any]:
    """No cancelled, postponed, gone, past or doubly listed event in any list."""
    events = {e.id: e for e in world.events}
    wrong = []
    for now, ids in zip(nows(len(picks)), picks, strict=True):
        chosen = [events[i] for i in ids]
        wrong += [e.id for e in chosen if e.status != "scheduled" or e.gone_at or e.start <= now]
        if len({e.fingerprint for e in chosen}) < len(chosen):
            wrong.append(-1)
    return {"lists": len(picks), "full_lists": sum(len(p) == 10 for p in picks), "bad": wrong}


# --- child: the pure-Python baseline ---------------------------------------------------------

_WORD = re.compile(r"\w+")
_STOP = """a about an and are as at be by for from in into is it of on or our the to who with
you your we will this that get meet learn work"""
STOP = frozenset(_STOP.split())
FIELDS = ((3.0, "title"), (2.0, "categories"), (1.5, "organizers"), (1.0, "description"))
PRIORITY = {1: 1.0, 2: 0.75, 3: 0.5}
ROLE = {"speaker": 1.0, "host": 0.9, "organizer": 0.7, "attendee": 0.6, "mentioned": 0.4}
TIE = {"close": 1.0, "regular": 0.7, "weak": 0.45}
PARTS = (("morning", 6, 12), ("afternoon", 12, 17), ("evening", 17, 23))
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def words(text: str, known: dict[str, str]) -> list[str]:
    """Lower-cased words, stop words out, each distinct word stored once."""
    return [known.setdefault(w, w) for w in _WORD.findall(text.lower()) if w not in STOP]


def baseline_index(world: World) -> tuple[list[tuple[dict[str, float], float]], dict[str, float]]:
    """Per event: its field-weighted word counts and length; per word: its BM25 idf."""
    known: dict[str, str] = {}
    docs, df = [], Counter[str]()
    for event in world.events:
        counts: dict[str, float] = {}
        for weight, name in FIELDS:
            value = getattr(event, name)
            text = " ".join(value) if isinstance(value, tuple) else (value or "")[:4000]
            for word in words(text, known):
                counts[word] = counts.get(word, 0.0) + weight
        docs.append((counts, sum(counts.values())))
        df.update(counts.keys())
    idf = {w: math.log1p((len(docs) - n + 0.5) / (n + 0.5)) for w, n in df.items()}
    return docs, idf


class Baseline:
    """One user's ranking as a plain loop over every event."""

    def __init__(self, world: World, docs: list[Any], idf: dict[str, float], claims: dict):
        self.world, self.docs, self.claims = world, docs, claims
        self.queries = []
        for goal in world.goals:
            query = [(w, idf.get(w, math.log1p(len(docs)))) for w in set(words(goal.text, {}))]
            best = sum(rarity for _, rarity in query) * 2.2 * 0.7  # (k1 + 1), full at 70%
            self.queries.append((query, best, PRIORITY[goal.priority]))
        self.average = sum(length for _, length in docs) / len(docs)
        self.zone = ZoneInfo(world.profile.timezone)
        self.free = set(world.profile.availability)
        self.judged = {f.event_id for f in world.feedback}
        going = {f.event_id for f in world.feedback if f.kind == "going"}
        self.going = [e for e in world.events if e.id in going]

    def rank(self, now: datetime) -> list[int]:
        scored = []
        for event, (counts, length) in zip(self.world.events, self.docs, strict=True):
            if event.status in ("cancelled", "postponed") or event.gone_at or event.start <= now:
                continue
            if event.id in self.judged:
                continue
            score = self.score(event, counts, length, now)
            if score > 0:
                scored.append((-score, event.start, event.id, event.fingerprint))
        scored.sort()
        picks: list[int] = []
        seen: set[str] = set()
        for _, _, event_id, fingerprint in scored:
            if len(picks) == 10:
                break
            if fingerprint not in seen:
                seen.add(fingerprint)
                picks.append(event_id)
        return picks

    def score(self, event: Any, counts: dict[str, float], length: float, now: datetime) -> float:
        norm = 1.2 * (0.25 + 0.75 * length / self.average)
        goal = 0.0
        for query, best, weight in self.queries:
            score = 0.0
            for word, rarity in query:
                tf = counts.get(word)
                if tf:
                    score += rarity * tf * 2.2 / (tf + norm)
            relevance = min(score / best, 1.0) if best else 0.0
            goal += weight * relevance if relevance >= 0.25 else 0.0
        found = self.claims.get(event.id, ())
        if goal == 0.0 and all(role == "likely" for _, role, _ in found):
            return 0.0
        value = sum(ROLE.get(role, 0.15) * TIE.get(tie, 0.7) for _, role, tie in found)
        factor = self.reach(event) * self.fits(event) * horizon(event, now)
        if any(clashes(event, other) for other in self.going):
            factor *= 0.25
        return (goal + 0.8 * (1.0 - math.exp(-value))) * factor

    def reach(self, event: Any) -> float:
        """Distance from home, or from the trip city on trip days; online and hybrid as in
        planner."""
        if event.attendance == "online":
            return 0.4
        profile = self.world.profile
        spot = (profile.home_lat, profile.home_lon)
        for trip in self.world.trips:
            if trip.starts_on <= event.start.date() <= trip.ends_on:
                spot = (trip.lat, trip.lon)
        if event.lat is None or event.lon is None or spot[0] is None or spot[1] is None:
            return 0.55
        lat1, lat2 = math.radians(event.lat), math.radians(spot[0])
        a = (
            math.sin((lat2 - lat1) / 2) ** 2
            + math.cos(lat1) * math.cos(lat2) * math.sin(math.radians(spot[1] - event.lon) / 2) ** 2
        )
        ratio = 2 * 6371.0088 * math.asin(math.sqrt(a)) / profile.radius_km
        near = 1 - 0.25 * ratio if ratio <= 1 else 0.75 * math.exp(-1.5 * (ratio - 1))
        near = near if ratio <= 3 else 0.0
        return max(near * 0.9, 0.4) if event.attendance == "hybrid" else near

    def fits(self, event: Any) -> float:
        local = event.start.astimezone(self.zone)
        day = DAYS[local.weekday()]
        if event.all_day:
            return 1.0 if any(slot.startswith(day) for slot in self.free) else 0.5
        part = next((name for name, lo, hi in PARTS if lo <= local.hour < hi), None)
        return 1.0 if f"{day}:{part}" in self.free else 0.5


def horizon(event: Any, now: datetime) -> float:
    days = (event.start - now).total_seconds() / 86400
    return 1.0 if days <= 42 else max(0.7, 1.0 - 0.3 * (days - 42) / 138)


def clashes(event: Any, other: Any) -> bool:
    end = event.end or event.start + timedelta(hours=2)
    other_end = other.end or other.start + timedelta(hours=2)
    return other.id != event.id and event.start < other_end and other.start < end


def phase_baseline(args: argparse.Namespace) -> dict[str, Any]:
    rss = {"ready": peak_rss_mb()}
    world = generate(args.events, args.contacts, args.seed, NOW)
    rss["after_generate"] = peak_rss_mb()
    claims = read_claims(Path(args.workdir) / "claims.jsonl")
    build, _, (docs, idf) = clocked(lambda: baseline_index(world))
    baseline = Baseline(world, docs, idf, claims)
    timed = [clocked(lambda now=now: baseline.rank(now)) for now in nows(args.baseline_runs)]
    rss["final"] = peak_rss_mb()
    return {
        "build_s": build,
        "rank_s": [wall for wall, _, _ in timed],
        "rank_cpu_s": [cpu for _, cpu, _ in timed],
        "picks": [picks for _, _, picks in timed],
        "rss_mb": rss,
    }


# --- the whole benchmark ---------------------------------------------------------------------


def run_child(phase: str, args: argparse.Namespace, workdir: str) -> dict[str, Any]:
    """Run `--phase` in a new interpreter; its last stdout line is its JSON figures."""
    command = [sys.executable, __file__, "--phase", phase, "--workdir", workdir]
    for name in ("events", "contacts", "runs", "baseline_runs", "seed"):
        command += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def run_bench(args: argparse.Namespace) -> dict[str, Any]:
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="planner-bench-rank-") as tmp:
        progress(f"planner: {args.events} events, {args.contacts} contacts (seed {args.seed})")
        planner = run_child("planner", args, tmp)
        progress(f"planner: rank median {statistics.median(planner['rank_s']) * 1e3:.1f} ms")
        baseline = run_child("baseline", args, tmp)
        progress(f"baseline: median {statistics.median(baseline['rank_s']) * 1e3:.0f} ms")
    return summarize(args, planner, baseline, load)


def summarize(
    args: argparse.Namespace, planner: dict[str, Any], baseline: dict[str, Any], load: Any
) -> dict[str, Any]:
    import numpy

    rank, base = spread(planner["rank_s"]), spread(baseline["rank_s"])
    rank_cpu, base_cpu = spread(planner["rank_cpu_s"]), spread(baseline["rank_cpu_s"])
    result: dict[str, Any] = {
        "events": args.events, "series": planner["series"], "contacts": args.contacts,
        "goals": planner["goals"], "cities": len(CITIES), "seed": args.seed,
        "now": NOW.isoformat(), "world": planner["world"], "claims": planner["claims"],
        "index": {"vocabulary": planner["vocabulary"], "postings": planner["postings"]},
        "code": code_version(),
        "machine": {
            "python": sys.version.split()[0], "numpy": numpy.__version__, "cpus": os.cpu_count(),
            "load_average_before": [round(x, 2) for x in load],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        "seconds": {k: round(v, 3) for k, v in planner["seconds"].items()},
        "cpu_seconds": {k: round(v, 3) for k, v in planner["cpu_seconds"].items()},
        "rank_ms": rank | {"first_untimed_run": round(planner["first_rank_s"] * 1e3, 2)},
        "rank_cpu_ms": rank_cpu,
    }  # fmt: skip
    result["baseline"] = {
        "build_s": round(baseline["build_s"], 3),
        "rank_ms": base,
        "rank_cpu_ms": base_cpu,
        "top10_shared_with_planner": [
            len(set(a) & set(b)) for a, b in zip(planner["picks"], baseline["picks"], strict=False)
        ],
        "peak_rss_mb": {k: round(v, 1) for k, v in baseline["rss_mb"].items()},
    }
    result["speedup_vs_baseline"] = round(base["median"] / rank["median"], 1)
    result["speedup_vs_baseline_cpu"] = round(base_cpu["median"] / rank_cpu["median"], 1)
    result["peak_rss_mb"] = {k: round(v, 1) for k, v in planner["rss_mb"].items()}
    result["memory"] = (
        "VmHWM of each child process, one for the planner (generate, index, evidence, "
        "rankings) and one for the baseline: interpreter and imports (ready), the generated "
        "events (after_generate) and each step included; the target applies to the planner's "
        "final figure"
    )
    result["checks"] = planner["checks"]
    return result | {"targets": targets(result)}


def targets(result: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {
        "rank_median_ms": {"max": TARGET["rank_ms"], "value": result["rank_ms"]["median"]},
        "speedup_vs_baseline": {"min": TARGET["speedup"], "value": result["speedup_vs_baseline"]},
        "index_build_s": {"max": TARGET["index_s"], "value": result["seconds"]["index_build"]},
        "peak_rss_mb": {"max": TARGET["peak_rss_mb"], "value": result["peak_rss_mb"]["final"]},
    }
    for figure in found.values():
        value = figure["value"]
        figure["met"] = value < figure["max"] if "max" in figure else value >= figure["min"]
    return found | {"all_met": all(figure["met"] for figure in found.values())}


# --- command line ----------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="upcoming events")
    parser.add_argument("--contacts", type=int, default=2000, help="the user's contacts")
    parser.add_argument("--runs", type=int, default=11, help="timed rankings (7 or more)")
    parser.add_argument("--baseline-runs", type=int, default=3, help="timed baseline rankings")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated world")
    parser.add_argument("--phase", choices=["planner", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.phase:
        run = phase_planner if args.phase == "planner" else phase_baseline
        print(json.dumps(run(args)))
        return 0
    print(json.dumps(run_bench(args), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
