"""Dates and times as pages write them: ISO 8601 values (`scrapers.when`), times of day and ends
written as a time only, the microformats value-class parts, and dates written out in a page's
visible text (`scrapers.visible_dates`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from scrapers.visible_dates import dates_in, range_end, times_after
from scrapers.when import clock, end_of, join_parts, parse_when

PDT = timezone(timedelta(hours=-7))
CET = timezone(timedelta(hours=1))
IST = timezone(timedelta(hours=5, minutes=30))


def zone(hours: int, minutes: int = 0) -> timezone:
    return timezone(timedelta(hours=hours, minutes=minutes))


# --- parse_when ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-19", date(2024, 3, 19)),
        ("  2024-03-19  ", date(2024, 3, 19)),
        ("2024-03-19T18:00", datetime(2024, 3, 19, 18, 0)),
        ("2024-03-19 18:00:30", datetime(2024, 3, 19, 18, 0, 30)),
        ("2024-03-19T6:05", datetime(2024, 3, 19, 6, 5)),
        ("2024-03-19T18:00:00.250Z", datetime(2024, 3, 19, 18, 0, tzinfo=UTC)),
        ("2024-03-19t18:00z", datetime(2024, 3, 19, 18, 0, tzinfo=UTC)),
        ("2024-03-19T18:00:00-07:00", datetime(2024, 3, 19, 18, 0, tzinfo=PDT)),
        ("2024-03-19T18:00+05:30", datetime(2024, 3, 19, 18, 0, tzinfo=IST)),
    ],
)
def test_parse_when_reads_iso_8601(text: str, expected: date) -> None:
    found = parse_when(text)
    assert found == expected
    assert type(found) is type(expected)
    assert getattr(found, "tzinfo", None) == getattr(expected, "tzinfo", None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-19T18:00:00-0700", datetime(2024, 3, 19, 18, 0, tzinfo=PDT)),
        ("2024-03-19T18:00+0530", datetime(2024, 3, 19, 18, 0, tzinfo=IST)),
        ("2024-03-19T18:00+01", datetime(2024, 3, 19, 18, 0, tzinfo=CET)),
        ("2024-03-19T18:00 -07", datetime(2024, 3, 19, 18, 0, tzinfo=PDT)),
    ],
)
def test_parse_when_reads_offsets_without_a_colon(text: str, expected: datetime) -> None:
    found = parse_when(text)
    assert found == expected
    assert isinstance(found, datetime) and found.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20240319", date(2024, 3, 19)),
        ("20240319T180000Z", datetime(2024, 3, 19, 18, 0, tzinfo=UTC)),
        ("20240319T1800-0700", datetime(2024, 3, 19, 18, 0, tzinfo=PDT)),
        ("20240319T180000", datetime(2024, 3, 19, 18, 0)),
    ],
)
def test_parse_when_reads_the_basic_format(text: str, expected: date) -> None:
    found = parse_when(text)
    assert found == expected
    assert getattr(found, "tzinfo", None) == getattr(expected, "tzinfo", None)


@pytest.mark.parametrize(
    "value",
    [
        "2024-02-30",
        "2023-02-29",
        "2024-13-01",
        "2024-00-10",
        "2024-03-19T24:00",
        "2024-03-19T18:60",
        "2024-03-19T18:00:61",
        "19/03/2024",
        "March 19, 2024",
        "2024-03",
        "next Tuesday",
        "",
        None,
        20240319,
        date(2024, 3, 19),
    ],
)
def test_parse_when_gives_none_for_what_is_no_date(value: object) -> None:
    assert parse_when(value) is None


def test_an_impossible_offset_leaves_the_time_floating() -> None:
    assert parse_when("2024-03-19T18:00+15:00") == datetime(2024, 3, 19, 18, 0)
    assert parse_when("2024-03-19T18:00+02:75") == datetime(2024, 3, 19, 18, 0)
    assert parse_when("2024-03-19T18:00+14:00") == datetime(2024, 3, 19, 18, 0, tzinfo=zone(14))


# --- clock, end_of, join_parts ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18:00", time(18, 0)),
        (" 18:00:30 ", time(18, 0, 30)),
        ("6:00 pm", time(18, 0)),
        ("6:00 PM", time(18, 0)),
        ("6pm", time(18, 0)),
        ("6 am", time(6, 0)),
        ("5.30 p.m.", time(17, 30)),
        ("12 am", time(0, 0)),
        ("12:15 pm", time(12, 15)),
        ("0:00", time(0, 0)),
    ],
)
def test_clock_reads_a_time_of_day(text: str, expected: time) -> None:
    assert clock(text) == expected


@pytest.mark.parametrize(
    "text", ["18", "0 pm", "13 pm", "24:00", "6:60", "6:00:60", "noon", "6:00 pmx", "", "18h"]
)
def test_clock_gives_none_for_anything_else(text: str) -> None:
    assert clock(text) is None


def test_end_of_reads_a_whole_date_or_time() -> None:
    start = datetime(2024, 3, 19, 18, 0, tzinfo=PDT)
    assert end_of("2024-03-20T01:00-07:00", start) == datetime(2024, 3, 20, 1, 0, tzinfo=PDT)
    assert end_of("2024-03-21", date(2024, 3, 19)) == date(2024, 3, 21)


def test_end_of_takes_a_time_only_on_the_start_day_in_its_zone() -> None:
    start = datetime(2024, 3, 19, 18, 0, tzinfo=PDT)
    end = end_of("7:30 pm", start)
    assert end == datetime(2024, 3, 19, 19, 30, tzinfo=PDT)
    assert isinstance(end, datetime) and end.tzinfo is PDT
    floating = end_of("19:30", datetime(2024, 3, 19, 18, 0))
    assert isinstance(floating, datetime) and floating.tzinfo is None


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("19:30", date(2024, 3, 19)),  # a time without a day to put it on
        ("", datetime(2024, 3, 19, 18, 0)),
        ("soon", datetime(2024, 3, 19, 18, 0)),
    ],
)
def test_end_of_gives_none_without_a_readable_end(text: str, start: date) -> None:
    assert end_of(text, start) is None


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (["2024-03-19", "18:00", "-07:00"], "2024-03-19T18:00:00-07:00"),
        (["2024-03-19", "6:30 pm", "Z"], "2024-03-19T18:30:00Z"),
        (["20240319", "6pm"], "20240319T18:00:00"),
        (["6pm", "2024-03-19", "7pm", "2024-03-20"], "2024-03-19T18:00:00"),  # first of each
        (["2024-03-19"], "2024-03-19"),
        (["2024-03-19", "+0100"], "2024-03-19"),  # a zone without a time is dropped
        (["18:00"], "18:00:00"),
        (["2024-03-19", "2024-03-19T18:00+01:00", "9:00"], "2024-03-19T18:00+01:00"),
        (["Tuesday", "soon"], ""),
        ([], ""),
    ],
)
def test_join_parts_writes_value_class_parts_as_one_value(parts: list[str], expected: str) -> None:
    assert join_parts(parts) == expected


def test_joined_parts_read_as_one_time() -> None:
    joined = join_parts(["2024-03-19", "6:00 pm", "-0700"])
    assert parse_when(joined) == datetime(2024, 3, 19, 18, 0, tzinfo=PDT)


# --- visible dates ------------------------------------------------------------------------------


def first_when(text: str) -> tuple[date, date | None]:
    """The first date written out in `text`, with the times written after it."""
    _, end, day = next(dates_in(text))
    return times_after(text, end, day)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("Tuesday, March 19, 2024 6:00 PM", datetime(2024, 3, 19, 18, 0), None),
        ("Aug 12, 2025 - 5:00 pm", datetime(2025, 8, 12, 17, 0), None),
        ("Sept. 3, 2024 @ 7pm", datetime(2024, 9, 3, 19, 0), None),
        ("19th March 2024, 18:30", datetime(2024, 3, 19, 18, 30), None),
        ("2024-03-19 at 18:00", datetime(2024, 3, 19, 18, 0), None),
        ("When: March 19, 2024", date(2024, 3, 19), None),
        ("March 19, 2024 at 6", date(2024, 3, 19), None),  # "6" alone is no time
        ("3rd of March 2024, 2024-04-01", date(2024, 4, 1), None),  # "3rd of March" is no date
    ],
)
def test_visible_dates_with_their_start_time(text: str, start: date, end: date | None) -> None:
    assert first_when(text) == (start, end)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        (
            "Tuesday, March 19, 2024 6:00 PM to 7:30 PM PDT",
            datetime(2024, 3, 19, 18, 0, tzinfo=PDT),
            datetime(2024, 3, 19, 19, 30, tzinfo=PDT),
        ),
        (
            "Aug 12, 2025 - 5:00 pm - 6:15 pm",
            datetime(2025, 8, 12, 17, 0),
            datetime(2025, 8, 12, 18, 15),
        ),
        (
            "12 March 2024, 19:00 until 21:00 CET",
            datetime(2024, 3, 12, 19, 0, tzinfo=CET),
            datetime(2024, 3, 12, 21, 0, tzinfo=CET),
        ),
        (
            "March 19, 2024 10:00 pm to 1:00 am",  # past midnight: the next day
            datetime(2024, 3, 19, 22, 0),
            datetime(2024, 3, 20, 1, 0),
        ),
        (
            "March 19, 2024 6:00 PM XYZ",  # an unknown zone: floating
            datetime(2024, 3, 19, 18, 0),
            None,
        ),
    ],
)
def test_visible_dates_with_a_range_and_a_zone(text: str, start: date, end: date | None) -> None:
    found = first_when(text)
    assert found == (start, end)
    assert [getattr(v, "tzinfo", None) for v in found] == [
        getattr(v, "tzinfo", None) for v in (start, end)
    ]


def test_dates_in_finds_each_date_with_where_it_is_written() -> None:
    text = "Posted 2024-01-02. Meetup on March 19, 2024; next: 2 April 2024."
    found = list(dates_in(text))
    assert [day for _, _, day in found] == [date(2024, 1, 2), date(2024, 3, 19), date(2024, 4, 2)]
    assert [text[begin:end] for begin, end, _ in found] == [
        "2024-01-02",
        "March 19, 2024",
        "2 April 2024",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "February 30, 2024",
        "2024-02-30",
        "March 19, 1990",  # years written with a month name: 1991-2199
        "March 19, 2200",
        "Marching 19, 2024x",
        "19.03.2024",
        "March 2024",
    ],
)
def test_dates_in_skips_what_is_no_date(text: str) -> None:
    assert list(dates_in(text)) == []


def test_dates_in_keeps_any_year_written_in_iso_form() -> None:
    assert [day for _, _, day in dates_in("1900-01-02")] == [date(1900, 1, 2)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6:00 PM to 7:30 PM PDT", datetime(2024, 3, 19, 19, 30, tzinfo=PDT)),
        ("6 pm until 9 pm", datetime(2024, 3, 19, 21, 0, tzinfo=PDT)),
        ("18:00 – 20:00", datetime(2024, 3, 19, 20, 0, tzinfo=PDT)),
    ],
)
def test_range_end_reads_the_end_a_text_shows(text: str, expected: datetime) -> None:
    assert range_end(text, datetime(2024, 3, 19, 18, 0, tzinfo=PDT)) == expected


def test_range_end_needs_a_timed_start_and_a_range() -> None:
    assert range_end("6:00 PM to 7:30 PM", date(2024, 3, 19)) is None
    assert range_end("6:00 PM", datetime(2024, 3, 19, 18, 0)) is None
    assert range_end("6:00 PM to later", datetime(2024, 3, 19, 18, 0)) is None
