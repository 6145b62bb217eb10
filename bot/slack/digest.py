"""The daily digest: at a set time (UTC), new, ongoing and resolved incidents of the last day.

Off unless INTUNE_BOT_DIGEST_CHANNEL is set. Three small parts, each testable alone:

- `bot.triage.build_digest(history, now)`: what the digest says for the day before `now`;
- `next_run(now, at)`: when the next digest is due;
- `DigestScheduler`: a daemon thread that sleeps until then, and posts.

Several HTTP workers on one disk each run a scheduler; the shared dedupe store
(`Seen`) lets exactly one of them post each day's digest. A failure to post is
logged and the next day's digest still comes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.history import HistoryError
from bot.settings import Settings
from bot.slack import render
from bot.slack.dedupe import Seen
from bot.slack.membership import Membership
from bot.triage import build_digest, reading

log = logging.getLogger(__name__)

TICK = 30.0  # seconds between looks at the clock: a suspended machine wakes up late, not never


def next_run(now: datetime, at: time) -> datetime:
    """The first `at` (UTC) strictly after `now`."""
    now = now.astimezone(UTC)
    run = datetime.combine(now.date(), at, tzinfo=UTC)
    return run if run > now else run + timedelta(days=1)


def post_digest(client: WebClient, settings: Settings, seen: Seen, due: datetime,
                membership: Membership | None = None) -> bool:  # fmt: skip
    """Post the digest for the day ending at `due`; False if another worker did, or it failed.

    It tells what the digest channel's members may all see: what was learned there, and
    in channels they are all members of (bot/slack/membership.py).
    """
    channel = settings.digest_channel
    if not channel or not seen.claim("digest", channel, due.isoformat()):
        return False
    try:
        membership = membership or Membership(shared=settings.shared_history)
        with reading(settings.db_path) as history:
            visible = membership.for_channel(client, channel, history.channels())
            digest = build_digest(history, due, visible=visible)
    except HistoryError as err:
        log.warning("daily digest skipped: %s", err)
        return False
    try:
        client.chat_postMessage(channel=channel, **render.digest(digest.to_dict()))
    except SlackApiError as err:
        code = err.response.get("error") if err.response is not None else None
        hint = " (invite the bot to that channel)" if code == "not_in_channel" else ""
        log.warning("daily digest not posted to %s: %s%s", channel, code, hint)
        return False
    return True


class DigestScheduler:
    """A daemon thread posting the digest at `settings.digest_time` every day."""

    def __init__(self, client: WebClient, settings: Settings, seen: Seen, *,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 tick: float = TICK) -> None:  # fmt: skip
        self.client, self.settings, self.seen = client, settings, seen
        self.clock, self.tick = clock, tick
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="intune-digest", daemon=True)

    def start(self) -> DigestScheduler:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(5)

    def _run(self) -> None:
        due = next_run(self.clock(), self.settings.digest_time)
        log.info("daily digest to %s at %s UTC", self.settings.digest_channel, due)
        while not self._stop.wait(min(self.tick, max(0.0, (due - self.clock()).total_seconds()))):
            now = self.clock()
            if now < due:
                continue
            try:
                post_digest(self.client, self.settings, self.seen, due)
            except Exception:  # never let one bad day stop the next ones
                log.exception("daily digest failed")
            due = next_run(max(now, due), self.settings.digest_time)


def start_digest(client: WebClient, settings: Settings, seen: Seen,
                 **kw: Any) -> DigestScheduler | None:  # fmt: skip
    """The scheduler, started, if a digest channel is set; None (no thread) otherwise."""
    if not settings.digest_channel:
        return None
    return DigestScheduler(client, settings, seen, **kw).start()
