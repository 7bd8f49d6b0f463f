"""The matcher's ranking: each signal, each guarantee, and the labelled scenarios."""

from __future__ import annotations

import importlib.util
import itertools
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from planner.matcher import (
    REASON_KINDS,
    Contact,
    ContactAtEvent,
    ContactIndex,
    Event,
    EventIndex,
    EvidenceTable,
    Feedback,
    Goal,
    Match,
    Profile,
    Trip,
    find_contacts,
    match,
)
from planner.matcher.selection import (
    VARIETY,
    Budget,
    Candidate,
    duplicate_keys,
    select,
    series_keys,
)
from planner.matcher.timing import Busy, span

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2025, 11, 3, 8, 0, tzinfo=UTC)  # a Monday
HOME = (52.5296, 13.4019)  # Berlin-Mitte
NEAR = (52.5312, 13.3846)  # 1.2 km
ACROSS_TOWN = (52.4333, 13.5350)  # 14 km
POTSDAM = (52.3919, 13.0668)  # 27 km
HAMBURG = (53.5511, 9.9937)
LISBON = (38.7223, -9.1393)
HOME_FIELDS = {
    "home_lat": HOME[0],
    "home_lon": HOME[1],
    "radius_km": 15,
    "timezone": "Europe/Berlin",
}
PROFILE = Profile(**HOME_FIELDS, events_per_week=7, events_per_month=30)  # budget: no limit here
RUST = Goal(1, "meet Rust developers", priority=1)
_ids = itertools.count(1000)


def at(day: int, clock: str = "19:00", zone: ZoneInfo = BERLIN) -> datetime:
    """A time `day` days after NOW's date, local wall clock."""
    hour, minute = map(int, clock.split(":"))
    local = datetime.combine(NOW.date() + timedelta(days=day), datetime.min.time(), zone)
    return local.replace(hour=hour, minute=minute).astimezone(UTC)


def event(title: str, day: int = 2, clock: str = "19:00", **fields: Any) -> Event:
    """An in-person Berlin event near home, `day` days from now, two hours long."""
    start = fields.pop("start", at(day, clock))
    place = fields.pop("place", NEAR)
    values: dict[str, Any] = {
        "id": next(_ids),
        "title": title,
        "start": start,
        "end": start + timedelta(hours=2),
        "timezone": "Europe/Berlin",
        "lat": place[0] if place else None,
        "lon": place[1] if place else None,
        "venue": "Kiezwerk Coworking",
        "fingerprint": f"fp-{title}-{start.isoformat()}",
    }
    return Event(**{**values, **fields})


def contact(name: str, **fields: Any) -> Contact:
    values: dict[str, Any] = {"id": next(_ids), "name": name, "city": "Berlin"}
    values["lat"], values["lon"] = fields.pop("place", HOME)
    return Contact(**{**values, **fields})


def rank(
    events: list[Event],
    goals: list[Goal] | None = None,
    contacts: list[Contact] = (),  # type: ignore[assignment]
    feedback: list[Feedback] = (),  # type: ignore[assignment]
    profile: Profile = PROFILE,
    **options: Any,
) -> list[Match]:
    index = ContactIndex(contacts)
    evidence = {e.id: find_contacts(index, e) for e in events}
    options.setdefault("serendipity", False)
    return match(profile, goals or [RUST], events, evidence, feedback, NOW, **options)


def ids(matches: list[Match]) -> list[int]:
    return [m.event_id for m in matches]


def reasons(found: Match, kind: str) -> list[str]:
    return [r.text for r in found.reasons if r.kind == kind]


def only(matches: list[Match], wanted: Event) -> Match:
    return next(m for m in matches if m.event_id == wanted.id)


# --- what is never recommended ---


@pytest.mark.parametrize(
    "changes",
    [
        {"status": "cancelled"},
        {"status": "postponed"},
        {"gone_at": NOW - timedelta(days=1)},
        {"start": NOW - timedelta(hours=1)},
    ],
    ids=["cancelled", "postponed", "gone", "past"],
)
def test_unlisted_events_are_never_recommended(changes: dict[str, Any]) -> None:
    kept = event("Rust Hack & Learn", day=3)
    dropped = event("Rust Berlin Meetup", day=4, **changes)
    assert ids(rank([kept, dropped])) == [kept.id]


@pytest.mark.parametrize("kind", ["going", "dismissed", "attended"])
def test_events_the_user_already_judged_are_not_recommended(kind: str) -> None:
    judged, other = event("Rust Hack & Learn", day=3), event("Rust Berlin Meetup", day=5)
    assert ids(rank([judged, other], feedback=[Feedback(judged.id, kind)])) == [other.id]


def test_an_event_listed_twice_is_shown_once() -> None:
    first = event("Rust Berlin Meetup", fingerprint="same")
    by_fingerprint = event("Rust meetup (second calendar)", day=5, fingerprint="same")
    by_title_and_start = event("rust berlin  meetup", fingerprint="other")
    assert len(rank([first, by_fingerprint, by_title_and_start])) == 1


def test_a_second_listing_of_an_event_marked_going_is_not_recommended() -> None:
    going = event("Rust Berlin Meetup", fingerprint="same")
    again = event("Rust Berlin Meetup (Luma)", day=2, fingerprint="same")
    assert rank([going, again], feedback=[Feedback(going.id, "going")]) == []


def test_an_event_with_no_goal_or_contact_does_not_rank_for_being_near_and_soon() -> None:
    soon = event("Mac Filmmakers Group", day=1, place=NEAR)
    later = event("Rust Hack & Learn", day=20, place=ACROSS_TOWN)
    assert ids(rank([soon, later])) == [later.id]


# --- goals ---


def test_higher_priority_goals_weigh_more() -> None:
    goals = [Goal(1, "meet Rust developers", priority=3), Goal(2, "learn Haskell", priority=1)]
    rust, haskell = event("Rust Hack & Learn"), event("Haskell Hack & Learn")
    assert ids(rank([rust, haskell], goals)) == [haskell.id, rust.id]


def test_paused_goals_are_ignored() -> None:
    goals = [RUST, Goal(2, "meet blockchain founders", paused=True)]
    blockchain = event("Blockchain Founders Breakfast")
    assert rank([blockchain], goals) == []


def test_equivalents_let_ml_match_machine_learning() -> None:
    found = rank([event("Machine Learning Meetup Berlin")], [Goal(1, "get into ML")])
    assert reasons(found[0], "goal") == ['matches your goal "get into ML": Machine Learning (= ML)']


def test_a_goal_reason_names_the_matched_words() -> None:
    found = rank([event("Rust Berlin Meetup", description="Talks for Rust developers.")])
    assert reasons(found[0], "goal") == [
        'matches your goal "meet Rust developers": Rust, developers'
    ]


def test_role_words_alone_do_not_match_a_goal() -> None:
    assert rank([event("Frontend Developers Mixer")], [RUST]) == []


def test_half_a_goal_ranks_below_all_of_it() -> None:
    goal = Goal(1, "find a mentor in data engineering")
    both = event("Data Engineering Mentoring Night", day=3)
    topic_only = event("Data Engineering Talks", day=4)
    intent_only = event("Rust Hack & Learn", description="Pick an issue with a mentor.", day=5)
    assert ids(rank([intent_only, topic_only, both], [goal])) == [both.id, topic_only.id]


# --- contacts ---


def test_a_contact_speaking_lifts_an_event_and_says_so() -> None:
    katrin = contact("Katrin Müller", company="Acme", tie="close")
    plain = event("Rust Berlin Meetup", day=3)
    talk = event("Rust Talks Night", day=4, description="Talk by Katrin Müller (Acme) on async.")
    found = rank([plain, talk], contacts=[katrin])
    assert ids(found) == [talk.id, plain.id]
    assert reasons(found[0], "contact") == ["Katrin Müller is speaking (a close contact)"]
    assert found[0].contacts[0].role == "speaker"


def test_a_likely_contact_weighs_less_than_a_confirmed_one() -> None:
    nora = contact("Nora Schmidt", tags=("rust",))
    hanna = contact("Hanna Vogel", tags=("python",))
    likely = event("Rust Hack & Learn", day=3)
    confirmed = event("Rust Hack Night", day=3, description="Hosted by Hanna Vogel.")
    found = rank([likely, confirmed], contacts=[nora, hanna])
    assert ids(found) == [confirmed.id, likely.id]
    assert "likely there, not confirmed: Nora Schmidt" in reasons(found[1], "contact")[0]


def test_a_contact_alone_makes_an_event_a_candidate() -> None:
    hanna = contact("Hanna Vogel", company="Zalando")
    talk = event("Typed Python in Production", description="Talk by Hanna Vogel (Zalando).")
    assert ids(rank([talk], contacts=[hanna])) == [talk.id]


# --- place ---


def test_nearer_events_rank_higher_and_far_ones_drop_out() -> None:
    near = event("Rust Hack & Learn", place=NEAR)
    across = event("Rust Hack Night", place=ACROSS_TOWN, day=3)
    beyond = event("Rust Workshop", place=POTSDAM, day=4)
    far = event("Rust Meetup Hamburg", place=HAMBURG, day=5)
    found = rank([far, beyond, across, near])
    assert ids(found) == [near.id, across.id, beyond.id]
    assert reasons(found[2], "place") == ["27 km from home (Kiezwerk Coworking), beyond your 15 km"]


def test_online_events_are_left_out_unless_welcome() -> None:
    online = event("Online: Rust Q&A", place=None, attendance="online")
    in_person = event("Rust Hack & Learn", day=5)
    assert ids(rank([online, in_person], profile=Profile(online_ok=False))) == [in_person.id]
    found = rank([online, in_person], profile=Profile(online_ok=True, **HOME_FIELDS))
    assert ids(found) == [in_person.id, online.id]
    assert reasons(found[1], "place") == ["online"]


def test_hybrid_ranks_between_in_person_and_online() -> None:
    kinds = ("online", "hybrid", "in_person")
    events = [event(f"Rust night {k}", day=3 + n, attendance=k) for n, k in enumerate(kinds)]
    assert ids(rank(events)) == [e.id for e in reversed(events)]


# --- trips ---

TRIP = Trip("Lisbon", date(2025, 11, 10), date(2025, 11, 14), *LISBON, timezone="Europe/Lisbon")


def test_during_a_trip_events_near_the_trip_city_count_and_home_ones_do_not() -> None:
    lisbon_zone = ZoneInfo("Europe/Lisbon")
    there = event("Rust Lisbon", start=at(8, "19:00", lisbon_zone), place=LISBON)
    home_meanwhile = event("Rust Berlin Meetup", day=9)
    there_later = event("Rust Lisbon again", start=at(22, "19:00", lisbon_zone), place=LISBON)
    home_later = event("Rust Hack & Learn", day=12)
    found = rank([there, home_meanwhile, there_later, home_later], trips=[TRIP])
    assert sorted(ids(found)) == sorted([there.id, home_later.id])
    assert reasons(only(found, there), "trip") == ["during your trip to Lisbon (10 Nov–14 Nov)"]
    assert "km from where you stay in Lisbon" in reasons(only(found, there), "place")[0]


# --- time ---


def test_events_outside_free_time_weigh_less_and_say_so() -> None:
    evening = event("Rust Hack & Learn", day=3, clock="19:00")
    morning = event("Rust Breakfast", day=2, clock="08:00")
    found = rank([morning, evening])
    assert ids(found) == [evening.id, morning.id]
    assert reasons(found[0], "time") == ["Thursday 19:00, in your free time"]
    assert reasons(found[1], "time") == ["Wednesday 08:00, outside your free time"]


def test_free_time_is_read_in_the_users_zone() -> None:
    utc_evening = event("Rust Hack & Learn", start=at(2, "17:30", ZoneInfo("UTC")))
    profile = Profile(**HOME_FIELDS, availability=("wed:evening",))
    found = rank([utc_evening], profile=profile)
    assert reasons(found[0], "time") == ["Wednesday 18:30, in your free time"]


def test_a_clash_with_an_event_the_user_goes_to_is_penalised_with_a_reason() -> None:
    going = event("Python Pub Night", day=3, clock="18:30")
    clashing = event("Rust Hack & Learn", day=3, clock="19:00")
    free = event("Rust Meetup", day=4, place=ACROSS_TOWN)
    found = rank([going, clashing, free], feedback=[Feedback(going.id, "going")])
    assert ids(found) == [free.id, clashing.id]
    assert 'clashes with "Python Pub Night" (Thu 18:30)' in reasons(found[1], "time")[1]


def test_busy_finds_the_first_overlapping_event_as_a_scan_of_all_would() -> None:
    """`Busy` reads only the events near an event's time: it must answer as reading all of
    them in the order given does, for long and short, timed and all-day, and itself."""
    spans = [(1, "18:30", 2), (1, "09:00", 12), (1, "18:00", 1), (2, "10:00", 30), (3, "19:00", 0)]
    going = [
        event(f"Going {n}", day=day, clock=clock, end=at(day, clock) + timedelta(hours=hours))
        for n, (day, clock, hours) in enumerate(spans)
    ]
    going += [
        event("Conference", day=4, all_day=True, end=None),
        event("Camp", day=1, all_day=True),
    ]
    busy = Busy(going)
    for probe in [
        *going,
        event("Evening", day=1, clock="18:45"),  # three overlap: the first given, not the earliest
        event("Morning", day=3, clock="07:00"),  # inside the 30-hour one, begun the day before
        event("Afternoon", day=3, clock="16:30"),  # the 30-hour one has ended
        event("Late", day=3, clock="19:30"),  # an event with no length counts two hours
        event("Day", day=4, all_day=True),  # all-day meets only all-day
        event("Night", day=4, clock="20:00"),
    ]:
        scan = next(
            (
                other
                for other in going
                if other.id != probe.id
                and other.all_day == probe.all_day
                and span(probe)[0] < span(other)[1]
                and span(other)[0] < span(probe)[1]
            ),
            None,
        )
        assert busy.clash(probe) == scan, probe.title
    assert Busy([]).clash(going[0]) is None


# --- budget ---


def test_the_budget_keeps_the_best_of_a_week_and_says_how_many_were_left_out() -> None:
    week = [
        event(f"Rust night {n}", day=n, place=(HOME[0] - 0.01 * n, HOME[1])) for n in (1, 2, 3, 4)
    ]
    profile = Profile(**HOME_FIELDS, events_per_week=2)
    found = rank(week, profile=profile)
    assert ids(found) == [week[0].id, week[1].id]
    assert reasons(found[0], "budget") == [
        "one of your 2 picks for the week of 3 Nov: 2 others left out"
    ]


def test_events_marked_going_use_the_budget_first() -> None:
    going = event("Python Pub Night", day=1)
    options = [event("Rust Hack & Learn", day=2), event("Rust Meetup", day=3, place=ACROSS_TOWN)]
    profile = Profile(**HOME_FIELDS, events_per_week=2)
    found = rank([going, *options], profile=profile, feedback=[Feedback(going.id, "going")])
    assert ids(found) == [options[0].id]


def test_the_month_budget_counts_too() -> None:
    weeks = [event(f"Rust night {n}", day=7 * n + 1) for n in range(4)]  # November
    found = rank(weeks, profile=Profile(**HOME_FIELDS, events_per_week=5, events_per_month=3))
    assert len(found) == 3
    assert reasons(found[0], "budget") == ["one of your 3 picks for November: 1 other left out"]


# --- variety ---


def test_one_series_does_not_crowd_the_top() -> None:
    series = [event("Rust Hack & Learn", day=d, organizers=("Rust Berlin",)) for d in (1, 3, 8)]
    other = event("Rust Embedded Evening", day=9, place=ACROSS_TOWN, organizers=("Ferrous",))
    found = rank([*series, other], profile=Profile(**HOME_FIELDS, events_per_week=5))
    assert ids(found)[:2] == [series[0].id, other.id]


@pytest.mark.parametrize("seed", range(40))
def test_the_selection_picks_what_a_plain_greedy_pass_picks(seed: int) -> None:
    """`select` (one heap entry per series) picks, in order and with the same scores, what
    working out every candidate's score again before each pick gives, within the same budget."""
    rnd = random.Random(seed)
    titles, organizers = [f"Series {n}" for n in range(rnd.randint(1, 6))], ["A", "B", "C"]
    candidates = []
    for n in range(rnd.randint(1, 40)):
        found = event(
            f"{rnd.choice(titles)}: part {n}",
            day=rnd.randint(0, 30),
            organizers=tuple(rnd.sample(organizers, rnd.randint(0, 2))),
        )
        candidates.append(
            Candidate(n, found, rnd.random(), duplicates=frozenset(duplicate_keys(found)),
                      series=frozenset(series_keys(found)))
        )  # fmt: skip
    limit, per_week = rnd.randint(1, 30), rnd.randint(1, 8)
    picked = select(candidates, Budget(per_week, 40, "Europe/Berlin", ()), limit)

    expected = []  # each turn: every candidate's score now, the best taken if the budget allows
    budget, counts = Budget(per_week, 40, "Europe/Berlin", ()), Counter[str]()
    remaining = list(candidates)
    while remaining and len(expected) < limit:
        scores = {}
        for candidate in remaining:
            factor = 1.0
            for kind, per in VARIETY.items():
                keys = [key for key in candidate.series if key.startswith(kind + ":")]
                factor *= per ** max((counts[key] for key in keys), default=0)
            scores[candidate.row] = candidate.score * factor
        best = max(remaining, key=lambda c: scores[c.row])
        remaining.remove(best)
        if budget.room(best.event):
            budget.take(best.event)
            counts.update(best.series)
            expected.append((best.row, round(scores[best.row], 12)))
    assert [(c.row, round(c.score, 12)) for c in picked] == expected


# --- feedback ---


def test_organizers_of_dismissed_events_weigh_less() -> None:
    dismissed = event("Rust & Crypto", day=-10, organizers=("Web3 Berlin",))
    theirs = event("Rust Smart Contracts", day=3, organizers=("Web3 Berlin",))
    others = event("Rust Hack & Learn", day=4, place=ACROSS_TOWN, organizers=("Rust Berlin",))
    found = rank([dismissed, theirs, others], feedback=[Feedback(dismissed.id, "dismissed")])
    assert ids(found) == [others.id, theirs.id]
    assert reasons(found[1], "feedback") == ["you marked an event by Web3 Berlin not interested"]


def test_organizers_of_attended_events_where_people_were_met_weigh_more() -> None:
    past = [event("PyBerlin Talks", day=-d, organizers=("PyBerlin",)) for d in (30, 60)]
    theirs = event("Rust for Pythonistas", day=4, place=ACROSS_TOWN, organizers=("PyBerlin",))
    others = event("Rust Hack & Learn", day=3, organizers=("Rust Berlin",))
    feedback = [Feedback(p.id, "attended", met=(1,)) for p in past]
    found = rank([*past, theirs, others], feedback=feedback)
    assert ids(found) == [theirs.id, others.id]
    assert reasons(found[0], "feedback") == [
        "you attended 2 events by PyBerlin and met people there"
    ]


def test_topics_like_a_dismissed_event_weigh_less() -> None:
    dismissed = event("Rust Blockchain Night", day=-5)
    alike = event("Rust Blockchain Night", day=3)
    other = event("Rust Hack & Learn", day=4, place=ACROSS_TOWN)
    found = rank([dismissed, alike, other], feedback=[Feedback(dismissed.id, "dismissed")])
    assert ids(found) == [other.id, alike.id]
    assert reasons(found[1], "feedback") == [
        'like "Rust Blockchain Night", which you marked not interested'
    ]


# --- serendipity ---


def test_one_labelled_serendipity_pick_from_outside_the_goals_can_be_switched_off() -> None:
    mira = contact("Mira Okafor", tags=("ux research",))
    goal_event = event("Rust Hack & Learn", day=3)
    off_topic = event("UX Research Coffee", day=5, clock="10:00")  # Saturday
    found = rank([goal_event, off_topic], contacts=[mira], serendipity=True)
    assert [(m.event_id, m.serendipity) for m in found] == [
        (goal_event.id, False),
        (off_topic.id, True),
    ]
    assert reasons(found[1], "serendipity") == [
        "something different, outside your goals: Mira Okafor (ux research) likely there"
    ]
    assert ids(rank([goal_event, off_topic], contacts=[mira], serendipity=False)) == [goal_event.id]


def test_a_serendipity_pick_needs_someone_there_and_free_time() -> None:
    mira = contact("Mira Okafor", tags=("ux research",))
    alone = event("Pottery Evening", day=5)
    busy = event("UX Research Coffee", day=2, clock="10:00")  # Wednesday morning
    found = rank([event("Rust Hack & Learn"), alone, busy], contacts=[mira], serendipity=True)
    assert not any(m.serendipity for m in found)


# --- the whole ---


def test_matches_are_deterministic_and_use_the_given_now_only() -> None:
    events = [event("Rust Hack & Learn", day=d) for d in range(1, 6)]
    first = rank(events)
    assert first == rank(list(reversed(events)))
    assert all(r.kind in REASON_KINDS for m in first for r in m.reasons)


def test_a_prebuilt_index_and_evidence_table_give_the_same_matches() -> None:
    nora = contact("Nora Schmidt", tags=("rust",))
    hanna = contact("Hanna Vogel")
    events = [event("Rust Hack & Learn", day=d) for d in range(1, 6)]
    events.append(event("Rust Talks", day=7, description="Talk by Hanna Vogel."))
    people = ContactIndex([nora, hanna])
    evidence: dict[int, list[ContactAtEvent]] = {e.id: find_contacts(people, e) for e in events}
    built = match(PROFILE, [RUST], events, evidence, [], NOW)
    index = EventIndex(events)
    assert match(PROFILE, [RUST], events, evidence, [], NOW, index=index) == built
    table = EvidenceTable(index, evidence)
    assert match(PROFILE, [RUST], events, table, [], NOW, index=index) == built


def test_the_limit_is_kept() -> None:
    events = [event("Rust Hack & Learn", day=d) for d in range(1, 30)]
    assert len(rank(events, profile=Profile(**HOME_FIELDS, events_per_week=7), limit=4)) == 4


# --- the labelled scenarios (tests/data/matcher) ---

_EVAL = Path(__file__).parent.parent / "bench" / "eval_matcher.py"
SCENARIOS = sorted((Path(__file__).parent / "data" / "matcher").glob("*.json"))


def _evaluation() -> Any:
    spec = importlib.util.spec_from_file_location("eval_matcher", _EVAL)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario_lists_keep_every_guarantee_and_rank_well(path: Path) -> None:
    evaluation = _evaluation()
    scenario = evaluation.load_scenario(path)
    matches, _ = evaluation.run_matcher(scenario, 10)
    assert evaluation.checks(scenario, matches) == {"unlisted": [], "duplicate": [], "claims": []}
    assert evaluation.ndcg([m.event_id for m in matches], scenario) >= 0.85


def test_the_vectorized_time_bound_never_undercuts_the_time_fit() -> None:
    from planner.matcher.timing import fit, fit_bounds

    profile = Profile(**HOME_FIELDS, availability=("tue:evening", "sat:morning"))
    starts = [NOW + timedelta(hours=h) for h in range(0, 24 * 40, 5)]  # over the clock change?
    starts += [datetime(2026, 3, 29, h, 30, tzinfo=UTC) for h in range(24)]  # it changes here
    events = [event("Rust", start=s) for s in starts]
    index = EventIndex(events)
    bounds = fit_bounds(index, np.arange(len(events)), profile, ())
    exact = [fit(e, profile.availability, profile.timezone).factor for e in events]
    assert all(b >= f for b, f in zip(bounds, exact, strict=True))
    assert sum(b == f for b, f in zip(bounds, exact, strict=True)) >= len(events) - 24


def test_a_contact_met_at_many_events_counts_less_at_each_and_the_reason_says_so() -> None:
    jonas = contact("Jonas Weber", tags=("python",))
    text = "Organized by Jonas Weber."
    nights = [event(f"Rust night {n}", day=n, description=text) for n in (1, 2, 3)]
    again = event("Rust night 1 (Luma)", day=1, description=text, fingerprint=nights[0].fingerprint)
    alone = event("Rust night 9", day=4, description="Organized by Jonas Weber.", place=NEAR)
    found = rank([*nights, again], contacts=[jonas])
    assert reasons(found[0], "contact") == [
        "Jonas Weber is organizing; also at 2 other upcoming events"
    ]
    single = rank([alone], contacts=[jonas])
    assert reasons(single[0], "contact") == ["Jonas Weber is organizing"]
    assert single[0].score > found[0].score


def test_contacts_sharing_an_interest_at_a_pick_are_offered_as_an_introduction() -> None:
    katrin = contact("Katrin Müller", company="Acme", tags=("data engineering",))
    mehmet = contact("Mehmet Aydın", handles=("github:maydin",), tags=("data pipelines",))
    text = "Talk by Katrin Müller (Acme); panel with https://github.com/maydin."
    found = rank([event("Rust Data Night", description=text)], contacts=[katrin, mehmet])
    [intro] = found[0].introductions
    assert (intro.first_id, intro.second_id, intro.shared) == (
        katrin.id,
        mehmet.id,
        ("data engineering",),
    )
