"""Rewrite the expected events of the iCal fixtures: `python tests/data/ics/regenerate.py [NAME]`.

Each `NAME.json` keeps the `args` given to `planner extract NAME.ics`; a new fixture starts as
`{"args": ["--from", "YYYY-MM-DD", "--to", "YYYY-MM-DD"], "events": []}`. Read the diff by hand:
the expected values must match what the feed really says (see SOURCES.md).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from click.testing import CliRunner

from planner.cli import main

HERE = Path(__file__).parent


def regenerate(name: str) -> None:
    expected_path = HERE / f"{name}.json"
    expected = json.loads(expected_path.read_text())
    result = CliRunner().invoke(main, ["extract", str(HERE / f"{name}.ics"), *expected["args"]])
    if result.exit_code:
        raise SystemExit(f"{name}: {result.stderr}")
    expected["events"] = json.loads(result.stdout)
    expected_path.write_text(json.dumps(expected, indent=2, ensure_ascii=False) + "\n")
    print(f"{name}: {len(expected['events'])} events", file=sys.stderr)


if __name__ == "__main__":
    for stem in sys.argv[1:] or sorted(p.stem for p in HERE.glob("*.json")):
        regenerate(stem)
