"""`planner contacts import` and `planner.people`: contacts land in their owner's list once, on
SQLite and PostgreSQL; a second import merges, not doubles; users never touch each other's."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import func, select

from planner import db
from planner.contacts import Contact as ExportedContact
from planner.models import Contact, User
from planner.people import import_contacts, normalize_profile_url
from planner.sources import owner
from tests.conftest import Cli

DATA = Path(__file__).parent / "data" / "contacts"
SUFFIX = ".expected.json"
EXPORTS = sorted(p for p in DATA.iterdir() if p.suffix in (".csv", ".vcf"))
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LATER = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
ADA = "ada@example.org"

LINKEDIN = (
    "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
    "Mira,Castellanos,https://www.linkedin.com/in/mira-4b21,mira@example.com,"
    "Schneider Electric,Software Engineer,22 Dec 2025\n"
)
VCARD = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Mira Castellanos\r\nEMAIL:MIRA@example.com\r\n"
    "TITLE:Staff Engineer\r\nADR:;;1 Rue X;Grenoble;;38000;France\r\n"
    "URL:https://github.com/miracast\r\nCATEGORIES:rust,embedded\r\nEND:VCARD\r\n"
)

Planner = Callable[..., Result]


@pytest.fixture
def planner(cli: Cli, any_app: Flask) -> Planner:
    """The `planner` command line, on the database of `any_app` (upgraded by it)."""
    return cli(any_app.config["DATABASE_URL"], upgrade=False)


def contacts_of(email: str) -> list[Contact]:
    session = db.session()
    session.expire_all()
    query = select(Contact).join(User).where(User.email == email).order_by(Contact.id)
    return list(session.scalars(query))


def count_rows(model: type) -> int:
    session = db.session()
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def exported(name: str, **fields: object) -> ExportedContact:
    return ExportedContact(name=name, source=str(fields.pop("source", "csv")), **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("export", EXPORTS, ids=lambda p: p.name)
def test_import_each_export_then_again_changes_nothing(planner: Planner, export: Path) -> None:
    expected = json.loads((DATA / (export.stem + SUFFIX)).read_text())
    first = planner("contacts", "import", str(export), "--user", ADA)
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith(f"{len(expected)} added, 0 updated, 0 skipped")
    rows = contacts_of(ADA)
    assert sorted(r.name for r in rows) == sorted(c["name"] for c in expected)
    assert {r.source for r in rows} == {c["source"] for c in expected}
    snapshot = [(r.id, r.emails, r.urls, r.handles, r.company, r.updated_at) for r in rows]
    again = planner("contacts", "import", str(export), "--user", ADA)
    assert again.stdout.startswith(f"0 added, {len(expected)} updated, 0 skipped"), again.output
    rows = contacts_of(ADA)
    assert [(r.id, r.emails, r.urls, r.handles, r.company, r.updated_at) for r in rows] == snapshot


def test_linkedin_then_vcard_of_the_same_person_is_one_merged_contact(
    any_app: Flask, tmp_path: Path, planner: Planner
) -> None:
    assert planner("contacts", "import", str(write(tmp_path, "c.csv", LINKEDIN))).exit_code == 0
    result = planner("contacts", "import", str(write(tmp_path, "m.vcf", VCARD)))
    assert result.stdout.startswith("0 added, 1 updated, 0 skipped"), result.output
    (mira,) = contacts_of(any_app.config["OWNER_EMAIL"])
    assert mira.emails == ["mira@example.com"]
    assert mira.urls == ["https://www.linkedin.com/in/mira-4b21", "https://github.com/miracast"]
    assert mira.handles == ["github:miracast"]
    assert (mira.company, mira.city, mira.tags) == (
        "Schneider Electric",
        "Grenoble",
        ["rust", "embedded"],
    )
    assert mira.title == "Software Engineer"  # filled fields are never overwritten
    assert mira.source == "linkedin" and mira.tie == "regular"


def test_two_users_import_the_same_file_apart(any_app: Flask) -> None:
    people = [exported("Mira", emails=["mira@example.com"], company="Acme")]
    with db.transaction() as session:
        mine = import_contacts(session, owner(session), people, NOW)
        theirs = import_contacts(session, owner(session, ADA), people, NOW)
    assert (mine.added, theirs.added, theirs.updated) == (1, 1, 0)
    with db.transaction() as session:
        richer = [exported("Mira", emails=["mira@example.com"], city="Lyon", tags=["go"])]
        report = import_contacts(session, owner(session, ADA), richer, LATER)
    assert report.updated == 1
    (own,) = contacts_of(any_app.config["OWNER_EMAIL"])
    (ada,) = contacts_of(ADA)
    assert own.id != ada.id and own.owner_id != ada.owner_id
    assert (own.city, own.tags, own.updated_at) == (None, [], NOW)
    assert (ada.city, ada.tags, ada.updated_at) == ("Lyon", ["go"], LATER)


@pytest.mark.parametrize(
    "content", [None, b"\x00\x01\x02binary\xff" * 50, b"", b"just some prose, no contacts here\n"]
)
def test_unreadable_file_exits_2_and_writes_nothing(
    planner: Planner, tmp_path: Path, content: bytes | None
) -> None:
    path = tmp_path / "broken.csv"
    if content is not None:
        path.write_bytes(content)
    result = planner("contacts", "import", str(path), "--user", ADA)
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"planner: {path}: ")
    assert count_rows(Contact) == 0 and count_rows(User) == 0


def test_name_and_company_match_ignoring_case_and_spaces(any_app: Flask) -> None:
    with db.transaction() as session:
        user = owner(session)
        import_contacts(
            session, user, [exported("Ada  Lovelace", company="Analytical Engines")], NOW
        )
        report = import_contacts(
            session,
            user,
            [
                exported("ada lovelace", company=" analytical  engines", emails=["ada@ae.example"]),
                exported("Ada Lovelace", company="Babbage & Co"),  # another company: another person
            ],
            LATER,
        )
    assert (report.added, report.updated) == (1, 1)
    first, second = contacts_of(any_app.config["OWNER_EMAIL"])
    assert (first.name, first.emails, first.updated_at) == (
        "Ada Lovelace",
        ["ada@ae.example"],
        LATER,
    )
    assert second.company == "Babbage & Co"


def test_namesakes_with_different_emails_stay_apart(any_app: Flask) -> None:
    people = [
        exported("Sam Lee", emails=["sam@a.example"]),
        exported("Sam Lee", emails=["sam@b.example"]),
    ]
    with db.transaction() as session:
        report = import_contacts(session, owner(session), people, NOW)
    assert report.added == 2 and len(contacts_of(any_app.config["OWNER_EMAIL"])) == 2


def test_duplicates_within_one_file_are_merged(
    any_app: Flask, tmp_path: Path, planner: Planner
) -> None:
    rows = (
        "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
        "Mira,C,https://www.linkedin.com/in/mira/,,Acme,,1 Jan 2025\n"
        "Mira,C,HTTPS://LinkedIn.com/in/mira?trk=x,mira@example.com,,CTO,2 Jan 2025\n"
        "Ola,N,,ola@example.com,,,3 Jan 2025\n"
        "Ola,N,,OLA@Example.com,Beta,,3 Jan 2025\n"
    )
    result = planner("contacts", "import", str(write(tmp_path, "c.csv", rows)))
    assert result.stdout.startswith("2 added, 2 updated, 0 skipped"), result.output
    mira, ola = contacts_of(any_app.config["OWNER_EMAIL"])
    assert (mira.urls, mira.emails) == (["https://www.linkedin.com/in/mira/"], ["mira@example.com"])
    assert (mira.company, mira.title) == ("Acme", "CTO")
    assert (ola.emails, ola.company) == (["ola@example.com"], "Beta")


def test_skipped_rows_are_reported(any_app: Flask, tmp_path: Path, planner: Planner) -> None:
    text = "Account address,Show boosts\nuser@example.com,true\nnot an address!,true\n"
    result = planner("contacts", "import", str(write(tmp_path, "f.csv", text)))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "1 added, 0 updated, 1 skipped"
    assert lines[1].startswith("  skipped: row 3: skipped") and "not an address!" in lines[1]


def test_long_fields_are_cut_to_fit(any_app: Flask) -> None:
    long = exported("N" * 500, company="C" * 400, title="T" * 400, city="X" * 400)
    with db.transaction() as session:
        import_contacts(session, owner(session), [long], NOW)
    (row,) = contacts_of(any_app.config["OWNER_EMAIL"])
    assert len(row.name) == len(row.company or "") == len(row.city or "") == 300


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("HTTPS://WWW.LinkedIn.com/in/Mira/?trk=x#top", "https://linkedin.com/in/Mira"),
        ("https://mastodon.social/@mira", "https://mastodon.social/@mira"),
    ],
)
def test_normalize_profile_url(url: str, normal: str) -> None:
    assert normalize_profile_url(url) == normal


EVIL = '=HYPERLINK("http://evil.example","x")'


def test_import_places_the_new_cities_on_the_map(planner: Planner, tmp_path: Path) -> None:
    result = planner("contacts", "import", str(write(tmp_path, "m.vcf", VCARD)), "--user", ADA)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "1 added, 0 updated, 0 skipped",
        "1 of 1 new cities placed on the map",
    ]
    (mira,) = contacts_of(ADA)
    assert mira.city == "Grenoble" and round(mira.lat or 0) == 45 and mira.geocoded_at


def test_import_refuses_a_file_over_the_upload_limit(planner: Planner, tmp_path: Path) -> None:
    path = tmp_path / "Connections.csv"
    with path.open("wb") as stream:
        stream.write(LINKEDIN.encode())
        stream.truncate(20 * 1024 * 1024 + 1)  # sparse: one byte over MAX_UPLOAD_BYTES
    result = planner("contacts", "import", str(path), "--user", ADA)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"planner: {path}: larger than 20971520 bytes (MAX_UPLOAD_BYTES): not imported"
    ]
    assert count_rows(Contact) == 0 and count_rows(User) == 0


def test_export_writes_formulas_as_text(planner: Planner, tmp_path: Path) -> None:
    text = f'Name,Email,Company,City\n"{EVIL.replace(chr(34), chr(34) * 2)}",e@x.org,+1 555,@home\n'
    imported = planner("contacts", "import", str(write(tmp_path, "e.csv", text)), "--user", ADA)
    assert imported.exit_code == 0, imported.output
    (row,) = contacts_of(ADA)
    assert (row.name, row.company, row.city) == (EVIL, "+1 555", "@home")
    shown = planner("contacts", "export", "--user", ADA)
    assert shown.exit_code == 0, shown.output
    output = tmp_path / "out.csv"
    written = planner("contacts", "export", "--user", ADA, "-o", str(output))
    assert written.exit_code == 0 and written.stderr == f"1 contacts written to {output}\n"
    assert output.read_bytes().startswith(b"\xef\xbb\xbf")
    for text in (shown.stdout, output.read_text(encoding="utf-8-sig")):
        header, cells = list(csv.reader(io.StringIO(text)))
        assert header[:2] == ["Name", "Email"]
        assert cells[0] == "'" + EVIL and "'+1 555" in cells and "'@home" in cells


def test_export_again_imports_the_same_people(planner: Planner, tmp_path: Path) -> None:
    source = DATA / "vobject_vcard40_full.vcf"
    assert planner("contacts", "import", str(source), "--user", ADA).exit_code == 0
    output = tmp_path / "out.csv"
    assert planner("contacts", "export", "--user", ADA, "-o", str(output)).exit_code == 0
    result = planner("contacts", "parse", str(output))
    (again,) = json.loads(result.stdout)
    (row,) = contacts_of(ADA)
    assert (again["name"], again["emails"], again["urls"]) == (row.name, row.emails, row.urls)
    assert (again["company"], again["city"], again["tags"]) == (row.company, row.city, row.tags)


def test_list_prints_the_contacts_and_searches_them(planner: Planner, tmp_path: Path) -> None:
    rows = "Name,Company,City,Tags\nAda Lovelace,Analytical Engines,London,math\nAlan,,Wilmslow,\n"
    imported = planner("contacts", "import", str(write(tmp_path, "c.csv", rows)), "--user", ADA)
    assert imported.exit_code == 0, imported.output
    listed = planner("contacts", "list", "--user", ADA)
    assert [line.split("\t")[1:] for line in listed.stdout.splitlines()] == [
        ["Ada Lovelace", "", "Analytical Engines", "London", "regular"],
        ["Alan", "", "", "Wilmslow", "regular"],
    ]
    found = planner("contacts", "list", "--user", ADA, "--search", "MATH")
    assert [line.split("\t")[1] for line in found.stdout.splitlines()] == ["Ada Lovelace"]
    none = planner("contacts", "list", "--user", ADA, "--search", "nobody")
    assert none.exit_code == 0 and none.stdout == "" and "no contacts match" in none.stderr


@pytest.mark.parametrize("command", ["list", "export"])
def test_list_and_export_of_an_unknown_user_create_nobody(planner: Planner, command: str) -> None:
    result = planner("contacts", command, "--user", "nobody@example.org")
    assert result.exit_code == 2 and result.stderr == "planner: no user 'nobody@example.org'\n"
    assert count_rows(User) == 0
