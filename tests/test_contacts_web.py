"""The contacts pages through Flask's test client: import with its report (the real exports in
tests/data/contacts/), the column mapping of a generic CSV, hand editing, search, by city, export,
hostile files, and one user trying another's contacts."""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Browser, expect
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from werkzeug.datastructures import FileStorage
from werkzeug.test import TestResponse, encode_multipart

from planner import db, people
from planner.accounts import create_user
from planner.contactbook import FORMULA_STARTS, add_contact, neutral_cell, search_contacts
from planner.geocode import geocode_contacts
from planner.jobs import wait_background
from planner.models import Contact, User
from planner.sources import owner
from tests.accounts import PASSWORD, csrf_token, signed_in
from tests.browser import PHONE, serve, tab
from tests.conftest import close, database_url, make_app

DATA = Path(__file__).parent / "data" / "contacts"
EXPORTS = sorted(p for p in DATA.iterdir() if p.suffix in (".csv", ".vcf"))
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
EVIL = '=HYPERLINK("http://evil.example","x")'
FRENCH = "Nom,Courriel,Ville,Société,Rappel\n"


@pytest.fixture
def client(any_app: Flask) -> Iterator[FlaskClient]:
    """On each database: for what the database does (merging, searching, rolling back)."""
    yield any_app.test_client()
    wait_background()  # the geocoding an import or an edit started


@pytest.fixture
def sqlite_client(app: Flask) -> Iterator[FlaskClient]:
    """For what happens before the database (reading files, checking forms)."""
    yield app.test_client()
    wait_background()


def token_of(client: FlaskClient, path: str = "/contacts/import") -> str:
    return csrf_token(client.get(path).get_data(as_text=True))


def upload(client: FlaskClient, content: bytes, name: str = "contacts.csv") -> TestResponse:
    data = {"csrf_token": token_of(client), "format": "", "file": (io.BytesIO(content), name)}
    return client.post("/contacts/import", data=data)


def counts(response: TestResponse) -> dict[str, int]:
    found = re.findall(r"<strong>(\d+)</strong> (added|updated|skipped)", response.text)
    return {kind: int(number) for number, kind in found}


def rows() -> list[Contact]:
    session = db.session()
    session.expire_all()
    return list(session.scalars(select(Contact).order_by(Contact.id)))


def snapshot() -> list[tuple[object, ...]]:
    return [(r.id, r.name, r.emails, r.city, r.updated_at) for r in rows()]


def owner_user() -> User:
    session = db.session()
    user = owner(session)
    session.commit()
    return user


# --- import with its report ---


@pytest.mark.parametrize("export", EXPORTS, ids=lambda p: p.name)
def test_import_page_adds_each_export_then_updates_it(client: FlaskClient, export: Path) -> None:
    expected = json.loads((DATA / f"{export.stem}.expected.json").read_text())
    first = upload(client, export.read_bytes(), export.name)
    assert first.status_code == 200, first.text
    assert counts(first) == {"added": len(expected), "updated": 0, "skipped": 0}
    assert sorted(r.name for r in rows()) == sorted(c["name"] for c in expected)
    before = snapshot()
    again = upload(client, export.read_bytes(), export.name)
    assert counts(again) == {"added": 0, "updated": len(expected), "skipped": 0}
    assert snapshot() == before


def test_report_gives_the_reason_for_each_skipped_row(sqlite_client: FlaskClient) -> None:
    text = b"Account address,Show boosts\nuser@example.com,true\nnot an address!,true\n"
    response = upload(sqlite_client, text, "following_accounts.csv")
    assert counts(response) == {"added": 1, "updated": 0, "skipped": 1}
    assert "row 3: skipped" in response.text and "not an address!" in response.text


def test_linkedin_then_vcard_of_one_person_merges(client: FlaskClient) -> None:
    upload(client, (DATA / "linkedin_connections_2025_preamble.csv").read_bytes())
    vcard = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Mira Castellanos\r\nORG:Schneider Electric\r\n"
        "ADR:;;;Grenoble;;;France\r\nEND:VCARD\r\n"
    )
    response = upload(client, vcard.encode(), "mira.vcf")
    assert counts(response)["updated"] == 1
    wait_background()
    (mira,) = rows()
    assert (mira.city, round(mira.lat or 0), mira.geocoded_at is not None) == ("Grenoble", 45, True)


# --- a generic CSV: its columns mapped once, then remembered ---


def test_generic_csv_columns_are_asked_once_then_remembered(client: FlaskClient) -> None:
    first = FRENCH + "Ada Lovelace,ada@example.org,London,Analytical Engines,lundi\n"
    asked = upload(client, first.encode(), "carnet.csv")
    assert asked.status_code == 302 and "/contacts/import/" in asked.headers["Location"]
    page = client.get(asked.headers["Location"])
    assert "Which column holds what?" in page.text
    assert "Courriel" in page.text and "ada@example.org" in page.text  # a sample value
    assert rows() == []
    choice = {"column_0": "name", "column_1": "email", "column_2": "city"}
    choice |= {"column_3": "company", "column_4": ""}
    done = client.post(asked.headers["Location"], data={"csrf_token": token_of(client), **choice})
    assert counts(done) == {"added": 1, "updated": 0, "skipped": 0}, done.text
    second = FRENCH + "Grace Hopper,grace@example.org,Arlington,US Navy,mardi\n"
    direct = upload(client, second.encode(), "carnet-2.csv")
    assert direct.status_code == 200 and counts(direct)["added"] == 1
    ada, grace = rows()
    assert (ada.name, ada.emails, ada.city, ada.company) == (
        "Ada Lovelace",
        ["ada@example.org"],
        "London",
        "Analytical Engines",
    )
    assert (grace.emails, grace.company, grace.notes) == (["grace@example.org"], "US Navy", None)
    other_header = upload(client, b"Nom,Telephone\nAlan,123\n", "autre.csv")
    assert other_header.status_code == 302  # another header: asked again


def test_a_mapping_without_a_name_is_refused_and_nothing_is_kept(
    sqlite_client: FlaskClient,
) -> None:
    asked = upload(sqlite_client, (FRENCH + "Ada,ada@example.org,London,AE,x\n").encode())
    choice = {f"column_{i}": "" for i in range(5)} | {"column_1": "email"}
    refused = sqlite_client.post(
        asked.headers["Location"], data={"csrf_token": token_of(sqlite_client), **choice}
    )
    assert refused.status_code == 400 and "no column holds the name" in refused.text
    assert rows() == []
    db.session().expire_all()
    assert owner_user().csv_mappings == {}


def test_a_csv_whose_columns_are_all_known_is_imported_directly(sqlite_client: FlaskClient) -> None:
    text = 'Name,Email,City,Tags\nAda,ada@example.org,London,"math, engines"\n'
    response = upload(sqlite_client, text.encode())
    assert response.status_code == 200 and counts(response)["added"] == 1
    assert rows()[0].tags == ["math", "engines"]


# --- by hand ---

ALL_FIELDS = {
    "name": "Mira Castellanos",
    "emails": "mira@example.com\nMIRA@example.com, m.c@example.org",
    "handles": "@mira@mastodon.social\nhttps://github.com/miracast x:mirac",
    "urls": "https://www.linkedin.com/in/mira-4b21 example.org/mira",
    "company": "Schneider Electric",
    "title": "Staff Engineer",
    "city": "Grenoble",
    "tags": "rust, embedded systems ,rust",
    "tie": "close",
    "last_met": "2025-11-20",
    "notes": "Met at RustFest.\nAsk about the firmware team.",
}


def test_add_edit_and_remove_by_hand(client: FlaskClient) -> None:
    token = token_of(client, "/contacts/new")
    added = client.post("/contacts/new", data={"csrf_token": token, **ALL_FIELDS})
    assert added.status_code == 302, added.text
    wait_background()
    (mira,) = rows()
    assert mira.emails == ["mira@example.com", "m.c@example.org"]
    assert mira.handles == ["@mira@mastodon.social", "github:miracast", "x:mirac"]
    assert mira.urls == ["https://www.linkedin.com/in/mira-4b21", "https://example.org/mira"]
    assert (mira.tags, mira.tie, mira.last_met) == (
        ["rust", "embedded systems"],
        "close",
        date(2025, 11, 20),
    )
    assert (mira.source, mira.notes) == ("manual", ALL_FIELDS["notes"])
    assert mira.city == "Grenoble" and round(mira.lat or 0) == 45  # geocoded by the job
    form = client.get(f"/contacts/{mira.id}").text
    assert "Met at RustFest." in form and "github:miracast" in form and 'value="2025-11-20"' in form
    edited = ALL_FIELDS | {"city": "Lyon", "tie": "weak", "emails": "", "tags": "go"}
    saved = client.post(f"/contacts/{mira.id}", data={"csrf_token": token, **edited})
    assert saved.status_code == 302, saved.text
    (mira,) = rows()
    assert (mira.emails, mira.tags, mira.tie) == ([], ["go"], "weak")
    wait_background()
    (mira,) = rows()
    assert mira.city == "Lyon" and round(mira.lon or 0) == 5  # the new city, looked up again
    removed = client.post(f"/contacts/{mira.id}/remove", data={"csrf_token": token})
    assert removed.status_code == 302 and rows() == []


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("name", "   ", "This field is required."),
        ("emails", "mira@example.com, not-an-email", "not an email address"),
        ("urls", "javascript:alert(1)", "not an http(s) address"),
        ("urls", "ftp://files.example.org/me", "not an http(s) address"),
        ("handles", "mira", "write @user@server"),
        ("tie", "best", "Not a valid choice"),
        ("last_met", (date.today() + timedelta(days=2)).isoformat(), "has not come yet"),
        ("last_met", "yesterday", "Not a valid date value"),
    ],
)
def test_the_form_refuses_bad_values(
    sqlite_client: FlaskClient, key: str, value: str, message: str
) -> None:
    token = token_of(sqlite_client, "/contacts/new")
    response = sqlite_client.post(
        "/contacts/new", data={"csrf_token": token, **ALL_FIELDS, key: value}
    )
    assert response.status_code == 400
    assert message in response.text and 'aria-invalid="true"' in response.text
    assert rows() == []


def test_the_form_needs_its_csrf_token(sqlite_client: FlaskClient) -> None:
    assert sqlite_client.post("/contacts/new", data=ALL_FIELDS).status_code == 400
    assert rows() == []


def test_long_values_are_cut_to_fit(app: Flask) -> None:
    session = db.session()
    row = add_contact(session, owner(session), {"name": "N" * 500, "city": "C" * 400}, NOW)
    session.commit()
    assert (len(row.name), len(row.city or "")) == (300, 300)


# --- search, by city ---


def make_people(count: int = 0) -> User:
    session = db.session()
    user = owner(session)
    for values in (
        {"name": "Ada Lovelace", "company": "Analytical Engines", "city": "London", "tie": "close"},
        {"name": "Grace Hopper", "title": "Rear Admiral", "tags": "cobol, compilers"},
        {"name": "Zoë Martin", "city": "Paris", "tags": "données", "handles": "github:zoem"},
        {"name": "Linus", "emails": "linus@kernel.example", "city": " london", "tie": "weak"},
    ):
        add_contact(session, user, values, NOW)
    for number in range(count):
        add_contact(session, user, {"name": f"Person {number:03}", "city": "Oslo"}, NOW)
    session.commit()
    return user


SEARCHES = [  # (words, city, tie) -> the names found, in order
    (("ada", None, None), ["Ada Lovelace"]),
    (("ENGINES", None, None), ["Ada Lovelace"]),
    (("admiral", None, None), ["Grace Hopper"]),
    (("Compilers", None, None), ["Grace Hopper"]),
    (("DONNÉES", None, None), ["Zoë Martin"]),  # a tag with a non-ASCII letter, other case
    (("zoë", None, None), ["Zoë Martin"]),
    (("github:zoem", None, None), ["Zoë Martin"]),
    (("kernel.example", None, None), ["Linus"]),
    (("london", None, None), ["Ada Lovelace", "Linus"]),
    (("london lovelace", None, None), ["Ada Lovelace"]),
    (("", "LONDON", None), ["Ada Lovelace", "Linus"]),
    (("", "london", "weak"), ["Linus"]),
    (("100%", None, None), []),  # LIKE wildcards are searched for as themselves
    (("_", None, None), []),
    ((",", None, None), []),  # nor is JSON's own punctuation
    (("[", None, None), []),
    (('"', None, None), []),
]


def test_search(any_app: Flask) -> None:
    """One database per backend for all the searches (each case is a row of SEARCHES)."""
    user = make_people()
    for (q, city, tie), names in SEARCHES:
        found = search_contacts(db.session(), user, q, city, tie)
        assert [c.name for c in found.items] == names, (q, city, tie)
        assert found.total == len(names)


def test_list_page_searches_and_pages(client: FlaskClient) -> None:
    make_people(count=60)
    first = client.get("/contacts/?q=person&city=oslo")
    assert "60 contacts matching" in first.text and "page 1 of 2" in first.text
    assert first.text.count('class="contact"') == 50 and "Person 049" in first.text
    second = client.get("/contacts/?q=person&city=oslo&page=2")
    assert second.text.count('class="contact"') == 10 and "Person 059" in second.text
    assert "Ada Lovelace" not in second.text
    assert "No contact matches" in client.get("/contacts/?q=nobody").text


def test_by_city_groups_spellings_and_places_located_cities_first(client: FlaskClient) -> None:
    user = make_people()
    session = db.session()
    add_contact(session, user, {"name": "Nowhere Person", "city": "Qwxzville"}, NOW)
    session.commit()

    def cities() -> list[tuple[str, str]]:
        page = client.get("/contacts/cities").text
        assert "1 contact without a city" in page  # Grace
        pattern = r'class="city-name"[^>]*>([^<]+)<.*?class="count">(\d+)<'
        return re.findall(pattern, page, re.S)

    assert cities() == [("London", "2"), ("Paris", "1"), ("Qwxzville", "1")]
    geocode_contacts(user.id)  # what the job does after an import or an edit
    assert cities() == [("London", "2"), ("Paris", "1"), ("Qwxzville", "1")]
    session.add_all(
        [
            Contact(
                owner_id=user.id, name=f"Q{n}", city="Qwxzville", created_at=NOW, updated_at=NOW
            )
            for n in range(3)
        ]
    )
    session.commit()
    assert cities() == [("London", "2"), ("Paris", "1"), ("Qwxzville", "4")]  # placed first
    assert "51.51° N" in client.get("/contacts/cities").text


# --- hostile files ---


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (bytes(range(256)) * 40, "binary data"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00\xff" * 500, "binary data"),
        (b"", "the file is empty"),
        (b"Just a letter, not contacts.\n", "not a contacts export"),
        ("Zoë Müller,zoe@example.org".encode("utf-16-le"), "binary data"),  # UTF-16, no BOM
    ],
)
def test_unreadable_file_gives_a_clear_message_and_changes_nothing(
    sqlite_client: FlaskClient, content: bytes, message: str
) -> None:
    upload(sqlite_client, (DATA / "mastodon_following_accounts.csv").read_bytes())
    before = snapshot()
    response = upload(sqlite_client, content, "contacts.csv")
    assert response.status_code == 400 and message in response.text
    assert snapshot() == before


@pytest.mark.parametrize(
    ("encoding", "name"),
    [("utf-16", "Zoë Müller"), ("utf-8-sig", "Zoë Müller"), ("cp1252", "Zoë Müller-Œ")],
)
def test_other_encodings_are_read(sqlite_client: FlaskClient, encoding: str, name: str) -> None:
    first, last = name.split(" ")
    text = (
        "First Name,Last Name,URL,Email Address,Company,Position,Connected On\r\n"
        f"{first},{last},https://www.linkedin.com/in/zoe,,Société Générale,Ingénieure,"
        "1 Jan 2025\r\n"
    )
    response = upload(sqlite_client, text.encode(encoding), "Connections.csv")
    assert counts(response)["added"] == 1, response.text
    (zoe,) = rows()
    assert (zoe.name, zoe.company, zoe.title) == (name, "Société Générale", "Ingénieure")
    if encoding == "utf-16":
        assert text.encode(encoding).startswith(codecs.BOM_UTF16)


def test_a_50_mb_upload_gets_the_too_large_page(app: Flask) -> None:
    client = app.test_client()
    big = b"Name,Email\n" + b"Ada,ada@example.org\n" * (50 * 1024 * 1024 // 20)
    boundary, body = encode_multipart(
        {"csrf_token": token_of(client), "file": FileStorage(io.BytesIO(big), "Connections.csv")}
    )  # in memory: no temporary file left for the test client to close
    response = client.post(
        "/contacts/import", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 413
    assert "That file is too large" in response.text and "up to 20 MB" in response.text
    assert rows() == []


def test_a_file_over_the_limit_but_under_the_request_cap_is_refused(tmp_path: Path) -> None:
    application = make_app(f"sqlite:///{tmp_path / 'p.sqlite3'}", tmp_path, MAX_UPLOAD_BYTES=1000)
    with application.app_context():
        client = application.test_client()
        response = upload(client, b"Name,Email\n" + b"Ada,ada@example.org\n" * 100)
        assert response.status_code == 413 and "That file is too large" in response.text
        assert rows() == []
        close(application)


def test_a_file_that_breaks_part_way_changes_nothing(sqlite_client: FlaskClient) -> None:
    upload(sqlite_client, b"Name,Email\nAda,ada@example.org\n")
    before = snapshot()
    broken = b'Name,Email\nAda,ada@new.example\nBob,bob@example.org\n"' + b"x" * 200_000 + b'",z\n'
    response = upload(sqlite_client, broken)
    assert response.status_code == 400 and "unreadable CSV" in response.text
    assert snapshot() == before


def test_a_database_failure_part_way_rolls_everything_back(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload(client, b"Name,Email,City\nAda,ada@example.org,\n")
    before = snapshot()
    made: list[str] = []
    original = people.new_contact

    def fail_on_the_third(*args: object, **kwargs: object) -> Contact:
        made.append("row")
        if len(made) == 3:
            raise OperationalError("INSERT INTO contacts", {}, Exception("disk I/O error"))
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(people, "new_contact", fail_on_the_third)
    text = "Name,Email,City\nAda,ada@example.org,London\n" + "".join(
        f"P{n},p{n}@example.org,\n" for n in range(5)
    )
    response = upload(client, text.encode())
    assert response.status_code == 500 and "nothing was changed" in response.text
    assert len(made) == 3 and snapshot() == before  # Ada's new city is not kept either


def test_formulas_imported_come_out_of_the_export_as_text(client: FlaskClient) -> None:
    rows_in = [
        ["Name", "Email", "Company", "Title", "City", "Notes"],
        [EVIL, "eve@example.org", "+1 555", "-2+3", "@SUM(A1)", "-cmd|' /C calc'!A0"],
        ["Ada", "ada@example.org", "=1+1", "", "", "fine"],
    ]
    out = io.StringIO()
    csv.writer(out).writerows(rows_in)
    assert counts(upload(client, out.getvalue().encode()))["added"] == 2
    assert any(r.name == EVIL for r in rows())  # kept as typed: it is text, not a formula
    response = client.get("/contacts/export")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="contacts-')
    table = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    cells = {cell for row in table[1:] for cell in row}
    assert "'" + EVIL in cells and "'+1 555" in cells and "'-2+3" in cells
    assert "'@SUM(A1)" in cells and "'-cmd|' /C calc'!A0" in cells and "'=1+1" in cells
    assert not [c for c in cells if c.lstrip().startswith(FORMULA_STARTS)]


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+1 555 0100", "'+1 555 0100"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("  =1+1", "'  =1+1"),
        ("\uff1d1+1", "'\uff1d1+1"),  # a full-width equals sign
        ("Ada = genius", "Ada = genius"),
        ("ada@example.org", "ada@example.org"),
        ("", ""),
    ],
)
def test_neutral_cell(cell: str, shown: str) -> None:
    assert neutral_cell(cell) == shown


def test_export_with_filters_gives_only_those(sqlite_client: FlaskClient) -> None:
    make_people()
    response = sqlite_client.get("/contacts/export?city=london")
    assert response.data.startswith(codecs.BOM_UTF8)  # spreadsheets then read it as UTF-8
    table = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert sorted(row[0] for row in table[1:]) == ["Ada Lovelace", "Linus"]
    assert table[0][:3] == ["Name", "Email", "Mastodon"]


# --- one user, another's contacts ---


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def multi_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    url = database_url(request.param, tmp_path, request.getfixturevalue("postgres_schema_factory"))
    application = make_app(url, tmp_path, MODE="multi")
    with application.app_context():
        yield application
        wait_background()
        close(application)


def test_one_user_cannot_see_change_or_remove_anothers_contact(multi_app: Flask) -> None:
    session = db.session()
    ada = create_user(session, "ada@example.org", PASSWORD, NOW)
    create_user(session, "bob@example.org", PASSWORD, NOW)
    secret = add_contact(session, ada, {"name": "Secret Source", "city": "Berlin"}, NOW)
    session.commit()
    mine, theirs = signed_in(multi_app, "ada@example.org"), signed_in(multi_app, "bob@example.org")
    assert mine.get(f"/contacts/{secret.id}").status_code == 200
    token = token_of(theirs, "/contacts/new")
    assert theirs.get(f"/contacts/{secret.id}").status_code == 404
    edit = {"csrf_token": token, "name": "Owned", "tie": "regular"}
    assert theirs.post(f"/contacts/{secret.id}", data=edit).status_code == 404
    remove = theirs.post(f"/contacts/{secret.id}/remove", data={"csrf_token": token})
    assert remove.status_code == 404
    for path in ("/contacts/", "/contacts/?q=secret", "/contacts/cities", "/contacts/export"):
        assert "Secret Source" not in theirs.get(path).text
    assert "Secret Source" in mine.get("/contacts/?q=secret").text
    assert [(r.name, r.owner_id) for r in rows()] == [("Secret Source", ada.id)]


def test_an_upload_waiting_for_its_columns_is_its_owners_only(multi_app: Flask) -> None:
    session = db.session()
    for email in ("ada@example.org", "bob@example.org"):
        create_user(session, email, PASSWORD, NOW)
    session.commit()
    mine, theirs = signed_in(multi_app, "ada@example.org"), signed_in(multi_app, "bob@example.org")
    asked = upload(mine, (FRENCH + "Secret Source,s@example.org,Berlin,X,y\n").encode())
    waiting = asked.headers["Location"]
    assert "Secret Source" in mine.get(waiting).text
    stolen = theirs.get(waiting)
    assert stolen.status_code == 302 and "Secret Source" not in theirs.get("/contacts/import").text
    choice = {"csrf_token": token_of(theirs), "column_0": "name"}
    assert theirs.post(waiting, data=choice).status_code == 302
    assert rows() == []


def test_signed_out_visitors_are_sent_to_sign_in(multi_app: Flask) -> None:
    client = multi_app.test_client()
    response = client.get("/contacts/export")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_two_users_importing_one_file_get_a_copy_each(multi_app: Flask) -> None:
    session = db.session()
    for email in ("ada@example.org", "bob@example.org"):
        create_user(session, email, PASSWORD, NOW)
    session.commit()
    for email in ("ada@example.org", "bob@example.org"):
        client = signed_in(multi_app, email)
        export = DATA / "mastodon_following_accounts.csv"
        assert counts(upload(client, export.read_bytes()))["added"] == 2
    session.expire_all()
    per_owner = session.execute(select(Contact.owner_id, func.count()).group_by(Contact.owner_id))
    assert sorted(n for _, n in per_owner) == [2, 2]


# --- in Chromium: the pages as people see them (screenshots in test-results/) ---


@pytest.fixture
def served(app: Flask) -> Iterator[str]:
    """The app on a free local port; yields the base URL."""
    with serve(app) as base:
        yield base
    wait_background()


@pytest.fixture
def browser(chromium_browser: Browser) -> Browser:
    return chromium_browser


@pytest.mark.browser
def test_import_search_and_edit_in_chromium(served: str, browser: Browser) -> None:
    t = tab(browser, served, viewport={"width": 1280, "height": 900})
    page = t.page
    t.open("/contacts/import")
    page.get_by_label("Contacts file").set_input_files(str(DATA / "ezvcard_gmail_list_v3.vcf"))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import done")
    expect(page.locator(".report-counts .added")).to_have_text(re.compile(r"^\s*3\s+added"))
    t.screenshot("contacts-import-report.png")
    page.get_by_role("link", name="See your contacts").click()
    expect(page.locator("li.contact")).to_have_count(3)
    page.get_by_label("Search").fill("beatle")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("li.contact")).to_have_count(1)
    t.screenshot("contacts-search.png")
    page.get_by_role("link", name="Chris Beatle").click()
    page.get_by_label("City").fill("Berlin")
    page.get_by_label("Tie").select_option("close")
    page.get_by_label("Tags and interests").fill("rust, data engineering")
    t.screenshot("contacts-edit.png")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_contain_text("Saved Chris Beatle")
    expect(page.locator("li.contact .tag")).to_have_count(2)
    wait_background()
    t.open("/contacts/cities")
    expect(page.locator(".city .city-name")).to_have_text(["Berlin"])
    t.screenshot("contacts-cities.png")
    t.assert_clean()


@pytest.mark.browser
@pytest.mark.parametrize("path", ["/contacts/", "/contacts/new", "/contacts/import"])
def test_contacts_pages_fit_a_phone(served: str, browser: Browser, path: str) -> None:
    session = db.session()
    add_contact(session, owner(session), ALL_FIELDS, NOW)
    session.commit()
    t = tab(browser, served, viewport=PHONE, is_mobile=True, device_scale_factor=2)
    t.open(path)
    t.assert_fits()
    t.screenshot(f"contacts{path.rstrip('/').replace('/contacts', '').replace('/', '-')}-phone.png")
    t.assert_clean()
