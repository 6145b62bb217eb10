"""A log with more kinds of failure than any real one: every list stays bounded, the rest is named."""

from __future__ import annotations

import sqlite3

from bot.history.ingest import MAX_INCIDENTS
from bot.slack import render
from bot.slack.kept import summaries_path
from bot.slack.render.summaries import SHOW_ALL_MESSAGES
from bot.summary import MAX_GROUPS
from bot.summary_file import summarize_file
from tests.support.legacy_log import many_failures
from tests.support.slack import actions_of, click, share, summary_for, texts

KINDS = MAX_GROUPS + 100  # two events each


def test_kinds_past_the_limit_are_counted_not_listed(tmp_path):
    log = many_failures(tmp_path / "many.evtx", kinds=KINDS)

    summary = summarize_file(log, keep_events=True)
    data = summary.to_dict()

    assert len(data["failures"]) == MAX_GROUPS
    assert data["cut"] == {"failures": {"kinds": 100, "events": 200, "kept": MAX_GROUPS}}
    # The totals count every event: the timeline, the success rate, what the history gets.
    assert sum(p["failures"] for p in data["timeline"]["points"]) == 2 * KINDS
    assert sum(r["failed"] for r in data["success_rates"]) == 2 * KINDS
    assert data["hops"]["connector"]["failures"] == 2 * KINDS
    assert len(summary.events) == 2 * KINDS


def test_many_kinds_are_bounded_in_slack_and_the_rest_counted(slack, fake_slack, tmp_path,
                                                               settings, services):  # fmt: skip
    log = many_failures(tmp_path / "many.evtx", kinds=KINDS)
    ts = "1700000500.000500"
    share(slack, fake_slack.add_file("FM", "many.evtx", log.read_bytes()), ts=ts)
    call = summary_for(fake_slack, ts, timeout=60)
    summary = {**call.body, "ts": call["ts"]}
    shown = texts([summary])
    assert f"*{2 * KINDS:,} failures*" in shown  # the total counts every event
    assert f":scissors: 100 more kinds of failure (200 events) past the {MAX_GROUPS} kinds kept" in shown
    assert f":scissors: {KINDS - MAX_INCIDENTS:,} more failure kinds past the {MAX_INCIDENTS} " in shown

    from bot.history import open_history

    with open_history(settings.db_path, readonly=True) as history:
        assert len(history.incidents(limit=10 * KINDS)) == MAX_INCIDENTS
        (events,) = history.conn.execute("SELECT count(*) FROM events").fetchone()
    assert events == 2 * KINDS  # every event is stored; only incidents are bounded
    with sqlite3.connect(summaries_path(settings)) as db:
        (kept,) = db.execute("SELECT max(length(body)) FROM summaries").fetchone()
    assert kept < 1_000_000  # the kept summary holds at most MAX_GROUPS kinds

    posts = len(fake_slack.calls_to("chat.postMessage"))
    updates = len(fake_slack.calls_to("chat.update"))
    click(slack, summary, render.SHOW_ALL_ACTION, thread_ts=ts)
    fake_slack.wait_for("chat.update", count=updates + 1)
    services.close(wait=True)  # every listener has finished: nothing more comes
    extra = fake_slack.calls_to("chat.postMessage")[posts:]
    assert 1 + len(extra) <= SHOW_ALL_MESSAGES
    assert render.SHOW_ALL_ACTION in actions_of(summary)


def test_show_all_posts_at_most_its_limit_of_messages(tmp_path):
    data = summarize_file(many_failures(tmp_path / "many.evtx", kinds=MAX_GROUPS)).to_dict()
    # A kept summary from before the kinds were bounded could hold 60 times as many.
    data["failures"] = [dict(f, code=f"{f['code']}-{n}") for n in range(60) for f in data["failures"]]

    messages = render.summary_full(data, None)

    assert len(messages) == SHOW_ALL_MESSAGES
    assert all(len(m["blocks"]) <= 50 for m in messages)
    (note,) = messages[-1]["blocks"]
    assert "more sections not posted: `intune-bot summarize FILE --json` lists everything" in texts([
        {"blocks": [note]}])  # fmt: skip
