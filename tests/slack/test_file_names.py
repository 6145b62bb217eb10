"""A shared file's name is shown one way everywhere: the name the user shared, made harmless."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.slack.names import MAX_CHARS, shown_name
from tests.support.slack import TS, outage, share, summary_for, texts

HOSTILE = "<!channel> ndes01 <@U0ADMIN>\u202e`x`.evtx"
SHOWN = "‹!channel› ndes01 ‹@U0ADMIN›'x'.evtx"


@pytest.mark.parametrize(("name", "shown"), [
    ("NDES01.evtx", "NDES01.evtx"),
    (HOSTILE, SHOWN),
    ("..\\..\\Windows/evil.evtx", "..⧵..⧵Windows∕evil.evtx"),
    ("two\nlines\t here.xml", "two lines here.xml"),
    ("", "file"),
    ("..", "file"),
    ("a" * 300 + ".evtx", "a" * (MAX_CHARS - 6) + "….evtx"),
])  # fmt: skip
def test_shown_name(name, shown):
    assert shown_name(name) == shown


@given(st.text())
def test_shown_name_is_harmless_and_stable(name):
    shown = shown_name(name)
    assert not set(shown) & set("<>`\n\r\t/\\")
    assert len(shown) <= MAX_CHARS
    assert shown_name(shown) == shown


def test_hostile_name_is_shown_the_same_everywhere(slack, fake_slack, tmp_path):
    _, file = outage(fake_slack, tmp_path, name=HOSTILE)
    share(slack, file)
    summary = summary_for(fake_slack, TS, timeout=30)
    (asked,) = fake_slack.wait_for("files.getUploadURLExternal", timeout=30)
    (done,) = fake_slack.wait_for("files.completeUploadExternal", timeout=30)
    assert done["files"][0]["title"] == f"Failures over time: {SHOWN}"
    assert SHOWN in asked["alt_txt"]
    assert f"`{SHOWN}`" in texts([summary])
    everything = texts(fake_slack.calls_to("chat.postMessage") + fake_slack.calls_to("chat.update"))
    for shown in (everything, done["files"][0]["title"], asked["alt_txt"]):
        assert "<!channel>" not in shown
        assert "<@U0ADMIN>" not in shown
        assert "\u202e" not in shown


def test_error_line_names_the_file_the_user_shared(slack, fake_slack):
    file = fake_slack.add_file("F1", "<!here> ndes 01.evtx", b"just some notes, not a log\n")
    share(slack, file)
    said = fake_slack.wait_for("chat.update", timeout=15)[-1]["text"]
    assert "Could not read `‹!here› ndes 01.evtx`: ‹!here› ndes 01.evtx is plain text" in said
    assert "_here_" not in said  # not the temp file's sanitized name
