"""Benchmark planner's iCal ingest; prints one JSON object with figures (never asserts times).

    .venv/bin/python bench/ingest.py [--events 20000] [--repeat 3] [--repeat-fast 5] [--seed 1]
                                     [--no-url-uids]

Generates a realistic feed (bench/feedgen.py) and measures, in the same run:
  (a) bare `icalendar` parse + `recurring_ical_events` expansion over planner's window,
  (b) planner's full ingest (`planner.jobs.refresh_source`: parse, normalize, dedupe, SQLite),
  (c) a re-ingest of the unchanged feed, (d) a re-ingest after 1% of the VEVENTs changed.
(a) and (b) run in child processes (a fresh database each), so that each reports its own peak
RSS. Throughput counts occurrences (a weekly series gives ~52). Progress goes to stderr.
The "checks" part of the output says whether the database agrees with the bare parse. The feed
has 2% Mobilizon-style UIDs (`UID:https://...`); --no-url-uids leaves them out.

`--phase bare|full --feed PATH [--workdir DIR] [--profile OUT]` runs one child measurement;
with --profile the timed part is written as cProfile stats (`python -m pstats OUT`).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from feedgen import Feed, changed_title, generate
from flask import Flask
from sqlalchemy import func, select

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WINDOW_DAYS = 365
CHANGED_SHARE = 0.01
MIN_RATIOS = {"ingest_vs_bare": 0.7, "unchanged_speedup_vs_ingest": 100.0}
MIN_RATIOS["one_percent_speedup_vs_ingest"] = 10.0
MAX_RSS_MB = 500.0
STARTED = time.perf_counter()


def progress(message: str) -> None:
    print(f"[bench {time.perf_counter() - STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


def peak_rss_mb() -> float:
    """This process's peak RSS: VmHWM. (ru_maxrss survives exec on Linux, so a child would
    report its parent's size when that was larger.)"""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def timed(work: Callable[[], Any], profile: str | None = None) -> tuple[float, Any]:
    """(seconds, result) of `work()`; under cProfile (stats written to `profile`) if asked."""
    profiler = cProfile.Profile() if profile else None
    with profiler or nullcontext():
        begin = time.perf_counter()
        result = work()
        seconds = time.perf_counter() - begin
    if profiler and profile:
        profiler.dump_stats(profile)
    return seconds, result


# --- child phases: one measurement each, in a fresh process -----------------------------------


def phase_bare(args: argparse.Namespace) -> dict[str, Any]:
    """(a): what icalendar + recurring_ical_events alone take for the feed and window."""
    import icalendar
    import recurring_ical_events

    from planner.ingest import Window

    window = Window.around(NOW, WINDOW_DAYS)
    data = Path(args.feed).read_bytes()

    def work() -> list[Any]:
        calendar = icalendar.Calendar.from_ical(data)
        return list(recurring_ical_events.of(calendar).between(window.start, window.end))

    seconds, occurrences = timed(work, args.profile)
    return {"seconds": seconds, "occurrences": len(occurrences), "peak_rss_mb": peak_rss_mb()}


def phase_full(args: argparse.Namespace) -> dict[str, Any]:
    """(b): a worker's refresh of a new file source into a new SQLite database."""
    from planner.jobs import refresh_source

    app = make_app(Path(args.workdir))
    source_id = add_source(app, Path(args.feed))
    baseline = peak_rss_mb()
    with app.app_context():
        seconds, result = timed(lambda: refresh_source(source_id, NOW.isoformat()), args.profile)
    return {
        "seconds": seconds,
        "message": result["message"],
        "source_id": source_id,
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_ingest_mb": baseline,
    }


def make_app(workdir: Path) -> Flask:
    """A planner app on its own migrated SQLite database in `workdir`, Redis off."""
    import planner
    import planner.db

    workdir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{workdir}/bench.sqlite3"
    config = {"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": url}
    config |= {"INSTANCE_PATH": str(workdir), "REDIS_URL": None, "WINDOW_DAYS": WINDOW_DAYS}
    config["FETCH_MAX_BYTES"] = 64 * 2**20  # the 22.9 MB feed is over the default 10 MB cap
    app = planner.create_app(config)
    planner.db.upgrade(url)
    return app


def add_source(app: Flask, feed: Path) -> int:
    from planner import db, sources

    with app.app_context():
        session = db.session()
        source = sources.add_file_source(session, sources.owner(session), feed, "ical")
        session.commit()
        return source.id


def code_version() -> dict[str, Any]:
    """The commit measured, and whether planner/ or scrapers/ had uncommitted edits."""
    git = ["git", "-C", str(Path(__file__).resolve().parent.parent)]
    try:
        head = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        )
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "planner", "scrapers"], capture_output=True, text=True
        )
    except OSError:
        return {"commit": None, "dirty": None}
    return {"commit": head.stdout.strip() or None, "dirty": bool(dirty.stdout.strip())}


def run_child(phase: str, feed: Path, workdir: Path | None = None) -> dict[str, Any]:
    """Run `--phase` in a new interpreter; its last stdout line is its JSON figures."""
    command = [sys.executable, __file__, "--phase", phase, "--feed", str(feed)]
    if workdir is not None:
        command += ["--workdir", str(workdir)]
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# --- the whole benchmark ---------------------------------------------------------------------


def run_bench(args: argparse.Namespace) -> dict[str, Any]:
    from planner.ingest import Window

    window = Window.around(NOW, WINDOW_DAYS)
    with tempfile.TemporaryDirectory(prefix="planner-bench-") as tmp:
        feed_path = Path(tmp) / "feed.ics"
        progress(f"generating {args.events} VEVENTs (seed {args.seed})")
        feed = generate(args.events, args.seed, NOW, window.start, window.end, not args.no_url_uids)
        feed_path.write_bytes(feed.render())
        size = feed_path.stat().st_size
        progress(f"feed: {size / 1e6:.1f} MB, {feed.series} series, {feed.occurrences} occurrences")
        bare = measure_bare(feed_path, args.repeat)
        full, workdir = measure_full(feed_path, Path(tmp), args.repeat)
        app = make_app(workdir)
        source_id = full[-1]["source_id"]
        checks = {"expected_occurrences": feed.occurrences, "bare_occurrences": bare[0][0]}
        checks |= {
            "after_ingest": db_state(app, source_id, []),
            "ingest_message": full[-1]["message"],
        }
        unchanged = measure_unchanged(app, source_id, args.repeat_fast)
        one_pct, titles = measure_one_percent(app, source_id, feed, feed_path, args)
        checks |= {"unchanged_message": unchanged[0][1], "one_percent_message": one_pct[-1][1]}
        checks["after_one_percent"] = db_state(app, source_id, titles)
        checks["changed_titles_expected"] = len(titles)
    return summarize(feed, size, bare, full, unchanged, one_pct, checks)


def measure_bare(feed: Path, repeat: int) -> list[tuple[int, float, float]]:
    """(occurrences, seconds, peak RSS MB) of each (a) run."""
    runs = []
    for i in range(repeat):
        figures = run_child("bare", feed)
        runs.append((figures["occurrences"], figures["seconds"], figures["peak_rss_mb"]))
        progress(f"(a) bare parse {i + 1}/{repeat}: {figures['seconds']:.2f} s")
    return runs


def measure_full(feed: Path, tmp: Path, repeat: int) -> tuple[list[dict[str, Any]], Path]:
    """Each (b) run in its own process and database; the last database is kept for (c), (d)."""
    runs: list[dict[str, Any]] = []
    for i in range(repeat):
        workdir = tmp / f"run{i}"
        runs.append(run_child("full", feed, workdir))
        progress(f"(b) full ingest {i + 1}/{repeat}: {runs[-1]['seconds']:.2f} s")
        if i:
            shutil.rmtree(tmp / f"run{i - 1}")
    return runs, workdir


def refresh_timed(app: Flask, source_id: int) -> tuple[float, str]:
    """One refresh as a job runs it: its own app context (and session), no force."""
    from planner.jobs import refresh_source

    with app.app_context():
        seconds, result = timed(lambda: refresh_source(source_id, NOW.isoformat()))
    return seconds, result["message"]


def measure_unchanged(app: Flask, source_id: int, repeat: int) -> list[tuple[float, str]]:
    runs = [refresh_timed(app, source_id) for _ in range(repeat)]
    progress(f"(c) unchanged re-ingest x{repeat}: best {min(s for s, _ in runs) * 1e3:.1f} ms")
    return runs


def measure_one_percent(
    app: Flask, source_id: int, feed: Feed, path: Path, args: argparse.Namespace
) -> tuple[list[tuple[float, str]], list[str]]:
    """Each run edits the same 1% of VEVENTs once more (revision 1, 2, ...): 1% changed."""
    changed = feed.pick_changes(CHANGED_SHARE, args.seed)
    runs = []
    for revision in range(1, args.repeat_fast + 1):
        path.write_bytes(feed.render(set(changed), revision))
        runs.append(refresh_timed(app, source_id))
        progress(f"(d) 1% changed re-ingest {revision}/{args.repeat_fast}: {runs[-1][0]:.2f} s")
    titles = [changed_title(feed.specs[i], args.repeat_fast) for i in changed]
    return runs, titles


def db_state(app: Flask, source_id: int, titles: list[str]) -> dict[str, int]:
    """Live events and links of the source; how many live events bear one of `titles`."""
    from planner import db
    from planner.models import Event, EventSource

    live_event = Event.gone_at.is_(None)
    with app.app_context():
        session = db.session()
        events = session.scalar(select(func.count()).where(live_event)) or 0
        links = session.scalar(
            select(func.count())
            .select_from(EventSource)
            .where(EventSource.source_id == source_id, EventSource.gone_at.is_(None))
        )
        found = session.scalar(select(func.count()).where(live_event, Event.title.in_(titles)))
        return {"live_events": events, "live_links": links or 0, "titles_found": found or 0}


# --- the report ------------------------------------------------------------------------------


def spread(values: list[float]) -> dict[str, float]:
    return {"best": min(values), "median": statistics.median(values), "runs": len(values)}


def summarize(
    feed: Feed,
    size: int,
    bare: list[tuple[int, float, float]],
    full: list[dict[str, Any]],
    unchanged: list[tuple[float, str]],
    one_pct: list[tuple[float, str]],
    checks: dict[str, Any],
) -> dict[str, Any]:
    occurrences = feed.occurrences
    seconds = {
        "bare_parse": spread([s for _, s, _ in bare]),
        "ingest": spread([r["seconds"] for r in full]),
        "reingest_unchanged": spread([s for s, _ in unchanged]),
        "reingest_1pct": spread([s for s, _ in one_pct]),
    }
    best = {name: value["best"] for name, value in seconds.items()}
    figures = headline(occurrences, best, seconds)
    figures["ingest_peak_rss_mb"] = round(max(r["peak_rss_mb"] for r in full), 1)
    figures["bare_peak_rss_mb"] = round(max(rss for _, _, rss in bare), 1)
    figures["rss_before_ingest_mb"] = round(full[-1]["rss_before_ingest_mb"], 1)
    result = {"vevents": len(feed.specs), "series": feed.series, "occurrences": occurrences}
    result |= {"feed_mb": round(size / 1e6, 2), "now": NOW.isoformat(), "code": code_version()}
    result |= figures
    result |= {"seconds": rounded(seconds), "targets": targets(figures)}
    return result | {"checks": verdicts(checks, occurrences)}


def headline(
    occurrences: int, best: dict[str, float], seconds: dict[str, dict[str, float]]
) -> dict[str, Any]:
    """Throughputs and ratios from the best runs (medians alongside)."""
    median = {name: value["median"] for name, value in seconds.items()}
    return {
        "bare_parse_events_per_s": round(occurrences / best["bare_parse"]),
        "ingest_events_per_s": round(occurrences / best["ingest"]),
        "ingest_vs_bare": round(best["bare_parse"] / best["ingest"], 3),
        "ingest_vs_bare_median": round(median["bare_parse"] / median["ingest"], 3),
        "reingest_unchanged_s": round(best["reingest_unchanged"], 5),
        "unchanged_speedup_vs_ingest": round(best["ingest"] / best["reingest_unchanged"], 1),
        "reingest_1pct_s": round(best["reingest_1pct"], 4),
        "one_percent_speedup_vs_ingest": round(best["ingest"] / best["reingest_1pct"], 2),
        "one_percent_speedup_median": round(median["ingest"] / median["reingest_1pct"], 2),
    }


def rounded(seconds: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    return {k: {n: round(v, 5) for n, v in value.items()} for k, value in seconds.items()}


def targets(figures: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {
        name: {"min": goal, "value": figures[name], "met": figures[name] >= goal}
        for name, goal in MIN_RATIOS.items()
    }
    rss = figures["ingest_peak_rss_mb"]
    found["ingest_peak_rss_mb"] = {"max": MAX_RSS_MB, "value": rss, "met": rss < MAX_RSS_MB}
    return found


def verdicts(checks: dict[str, Any], occurrences: int) -> dict[str, Any]:
    """Correctness, printed rather than asserted: counts must agree, edits must land."""
    after, later = checks["after_ingest"], checks["after_one_percent"]
    checks["bare_matches_generator"] = checks["bare_occurrences"] == occurrences
    checks["ingest_matches_bare"] = after["live_events"] == checks["bare_occurrences"]
    checks["one_percent_keeps_count"] = later["live_events"] == checks["bare_occurrences"]
    checks["changed_titles_present"] = later["titles_found"] == checks["changed_titles_expected"]
    return checks


# --- command line ----------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20000, help="VEVENTs in the feed")
    parser.add_argument("--repeat", type=int, default=3, help="runs of (a) and (b)")
    parser.add_argument("--repeat-fast", type=int, default=5, help="runs of (c) and (d)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated feed")
    parser.add_argument(
        "--no-url-uids", action="store_true", help="leave out Mobilizon's https:// UIDs (2%%)"
    )
    parser.add_argument("--phase", choices=["bare", "full"], help=argparse.SUPPRESS)
    parser.add_argument("--feed", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--profile", help="with --phase: write cProfile stats of the timed part")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.phase:
        run = phase_bare if args.phase == "bare" else phase_full
        print(json.dumps(run(args)))
        return 0
    print(json.dumps(run_bench(args), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
