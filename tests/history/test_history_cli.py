"""`intune-bot history` and `intune-bot servers`, through click and as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.cli_history import history, servers
from bot.history import open_history
from tests.support.history import SERVER, T0, connector_event, failures, upload

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A history with two incidents on NDES01 (one failure a month ago, another one
    recently) and one on NDES02, recorded just now."""
    path = tmp_path / "history.db"
    now = datetime.now(UTC)
    with open_history(path) as h:
        h.record_upload(
            upload("a"),
            [connector_event(n, 0, code="0x80094800") for n in range(3)],
        )
        h.record_upload(upload("b"), failures(range(100, 102), server="NDES02"))
        hours_ago = (now - T0).total_seconds() / 3600
        recent = [connector_event(1000 + n, hours_ago - n) for n in range(2)]
        h.record_upload(upload("c"), recent)
    return path


@pytest.fixture(autouse=True)
def no_default_store(tmp_path, monkeypatch):
    """Never touch the real per-user store, even when a test forgets --db."""
    monkeypatch.setenv("INTUNE_BOT_DB", str(tmp_path / "default.db"))


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, *args: str):
    return runner.invoke(cli, list(args), catch_exceptions=False)


def test_history_lists_incidents_latest_first(runner, db_path):
    result = run(runner, "history", "--db", str(db_path))

    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("#")]
    assert len(lines) == 3
    assert SERVER in lines[0]
    assert "20502 0x800706BA" in lines[0]


def test_history_json_filters_by_server_status_and_age(runner, db_path):
    result = run(runner, "history", "NDES01", "--json", "--since", "2d", "--db", str(db_path))

    payload = json.loads(result.output)
    assert payload["server"] == "NDES01"
    [incident] = payload["incidents"]
    assert (incident["server"], incident["event_id"], incident["count"]) == (SERVER, "20502", 2)
    assert incident["last"].endswith("Z")

    resolved = run(runner, "history", "--status", "resolved", "--json", "--db", str(db_path))
    assert json.loads(resolved.output)["incidents"] == []


def test_history_resolve_keeps_first_resolution(runner, db_path):
    done = run(runner, "history", "resolve", "1", "--note", "Started CertSvc", "--by", "ana",
               "--db", str(db_path))  # fmt: skip
    again = run(runner, "history", "resolve", "1", "--note", "other", "--db", str(db_path))
    listed = run(runner, "history", "--status", "resolved", "--db", str(db_path))

    assert done.output.strip() == "Resolved incident #1."
    assert "already resolved by ana" in again.output
    assert "resolved by ana" in listed.output
    assert "Started CertSvc" in listed.output


def test_history_resolve_unknown_incident_is_one_line(runner, db_path):
    result = runner.invoke(cli, ["history", "resolve", "99", "--note", "x", "--db", str(db_path)])

    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [f"Error: no incident 99 in {db_path}"]


def test_history_prune_keeps_incidents(runner, db_path):
    result = run(runner, "history", "prune", "--older-than", "3d", "--db", str(db_path))

    assert result.output.startswith("Removed 5 events older than 3 days")  # 2 are recent
    assert len(json.loads(run(runner, "history", "--json", "--db", str(db_path)).output)[
        "incidents"
    ]) == 3  # fmt: skip


def test_history_rejects_bad_duration(runner, db_path):
    result = runner.invoke(cli, ["history", "--since", "soon", "--db", str(db_path)])

    assert result.exit_code == 2
    assert "not a duration like 30d" in result.stderr


def test_servers_lists_open_incidents(runner, db_path):
    text = run(runner, "servers", "--db", str(db_path))
    payload = json.loads(run(runner, "servers", "--json", "--db", str(db_path)).output)

    header, first, second = text.output.splitlines()
    assert header.split() == ["server", "open", "incidents", "last", "event", "(UTC)",
                              "last", "upload", "(UTC)"]  # fmt: skip
    assert first.split()[:3] == [SERVER, "2", "2"]  # open, then all incidents
    assert second.split()[:3] == ["NDES02", "1", "1"]
    # Columns line up: counts are right-aligned under the last letter of their header.
    end_of_open = header.index("open") + len("open") - 1
    assert first[end_of_open] == "2"
    assert second[end_of_open] == "1"
    assert {s["name"]: s["open_incidents"] for s in payload["servers"]} == {
        SERVER: 2,
        "NDES02": 1,
    }


def test_history_on_a_file_that_is_not_sqlite_is_one_line(runner, tmp_path):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database\n" * 50)

    result = runner.invoke(cli, ["servers", "--db", str(bogus)])

    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {bogus} is not a SQLite database (or is damaged)"
    assert bogus.read_text() == "not a database\n" * 50


@pytest.mark.parametrize(
    "command",
    [*history.commands.values(), history, servers],
    ids=lambda c: c.name,
)
def test_history_commands_have_help_with_example(command):
    assert command.help
    assert "Example" in command.help


def test_history_json_from_a_real_process(db_path, tmp_path):
    env = {**os.environ, "INTUNE_BOT_DB": str(db_path)}

    result = subprocess.run(
        [sys.executable, "-m", "bot", "history", "--json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert len(payload["incidents"]) == 3
    assert {i["server"] for i in payload["incidents"]} == {SERVER, "NDES02"}


def test_cli_import_does_not_load_the_store():
    """`intune-bot lookup` starts fast: importing the CLI must not import sqlite_utils."""
    code = "import sys, bot.cli; print('bot.history' in sys.modules, 'sqlite_utils' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )

    assert result.stdout.split() == ["False", "False"], result.stderr


def test_history_default_is_per_day_window(runner, db_path):
    """`--since 1d` keeps only what was seen in the last day."""
    result = run(runner, "history", "--since", "1d", "--json", "--db", str(db_path))

    [incident] = json.loads(result.output)["incidents"]
    assert datetime.fromisoformat(incident["last"]) > datetime.now(UTC) - timedelta(days=1)


def test_format_ingest_says_new_ongoing_recurred(tmp_path):
    from bot.cli_history import format_ingest

    with open_history(tmp_path / "h.db") as h:
        first = h.record_upload(upload("a"), failures(range(1, 3)))
        h.resolve(first.incidents[0].incident.id, "ana", "fixed", at=T0 + timedelta(hours=5))
        second = h.record_upload(upload("b"), failures(range(2, 8)))
        again = h.record_upload(upload("b"), [])

    assert format_ingest(first).splitlines()[1].lstrip().startswith("new      #1")
    lines = format_ingest(second).splitlines()
    assert lines[0] == "Recorded 5 new of 6 connector events (upload #2)."
    assert [line.split()[0] for line in lines[1:]] == ["ongoing", "recurred"]
    assert format_ingest(again).startswith("Already recorded (upload #2)")


def test_history_help_shows_the_options_its_examples_use(runner):
    text = run(runner, "history", "--help").output
    listing = text[text.index("Options of the listing") :]
    for option in ("--status", "--since", "--json", "--db"):  # the examples use these
        assert f"  {option} " in listing
    assert "[SERVER]" not in listing.splitlines()[1]
