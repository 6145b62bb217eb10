"""Status at a glance: reactions on the message that shared the file.

`eyes` while the file is being read, then `white_check_mark` (no failures) or
`red_circle` (failures found), and `eyes` goes away. Reactions are a courtesy:
an error here (a missing reactions:write scope, a deleted message) is logged and
never stops the summary. Slack's `already_reacted` and `no_reaction` mean the
state is already what we wanted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

READING = "eyes"
CLEAN = "white_check_mark"
FAILURES = "red_circle"
HARMLESS = {"already_reacted", "no_reaction"}


@dataclass
class Status:
    """The reactions of one file_share message, which may carry several files."""

    client: WebClient
    channel: str
    ts: str
    reading: bool = False  # `eyes` is on
    logs: int = 0  # files read as event logs
    failed: bool = False  # any of them had failures

    def start(self) -> None:
        """A file is being read: `eyes`, once per message."""
        if not self.reading:
            self.reading = True
            self._call("reactions_add", READING)

    def result(self, failures: int) -> None:
        """One file was summarized; the mark waits for `finish`, when every file is read."""
        self.logs += 1
        self.failed = self.failed or failures > 0

    def finish(self) -> None:
        """The mark for what was found (nothing, when no file was a log), then no more `eyes`."""
        if self.logs:
            self._call("reactions_add", FAILURES if self.failed else CLEAN)
        if self.reading:
            self.reading = False
            self._call("reactions_remove", READING)

    def _call(self, method: str, name: str) -> None:
        try:
            getattr(self.client, method)(channel=self.channel, timestamp=self.ts, name=name)
        except SlackApiError as err:
            code = err.response.get("error") if err.response is not None else None
            if code not in HARMLESS:
                log.warning("%s %s on %s/%s failed: %s", method, name, self.channel, self.ts, code)
        except Exception as err:  # Slack unreachable: the summary matters more
            log.warning("%s %s on %s/%s failed: %r", method, name, self.channel, self.ts, err)
