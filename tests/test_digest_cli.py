"""`planner digest preview` and `planner digest send` as a user types them: the text part, a dry
run that writes nothing, one line per user, a failure with its reason (exit status 1) and
`--again`, usage errors in one line (exit status 2)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.conftest import Cli, Run
from tests.test_digest_smtp import Sink, sink_fixture  # noqa: F401 - a fixture

NOW = "2026-11-23T09:00:00+01:00"  # a Monday, 09:00 in Berlin: the default slot has passed


@pytest.fixture
def planner(cli: Cli, tmp_path: Path) -> Run:
    """`planner ...` on a fresh SQLite database with the demo loaded around NOW."""
    run = cli(
        PLANNER_BASE_URL="https://planner.example.org",
        PLANNER_OWNER_EMAIL="ann@example.org",  # an address SMTP can deliver to
    )
    assert run("demo", "load", "--now", NOW).exit_code == 0
    with sqlite3.connect(tmp_path / "cli.sqlite3") as connection:  # an account older than NOW
        connection.execute("update users set created_at = '2026-11-01 00:00:00.000000'")
    return run


def sends(tmp_path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(tmp_path / "cli.sqlite3") as connection:
        return list(connection.execute("select week, status from digest_sends order by id"))


def test_preview_prints_the_text_part(planner: Run, tmp_path: Path) -> None:
    result = planner("digest", "preview", "--now", NOW)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Subject: Next two weeks: ") and "near Berlin" in lines[0]
    assert "NEAR BERLIN IN THE NEXT TWO WEEKS" in result.stdout
    assert "Unsubscribe: https://planner.example.org/unsubscribe/" in result.stdout
    assert sends(tmp_path) == [] and not (tmp_path / "instance" / "mail").exists()


def test_dry_run_then_send_then_nothing_due(planner: Run, tmp_path: Path) -> None:
    dry = planner("digest", "send", "--dry-run", "--now", NOW)
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.startswith("ann@example.org 2026-W48: would send “Next two weeks: ")
    assert sends(tmp_path) == []
    sent = planner("digest", "send", "--now", NOW)
    assert sent.exit_code == 0, sent.output
    assert sent.stdout.startswith("ann@example.org 2026-W48: sent, ")
    assert sends(tmp_path) == [("2026-W48", "sent")]
    assert len(list((tmp_path / "instance" / "mail").glob("2026-W48-*.eml"))) == 1
    assert planner("digest", "send", "--now", NOW).stdout == "no digest is due\n"
    one = planner("digest", "send", "--user", "ann@example.org", "--now", NOW)
    assert one.stdout == "ann@example.org 2026-W48: already sent\n"
    again = planner("digest", "send", "--user", "ann@example.org", "--again", "--now", NOW)
    assert again.stdout == "ann@example.org 2026-W48: already sent\n"  # --again: failed only
    assert len(list((tmp_path / "instance" / "mail").iterdir())) == 1


def test_a_failure_is_said_and_sent_again_on_request(
    planner: Run, tmp_path: Path, sink: Sink
) -> None:
    closed = Sink()
    closed.start().stop()  # a port where nobody answers any more
    secret = {"PLANNER_SECRET_KEY": "k" * 32, "PLANNER_DEBUG": "0"}
    failed = planner("digest", "send", "--now", NOW, PLANNER_SMTP_URL=closed.url(), **secret)
    assert failed.exit_code == 1
    assert failed.stdout == (
        f"ann@example.org 2026-W48: failed: 127.0.0.1:{closed.port}: "
        "connection refused (is the mail server running?)\n"
    )
    url = sink.url()
    later = planner("digest", "send", "--user", "ann@example.org", "--now", NOW,
                    PLANNER_SMTP_URL=url, **secret)  # fmt: skip
    assert "failed before: " in later.stdout and "--again tries again" in later.stdout
    again = planner("digest", "send", "--user", "ann@example.org", "--again", "--now", NOW,
                    PLANNER_SMTP_URL=url, **secret)  # fmt: skip
    assert again.exit_code == 0 and again.stdout.startswith("ann@example.org 2026-W48: sent, ")
    assert len(sink.received) == 1 and sends(tmp_path) == [("2026-W48", "sent")]


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["send", "--again"], {}, "--again needs --user"),
        (["send", "--user", "nobody@example.org"], {}, "no user 'nobody@example.org'"),
        (["preview", "--now", "soon"], {}, "--now 'soon' is not an ISO 8601 date-time"),
        (
            ["send", "--user", "ann@example.org"],
            {"PLANNER_MODE": "multi"},
            "ann@example.org has not confirmed the address yet",
        ),
        (
            ["send"],
            {"PLANNER_SMTP_URL": "smtp://127.0.0.1:25", "PLANNER_DEBUG": "0"},
            "PLANNER_SECRET_KEY is not set",
        ),
    ],
)
def test_usage_errors_are_one_line(
    planner: Run, args: list[str], env: dict[str, str], message: str
) -> None:
    result = planner("digest", *args, **env)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"planner: {message}") and result.stderr.count("\n") == 1


def test_an_unanswered_send_is_said_interrupted_as_the_page_says(
    planner: Run, tmp_path: Path
) -> None:
    holding = Sink(hold=True)
    controller = holding.start()
    try:
        secret = {"PLANNER_SECRET_KEY": "k" * 32, "PLANNER_DEBUG": "0"}
        url = holding.url("timeout=1")
        cut = planner("digest", "send", "--now", NOW, PLANNER_SMTP_URL=url, **secret)
    finally:
        controller.stop()
    assert cut.exit_code == 1
    assert cut.stdout.startswith(
        f"ann@example.org 2026-W48: interrupted: 127.0.0.1:{holding.port}: no answer within 1 s"
    )
    assert "look for it before sending it again with --again" in cut.stdout
    assert sends(tmp_path) == [("2026-W48", "sending")]  # the page: "interrupted"
