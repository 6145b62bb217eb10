"""The use cases, data in and data out: every front end calls these and only renders.

- `ingest(path, summary, source, history)`: record a log, and say what the history
  now knows of its failures (the Slack upload, `summarize --record`, the prompt);
- a question and what the history knows of it: bot/asking.py; `history` and `servers`
  listings and their sentences: bot/listing.py;
- `home_data(history)`: the App Home's servers, open incidents, recurring failures;
- `build_digest(history, now)`: the daily digest's new, still open, resolved incidents;
- `resolve`, `similar`, `incident_dicts`: the incident workflow's reads and writes.

Nothing here knows Slack or the terminal: values in, dataclasses and dicts out.

Every reading use case takes `visible`: the Slack channels whose history may be
shown to whoever reads the result (None: everything, as in the CLI). Who that is,
is the front end's question (bot/slack/membership.py asks Slack).
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.history import (
    History,
    HistoryError,
    Incident,
    IngestResult,
    Recent,
    UploadInfo,
    nameless_events,
)
from bot.history import open_history as _open_history
from bot.history.ingest import MAX_INCIDENTS
from bot.history.opener import describe
from bot.history.queries import Visible

if TYPE_CHECKING:
    from bot.summary_values import Summary

log = logging.getLogger(__name__)


@contextmanager
def history_at(path: Path | str | None, *, readonly: bool = True) -> Iterator[History | None]:
    """The history store, or None when it cannot be opened (the answer still goes out).

    Read-only unless `readonly=False`: reading never creates the file, and a file
    without write access can still be read.

    A store damaged past its first page fails only when read: that is raised as
    HistoryError with one line, like a store that cannot be opened.
    """
    if path is None:
        yield None
        return
    try:
        history = _open_history(path, readonly=readonly)
    except HistoryError as err:
        log.warning("history unavailable: %s", err)
        yield None
        return
    with history:
        try:
            yield history
        except sqlite3.DatabaseError as err:
            raise HistoryError(describe(history.name, err)) from None


@contextmanager
def reading(path: Path | str) -> Iterator[History]:
    """The history store opened for reading; HistoryError, one line, if it cannot be read.

    For front ends whose whole answer is the history (`history`, `servers`): they
    say why instead of answering without it.
    """
    with _open_history(path, readonly=True) as history:
        try:
            yield history
        except sqlite3.DatabaseError as err:
            raise HistoryError(describe(history.name, err)) from None


# --- ingest -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """Who gave the log and where its summary went; never a token."""

    kind: str = "cli"  # "slack" | "cli" | "prompt"
    user: str | None = None  # Slack user ID, or the OS user
    channel: str | None = None  # Slack: the channel and thread the summary is posted in
    thread_ts: str | None = None
    file_id: str | None = None


RECENT_SERVERS = 3  # servers of the top failure whose 30-day history is told


@dataclass(frozen=True)
class Ingested:
    """What recording one log did, and what the history now says of its top failure."""

    result: IngestResult
    recent: tuple[Recent, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape (`summarize --record --json` "history"): IngestResult, plus recent."""
        return {**self.result.to_dict(), "recent": [r.to_dict() for r in self.recent]}

    def view(self) -> dict[str, Any]:
        """Changes grouped by kind, biggest first: what a summary shows of the history.

        {"new" | "ongoing" | "recurred": [IncidentChange.to_dict()], "<kind>_total": n,
        "recent": [Recent.to_dict()], "already_recorded": bool}. A front end lists a few
        of each kind; the whole view is kept so "Show all" can list them all.
        """
        view: dict[str, Any] = {
            "already_recorded": self.result.already_recorded,
            "untracked": self.result.untracked,
            "incident_limit": MAX_INCIDENTS,
            "recent": [r.to_dict() for r in self.recent],
        }
        by_kind: dict[str, list] = {}
        for change in self.result.incidents:
            by_kind.setdefault(change.change, []).append(change)
        for kind, changes in by_kind.items():
            changes.sort(key=lambda c: (c.incident.kind != "failure", -c.added))
            view[kind] = [c.to_dict() for c in changes]
            view[f"{kind}_total"] = len(changes)
        return view


def ingest(
    path: Path | str, summary: Summary, source: Source, history: History, *,
    server: str | None = None, visible: Visible = None,
) -> Ingested:  # fmt: skip
    """Record the connector events of `summary` (read from `path`) into `history`.

    The summary must have been made with `keep_events=True`. Incidents remember the
    thread their summary went to (new and recurred ones, and ongoing ones that have
    none yet), so a question asked there finds them. `server` names the server of
    events that name no computer (CSV and TXT exports); without it such a log raises
    NoServer and nothing is recorded (`needs_server` says so beforehand). The recent
    history told with it is what `visible` may see.
    """
    info = UploadInfo.from_file(
        path, summary.format, source=source.kind, user=source.user, channel=source.channel,
        thread_ts=source.thread_ts, file_id=source.file_id, records=summary.records,
        problems=[p.to_dict() for p in summary.problems],
    )  # fmt: skip
    result = history.record_upload(info, summary.events, server=server)
    if source.channel and source.thread_ts:
        for change in result.incidents:
            if change.change != "ongoing" or not change.incident.thread_ts:
                history.set_thread(change.incident.id, source.channel, source.thread_ts)
    top = summary.dominant
    named = [s if s.strip() else (server or "") for s in top.servers] if top else []
    servers = list(dict.fromkeys(n for n in named if n))[:RECENT_SERVERS]
    if not (top and top.event_id.isdigit()):
        servers = []
    recent = tuple(
        history.recent(s, int(top.event_id), top.code, visible=visible)  # type: ignore[union-attr]
        for s in servers
    )
    return Ingested(result, recent)


def needs_server(summary: Summary) -> bool:
    """The log has connector events that name no computer: recording it needs a server."""
    return nameless_events(summary.events) > 0


def server_named_in(history: History, *texts: str, visible: Visible = None) -> str | None:
    """The one known server these texts (a message, a file name) name, full or short.

    A name counts between characters that are not letters or digits, so
    "NDES01-app.csv" and "ndes01_export.csv" name NDES01 but "NDES011.csv" does not. None when no known server, or several, are named.
    """
    found = set()
    haystack = " ".join(texts)
    for info in history.servers(visible):
        if not info.name.strip():
            continue
        for name in {info.name, info.name.split(".")[0]}:
            if re.search(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", haystack, re.I):
                found.add(info.name)
    return found.pop() if len(found) == 1 else None


# --- Home ---------------------------------------------------------------------------------


def home_data(
    history: History | None, *, now: datetime | None = None, days: int = 30, servers: int = 60,
    visible: Visible = None,
) -> dict[str, Any]:  # fmt: skip
    """Servers with their open incidents and last upload (the first `servers` of them),
    and the most recurrent failures of the last `days`; {"available": False} without a store."""
    if history is None:
        return {"available": False}
    listed = [s.to_dict() for s in history.servers(visible)]
    uploads = history.last_uploads(visible)
    for server in listed[:servers]:
        found = history.incidents(server=server["name"], status="open", limit=200, visible=visible)
        found.sort(key=lambda i: (i.kind != "failure", -i.count))  # failures, biggest first
        server["open"] = [i.to_dict() for i in found if i.server == server["name"]][:20]
        server["upload"] = uploads.get(server["name"])
    since = (now or datetime.now(UTC)) - timedelta(days=days)
    recent = history.incidents(since=since, limit=5000, visible=visible)
    return {"available": True, "servers": listed, "recurring": recurring(recent), "days": days}


def recurring(incidents: Sequence[Incident], top: int = 8) -> list[dict]:
    """Failures by (event ID, code), most incidents first: how often, on how many servers."""
    groups: dict[tuple, dict] = {}
    for i in incidents:
        if i.kind != "failure":
            continue
        g = groups.setdefault((i.event_id, i.code), {"event_id": str(i.event_id), "code": i.code,
                              "name": i.name, "incidents": 0, "events": 0, "servers": set()})  # fmt: skip
        g["incidents"] += 1
        g["events"] += i.count
        g["servers"].add(i.server)
    ranked = sorted(groups.values(), key=lambda g: (-g["incidents"], -g["events"]))[:top]
    return [{**g, "servers": len(g["servers"])} for g in ranked]


# --- the daily digest -----------------------------------------------------------------------

DIGEST_WINDOW = timedelta(days=1)


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


def build_digest(
    history: History, now: datetime, window: timedelta = DIGEST_WINDOW, visible: Visible = None
) -> Digest:
    """Failure incidents of the `window` before `now`: new, still open, resolved.

    Windows tile: what happens at `now` belongs to the next digest. An incident
    recorded and resolved within the window is both new and resolved; "still open"
    means open at `now`, so an old digest reads the same after later resolutions.
    """
    since = now - window
    digest = Digest(since=since, until=now)
    for incident in history.activity(since, visible=visible):
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


# --- the incident workflow ------------------------------------------------------------------


def resolve(
    history: History, ids: Sequence[int], by: str, note: str,
    thread: tuple[str, str] | None = None,
) -> int:  # fmt: skip
    """Resolve the open ones of `ids`; how many changed (0 when all already were)."""
    changed = 0
    for incident_id in ids:
        try:
            changed += history.resolve(incident_id, by, note, thread)
        except HistoryError:  # pruned or folded into another incident since
            log.info("incident %s is gone; not resolved", incident_id)
    return changed


def incident_dicts(history: History | None, ids: Sequence[int], limit: int = 10) -> list[dict]:
    """The incidents of `ids` that still exist, the first `limit` of them."""
    found = []
    for incident_id in ids[:limit]:
        try:
            found.append(history.incident(incident_id).to_dict())  # type: ignore[union-attr]
        except (HistoryError, AttributeError):
            continue
    return found


def similar(
    history: History, event_id: int, code: str | None, limit: int = 10, visible: Visible = None
) -> list[dict]:
    """The same failure on any server, resolved ones first (with their notes)."""
    return [i.to_dict() for i in history.similar(event_id, code, limit=limit, visible=visible)]
