"""A large log: the "reading…" message is updated as it progresses, then becomes the summary."""

from __future__ import annotations

import dataclasses

import pytest

from tests.support.slack import payload, summary_for


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, progress_interval=0.0)  # every progress call updates


def test_large_log_progress_is_shown_then_replaced_by_the_summary(slack, fake_slack, tmp_path):
    from tests.support.connector_logs import large_log

    truth = large_log(tmp_path / "big.evtx", target_bytes=8_000_000)
    file = fake_slack.add_file("F1", "big.evtx", tmp_path / "big.evtx")
    event = {**payload("message_file_share"), "files": [file]}
    slack.event(event)
    summary = summary_for(fake_slack, event["ts"], timeout=60)
    (reading,) = fake_slack.calls_to("chat.postMessage")
    updates = fake_slack.calls_to("chat.update")
    progress = [u for u in updates if "records so far" in u["text"]]
    assert len(progress) == truth.records // 5000
    assert progress[0]["text"].endswith("5,000 records so far")
    assert all(u["ts"] == reading.reply["ts"] for u in updates)
    assert updates[-1] is summary
    assert f"{truth.records:,} records" in summary["blocks"][0]["text"]["text"]
