"""The timeline picture of a summary, uploaded into the file's thread.

Only for logs worth a picture (`bot.chart.needs_chart`: failures over more than
an hour). Uses Slack's upload flow (`files_upload_v2`: files.getUploadURLExternal,
a POST of the bytes to the returned upload URL, files.completeUploadExternal).
The middle POST carries no Authorization header in slack_sdk (checked in
tests/slack/test_chart_upload.py), so the bot token still goes only to the Web
API base URL. A chart is extra: any failure here is logged and the summary,
already posted, stands.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import tempfile
from pathlib import Path
from typing import Any

from slack_sdk import WebClient

from bot.chart import needs_chart, timeline_chart
from bot.slack.names import shown_name
from bot.summary_values import Summary

log = logging.getLogger(__name__)


def upload_chart(
    client: WebClient, summary: Summary, name: str, channel: str, thread_ts: str
) -> str | None:
    """Draw and upload the chart if the summary needs one; return the Slack file ID, or None."""
    if not needs_chart(summary):
        return None
    try:
        with tempfile.TemporaryDirectory(prefix="intune-chart-") as tmp:
            path = Path(tmp) / "timeline.png"
            name = shown_name(name)
            timeline_chart(dataclasses.replace(summary, file=name), path)
            total = sum(g.count for g in summary.failures)
            response = client.files_upload_v2(
                channel=channel,
                thread_ts=thread_ts,
                file=str(path),
                filename=chart_filename(name),
                title=f"Failures over time: {name}",
                alt_txt=f"Timeline of {total:,} connector failures in {name}, by event, UTC",
            )
        file: dict[str, Any] = response.get("file") or {}
        return file.get("id")
    except Exception as err:  # drawing or Slack: the summary is already in the thread
        log.warning("timeline chart for %s not uploaded: %r", name, err, exc_info=err)
        return None


def chart_filename(name: str) -> str:
    """`NDES01.evtx` -> `NDES01-timeline.png`, with nothing odd from the shared name."""
    stem = re.sub(r"[^\w.\-]", "_", Path(name).stem)[:80].strip("._") or "log"
    return f"{stem}-timeline.png"
