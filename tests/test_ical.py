"""Real feeds in tests/data/ics: `planner extract` prints exactly the expected JSON beside each."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli import main
from scrapers import ScraperError, ical

FEEDS = Path(__file__).parent / "data" / "ics"
WIDE = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC))


def extract(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["extract", *args])
    return result.exit_code, result.stdout, result.stderr


def events_of(name: str, window: tuple[datetime, datetime] = WIDE) -> list[ical.RawEvent]:
    return ical.parse((FEEDS / f"{name}.ics").read_bytes(), None, *window).events


def test_several_vcalendars_sharing_a_uid_keep_every_event() -> None:
    titles = sorted(e.title for e in events_of("calagator_apple_multiple_vcalendars"))
    assert titles == ["Coffee with Jason", "Coffee with Kim", "Coffee with Mike"]


def test_raw_newlines_are_repaired_not_fatal() -> None:
    result = ical.parse((FEEDS / "calagator_plancast_allday_tzid.ics").read_bytes(), None, *WIDE)
    assert [e.title for e in result.events] == ["PDX11 Civic Hackathon"]
    assert any("repaired" in w for w in result.warnings)


def test_tzid_on_a_date_stays_an_all_day_event() -> None:
    (event,) = events_of("calagator_plancast_allday_tzid")
    assert not isinstance(event.start, datetime)
    assert event.timezone == "America/Los_Angeles"


def test_x_wr_timezone_applies_to_floating_times() -> None:
    (event,) = events_of("recurring_x_wr_timezone_floating")
    assert event.start.isoformat() == "2021-09-16T21:00:00+02:00"


def test_windows_zone_name_becomes_iana() -> None:
    timed = [e for e in events_of("exchange_windows_tzid_timed") if isinstance(e.start, datetime)]
    assert timed[0].timezone == "Europe/Berlin"
    assert timed[0].start.utcoffset().total_seconds() == 2 * 3600


def test_series_applies_exdate_rdate_and_overrides() -> None:
    found = {
        e.start.strftime("%m-%d %H:%M"): e
        for e in events_of(
            "google_series_rdate_exdate_cancelled_override",
            (datetime(2007, 11, 1, tzinfo=UTC), datetime(2008, 6, 1, tzinfo=UTC)),
        )
    }
    assert sorted(found) == [
        "01-01 19:00",
        "02-12 19:00",
        "03-04 19:30",
        "04-01 19:00",
        "05-06 19:00",
        "12-04 19:00",
    ]
    assert found["04-01 19:00"].status == "cancelled"
    assert found["03-04 19:30"].venue == "Lucky Lab Beer Hall - 1945 NW Quimby"


def test_occurrence_uid_is_stable_when_an_occurrence_moves() -> None:
    moved = [
        e
        for e in events_of("google_series_rdate_exdate_cancelled_override")
        if e.start.strftime("%Y-%m-%d %H:%M") == "2008-03-04 19:30"
    ]
    assert moved[0].uid == "9ja02fdk73alsgclu2qg1q343c@google.com/20080305T030000Z"


def test_broken_components_are_skipped_and_the_rest_comes_in() -> None:
    result = ical.parse(
        (FEEDS / "broken_offsets_html_uid_raw_newline.ics").read_bytes(), None, *WIDE
    )
    assert [e.title for e in result.events] == [
        "Open Data Stammtisch",
        "<b>Civic Tech</b> &amp; Coffee",
    ]
    assert any("event-2@events.example.org" in w for w in result.warnings)


def test_orphan_overrides_without_a_master_are_events() -> None:
    assert len(events_of("icalevents_recurrenceid_google")) == 4


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html><body>Not here</body></html>",
        b"\x00\x01\x02",
        b"BEGIN:VCARD\r\nFN:Foo\r\nEND:VCARD\r\n",
    ],
)
def test_a_body_that_is_no_calendar_is_a_clear_error(body: bytes) -> None:
    with pytest.raises(ScraperError, match="not a calendar"):
        ical.parse(body, None, *WIDE)


def test_split_hashes_change_only_for_the_changed_group() -> None:
    data = (FEEDS / "meetup_detroitruby_group_feed.ics").read_bytes()
    before = ical.split(data).hashes
    after = ical.split(data.replace(b"Lightning talks", b"Lightning Talks", 1)).hashes
    assert before.keys() == after.keys()
    assert [u for u in before if before[u] != after[u]] == ["event_qgkxkcyrcbnb@meetup.com"]


def test_extract_bad_input_exits_2_with_one_line(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 8)
    empty = tmp_path / "empty.ics"
    empty.write_bytes(b"")
    for args in (
        [str(tmp_path / "missing.ics")],
        [str(junk)],
        [str(empty)],
        [str(tmp_path)],
        [str(FEEDS / "icalevents_ms_tz.ics"), "--now", "yesterday"],
        [str(FEEDS / "icalevents_ms_tz.ics"), "--from", "2021-03-02", "--to", "2021-03-01"],
        ["ftp://example.org/feed.ics"],
    ):
        code, out, err = extract(*args)
        assert code == 2, args
        assert out == ""
        assert len(err.strip().splitlines()) == 1 and err.startswith("planner: "), err


def test_a_page_without_events_is_no_error(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<html><head><title>Hello</title></head><body><h1>Hi</h1></body></html>")
    assert extract(str(page))[:2] == (0, "[]\n")


def test_extract_default_window_is_yesterday_to_a_year(tmp_path: Path) -> None:
    code, out, _ = extract(
        str(FEEDS / "google_series_rdate_exdate_cancelled_override.ics"),
        "--now",
        "2008-01-15T12:00:00+00:00",
    )
    starts = [e["start"][:10] for e in json.loads(out)]
    assert code == 0
    assert starts[0] == "2008-02-12" and starts[-1] == "2009-01-06"


def test_a_reused_uid_in_one_calendar_keeps_both_events() -> None:
    data = (FEEDS / "meetup_detroitruby_group_feed.ics").read_bytes()
    data = data.replace(b"UID:event_qgkxkcyrdbsb@meetup.com", b"UID:event_qgkxkcyrcbnb@meetup.com")
    events = ical.parse(data, None, *WIDE).events
    assert len(events) == 6
    assert [e.uid for e in events[:2]] == [
        "event_qgkxkcyrcbnb@meetup.com",
        "event_qgkxkcyrcbnb@meetup.com#2",
    ]
    assert {e.group for e in events[:2]} == {"event_qgkxkcyrcbnb@meetup.com"}


def test_a_utf16_export_is_read(tmp_path: Path) -> None:
    feed = tmp_path / "outlook.ics"
    feed.write_bytes((FEEDS / "meetup_detroitruby_group_feed.ics").read_text().encode("utf-16"))
    code, out, err = extract(str(feed), "--from", "2013-01-01", "--to", "2013-12-31")
    assert code == 0, err
    assert len(json.loads(out)) == 6


def test_a_series_repeating_every_minute_is_skipped_not_expanded() -> None:
    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:clock\r\nDTSTART:20260101T000000Z"
        b"\r\nDURATION:PT1M\r\nRRULE:FREQ=MINUTELY\r\nSUMMARY:Tick\r\nEND:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nUID:real\r\nDTSTART:20260301T180000Z\r\nSUMMARY:Meetup\r\nEND:VEVENT\r\n"
        b"END:VCALENDAR\r\n"
    )
    result = ical.parse(data, None, *WIDE)
    assert [e.title for e in result.events] == ["Meetup"]
    assert any("'clock'" in w and "minutely" in w for w in result.warnings)
