"""The wheel carries every package of the project (the list in pyproject.toml is explicit)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_every_package_is_listed_in_pyproject() -> None:
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("planner", "scrapers")
        for init in (ROOT / top).rglob("__init__.py")
    }
    found |= {"planner.migrations", "planner.migrations.versions"}  # scripts, not imports
    assert found <= listed, f"missing from pyproject.toml packages: {sorted(found - listed)}"
