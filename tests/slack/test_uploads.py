"""Files shared in Slack: downloaded safely, decided by content, answered in their thread."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.slack.fake_api import FakeSlack
from bot.slack.names import shown_name
from tests.support.slack import payload, still_working, texts

DATA = Path(__file__).parent / "data"
EVTX = DATA / "application.evtx"


def share(slack, *files, event_id=None, retry=None, **fields):
    event = {**payload("message_file_share"), "files": list(files), **fields}
    assert slack.event(event, event_id=event_id, retry=retry).status == 200
    return event


def thread_posts(fake_slack, event):
    return [c for c in fake_slack.calls_to("chat.postMessage") if c.get("thread_ts") == event["ts"]]


def final_text(fake_slack, timeout=15.0):
    """The summary: the last chat.update of the "reading…" message."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        updates = fake_slack.calls_to("chat.update")
        if updates and not still_working(updates[-1]):
            return updates[-1]
        time.sleep(0.05)
    raise AssertionError(
        f"no summary posted: {[(c.method, c.get('text')) for c in fake_slack.calls]}"
    )


def test_evtx_gets_reading_then_summary_in_its_thread(slack, fake_slack):
    file = fake_slack.add_file("F1", "Application.evtx", EVTX.read_bytes())
    event = share(slack, file)
    (reading,) = fake_slack.wait_for("chat.postMessage")
    assert reading["channel"] == "C1"
    assert reading["thread_ts"] == event["ts"]
    assert reading["text"].startswith(
        ":hourglass_flowing_sand: Reading `Application.evtx` (68.0 KB)"
    )
    summary = final_text(fake_slack)
    assert summary["channel"] == "C1"
    assert summary["ts"] == "1700000000.000001"  # the reading message
    assert "Application.evtx" in summary["text"]
    assert "17 records" in texts([summary])
    (download,) = fake_slack.calls_to("files.download")
    assert download.auth == "Bearer xoxb-test"


def test_upload_in_a_thread_is_answered_in_that_thread(slack, fake_slack):
    file = fake_slack.add_file("F1", "Application.evtx", EVTX.read_bytes())
    share(slack, file, thread_ts="1699999999.000001")
    (reading,) = fake_slack.wait_for("chat.postMessage")
    assert reading["thread_ts"] == "1699999999.000001"


def test_log_by_content_whatever_its_name(slack, fake_slack):
    file = fake_slack.add_file("F1", "from-ndes01", EVTX.read_bytes())
    share(slack, file)
    summary = final_text(fake_slack)
    assert "from-ndes01" in summary["text"]


def test_not_a_log_is_left_alone(slack, fake_slack, services):
    file = fake_slack.add_file(
        "F1", "notes.txt", b"remember to renew the RA certificate\n", content_type="text/plain"
    )
    share(slack, file)
    fake_slack.wait_for("files.download")  # it was looked at...
    services.close(wait=True)  # every listener and worker has finished: nothing more comes
    assert fake_slack.calls_to("chat.postMessage") == []  # ...and nothing was said


def test_image_is_not_even_downloaded(slack, fake_slack, services):
    file = fake_slack.add_file(
        "F1", "screenshot.png", b"\x89PNG\r\n\x1a\n", content_type="image/png"
    )
    share(slack, file)
    services.close(wait=True)  # every listener and worker has finished: nothing more comes
    assert fake_slack.calls_to("files.download") == []
    assert fake_slack.calls_to("chat.postMessage") == []


def test_login_page_instead_of_the_file_says_check_files_read(slack, fake_slack):
    file = fake_slack.add_file("F1", "Application.evtx", EVTX.read_bytes(), always_html=True)
    share(slack, file)
    posts = fake_slack.wait_for("chat.update")
    assert "files:read" in posts[-1]["text"]
    assert "reinstall" in posts[-1]["text"]
    assert "Application.evtx" in posts[-1]["text"]


def test_missing_scope_on_files_info_is_explained(slack, fake_slack):
    fake_slack.add_file("F1", "Application.evtx", EVTX.read_bytes())
    fake_slack.fail_next(
        "files.info", 200, {"ok": False, "error": "missing_scope", "needed": "files:read"}
    )
    share(slack, {"id": "F1", "file_access": "check_file_info"})
    (post,) = fake_slack.wait_for("chat.postMessage")
    assert "missing_scope" in post["text"]
    assert "files:read" in post["text"]


def test_id_only_file_is_completed_with_files_info(slack, fake_slack):
    fake_slack.add_file("F1", "Application.evtx", EVTX.read_bytes())
    share(slack, {"id": "F1", "file_access": "check_file_info"})
    summary = final_text(fake_slack)
    assert "Application.evtx" in summary["text"]
    assert fake_slack.calls_to("files.info")[0]["file"] == "F1"


def test_token_never_goes_to_another_host(slack, fake_slack):
    foreign = FakeSlack()
    try:
        file = foreign.add_file("F1", "Application.evtx", EVTX.read_bytes())
        foreign.files["F1"].always_html = False
        share(slack, file)
        post = fake_slack.wait_for("chat.update")[-1]
        assert "refused" in post["text"]
        assert "not a Slack host" in post["text"]
        assert [c for c in foreign.calls if c.auth] == []
        assert foreign.calls == []
    finally:
        foreign.close()


def test_a_redirect_to_another_host_does_not_carry_the_token(slack, fake_slack):
    foreign = FakeSlack()
    try:
        elsewhere = foreign.add_file("F9", "Application.evtx", EVTX.read_bytes())
        file = fake_slack.add_file("F1", "Application.evtx", EVTX.read_bytes())
        fake_slack.files["F1"].redirect_to = elsewhere["url_private_download"]
        share(slack, file)
        post = fake_slack.wait_for("chat.update")[-1]
        (followed,) = foreign.calls
        assert followed.method == "files.download"
        assert followed.auth is None
        assert "login page" in post["text"]  # what a file host says to a request without a token
        assert fake_slack.calls_to("files.download")[0].auth == "Bearer xoxb-test"
    finally:
        foreign.close()


def test_too_large_is_refused_before_download(slack, fake_slack):
    file = fake_slack.add_file("F1", "huge.evtx", EVTX.read_bytes())
    file["size"] = 300 * 1024 * 1024
    share(slack, file)
    (post,) = fake_slack.wait_for("chat.postMessage")
    assert "300.0 MB" in post["text"]
    assert "200.0 MB limit" in post["text"]
    assert fake_slack.calls_to("files.download") == []


@pytest.mark.parametrize("hostile", ["<!channel>", "<!here>", "<@U123>", "<http://evil.example|y>"])
def test_hostile_file_name_pings_no_one(slack, fake_slack, hostile):
    file = fake_slack.add_file("F1", f"{hostile} report.evtx", EVTX.read_bytes())
    share(slack, file)
    summary = final_text(fake_slack)
    shown = texts(fake_slack.calls_to("chat.postMessage") + fake_slack.calls_to("chat.update"))
    assert hostile not in shown
    # Shown, not dropped: in the one harmless form every place uses (‹…› for <…>).
    assert f"{shown_name(hostile)} report.evtx" in summary["text"]


def test_redelivered_upload_is_processed_once(slack, fake_slack, services):
    file = fake_slack.add_file("F1", "Application.evtx", EVTX.read_bytes())
    event = share(slack, file, event_id="EvUPLOAD")
    share(slack, file, event_id="EvUPLOAD", retry=1)  # Slack's retry
    share(
        slack, file, event_id="EvOTHER", text="<@UBOT> look"
    )  # the same message again as app_mention
    final_text(fake_slack)
    services.close(wait=True)  # every listener and worker has finished: nothing more comes
    assert len(thread_posts(fake_slack, event)) == 1
    assert len(fake_slack.calls_to("files.download")) == 1


def test_mention_with_a_file_is_treated_as_the_upload(slack, fake_slack):
    file = fake_slack.add_file("F1", "Application.evtx", EVTX.read_bytes())
    mention = {**payload("app_mention"), "files": [file]}
    slack.event(mention)
    summary = final_text(fake_slack)
    assert "Application.evtx" in summary["text"]


def test_intune_stays_fast_while_a_big_log_is_being_parsed(slack, fake_slack, tmp_path):
    from tests.support.connector_logs import large_log

    large_log(tmp_path / "big.evtx", target_bytes=20_000_000)
    share(slack, fake_slack.add_file("F1", "big.evtx", tmp_path / "big.evtx"))
    fake_slack.wait_for("files.download")
    time.sleep(0.05)  # the worker is now parsing
    answers, answered_at = [], []
    for _ in range(5):
        started = time.monotonic()
        reply, path = slack.command("20502")
        (answer,) = fake_slack.wait_for("response", where=lambda c, p=path: c.path == p)
        answers.append(answer.at - started)
        answered_at.append(answer.at)
        assert reply.status == 200
        assert answer["text"].startswith("Event 20502 ")
    summary = final_text(fake_slack, timeout=60)
    # Judged on the fake's clock, not on a guess of how long the parse takes.
    assert summary.at > max(answered_at), "the parse ended before the test could ask"
    assert max(answers) < 0.5, answers


def test_log_with_no_readable_record_gets_one_line_saying_why(slack, fake_slack):
    file = fake_slack.add_file("F1", "cut.evtx", EVTX.read_bytes()[:300])
    share(slack, file)
    post = final_text(fake_slack)
    assert post["text"].startswith(":warning: Could not read `cut.evtx`: ")
    assert "cut off" in post["text"]
    assert len(post["blocks"]) == 1


def test_damaged_log_is_summarized_with_what_could_not_be_read(slack, fake_slack):
    file = fake_slack.add_file("F1", "System2.evtx", (DATA / "system-cut.evtx").read_bytes())
    share(slack, file)
    summary = final_text(fake_slack)
    shown = texts([summary])
    assert "194 records" in shown
    assert "Parts of the file that could not be read* (1)" in shown
    assert "cut off" in shown
    # said in the first block too, not only at the bottom
    assert "could not be read, so failures may be missing" in texts(
        [{"blocks": summary["blocks"][:1]}]
    )


def test_names_windows_opens_as_devices_or_streams_are_never_download_paths(tmp_path):
    from bot.slack.uploads import temp_path

    for shared in ("CON", "nul.evtx", "COM1.evtx", "lpt9.log", "a.evtx:x"):
        path = temp_path(tmp_path, shared)
        assert path.parent == tmp_path
        assert path.name.split(".")[0].upper() not in ("CON", "NUL", "COM1", "LPT9")
        assert ":" not in path.name
    assert temp_path(tmp_path, "Console.evtx").name == "Console.evtx"


def test_a_rate_limited_summary_update_is_sent_again_after_retry_after(slack, fake_slack, tmp_path):
    from tests.support.legacy_log import write as write_log

    log = write_log(tmp_path / "connector.evtx", failures=5)
    fake_slack.fail_next("chat.update", 429, {"ok": False, "error": "ratelimited"},
                         {"Retry-After": "1"})  # fmt: skip
    share(slack, fake_slack.add_file("F429", "connector.evtx", log.read_bytes()))
    refused, again = fake_slack.wait_for("chat.update", 2, timeout=20)[:2]
    assert again.at - refused.at >= 0.9  # not before Slack said it may
    assert again["text"] == refused["text"]  # the same update, sent again
    assert again["ts"] == refused["ts"]
