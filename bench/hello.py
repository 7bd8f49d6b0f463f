"""The yardstick of bench/feed.py: a bare Flask "hello world" route, served by gunicorn with the
same settings as planner (`gunicorn hello:app`)."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
