"""The timeline picture and the status reactions of a shared connector log."""

from __future__ import annotations

import dataclasses
import io
import struct

from bot.chart import timeline_chart
from bot.slack.chart_upload import chart_filename
from bot.summary_file import summarize_file
from tests.support.legacy_log import write
from tests.support.slack import TS, outage, payload, share, summary_for, texts

PNG = b"\x89PNG\r\n\x1a\n"
def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def reactions(fake_slack):
    return [
        (c.method, c["name"], c["channel"], c["timestamp"])
        for c in fake_slack.calls
        if c.method in ("reactions.add", "reactions.remove")
    ]


def test_a_log_spanning_hours_gets_its_timeline_in_the_thread(slack, fake_slack, tmp_path):
    path, file = outage(fake_slack, tmp_path)
    share(slack, file)
    summary = summary_for(fake_slack, TS, timeout=30)
    (done,) = fake_slack.wait_for("files.completeUploadExternal", timeout=30)
    (asked,) = fake_slack.calls_to("files.getUploadURLExternal")
    (upload,) = fake_slack.calls_to("upload")
    # The three steps of files_upload_v2, in order, the bytes to the URL Slack returned.
    assert asked.at <= upload.at <= done.at
    assert upload.path == "/upload/v1/" + asked.reply["file_id"]
    assert asked["filename"] == "NDES01-outage-timeline.png"
    assert int(asked["length"]) == len(upload.raw)
    assert "connector failures" in asked["alt_txt"]
    # The picture: a PNG at Slack's preview size, and the very chart of this log.
    assert png_size(upload.raw) == (800, 400)
    expected = io.BytesIO()
    timeline_chart(dataclasses.replace(summarize_file(path), file="NDES01-outage.evtx"), expected)
    assert upload.raw == expected.getvalue()
    # Shared in the file's thread, after the summary.
    assert done["channel_id"] == "C1"
    assert done["thread_ts"] == TS
    assert done["files"] == [{"id": asked.reply["file_id"],
                              "title": "Failures over time: NDES01-outage.evtx"}]  # fmt: skip
    assert summary.at <= done.at
    # The bot token went to the Web API only, never with the bytes.
    assert upload.auth is None
    assert asked.auth == done.auth == "Bearer xoxb-test"


def test_reactions_say_reading_then_failures_found(slack, fake_slack, tmp_path):
    _, file = outage(fake_slack, tmp_path)
    share(slack, file)
    fake_slack.wait_for("reactions.remove", timeout=30)
    assert reactions(fake_slack) == [
        ("reactions.add", "eyes", "C1", TS),
        ("reactions.add", "red_circle", "C1", TS),
        ("reactions.remove", "eyes", "C1", TS),
    ]
    (summary,) = [u for u in fake_slack.calls_to("chat.update") if "failures" in u["text"]][-1:]
    added = fake_slack.calls_to("reactions.add")
    assert added[0].at <= summary.at <= added[1].at


def test_a_log_without_failures_gets_a_check_mark_and_no_chart(slack, fake_slack, tmp_path):
    log = write(tmp_path / "ok.evtx", failures=0, successes=200)  # 200 minutes of successes
    share(slack, fake_slack.add_file("F1", "ok.evtx", log.read_bytes()))
    summary_for(fake_slack, TS)
    fake_slack.wait_for("reactions.remove")
    assert [(m, n) for m, n, *_ in reactions(fake_slack)] == [
        ("reactions.add", "eyes"),
        ("reactions.add", "white_check_mark"),
        ("reactions.remove", "eyes"),
    ]
    assert not fake_slack.calls_to("files.getUploadURLExternal")
    assert not fake_slack.calls_to("upload")


def test_a_short_log_with_failures_gets_no_chart(slack, fake_slack, tmp_path):
    log = write(tmp_path / "short.evtx", failures=30)  # 30 minutes
    share(slack, fake_slack.add_file("F1", "short.evtx", log.read_bytes()))
    summary_for(fake_slack, TS)
    fake_slack.wait_for("reactions.remove")
    assert ("reactions.add", "red_circle") in [(m, n) for m, n, *_ in reactions(fake_slack)]
    assert not fake_slack.calls_to("files.getUploadURLExternal")


def test_a_refused_upload_leaves_the_summary_and_the_mark(slack, fake_slack, tmp_path):
    fake_slack.fail_next("files.getUploadURLExternal", body={"ok": False, "error": "missing_scope"})
    _, file = outage(fake_slack, tmp_path)
    share(slack, file)
    summary = summary_for(fake_slack, TS, timeout=30)
    fake_slack.wait_for("reactions.remove", timeout=30)
    assert "failures" in summary["text"]
    assert "History" in texts([summary])
    assert not fake_slack.calls_to("upload")
    assert not fake_slack.calls_to("files.completeUploadExternal")
    assert ("reactions.add", "red_circle") in [(m, n) for m, n, *_ in reactions(fake_slack)]
    posted = fake_slack.calls_to("chat.postMessage") + fake_slack.calls_to("chat.update")
    assert "internal error" not in texts(posted)


def test_a_failed_upload_post_is_logged_and_nothing_else_changes(slack, fake_slack, tmp_path):
    fake_slack.fail_next("upload", status=500, body={"ok": False})
    _, file = outage(fake_slack, tmp_path)
    share(slack, file)
    summary_for(fake_slack, TS, timeout=30)
    fake_slack.wait_for("reactions.remove", timeout=30)
    assert len(fake_slack.calls_to("upload")) == 1
    assert not fake_slack.calls_to("files.completeUploadExternal")


def test_already_reacted_and_no_reaction_are_harmless(slack, fake_slack, tmp_path):
    fake_slack.fail_next("reactions.add", body={"ok": False, "error": "already_reacted"})
    fake_slack.fail_next("reactions.remove", body={"ok": False, "error": "no_reaction"})
    log = write(tmp_path / "x.evtx", failures=3)
    share(slack, fake_slack.add_file("F1", "x.evtx", log.read_bytes()))
    summary_for(fake_slack, TS)
    fake_slack.wait_for("reactions.remove")
    assert [n for m, n, *_ in reactions(fake_slack)] == ["eyes", "red_circle", "eyes"]


def test_a_file_that_is_not_a_log_gets_no_reaction(slack, fake_slack):
    share(slack, fake_slack.add_file("F1", "notes.txt", b"just some notes\n" * 20))
    fake_slack.wait_for("files.download")
    slack.command("help")  # a later request: by its answer the upload has long been handled
    fake_slack.wait_for("response")
    assert not reactions(fake_slack)


def test_chart_file_names_are_tame():
    assert chart_filename("NDES01.evtx") == "NDES01-timeline.png"
    assert chart_filename("../we ird<!here>.xml") == "we_ird__here-timeline.png"
    assert chart_filename("<>") == "log-timeline.png"


def test_one_message_with_two_logs_gets_one_eyes_and_one_mark(slack, fake_slack, tmp_path):
    clean = write(tmp_path / "ok.evtx", failures=0, successes=5)
    broken = write(tmp_path / "ko.evtx", failures=5)
    files = [fake_slack.add_file("F1", "ok.evtx", clean.read_bytes()),
             fake_slack.add_file("F2", "ko.evtx", broken.read_bytes())]  # fmt: skip
    event = {**payload("message_file_share"), "files": files, "ts": TS, "event_ts": TS}
    assert slack.event(event).status == 200
    fake_slack.wait_for("reactions.remove", timeout=20)
    assert [(m, n) for m, n, *_ in reactions(fake_slack)] == [
        ("reactions.add", "eyes"),
        ("reactions.add", "red_circle"),  # one of the two had failures
        ("reactions.remove", "eyes"),
    ]
