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


def test_readme_documents_every_setting() -> None:
    from planner.config import SETTINGS

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    missing = [name for name in SETTINGS if f"`PLANNER_{name}`" not in readme]
    assert not missing, f"README's configuration table lacks {missing}"
