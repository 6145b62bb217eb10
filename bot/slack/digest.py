"""The daily digest: at a set time (UTC), new, ongoing and resolved incidents of the last day.

Off unless INTUNE_BOT_DIGEST_CHANNEL is set. Three small parts, each testable alone:

- `build_digest(history, now)`: pure, what the digest says for the day before `now`;
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
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.history import History, HistoryError, Incident, open_history
from bot.settings import Settings
from bot.slack import render
from bot.slack.dedupe import Seen

log = logging.getLogger(__name__)

WINDOW = timedelta(days=1)
TICK = 30.0  # seconds between looks at the clock: a suspended machine wakes up late, not never


@dataclass(frozen=True)
class Digest:
    since: datetime
    until: datetime
    new: list[Incident] = field(default_factory=list)  # recorded in the window
    ongoing: list[Incident] = field(default_factory=list)  # still open, recorded before it
    resolved: list[Incident] = field(default_factory=list)  # resolved in the window

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            **{k: [i.to_dict() for i in getattr(self, k)] for k in ("new", "ongoing", "resolved")},
        }


def build_digest(history: History, now: datetime, window: timedelta = WINDOW) -> Digest:
    """Failure incidents of the `window` before `now`: new, still open, resolved.

    Windows tile: what happens at `now` belongs to the next digest. An incident
    recorded and resolved within the window is both new and resolved; "still open"
    means open at `now`, so an old digest reads the same after later resolutions.
    """
    since = now - window
    digest = Digest(since=since, until=now)
    for incident in history.activity(since):
        if incident.kind != "failure" or incident.created_at >= now:
            continue  # warnings are in the thread summaries; the digest is for failures
        resolved = incident.resolved_at if incident.status == "resolved" else None
        if incident.created_at >= since:
            digest.new.append(incident)
        elif resolved is None or resolved >= now:
            digest.ongoing.append(incident)
        if resolved and since <= resolved < now:
            digest.resolved.append(incident)
    return digest


def next_run(now: datetime, at: time) -> datetime:
    """The first `at` (UTC) strictly after `now`."""
    now = now.astimezone(UTC)
    run = datetime.combine(now.date(), at, tzinfo=UTC)
    return run if run > now else run + timedelta(days=1)


def post_digest(client: WebClient, settings: Settings, seen: Seen, due: datetime) -> bool:
    """Post the digest for the day ending at `due`; False if another worker did, or it failed."""
    channel = settings.digest_channel
    if not channel or not seen.claim("digest", channel, due.isoformat()):
        return False
    try:
        with open_history(settings.db_path) as history:
            digest = build_digest(history, due)
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
