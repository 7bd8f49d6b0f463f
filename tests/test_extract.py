"""Every saved input in tests/data/<kind>/ gives exactly the events in the `.expected.json` beside
it, through `planner extract` as a user runs it. Adding a case adds files, not test code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli import main
from tests.data.regenerate import SUFFIX, input_of

DATA = Path(__file__).parent / "data"
FOLDERS = ("ics", "html", "confs")  # what `planner extract` reads (contacts have their own test)
CASES = sorted(p for folder in FOLDERS for p in (DATA / folder).glob(f"*{SUFFIX}"))


@pytest.mark.parametrize("expected_path", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_extract_matches_expected(expected_path: Path) -> None:
    expected = json.loads(expected_path.read_text())
    result = CliRunner().invoke(main, ["extract", str(input_of(expected_path)), *expected["args"]])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == expected["events"]


def test_every_input_has_its_expected_events() -> None:
    inputs = sorted(
        p
        for folder in FOLDERS
        for p in (DATA / folder).iterdir()
        if p.suffix in {".ics", ".html", ".json"} and not p.name.endswith(SUFFIX)
    )
    assert inputs == sorted(input_of(p) for p in CASES)
