"""Process each Slack delivery once.

Two sources of duplicates (slack.md §1.6):

- Slack retries an event it thinks we did not acknowledge (`X-Slack-Retry-Num`,
  or `retry_attempt` in Socket Mode) with the same `event_id`;
- one message that mentions the bot arrives twice, as `app_mention` and as
  `message`, with different `event_id`s but the same `(channel, ts)`.

So the global middleware claims `event_id`, and a handler that acts on a
message claims `(channel, ts)` just before it acts (claiming in the
middleware would let a plain `message` we ignore swallow the `app_mention`).
Claims live in SQLite so HTTP workers sharing a disk share them; `:memory:`
for one process and for tests. Rows expire after a day.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from slack_bolt import BoltRequest, BoltResponse

from bot.history.opener import connect, use_wal

TTL = 24 * 3600


class Seen:
    """A set of keys with a time to live: `claim(key)` is True the first time only."""

    def __init__(self, path: str | Path = ":memory:", ttl: float = TTL) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        if str(path) == ":memory:":
            self._db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        else:  # the history's one opener: its checks, and its retry while switching to WAL
            self._db = connect(path, check_same_thread=False)
            use_wal(self._db)
        self._db.execute("CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, at REAL NOT NULL)")
        self._claims = 0

    def claim(self, *parts: object) -> bool:
        key = "/".join(str(p) for p in parts)
        now = time.time()
        with self._lock:
            self._claims += 1
            if self._claims % 500 == 0:
                self._db.execute("DELETE FROM seen WHERE at < ?", (now - self.ttl,))
            cur = self._db.execute("INSERT OR IGNORE INTO seen (key, at) VALUES (?, ?)", (key, now))
            return cur.rowcount == 1

    def close(self) -> None:
        self._db.close()


def once_per_event(seen: Seen) -> Callable[..., BoltResponse | None]:
    """Global middleware: a redelivered event_id is acknowledged and dropped."""

    def middleware(
        req: BoltRequest, body: dict, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not seen.claim("event", event_id):
            return BoltResponse(status=200, body="")
        return next()

    return middleware
