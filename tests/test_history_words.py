"""The history's sentences (bot/history_words.py): one wording, each front end its markup."""

from __future__ import annotations

from bot.history_words import failure, incidents, recent, resolved
from bot.slack.render.incidents import SLACK, known_lines, recent_line

RECENT = {"server": "NDES01.contoso.com", "event_id": "20502", "code": "0x00000410",
          "incidents": 3, "days": 30, "last": "2026-11-20T08:00:00+00:00",
          "last_resolution": {"resolved_at": "2026-11-21T09:30:00+00:00", "resolved_by": "ana",
                              "note": "renewed the RA certificate"}}  # fmt: skip


def _unmarked(mrkdwn: str) -> str:
    return mrkdwn.removeprefix(":calendar: ").replace("`", "").replace("“", "").replace("”", "")


def test_the_terminal_says_the_failure_its_days_and_its_last_fix():
    assert recent(RECENT) == (
        "NDES01.contoso.com had 20502 (0x00000410) in 3 incidents over the last 30 days; "
        "last resolved 2026-11-21 09:30 by ana: renewed the RA certificate"
    )


def test_slack_says_the_same_words_with_its_markup():
    # Slack shows times to the second, with a Z; the words around them are the same.
    slack = _unmarked(recent_line(RECENT)).replace("09:30:00Z", "09:30")
    assert slack == recent(RECENT)


def test_slack_escapes_what_people_typed_and_the_terminal_does_not():
    hostile = {**RECENT, "last_resolution": {**RECENT["last_resolution"], "note": "<!channel> & co"}}
    assert "<!channel>" not in recent_line(hostile)
    assert "&lt;!channel&gt; &amp; co" in recent_line(hostile)
    assert recent(hostile).endswith(": <!channel> & co")


def test_a_nameless_server_and_a_fix_nobody_signed():
    nameless = {**RECENT, "server": "", "last_resolution": {"resolved_at": "2026-11-21T09:30:00"}}
    assert recent(nameless).startswith("unknown server had 20502 (0x00000410)")
    assert recent(nameless).endswith("; last resolved 2026-11-21 09:30")
    assert "_unknown server_" in recent_line(nameless)
    assert resolved(None) == ""


def test_counts_and_failures_read_as_people_write_them():
    assert incidents(1) == "1 incident"
    assert incidents(2000) == "2,000 incidents"
    assert failure(1052, None) == "1052"
    assert failure("", None) == "?"


def test_an_answers_history_names_who_fixed_it_as_the_summary_does():
    item = {"incident": {"id": 4, "event_id": "20502", "code": "0x00000410", "server": RECENT["server"],
                         "status": "resolved", "count": 3}, "recent": RECENT}  # fmt: skip
    (line,) = known_lines([item])
    assert "3 incidents in the last 30 days" in line
    assert resolved(RECENT["last_resolution"], SLACK) in line

