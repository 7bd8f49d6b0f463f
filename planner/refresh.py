"""Refresh one source: fetch (conditionally), ingest what changed, record the source's health."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sqlalchemy.orm import Session

import scrapers
from planner.crawl import ingest_pages
from planner.fetch import Fetcher, FetchError, is_transient
from planner.ingest import IngestReport, Window, ingest
from planner.models import Source
from planner.normalize import clean_line
from planner.sources import is_local_file
from scrapers import ScraperError

log = logging.getLogger(__name__)
MAX_BACKOFF = 32  # a failing source waits at most 32 intervals
QUIET_WEEK = timedelta(weeks=1)


@dataclass
class RefreshResult:
    source_id: int
    ok: bool
    message: str
    report: IngestReport | None = None
    transient: bool = False  # the fetch failed in a way that a retry soon may mend

    def as_dict(self) -> dict[str, object]:
        return {"source_id": self.source_id, "ok": self.ok, "message": self.message}


def refresh(
    session: Session,
    source: Source,
    fetcher: Fetcher,
    now: datetime,
    window: Window,
    force: bool = False,
    max_pages: int = 20,
) -> RefreshResult:
    """Bring `source` up to date and commit. Bad sources are recorded on the source, not raised;
    anything unexpected (a database error, a bug) is raised after rolling back."""
    # a new day moves the window: the body is needed again even if the server says "not modified"
    new_window = source.kind != "page" and source.window_start != window.start.date()
    try:
        got = _download(source, fetcher, force or new_window)
    except (FetchError, OSError) as exc:
        failed = _failed(session, source, now, _fetch_problem(exc), _retry_after(exc))
        failed.transient = is_transient(exc)
        return failed
    digest = hashlib.sha256(got.data).hexdigest() if got.data is not None else None
    unchanged = got.data is None or (
        digest == source.content_hash
        and not force
        and source.kind != "page"
        and source.window_start == window.start.date()
    )
    if unchanged:
        _succeeded(source, now, got, source.content_hash)
        session.commit()
        return RefreshResult(source.id, True, f"unchanged ({source.events_found} events)")
    try:
        report = _read(session, source, got, fetcher, window, now, max_pages)
    except ScraperError as exc:
        session.rollback()
        return _failed(session, source, now, str(exc))
    except Exception as exc:  # a bug or a database error: recorded for the owner, then raised
        session.rollback()
        _failed(
            session,
            source,
            now,
            f"internal error while reading it ({type(exc).__name__}); the logs say more",
        )
        raise
    _record(source, report)
    _succeeded(source, now, got, digest)
    session.commit()
    return RefreshResult(source.id, True, report.summary(), report)


@dataclass
class Download:
    data: bytes | None  # None: not modified
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None


def _read(
    session: Session,
    source: Source,
    got: Download,
    fetcher: Fetcher,
    window: Window,
    now: datetime,
    max_pages: int,
) -> IngestReport:
    data = got.data or b""
    kind = source.kind or scrapers.detect_kind(data, got.content_type)
    source.kind = kind  # detected once, then kept: a page that breaks stays a page
    if kind == "page":
        return ingest_pages(session, source, data, fetcher, window, now, max_pages)
    return ingest(session, source, data, window, now, kind)


def _record(source: Source, report: IngestReport) -> None:
    warnings = list(report.warnings)
    if source.events_found and not report.found:
        listed = f"{source.events_found} event{'s' if source.events_found != 1 else ''}"
        warnings.insert(0, f"listed {listed} last time and none now: has the page changed?")
    source.name = source.name or (clean_line(report.name)[:300] or None)
    source.last_warnings = warnings[:20]
    source.events_found = report.found


def _download(source: Source, fetcher: Fetcher, force: bool) -> Download:
    if is_local_file(source):
        with Path(unquote(urlsplit(source.url).path)).open("rb") as file:
            data = file.read(fetcher.max_bytes + 1)
        if len(data) > fetcher.max_bytes:
            raise FetchError(source.url, f"file larger than {fetcher.max_bytes // 2**20} MB")
        return Download(data)
    result = fetcher.fetch(
        source.url,
        etag=None if force else source.etag,
        last_modified=None if force else source.last_modified,
    )
    if result.not_modified:
        return Download(None, source.etag, source.last_modified)
    return Download(result.content, result.etag, result.last_modified, result.content_type)


def _fetch_problem(exc: BaseException) -> str:
    if isinstance(exc, OSError) and not isinstance(exc, FetchError):
        return f"could not read the file: {exc.strerror or exc}"
    return f"fetch failed: {exc}"


def _retry_after(exc: BaseException) -> float | None:
    value = getattr(exc, "retry_after", None)
    return float(value) if isinstance(value, int | float) else None


def _succeeded(source: Source, now: datetime, got: Download, digest: str | None) -> None:
    if digest != source.content_hash or source.changed_at is None:
        source.changed_at = now
    source.etag, source.last_modified, source.content_hash = got.etag, got.last_modified, digest
    source.fetched_at = source.ok_at = now
    source.last_error = None
    source.consecutive_failures = 0
    wait = source.refresh_interval * quiet_factor(now - source.changed_at)
    source.next_fetch_at = now + timedelta(seconds=wait)


def quiet_factor(unchanged_for: timedelta) -> int:
    """A source unchanged for weeks is checked less often: 2x its interval after two weeks, 4x
    after four (an hourly feed then daily at most every 4 hours)."""
    weeks = unchanged_for // QUIET_WEEK
    return 4 if weeks >= 4 else 2 if weeks >= 2 else 1


def _failed(
    session: Session, source: Source, now: datetime, message: str, retry_after: float | None = None
) -> RefreshResult:
    log.warning("source %s (%s): %s", source.id, source.url, message)
    source.fetched_at = now
    source.last_error = message[:2000]
    source.consecutive_failures += 1
    backoff = min(2 ** (source.consecutive_failures - 1), MAX_BACKOFF)
    wait = max(source.refresh_interval * backoff, retry_after or 0)
    source.next_fetch_at = now + timedelta(seconds=wait)
    session.commit()
    return RefreshResult(source.id, False, message)
