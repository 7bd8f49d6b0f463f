"""Contacts at events: exact identities, names with their roles, "likely there", introductions."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from planner.matcher import (
    Contact,
    ContactAtEvent,
    ContactIndex,
    Event,
    Person,
    find_contacts,
    from_row,
    introductions,
)
from planner.matcher.data import MISSING, attributes
from planner.matcher.names import first_names_agree, mentions, parse_name
from tests.test_matcher import HAMBURG, HOME, LISBON, NEAR, contact, event

KATRIN = dict(company="Spreewerk Energy GmbH", title="Data Engineering Lead", tie="close")


def claims(contacts: list[Contact], found: Event) -> list[tuple[str, str]]:
    return [(c.name, c.role) for c in find_contacts(ContactIndex(contacts), found)]


def talk(text: str, **fields: Any) -> Event:
    return event("Talks night", description=text, **fields)


# --- exact: handles, profile URLs, emails ---


def test_a_mastodon_handle_in_prose_names_the_contact_and_the_sentence_its_role() -> None:
    clara = contact("Clara Nguyen", handles=("@clara@chaos.social",))
    text = "Panel with Lea Brandt, moderated by Clara Nguyen (@clara@chaos.social): on evals."
    [found] = find_contacts(ContactIndex([clara]), talk(text))
    assert (found.role, found.likely) == ("host", False)
    assert found.evidence.startswith("the description gives their handle @clara@chaos.social:")


def test_a_profile_url_among_the_people_names_the_contact() -> None:
    mehmet = contact("Mehmet Aydın", handles=("github:maydin",))
    person = Person("Mehmet A.", "speaker", url="https://github.com/maydin/")
    [found] = find_contacts(ContactIndex([mehmet]), event("Data night", people=(person,)))
    assert (found.name, found.role) == ("Mehmet Aydın", "speaker")
    assert found.evidence == 'listed as speaker with their profile github.com/maydin ("Mehmet A.")'


def test_a_profile_url_matches_whatever_its_spelling() -> None:
    ana = contact("Ana Costa", urls=("https://linkedin.com/in/anacosta-solara",))
    person = Person("A. C.", "host", url="http://www.linkedin.com/in/AnaCosta-Solara/")
    assert claims([ana], event("Founders night", people=(person,))) == [("Ana Costa", "host")]


def test_an_email_matches_without_regard_to_case() -> None:
    lukas = contact("Lukas Hoffmann", emails=("Lukas.Hoffmann@example.org",))
    person = Person("L. H.", "organizer", email="lukas.hoffmann@example.org")
    assert claims([lukas], event("Go night", people=(person,))) == [("Lukas Hoffmann", "organizer")]


def test_a_bare_site_is_no_identity() -> None:
    hanna = contact("Hanna Vogel", urls=("https://zalando.com",))
    assert claims([hanna], talk("Sponsored by https://zalando.com/ and friends.")) == []


# --- names ---


def test_a_nickname_with_the_same_company_is_claimed_with_the_quote() -> None:
    katrin = contact("Katrin Müller", **KATRIN)
    text = "Talk by Kat Müller (Spreewerk Energy): moving nightly ETL jobs to Polars."
    [found] = find_contacts(ContactIndex([katrin]), talk(text, place=HAMBURG))
    assert (found.name, found.role) == ("Katrin Müller", "speaker")
    assert found.evidence == (
        'the description says: "Talk by Kat Müller (Spreewerk Energy): moving nightly ETL jobs '
        'to Polars." — "Spreewerk Energy", as in your contacts'
    )


def test_a_common_name_with_another_company_is_not_claimed() -> None:
    thomas = contact("Thomas Müller", company="Siemens Mobility", city="München")
    person = Person("Thomas Müller (Deutsche Bahn)", "speaker")
    text = "Thomas Müller (Deutsche Bahn) shows async Rust on train sensors."
    assert claims([thomas], talk(text, people=(person,))) == []


def test_the_affiliation_tells_namesakes_apart() -> None:
    here = contact("Jason Miller", company="Janrain")
    there = contact("Jason Miller", company="Akamai", city="Boston", place=(42.36, -71.06))
    text = "This month: Jason Miller (Janrain) on WSGI middleware."
    assert [c.contact_id for c in find_contacts(ContactIndex([here, there]), talk(text))] == [
        here.id
    ]


@pytest.mark.parametrize(
    ("home", "expected"),
    [(HOME, [("Jonas Weber", "organizer")]), (HAMBURG, [])],
    ids=["lives-there", "lives-far-away"],
)
def test_a_common_name_without_affiliation_needs_the_city_to_agree(
    home: Any, expected: Any
) -> None:
    jonas = contact("Jonas Weber", place=home, city="Berlin" if home == HOME else "Hamburg")
    text = "Organized by Jonas Weber and Aylin Demir, PyBerlin organizers."
    assert claims([jonas], talk(text)) == expected


def test_a_rare_full_name_is_enough_when_nothing_disagrees() -> None:
    wes = contact("Wes Lindqvist", city=None, place=(None, None))
    assert claims([wes], talk("Hosted by Wes Lindqvist.", place=None)) == [
        ("Wes Lindqvist", "host")
    ]


TOBIAS = dict(company="Ostwind Labs", title="Product Manager", city="Hamburg", place=HAMBURG)


@pytest.mark.parametrize(
    "found",
    [
        talk("Hands-on session led by Tobias Lindner (Kontor Analytics). Bring a laptop."),
        event("Study group", people=(Person("Tobias Lindner (Kontor Analytics)", "speaker"),)),
        event("Study group", organizers=("Tobias Lindner, Kontor Analytics",)),
        talk("Talk by Tobias Lindner (München) on product discovery."),
        event("Study group", people=(Person("Tobias Lindner, Berlin", "host"),)),
    ],
    ids=["company-in-prose", "company-in-people", "company-of-organizer", "city", "city-people"],
)
def test_a_rare_full_name_with_another_company_or_city_is_not_claimed(found: Event) -> None:
    tobias = contact("Tobias Lindner", **TOBIAS)
    assert find_contacts(ContactIndex([tobias]), found) == []


@pytest.mark.parametrize(
    "said",
    [
        "Ostwind Labs",
        "Ostwind",
        "Hamburg",
        "Product Manager",
        "he/him",
        "speaker",
        "@tl@chaos.social",
    ],
)
def test_a_rare_full_name_is_claimed_when_what_the_event_says_fits(said: str) -> None:
    tobias = contact("Tobias Lindner", **TOBIAS)
    [found] = find_contacts(ContactIndex([tobias]), talk(f"Talk by Tobias Lindner ({said})."))
    assert (found.name, found.role) == ("Tobias Lindner", "speaker")


def test_another_company_beside_the_name_leaves_an_exact_profile_claimed() -> None:
    tobias = contact("Tobias Lindner", urls=("https://github.com/tlindner",), **TOBIAS)
    person = Person(
        "Tobias Lindner (Kontor Analytics)", "speaker", url="https://github.com/tlindner"
    )
    [found] = find_contacts(ContactIndex([tobias]), event("Study group", people=(person,)))
    assert found.evidence == (
        'listed as speaker with their profile github.com/tlindner ("Tobias Lindner (Kontor '
        'Analytics)")'
    )


@pytest.mark.parametrize(
    ("known", "written", "claimed"),
    [
        ("Katja Vogel", "K. Vogel (Zalando)", True),  # an initial, the company agrees
        ("Katja Vogel", "K. Vogel", False),  # an initial alone
        ("Hanna Vogel", "Dr. Hanna Vögel (Zalando)", True),  # title and accent
        ("Hanna Vogel", "Dr. Hanna Vögel", False),  # a common family name alone
        ("Zoë Lindqvist", "Prof. Zoe Lindqvist", True),  # a rare one, accent and title
        ("Zoë Lindqvist", "Zoey Lindqvist", False),  # only similar, nothing agrees
        ("Hanna Vogel", "Anna Vogel (Zalando)", False),  # another first name
    ],
)
def test_initials_titles_and_accents(known: str, written: str, claimed: bool) -> None:
    someone = contact(known, company="Zalando SE", place=(None, None), city=None)
    found = claims([someone], event("Talks", people=(Person(written, "speaker"),), place=None))
    assert found == ([(known, "speaker")] if claimed else [])


def test_organizers_are_matched_as_names() -> None:
    daniel = contact("Daniel Wagner", company="Delivery Hero")
    found = event("Hiring mixer", organizers=("Daniel Wagner (Delivery Hero)", "Berlin Frontend"))
    assert claims([daniel], found) == [("Daniel Wagner", "organizer")]


@pytest.mark.parametrize(
    ("text", "roles"),
    [
        ("Organized by Jonas Weber and Aylin Demir.", ["organizer", "organizer"]),
        (
            "Panel with Lea Brandt and Nikolai Petrov, moderated by Clara Nguyen.",
            ["speaker", "speaker", "host"],
        ),
        ("This month Kat Nguyen (Galois) walks us through monads.", ["speaker"]),
        ("Doors open at six. Drinks with Jonas Weber after.", ["mentioned"]),
    ],
)
def test_the_sentence_gives_the_role(text: str, roles: list[str]) -> None:
    found = [m for m in mentions(text) if m.name.last not in ("doors", "drinks")]
    assert [m.role for m in found] == roles


def test_names_compare_by_keys() -> None:
    name, said = parse_name("Dr. Katrin Mueller (Acme)")
    assert name is not None and (name.first, name.last, said) == ("katrin", "muller", "Acme")
    assert first_names_agree("kat", "katrin") == "nickname"
    assert first_names_agree("bob", "robert") == "nickname"
    assert first_names_agree("k", "katrin") == "initial"
    assert first_names_agree("jonathon", "jonathan") == "similar"
    assert first_names_agree("anna", "maria") is None


# --- likely there ---


def test_a_contact_living_near_who_shares_the_topic_is_likely_there_said_as_such() -> None:
    nora = contact("Nora Schmidt", title="Rust Developer", tags=("rust", "embedded"))
    far = contact("Ana Costa", tags=("rust",), place=LISBON, city="Lisbon")
    off_topic = contact("Mira Okafor", tags=("ux research",))
    [found] = find_contacts(ContactIndex([nora, far, off_topic]), event("Rust Hack & Learn"))
    assert (found.name, found.role, found.likely) == ("Nora Schmidt", "likely", True)
    assert found.evidence == (
        "likely there, not confirmed: lives 1 km from the venue (Berlin) and lists rust"
    )


def test_nobody_is_likely_at_an_online_event() -> None:
    nora = contact("Nora Schmidt", tags=("rust",))
    online = event("Rust Q&A", place=None, attendance="online")
    assert find_contacts(ContactIndex([nora]), online) == []


def test_a_word_only_in_the_description_is_not_enough_for_likely() -> None:
    hanna = contact("Hanna Vogel", tags=("python",))
    rust = event("Rust Hack & Learn", description="Bring your Rust or Python project.")
    assert find_contacts(ContactIndex([hanna]), rust) == []


# --- every claim carries checkable evidence ---


def test_every_claim_quotes_words_the_event_has() -> None:
    people = [
        contact("Katrin Müller", **KATRIN),
        contact("Clara Nguyen", handles=("@clara@chaos.social",)),
        contact("Jonas Weber"),
        contact("Nora Schmidt", tags=("rust",)),
    ]
    text = (
        "Talk by Kat Müller (Spreewerk Energy) on Rust pipelines; moderated by Clara Nguyen "
        "(@clara@chaos.social). Organized by Jonas Weber."
    )
    found = find_contacts(ContactIndex(people), event("Rust Data Night", description=text))
    assert {c.name for c in found} == {p.name for p in people}
    for claim in found:
        assert claim.evidence
        for quote in re.findall(r'"([^"]+)"', claim.evidence):
            assert all(part.strip() in text for part in quote.split("…") if part.strip())


def test_a_contact_index_serves_many_events_with_the_same_answers() -> None:
    people = [contact(f"Person {n} Example{n}", tags=("rust",)) for n in range(200)]
    people.append(contact("Katrin Müller", **KATRIN))
    index = ContactIndex(people)
    text = "Talk by Kat Müller (Spreewerk Energy)."
    assert find_contacts(index, talk(text))[0] == find_contacts(people, talk(text))[0]


# --- introductions ---


def _claim(name: str, role: str, interests: tuple[str, ...]) -> ContactAtEvent:
    return ContactAtEvent(len(name), name, role, "named", interests=interests)


def test_two_contacts_sharing_an_interest_are_worth_introducing() -> None:
    katrin = _claim("Katrin Müller", "speaker", ("data engineering", "airflow"))
    mehmet = _claim("Mehmet Aydın", "likely", ("data pipelines", "kafka"))
    [intro] = introductions([katrin, mehmet], "ETL Night")
    assert intro.shared == ("data engineering",)
    assert intro.text == (
        'introduce Katrin Müller and Mehmet Aydın at "ETL Night" (if they come): '
        "both into data engineering"
    )


def test_two_guesses_or_no_shared_interest_make_no_introduction() -> None:
    nora = _claim("Nora Schmidt", "likely", ("rust",))
    ana = _claim("Ana Costa", "likely", ("rust",))
    mira = _claim("Mira Okafor", "speaker", ("ux research",))
    assert introductions([nora, ana], "Rust night") == []
    assert introductions([nora, mira], "Rust night") == []


# --- records from rows ---


def test_records_are_built_from_rows_with_the_same_names() -> None:
    row = SimpleNamespace(
        id=7, name="Katrin Müller", emails=["k@example.org"], handles=[], urls=[],
        company="Acme", title=None, city="Berlin", lat=52.5, lon=13.4, tags=["rust"],
        tie="close", last_met=None, notes="ignored", owner_id=1,
    )  # fmt: skip
    built = from_row(Contact, row)
    assert built == Contact(
        7, "Katrin Müller", ("k@example.org",), (), (), "Acme", None, "Berlin", 52.5, 13.4,
        ("rust",), "close", None,
    )  # fmt: skip
    assert from_row(Event, SimpleNamespace(id=1, title="x", start=NEAR), people=()).people == ()
    with pytest.raises(TypeError, match="Event needs 'start'"):
        from_row(Event, SimpleNamespace(id=1, title="x"))


def test_a_row_of_a_query_is_read_by_position_as_its_names_say() -> None:
    """A query's rows (SQLAlchemy `Row`) are read by position: the names must still decide."""
    engine = create_engine("sqlite://")
    with engine.connect() as connection:
        query = "SELECT 'Rust night' AS title, 'x' AS notes, 3 AS id, '2026-05-01' AS start"
        row = connection.execute(text(query)).one()
    assert attributes(row, ("id", "title", "venue")) == [3, "Rust night", MISSING]
    built = from_row(Event, row, people=())
    assert (built.id, built.title, built.start) == (3, "Rust night", "2026-05-01")
    assert built.venue is None and built.people == ()
    with pytest.raises(TypeError, match="Contact needs 'name'"):
        from_row(Contact, row)


def test_an_email_in_prose_after_a_handle_is_quoted_where_it_stands() -> None:
    lukas = contact("Lukas Hoffmann", emails=("lukas@example.org",))
    text = "Moderated by @clara@chaos.social. Questions to the speaker: lukas@example.org."
    [found] = find_contacts(ContactIndex([lukas]), talk(text))
    assert found.evidence == (
        "the description gives their email lukas@example.org: "
        '"Questions to the speaker: lukas@example.org."'
    )
