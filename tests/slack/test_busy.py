"""A burst of uploads beyond what the workers can queue gets a "busy" answer, not a silent backlog."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.slack.services import Services, Workers
from tests.support.slack import payload

EVTX = Path(__file__).parent / "data" / "application.evtx"


@pytest.fixture
def services(settings):
    services = Services(settings=settings, db=settings.db_path, workers=Workers(1, queue=0, downloads=1))
    yield services
    services.close(wait=True)


def test_upload_beyond_the_queue_is_told_to_come_back(slack, fake_slack):
    fake_slack.delays["files.download"] = 1.5  # the only worker stays busy
    first = fake_slack.add_file("F1", "a.evtx", EVTX.read_bytes())
    second = fake_slack.add_file("F2", "b.evtx", EVTX.read_bytes())
    slack.event({**payload("message_file_share"), "files": [first], "ts": "1700000001.000001"})
    fake_slack.wait_for("files.download")
    slack.event({**payload("message_file_share"), "files": [second], "ts": "1700000002.000002"})
    busy = fake_slack.wait_for(
        "chat.postMessage", where=lambda c: c["thread_ts"] == "1700000002.000002"
    )
    assert "again in a few minutes" in busy[0]["text"]
