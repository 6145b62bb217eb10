"""Downloads that go wrong on the way: cut short, or trickling, served over real HTTP."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from tests.support.slack import payload, texts

EVTX = Path(__file__).parent / "data" / "application.evtx"
FLOOR = 4.0  # seconds a download may take here (60 in production)


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, download_floor=FLOOR)


def share(slack, file, ts):
    event = {**payload("message_file_share"), "files": [file], "ts": ts}
    assert slack.event(event).status == 200
    return event


def answer(fake_slack, ts, timeout=15.0):
    """The last word in the thread of the message `ts`: the update of its "reading…" post."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        posts = [c for c in fake_slack.calls_to("chat.postMessage") if c.get("thread_ts") == ts]
        if posts:
            updates = [u for u in fake_slack.calls_to("chat.update")
                       if u.get("ts") == posts[0].reply["ts"] and "Reading" not in u["text"]]  # fmt: skip
            if updates:
                return updates[0]
        time.sleep(0.05)
    raise AssertionError(f"no answer in thread {ts}")


def test_download_cut_short_is_said_as_such(slack, fake_slack):
    data = EVTX.read_bytes()
    file = fake_slack.add_file("F1", "Application.evtx", data, cut_at=len(data) // 2)
    share(slack, file, "1700000001.000001")
    said = texts([answer(fake_slack, "1700000001.000001")])
    assert "the download stopped at 34.0 KB of 68.0 KB; share it again" in said
    assert "cut off" not in said  # not blamed on the log


def test_trickling_download_stops_at_its_deadline(slack, fake_slack):
    file = fake_slack.add_file("F1", "Application.evtx", EVTX.read_bytes(), trickle=0.05)
    start = time.monotonic()
    share(slack, file, "1700000001.000001")
    said = texts([answer(fake_slack, "1700000001.000001")])
    assert "the download was too slow" in said
    assert "of 68.0 KB in 4 s; share it again" in said
    assert time.monotonic() - start < FLOOR + 3


def test_slow_downloads_do_not_hold_up_a_normal_one(slack, fake_slack):
    # Two trickles: as many as the parse workers (settings.workers == 2).
    for n in (1, 2):
        file = fake_slack.add_file(f"FSLOW{n}", f"slow{n}.evtx", EVTX.read_bytes(), trickle=0.05)
        share(slack, file, f"170000000{n}.00000{n}")
    fake_slack.wait_for("files.download", 2)
    normal = fake_slack.add_file("FOK", "Application.evtx", EVTX.read_bytes())
    start = time.monotonic()
    share(slack, normal, "1700000009.000009")
    done = answer(fake_slack, "1700000009.000009")
    assert "17 records" in texts([done])
    assert done.at - start < 3
    slow = [answer(fake_slack, f"170000000{n}.00000{n}") for n in (1, 2)]
    assert all(done.at < s.at for s in slow)  # the normal file was read while they crawled
