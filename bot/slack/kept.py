"""Kept summaries: what each summary message was rendered from, so its buttons can re-render it.

A small SQLite file next to the history (`history.db` keeps them in
`history-slack-summaries.db`), keyed by the Slack message (channel/ts) and its
thread, for 90 days. Without it a resolution is said in the thread instead.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from bot.history.opener import HistoryError, connect, use_wal
from bot.settings import Settings
from bot.slack.render.actions import incident_ids

log = logging.getLogger(__name__)

KEEP_SUMMARIES = 90 * 24 * 3600  # seconds a summary can still be re-rendered


# --- kept summaries ---------------------------------------------------------------------


def summaries_path(history: Settings | Path) -> Path:
    """Next to the history file: `history.db` keeps its summaries in `history-slack-summaries.db`."""
    path = history.db_path if isinstance(history, Settings) else Path(history)
    return path.with_name(path.stem + "-slack-summaries.db")


@contextmanager
def summaries(history: Settings | Path) -> Iterator[sqlite3.Connection]:
    with closing(connect(summaries_path(history))) as db:  # the history's own opener
        use_wal(db)
        db.execute(
            """CREATE TABLE IF NOT EXISTS summaries (
                 key TEXT PRIMARY KEY,  -- channel/ts of the summary message
                 at REAL NOT NULL, body TEXT NOT NULL,
                 thread TEXT NOT NULL)  -- channel/thread_ts it was posted in"""
        )
        db.execute("CREATE INDEX IF NOT EXISTS summaries_thread ON summaries(thread)")
        yield db


def remember_summary(
    settings: Settings, channel: str, ts: str | None, thread_ts: str, data: dict, view: dict | None
) -> None:
    """Keep what the summary message at (channel, ts) was rendered from. Never raises."""
    if not ts or view is None:
        return
    body = {"data": data, "history": view, "thread_ts": thread_ts, "resolved": []}
    try:
        with summaries(settings) as db:
            db.execute("DELETE FROM summaries WHERE at < ?", (time.time() - KEEP_SUMMARIES,))
            db.execute(
                "INSERT OR REPLACE INTO summaries VALUES (?, ?, ?, ?)",
                (
                    f"{channel}/{ts}",
                    time.time(),
                    json.dumps(body, default=str),
                    f"{channel}/{thread_ts}",
                ),  # fmt: skip
            )
    except (HistoryError, sqlite3.Error, OSError, TypeError, ValueError) as err:
        log.warning("summary %s/%s not kept: %s", channel, ts, err)


def kept_summary(settings: Settings, channel: str, ts: str) -> dict | None:
    try:
        with summaries(settings) as db:
            row = db.execute("SELECT body FROM summaries WHERE key = ?", (f"{channel}/{ts}",))
            found = row.fetchone()
    except (HistoryError, sqlite3.Error, OSError) as err:
        log.warning("kept summaries unavailable: %s", err)
        return None
    return json.loads(found[0]) if found else None


def thread_incident_ids(history: Path | None, channel: str, thread_ts: str) -> list[int]:
    """The incidents of the summaries posted in one thread (ongoing ones keep an older thread)."""
    if history is None or not summaries_path(history).exists():
        return []
    try:
        with summaries(history) as db:
            rows = db.execute(
                "SELECT body FROM summaries WHERE thread = ? ORDER BY at DESC LIMIT 20",
                (f"{channel}/{thread_ts}",),
            ).fetchall()
    except (HistoryError, sqlite3.Error, OSError) as err:
        log.warning("kept summaries unavailable: %s", err)
        return []
    return list(
        dict.fromkeys(i for (body,) in rows for i in incident_ids(json.loads(body)["history"]))
    )


def keep_resolution(settings: Settings, channel: str, ts: str, kept: dict) -> None:
    """Keep a resolution with its summary. Never raises: the incidents are resolved
    already, and a summary file that cannot be written must not say otherwise."""
    try:
        with summaries(settings) as db:
            db.execute(
                "UPDATE summaries SET body = ? WHERE key = ?", (json.dumps(kept), f"{channel}/{ts}")
            )
    except (HistoryError, sqlite3.Error, OSError) as err:
        log.warning("resolution of %s/%s not kept with its summary: %s", channel, ts, err)
