"""People to meet (pure): who is worth meeting, their best chance at an event, gatherings to
host with their invitation and .ics, coffees and calls."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest

from planner.matcher import (
    Contact,
    ContactAtEvent,
    ContactIndex,
    Event,
    Feedback,
    Goal,
    Suggestion,
    Trip,
    find_contacts,
    gathering_calendar,
    people_to_meet,
)
from planner.matcher.gathering import Guest, Place, plan_gatherings, proposed_time
from planner.matcher.meet import WINDOW_DAYS
from tests.test_matcher import BERLIN, HAMBURG, LISBON, NOW, PROFILE, RUST, at, contact, event

DATA = Goal(2, "find a mentor in data engineering", priority=2)
GOALS = [RUST, DATA]
LISBON_TRIP = Trip("Lisbon", date(2025, 11, 17), date(2025, 11, 21), *LISBON, "Europe/Lisbon")


def suggest(
    contacts: list[Contact],
    events: list[Event] = (),  # type: ignore[assignment]
    evidence: dict[int, list[ContactAtEvent]] | None = None,
    **options: Any,
) -> list[Suggestion]:
    """Suggestions with the evidence `find_contacts` gives (unless given)."""
    if evidence is None:
        index = ContactIndex(contacts)
        evidence = {e.id: find_contacts(index, e) for e in events}
    options.setdefault("goals", GOALS)
    options.setdefault("profile", PROFILE)
    return people_to_meet(
        options.pop("profile"), options.pop("goals"), contacts, events, evidence, NOW, **options
    )


def one(found: list[Suggestion], who: Contact) -> Suggestion:
    [suggestion] = [s for s in found if s.contact.id == who.id]
    return suggestion


def claim(who: Contact, role: str = "speaker") -> ContactAtEvent:
    return ContactAtEvent(who.id, who.name, role, f"named as {role}", who.tie)


# --- who is worth meeting ---


def test_contacts_fitting_no_goal_are_left_out_unless_close() -> None:
    nora = contact("Nora Schmidt", title="Rust Developer", tie="weak")
    mira = contact("Mira Okafor", tags=("ux research",))
    sam = contact("Sam Berger", tags=("ux research",), tie="close")
    assert {s.contact.name for s in suggest([nora, mira, sam])} == {"Nora Schmidt", "Sam Berger"}


@pytest.mark.parametrize(
    ("days_ago", "shown"),
    [(None, True), (10, False), (27, False), (28, True), (100, True)],
)
def test_someone_met_lately_is_not_suggested_yet(days_ago: int | None, shown: bool) -> None:
    met = NOW.date() - timedelta(days=days_ago) if days_ago is not None else None
    nora = contact("Nora Schmidt", tags=("rust",), last_met=met)
    assert bool(suggest([nora])) is shown


def test_the_reasons_say_the_tie_the_goal_words_and_the_last_meeting() -> None:
    nora = contact("Nora Schmidt", tags=("Rust", "embedded"), last_met=date(2025, 7, 1))
    reasons = suggest([nora])[0].reasons
    assert reasons[-3:] == (
        "a regular contact",
        'fits your goal "meet Rust developers": Rust',
        "last met 4 months ago (1 Jul 2025)",
    )


def test_a_word_the_goal_does_not_use_is_shown_with_the_goal_word() -> None:
    mehmet = contact("Mehmet Aydın", tags=("polars",))
    python = Goal(3, "meet Python developers working on typed code")
    [found] = suggest([mehmet], goals=[python])
    assert found.about_person == (
        "a regular contact",
        'fits your goal "meet Python developers working on typed code": polars (= Python)',
        "no meeting with them logged yet",
    )
    assert found.about_chance == (
        "lives near you, in Berlin",
        "no event in the next 6 weeks shows them near you",
    )


def test_the_most_worth_meeting_come_first() -> None:
    weak = contact("Ana Weak", tags=("rust",), tie="weak")
    close = contact("Carl Close", tags=("rust",), tie="close")
    both = contact("Rita Regular", tags=("rust", "data engineering"))
    lately = contact("Leo Lately", tags=("rust",), tie="close", last_met=date(2025, 9, 20))
    order = [s.contact.name for s in suggest([weak, lately, both, close])]
    assert order == ["Rita Regular", "Carl Close", "Leo Lately", "Ana Weak"]


# --- the best chance at an event ---


def test_a_contact_speaking_near_home_is_met_there_with_the_evidence() -> None:
    katrin = contact("Katrin Müller", company="Spreewerk Energy", tags=("data engineering",))
    talk = event("ETL Night", day=2, description="Talk by Kat Müller (Spreewerk Energy).")
    [found] = suggest([katrin], [talk])
    assert (found.kind, found.event_id) == ("meet", talk.id)
    assert found.text == 'Katrin Müller is speaking at "ETL Night", Wed 5 Nov, 19:00'
    assert found.reasons[0].startswith('the description says: "Talk by Kat Müller')
    assert found.reasons[1:3] == (
        "1.2 km from home (Kiezwerk Coworking)",
        "Wednesday 19:00, in your free time",
    )


def test_confirmed_evidence_beats_a_sooner_likely_guess() -> None:
    nora = contact("Nora Schmidt", title="Rust Developer", tags=("rust",))
    guessed = event("Rust Hack & Learn", day=1)
    confirmed = event("Embedded night", day=12, description="Hosted by Nora Schmidt.")
    found = one(suggest([nora], [guessed, confirmed]), nora)
    assert (found.event_id, found.text) == (
        confirmed.id,
        'Nora Schmidt is hosting "Embedded night", Sat 15 Nov, 19:00',
    )
    only_guess = one(suggest([nora], [guessed]), nora)
    assert only_guess.event_id == guessed.id
    assert only_guess.text.startswith('Nora Schmidt will likely be at "Rust Hack & Learn"')
    assert only_guess.reasons[0].startswith("likely there, not confirmed")


def test_an_event_the_user_goes_to_comes_before_a_sooner_one() -> None:
    nora = contact("Nora Schmidt", tags=("rust",))
    sooner, going = event("Rust night", day=2), event("Rust day", day=9)
    evidence = {sooner.id: [claim(nora)], going.id: [claim(nora, "organizer")]}
    found = suggest([nora], [sooner, going], evidence, feedback=[Feedback(going.id, "going")])
    assert found[0].event_id == going.id and "you are going" in found[0].reasons


@pytest.mark.parametrize(
    ("changes", "feedback"),
    [
        ({"status": "cancelled"}, None),
        ({"attendance": "online", "place": None}, None),
        ({"gone_at": NOW}, None),
        ({"day": WINDOW_DAYS + 1}, None),
        ({"start": NOW - timedelta(hours=1)}, None),
        ({}, "dismissed"),
        ({"place": HAMBURG}, None),
    ],
    ids=["cancelled", "online", "gone", "beyond-window", "past", "dismissed", "out-of-reach"],
)
def test_events_that_are_no_chance_are_passed_over(
    changes: dict[str, Any], feedback: str | None
) -> None:
    nora = contact("Nora Schmidt", tags=("rust",))
    missed = event("Rust night", **changes)
    judged = [Feedback(missed.id, feedback)] if feedback else []
    [found] = suggest([nora], [missed], {missed.id: [claim(nora)]}, feedback=judged)
    assert (found.kind, found.event_id) == ("meet", None)
    assert found.text == "Ask Nora Schmidt for a coffee"


def test_no_event_without_evidence_however_well_it_fits() -> None:
    nora = contact("Nora Schmidt", tags=("rust",))
    [found] = suggest([nora], [event("Rust Hack & Learn")], evidence={})
    assert found.event_id is None


def test_a_far_away_contact_coming_to_an_event_near_the_user_is_a_travel_chance() -> None:
    paul = contact("Paul Richter", city="Hamburg", place=HAMBURG, tags=("data engineering",))
    talk = event("Data night", day=4, people=())
    [found] = suggest([paul], [talk], {talk.id: [claim(paul)]})
    assert (found.kind, found.event_id) == ("travel", talk.id)
    assert (
        found.text
        == 'Paul Richter comes from Hamburg: is speaking at "Data night", Fri 7 Nov, 19:00'
    )
    assert "lives in Hamburg, 255 km from home" in found.reasons


def test_a_far_away_contact_with_no_chance_gets_a_call_a_weak_tie_nothing() -> None:
    paul = contact("Paul Richter", city="Hamburg", place=HAMBURG, tags=("data engineering",))
    there = event("Data night Hamburg", place=HAMBURG)
    weak = contact("Tobias Lindner", city="Hamburg", place=HAMBURG, tags=("rust",), tie="weak")
    found = suggest([paul, weak], [there], {there.id: [claim(paul)]})
    assert [s.contact.name for s in found] == ["Paul Richter"]
    assert (found[0].kind, found[0].event_id) == ("call", None)
    assert found[0].text == (
        "Call Paul Richter: they live in Hamburg, 255 km from home, and nothing shows them "
        "near you in the next 6 weeks"
    )
    assert found[0].reasons[:3] == (
        "lives 255 km from home, beyond your 15 km",
        "no trip of yours to Hamburg in the next 6 weeks",
        'is speaking at "Data night Hamburg": 255 km from home (Kiezwerk Coworking), beyond '
        "your 15 km",
    )


def test_during_a_trip_the_contacts_there_are_met_there() -> None:
    ana = contact("Ana Costa", city="Lisbon", place=LISBON, tags=("rust",))
    night = event(
        "Rust Lisboa", day=15, place=LISBON, timezone="Europe/Lisbon", venue="Heden Santa Apolónia"
    )
    trips = [LISBON_TRIP]
    [met] = suggest([ana], [night], {night.id: [claim(ana, "organizer")]}, trips=trips)
    assert (met.kind, met.event_id) == ("meet", night.id)
    assert "during your trip to Lisbon (17 Nov–21 Nov)" in met.reasons
    [coffee] = suggest([ana], trips=trips)
    assert (coffee.kind, coffee.text) == (
        "meet",
        "Ask Ana Costa for a coffee while you are in Lisbon",
    )
    [call] = suggest([ana])
    assert call.kind == "call"


# --- gatherings ---


def rustaceans() -> list[Contact]:
    return [
        contact("Nora Schmidt", tags=("rust", "embedded"), tie="close"),
        contact("Jonas Weber", title="Rust Developer", city="Berlin, Germany"),
        contact("Dr. Aylin Demir", tags=("Rust",), city="Berlin"),
        contact("Mira Okafor", tags=("data engineering",)),
    ]


def test_contacts_near_home_who_share_a_goal_topic_get_a_gathering() -> None:
    nora, jonas, aylin, mira = rustaceans()
    found = suggest([nora, jonas, aylin, mira])
    hosts = [s for s in found if s.kind == "host"]
    assert [s.contact.name for s in hosts] == ["Nora Schmidt", "Dr. Aylin Demir", "Jonas Weber"]
    gathering = hosts[0].gathering
    assert gathering is not None and all(s.gathering == gathering for s in hosts)
    assert (gathering.city, gathering.topic, gathering.names) == (
        "Berlin",
        "Rust",
        ("Nora Schmidt", "Dr. Aylin Demir", "Jonas Weber"),
    )
    # a week's notice: Monday 3 Nov + 5 days is Saturday 8 Nov, a free evening
    assert gathering.start == datetime(2025, 11, 8, 19, 0, tzinfo=BERLIN)
    assert gathering.end == datetime(2025, 11, 8, 21, 0, tzinfo=BERLIN)
    assert hosts[0].text == (
        "Host a small Rust evening in Berlin with Nora Schmidt, Dr. Aylin Demir and Jonas Weber"
    )
    assert hosts[0].reasons[:3] == (
        '3 of your contacts near Berlin share "Rust" (your goal "meet Rust developers")',
        "no event in the next 6 weeks shows them near you",
        "proposed: Sat 8 Nov, 19:00–21:00, in your free time",
    )
    assert one(found, mira).text == "Ask Mira Okafor for a coffee"


def test_the_invitation_names_everyone_the_topic_the_evening_and_the_host() -> None:
    gathering = suggest(rustaceans(), host="Ada Lovelace")[0].gathering
    assert gathering is not None
    assert gathering.invitation.startswith("Hi Nora, Aylin and Jonas,\n\n")
    assert "you all work on Rust" in gathering.invitation
    assert "a small, informal evening in Berlin" in gathering.invitation
    assert "Saturday 8 November, 19:00–21:00" in gathering.invitation
    assert gathering.invitation.endswith("Best wishes\nAda Lovelace")


def test_the_gathering_keeps_its_key_when_another_day_is_proposed() -> None:
    people = rustaceans()
    first = suggest(people)[0].gathering
    going = event("Something else", day=5)
    later = suggest(people, [going], {}, feedback=[Feedback(going.id, "going")])
    moved = later[0].gathering
    assert first is not None and moved is not None
    assert moved.start == datetime(2025, 11, 9, 19, 0, tzinfo=BERLIN)  # Saturday is taken
    assert (moved.key, moved.uid) == (first.key, f"gathering-{first.key}@planner")


def test_contacts_with_a_chance_are_not_invited() -> None:
    nora, jonas, aylin, _ = rustaceans()
    talk = event("Rust night", day=3)
    found = suggest([nora, jonas, aylin], [talk], {talk.id: [claim(jonas)]})
    assert [(s.contact.name, s.kind) for s in found] == [
        ("Nora Schmidt", "host"),
        ("Dr. Aylin Demir", "host"),
        ("Jonas Weber", "meet"),
    ]
    gathering = found[0].gathering
    assert gathering is not None and gathering.names == ("Nora Schmidt", "Dr. Aylin Demir")


def test_a_gathering_on_a_trip_is_in_the_trip_city_and_its_zone() -> None:
    ana = contact("Ana Costa", city="Lisbon", place=LISBON, tags=("rust",))
    rui = contact("Rui Alves", city="Lisboa", place=LISBON, title="Rust Engineer")
    found = suggest([ana, rui], trips=[LISBON_TRIP])
    gathering = found[0].gathering
    assert [s.kind for s in found] == ["host", "host"] and gathering is not None
    assert gathering.city == "Lisbon" and gathering.timezone == "Europe/Lisbon"
    assert gathering.start == datetime(2025, 11, 17, 19, 0, tzinfo=ZoneInfo("Europe/Lisbon"))
    assert "during your trip to Lisbon (17 Nov–21 Nov)" in found[0].reasons


def test_the_ics_holds_one_event_starting_in_the_city_zone() -> None:
    gathering = suggest(rustaceans())[0].gathering
    assert gathering is not None
    data = gathering_calendar(gathering, NOW)
    calendar = icalendar.Calendar.from_ical(data)
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["UID"]) == gathering.uid
    start = vevent.decoded("DTSTART")
    assert start == datetime(2025, 11, 8, 19, 0, tzinfo=BERLIN)
    assert str(start.tzinfo) == "Europe/Berlin"
    assert b"DTSTART;TZID=Europe/Berlin:20251108T190000" in data
    assert str(vevent["SUMMARY"]) == "Rust evening in Berlin"
    assert str(vevent["DESCRIPTION"]) == gathering.invitation
    assert vevent.decoded("DTSTAMP") == NOW
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert gathering_calendar(gathering, NOW) == data


# --- the proposed evening ---

WEEK = [date(2025, 11, 10) + timedelta(days=n) for n in range(7)]  # Monday to Sunday


def test_the_first_free_evening_not_taken_is_proposed() -> None:
    slots = ("tue:evening", "thu:evening", "sat:afternoon")
    taken = (at(8, "18:30"), at(8, "20:00"))  # Tuesday 11 Nov
    start, end, free = proposed_time(WEEK, slots, "Europe/Berlin", [taken])
    assert (start, end, free) == (
        datetime(2025, 11, 13, 19, tzinfo=BERLIN),
        datetime(2025, 11, 13, 21, tzinfo=BERLIN),
        True,
    )


def test_without_a_free_evening_an_afternoon_else_an_evening_said_not_free() -> None:
    afternoon = proposed_time(WEEK, ("sat:afternoon",), "Europe/Berlin")
    assert afternoon[0] == datetime.combine(WEEK[5], time(15), BERLIN) and afternoon[2]
    nothing = proposed_time(WEEK, (), "Europe/Berlin")
    assert nothing[0] == datetime.combine(WEEK[0], time(19), BERLIN) and not nothing[2]


def test_guests_are_grouped_by_the_topic_most_share() -> None:
    def guest(name: str, *terms: str) -> Guest:
        return Guest(contact(name), {t: t for t in terms}, 1.0)

    guests = [
        guest("A Aa", "rust"),
        guest("B Bb", "rust", "data engin"),
        guest("C Cc", "data engin"),
        guest("D Dd", "data engin"),
    ]
    found, left = plan_gatherings(
        guests, GOALS, Place("Berlin", "Europe/Berlin"), WEEK, ("mon:evening",)
    )
    assert [g.topic for g in found] == ["data engineering"]
    assert found[0].names == ("B Bb", "C Cc", "D Dd")
    assert [g.contact.name for g in left] == ["A Aa"]
