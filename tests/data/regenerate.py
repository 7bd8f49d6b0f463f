"""Rewrite expected events: `python tests/data/regenerate.py [tests/data/KIND/NAME.expected.json]`.

Each `NAME.expected.json` keeps the `args` given to `planner extract` for the input `NAME.<ext>`
beside it. A new fixture starts as `{"args": ["--from", "YYYY-MM-DD", "--to", "YYYY-MM-DD"],
"events": []}` (plus `"--url", "https://..."` for a saved page). Read the diff by hand: the
expected values must match what the input really says (see the folder's SOURCES.md).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from click.testing import CliRunner

from planner.cli import main

HERE = Path(__file__).parent
SUFFIX = ".expected.json"


def input_of(expected: Path) -> Path:
    """The input file an expected-output file belongs to."""
    stem = expected.name.removesuffix(SUFFIX)
    (found,) = [p for p in expected.parent.glob(f"{stem}.*") if not p.name.endswith(SUFFIX)]
    return found


def regenerate(expected_path: Path) -> None:
    expected = json.loads(expected_path.read_text())
    result = CliRunner().invoke(main, ["extract", str(input_of(expected_path)), *expected["args"]])
    if result.exit_code:
        raise SystemExit(f"{expected_path}: {result.stderr}")
    expected["events"] = json.loads(result.stdout)
    expected_path.write_text(json.dumps(expected, indent=2, ensure_ascii=False) + "\n")
    print(f"{expected_path.name}: {len(expected['events'])} events", file=sys.stderr)


if __name__ == "__main__":
    folders = ("ics", "html", "confs")  # what `planner extract` reads
    paths = [Path(arg) for arg in sys.argv[1:]] or sorted(
        p for folder in folders for p in (HERE / folder).glob(f"*{SUFFIX}")
    )
    for path in paths:
        regenerate(path)
