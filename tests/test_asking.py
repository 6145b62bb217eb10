"""ask() and listing(): the use cases the prompt, the CLI and Slack share for questions and
for `history` / `servers`, and the sentences they say (written once, in bot/listing.py)."""

from __future__ import annotations

from click.testing import CliRunner

from bot.asking import ask
from bot.cli import cli
from bot.history import open_history
from bot.listing import SLACK, TERMINAL, listing, no_history, no_incidents, nothing_listed
from bot.prompt import reply
from bot.settings import Settings
from bot.summary_file import summarize_file
from bot.triage import Source, ingest
from tests.support.connector_logs import two_servers
from tests.support.damaged_db import garbage


def _recorded(tmp_path):
    log = two_servers(tmp_path / "two.evtx").path
    db = tmp_path / "h.db"
    with open_history(db) as history:
        ingest(log, summarize_file(log, keep_events=True), Source(), history)
    return db


def test_ask_adds_what_the_history_knows_of_the_server_named(tmp_path):
    db = _recorded(tmp_path)
    asked = ask("why does 20502 fail on NDES01", db)
    assert asked.answer.best is not None
    assert asked.lang == "en"
    assert asked.history_error is None
    (place,) = asked.known
    assert place.server == "NDES01.contoso.com"
    assert {i["incident"]["event_id"] for i in place.items} == {"20502"}


def test_ask_without_a_store_answers_and_creates_nothing(tmp_path):
    db = tmp_path / "none" / "h.db"
    asked = ask("why does 20502 fail on NDES01", db)
    assert asked.answer.best is not None
    assert asked.known == []
    assert asked.history_error is None
    assert not db.parent.exists()


def test_ask_on_a_store_that_is_not_sqlite_still_answers_and_says_why(tmp_path):
    db = garbage(tmp_path / "h.db")
    asked = ask("why does 20502 fail on NDES01", db)
    assert asked.answer.best is not None
    assert asked.known == []
    assert "not a SQLite database" in asked.history_error
    assert "\n" not in asked.history_error


def test_ask_shows_only_what_the_scope_lets_the_reader_see(tmp_path):
    db = _recorded(tmp_path)  # recorded from the CLI: no channel, seen by anyone but Slack readers
    seen = []
    asked = ask("why does 20502 fail on NDES01", db, scope=lambda channels: seen.append(channels) or [])
    assert seen  # the front end was asked, with the channels the history was learned in
    assert asked.known == []  # no server is visible to this reader, so none is named


def test_listing_a_missing_store_says_so_and_never_creates_it(tmp_path):
    db = tmp_path / "none" / "h.db"
    for verb in ("history", "servers"):
        found = listing(db, verb)
        assert found.missing == db
        assert nothing_listed(found, TERMINAL) == no_history(db, TERMINAL)
    assert str(db) in no_history(db, TERMINAL)
    assert str(db) not in no_history(db, SLACK)  # Slack readers never see the server's paths
    assert not db.parent.exists()


def test_listing_filters_and_says_when_nothing_matches(tmp_path):
    db = _recorded(tmp_path)
    found = listing(db, "history", "NDES01")
    assert found.incidents
    assert {i.server for i in found.incidents} == {"NDES01.contoso.com"}
    assert nothing_listed(found, TERMINAL) is None
    assert listing(db, "history", "NDES01", event_id=20502).incidents
    assert not listing(db, "history", "NDES01", event_id=1).incidents
    nothing = listing(db, "history", "NDES09")
    assert nothing_listed(nothing, TERMINAL) == no_incidents("NDES09", TERMINAL)
    assert {s.name for s in listing(db, "servers").servers} == {
        "NDES01.contoso.com", "NDES02.contoso.com"}  # fmt: skip


def test_the_prompt_and_the_cli_say_the_same_about_the_history(tmp_path):
    """One wording: the prompt's `history`/`servers` print what `intune-bot` prints."""
    db = _recorded(tmp_path)
    missing = tmp_path / "none" / "h.db"
    for store in (db, missing):
        settings = Settings(db_path=store)
        for line, args in (
            ("servers", ["servers"]),
            ("history NDES01", ["history", "NDES01"]),
            ("history NDES09", ["history", "NDES09"]),
        ):
            printed = CliRunner().invoke(cli, [*args, "--db", str(store)])
            assert printed.exit_code == 0, printed.output
            assert reply(line, settings) == printed.stdout.rstrip("\n")
    assert not missing.parent.exists()
