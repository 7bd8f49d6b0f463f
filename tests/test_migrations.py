"""The migrations build exactly the schema the models describe, on each database."""

from __future__ import annotations

from alembic import command
from flask import Flask

from planner.db import alembic_config, upgrade


def test_models_and_migrations_agree(any_app: Flask) -> None:
    url = any_app.config["DATABASE_URL"]
    upgrade(url)  # a second upgrade is a no-op
    command.check(alembic_config(url))  # raises when a model change lacks its migration
