"""Refresh one source: fetch (conditionally), ingest what changed, record the source's health."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sqlalchemy.orm import Session

from planner.fetch import Fetcher, FetchError
from planner.ingest import IngestReport, Window, ingest
from planner.models import Source
from planner.sources import is_local_file
from scrapers import ScraperError

log = logging.getLogger(__name__)
MAX_BACKOFF = 32  # a failing source waits at most 32 intervals


@dataclass
class RefreshResult:
    source_id: int
    ok: bool
    message: str
    report: IngestReport | None = None

    def as_dict(self) -> dict[str, object]:
        return {"source_id": self.source_id, "ok": self.ok, "message": self.message}


def refresh(
    session: Session,
    source: Source,
    fetcher: Fetcher,
    now: datetime,
    window: Window,
    force: bool = False,
) -> RefreshResult:
    """Bring `source` up to date and commit. Bad sources are recorded on the source, not raised;
    anything unexpected (a database error, a bug) is raised after rolling back."""
    try:
        data, etag, last_modified = _download(source, fetcher, force)
    except (FetchError, OSError) as exc:
        return _failed(session, source, now, f"fetch failed: {exc}")
    digest = hashlib.sha256(data).hexdigest() if data is not None else None
    unchanged = data is None or (
        digest == source.content_hash and not force and source.window_start == window.start.date()
    )
    if unchanged:
        _succeeded(source, now, etag, last_modified, source.content_hash)
        session.commit()
        return RefreshResult(source.id, True, f"unchanged ({source.events_found} events)")
    try:
        report = ingest(session, source, data or b"", window, now)
    except ScraperError as exc:
        session.rollback()
        return _failed(session, source, now, str(exc))
    except Exception:
        session.rollback()
        raise
    source.name = source.name or report.name
    source.last_warnings = report.warnings[:20]
    source.events_found = report.found
    _succeeded(source, now, etag, last_modified, digest)
    session.commit()
    return RefreshResult(source.id, True, report.summary(), report)


def _download(
    source: Source, fetcher: Fetcher, force: bool
) -> tuple[bytes | None, str | None, str | None]:
    """(body or None when not modified, etag, last_modified)."""
    if is_local_file(source):
        return Path(unquote(urlsplit(source.url).path)).read_bytes(), None, None
    result = fetcher.fetch(
        source.url,
        etag=None if force else source.etag,
        last_modified=None if force else source.last_modified,
    )
    if result.not_modified:
        return None, source.etag, source.last_modified
    return result.content, result.etag, result.last_modified


def _succeeded(
    source: Source, now: datetime, etag: str | None, last_modified: str | None, digest: str | None
) -> None:
    source.etag, source.last_modified, source.content_hash = etag, last_modified, digest
    source.fetched_at = source.ok_at = now
    source.last_error = None
    source.consecutive_failures = 0
    source.next_fetch_at = now + timedelta(seconds=source.refresh_interval)


def _failed(session: Session, source: Source, now: datetime, message: str) -> RefreshResult:
    log.warning("source %s (%s): %s", source.id, source.url, message)
    source.fetched_at = now
    source.last_error = message[:2000]
    source.consecutive_failures += 1
    backoff = min(2 ** (source.consecutive_failures - 1), MAX_BACKOFF)
    source.next_fetch_at = now + timedelta(seconds=source.refresh_interval * backoff)
    session.commit()
    return RefreshResult(source.id, False, message)
