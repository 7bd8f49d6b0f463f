"""Contact exports: every saved export in tests/data/contacts/ gives exactly the contacts in the
`.expected.json` beside it through `planner contacts parse`; small inline files pin each quirk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from planner.commands.contacts import contacts
from planner.contacts import ContactsError, detect_format, parse_contacts

DATA = Path(__file__).parent / "data" / "contacts"
SUFFIX = ".expected.json"
CASES = sorted(DATA.glob(f"*{SUFFIX}"))


def run(path: Path, *args: str) -> Result:
    return CliRunner().invoke(contacts, ["parse", str(path), *args])


def one(data: bytes, **kwargs: object) -> dict[str, object]:
    found, warnings = parse_contacts(data, **kwargs)  # type: ignore[arg-type]
    assert len(found) == 1 and not warnings, (found, warnings)
    return found[0].as_json()


@pytest.mark.parametrize("expected_path", CASES, ids=lambda p: p.name.removesuffix(SUFFIX))
def test_parse_matches_expected(expected_path: Path) -> None:
    stem = expected_path.name.removesuffix(SUFFIX)
    (source,) = [p for p in DATA.glob(f"{stem}.*") if p != expected_path]
    result = run(source)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == json.loads(expected_path.read_text())
    assert result.stderr == ""


def test_every_export_has_its_expected_contacts() -> None:
    inputs = {p.stem for p in DATA.iterdir() if p.suffix in {".csv", ".vcf"}}
    assert inputs == {p.name.removesuffix(SUFFIX) for p in CASES}
    assert len(CASES) == 6


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("linkedin_connections_2025_preamble.csv", "linkedin"),
        ("vobject_vcard40_full.vcf", "vcard"),
        ("ezvcard_gmail_list_v3.vcf", "vcard"),
        ("mastodon_following_accounts.csv", "mastodon"),
        ("mastodon_new_following_imports_2col.csv", "mastodon"),
    ],
)
def test_format_is_detected_from_the_content(name: str, fmt: str) -> None:
    assert detect_format((DATA / name).read_bytes()) == fmt


# LinkedIn

OLD_HEADER = b"First Name,Last Name,Email Address,Company,Position,Connected On\n"


def test_linkedin_older_six_columns_with_header() -> None:
    contact = one(OLD_HEADER + b"Ada,Lovelace,ada@example.org,Analytical,Engineer,10 Dec 2015\n")
    assert contact["name"] == "Ada Lovelace"
    assert contact["emails"] == ["ada@example.org"]
    assert (contact["company"], contact["title"], contact["urls"]) == ("Analytical", "Engineer", [])
    assert contact["source"] == "linkedin"


def test_linkedin_without_header_six_and_seven_columns() -> None:
    data = (
        b"Ada,Lovelace,ada@example.org,Analytical,Engineer,10 Dec 2015\n"
        b"Alan,Turing,https://www.linkedin.com/in/aturing,,Bletchley,Cryptanalyst,01 Jan 2016\n"
    )
    assert detect_format(data) == "linkedin"
    found, warnings = parse_contacts(data)
    assert [c.name for c in found] == ["Ada Lovelace", "Alan Turing"]
    assert found[1].urls == ["https://www.linkedin.com/in/aturing"]
    assert found[1].company == "Bletchley" and found[0].emails == ["ada@example.org"]
    assert warnings == []


def test_linkedin_rows_requoted_by_a_spreadsheet() -> None:
    data = OLD_HEADER + (
        b'"Ada","Lovelace","","Analytical, Ltd","Engineer","10 Dec 2015"\n'
        b'"Grace,Hopper,,""Navy, US"",Admiral,11 Dec 2015"\n'
    )
    found, warnings = parse_contacts(data)
    assert [(c.name, c.company) for c in found] == [
        ("Ada Lovelace", "Analytical, Ltd"),
        ("Grace Hopper", "Navy, US"),
    ]
    assert warnings == []


def test_linkedin_semicolon_export_and_a_bad_row_named() -> None:
    data = (
        b"First Name;Last Name;URL;Email Address;Company;Position;Connected On\r\n"
        b"Ada;Lovelace;;;Analytical;Engineer;10 Dec 2015\r\n"
        b";;;;;;10 Dec 2015\r\n"
    )
    found, warnings = parse_contacts(data)
    assert [c.name for c in found] == ["Ada Lovelace"]
    assert warnings == ["row 3: skipped, no name and no email"]


# vCard

CARD = "BEGIN:VCARD\r\nVERSION:3.0\r\n{}\r\nEND:VCARD\r\n"


def card(*lines: str) -> bytes:
    return CARD.format("\r\n".join(lines)).encode()


def test_vcard_folded_lines_and_escaped_commas() -> None:
    contact = one(card("FN:Jane\r\n  Doe\\, PhD", "NOTE:likes\\, a lot\\nof\r\n\tthings"))
    assert contact["name"] == "Jane Doe, PhD"
    assert contact["notes"] == "likes, a lot\nofthings"


def test_vcard_item_groups_with_ablabel() -> None:
    contact = one(
        card(
            "FN:Jane Doe",
            "item1.URL:https://fosstodon.org/@jane",
            "item1.X-ABLabel:Mastodon",
            "item2.EMAIL;type=INTERNET;type=pref:jane@example.org",
            "item2.X-ABLabel:_$!<Other>!$_",
            "item3.URL;type=pref:github.com/janedoe",
            "item3.X-ABLabel:_$!<HomePage>!$_",
        )
    )
    assert contact["emails"] == ["jane@example.org"]
    assert contact["urls"] == ["https://fosstodon.org/@jane", "https://github.com/janedoe"]
    assert contact["handles"] == ["@jane@fosstodon.org", "github:janedoe"]


def test_vcard_social_profiles() -> None:
    contact = one(
        card(
            "FN:Jane Doe",
            "X-SOCIALPROFILE;type=twitter;x-user=janed:http://twitter.com/janed",
            "X-SOCIALPROFILE;TYPE=github:https://github.com/jd",
            "X-SOCIALPROFILE;type=mastodon:https://hachyderm.io/@jd",
            "X-SOCIALPROFILE;type=linkedin:https://www.linkedin.com/in/jd",
        )
    )
    assert contact["handles"] == ["x:janed", "github:jd", "@jd@hachyderm.io"]
    assert "https://www.linkedin.com/in/jd" in contact["urls"]


def test_vcard_fields_and_ignored_uris() -> None:
    contact = one(
        card(
            "N:Doe;Jane;;Dr.;",
            "ORG:Acme\\, Inc.;Research",
            "TITLE:Chief Scientist",
            "ADR;TYPE=WORK:;;1 Main St;Lyon;;69001;France",
            "CATEGORIES:rust,data\\,engineering",
            "URL:geo:45.76,4.83",
            "URL;VALUE=uri:tel:+33-1-23",
            "GEO:geo:45.76,4.83",
        )
    )
    assert contact["name"] == "Dr. Jane Doe"
    assert (contact["company"], contact["title"], contact["city"]) == (
        "Acme, Inc.",
        "Chief Scientist",
        "Lyon",
    )
    assert contact["tags"] == ["rust", "data,engineering"]
    assert contact["urls"] == [] and contact["handles"] == []


def test_vcard_without_a_name_is_skipped_with_its_number() -> None:
    found, warnings = parse_contacts(card("FN:Jane Doe") + card("NOTE:nobody"))
    assert [c.name for c in found] == ["Jane Doe"]
    assert warnings == ["vCard 2: skipped, no name and no email"]


@pytest.mark.parametrize("bom", ["utf-16", "utf-8-sig"])
def test_encodings_with_a_bom(bom: str) -> None:
    data = CARD.format("FN:Zoë Ñúñez").encode(bom)
    assert one(data)["name"] == "Zoë Ñúñez"


def test_cp1252_when_not_utf8() -> None:
    data = CARD.format("FN:Zoë Müller").encode("cp1252")
    assert one(data)["name"] == "Zoë Müller"


# Mastodon


def test_mastodon_legacy_list_leading_at_and_idn() -> None:
    data = "@alice@example.social\nbob@bücher.example\ncarol\n\n".encode()
    assert detect_format(data) == "mastodon"
    found, warnings = parse_contacts(data)
    assert [c.handles for c in found] == [
        ["@alice@example.social"],
        ["@bob@bücher.example"],
        ["@carol"],
    ]
    assert warnings == []


def test_mastodon_bad_address_is_skipped_with_its_row() -> None:
    data = b"Account address,Show boosts\nbob@example.com,true\nnot an address,true\n"
    found, warnings = parse_contacts(data)
    assert [c.handles for c in found] == [["@bob@example.com"]]
    assert warnings == ["row 3: skipped, 'not an address' is not a Mastodon address"]


# generic CSV


def test_generic_csv_by_header_names() -> None:
    data = (
        b"Full Name,E-mail,Organization,Job Title,Location,Website,Twitter,GitHub,Mastodon,Tags\n"
        b"Jane Doe,jane@example.org,Acme,CTO,Berlin,https://jane.example,@janed,jd,"
        b"jd@hachyderm.io,rust; data\n"
    )
    assert detect_format(data) == "csv"
    assert one(data) == {
        "name": "Jane Doe",
        "emails": ["jane@example.org"],
        "handles": ["@jd@hachyderm.io", "github:jd", "x:janed"],
        "urls": ["https://jane.example"],
        "company": "Acme",
        "title": "CTO",
        "city": "Berlin",
        "tags": ["rust", "data"],
        "notes": None,
        "source": "csv",
    }


def test_generic_csv_with_a_mapping() -> None:
    data = b"Navn,Epost,Firma,Ignore me\nKari Nordmann,kari@example.no,Equinor,x\n"
    with pytest.raises(ContactsError, match="not a contacts export"):
        parse_contacts(data)
    mapping = {"Navn": "name", "Epost": "email", "Firma": "company"}
    contact = one(data, mapping=mapping)
    assert (contact["name"], contact["emails"], contact["company"]) == (
        "Kari Nordmann",
        ["kari@example.no"],
        "Equinor",
    )


def test_generic_csv_first_and_last_name_columns() -> None:
    contact = one(b"first name,last name,email\nJane,Doe,jane@example.org\n", fmt="csv")
    assert contact["name"] == "Jane Doe"


# the command


@pytest.mark.parametrize(
    "content",
    [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", b"just some words\nand more\n", b""],
    ids=["binary", "prose", "empty"],
)
def test_garbage_is_one_line_and_exit_2(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "garbage.bin"
    path.write_bytes(content)
    result = run(path)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"planner: {path}: ")
    assert "not a contacts export" in result.stderr


def test_missing_file_is_exit_2(tmp_path: Path) -> None:
    result = run(tmp_path / "nope.csv")
    assert result.exit_code == 2
    assert result.stderr.startswith("planner: ") and result.stderr.count("\n") == 1


def test_forced_format_and_warnings_on_stderr(tmp_path: Path) -> None:
    path = tmp_path / "follows.txt"
    path.write_bytes(b"alice@example.social\nhttps://example.org/x\n")
    result = run(path, "--format", "mastodon")
    assert result.exit_code == 0, result.stderr
    assert [c["handles"] for c in json.loads(result.stdout)] == [["@alice@example.social"]]
    assert result.stderr == (
        "planner: warning: row 2: skipped, 'https://example.org/x' is not a Mastodon address\n"
    )
