"""The incident workflow in Slack: summary buttons, the resolve modal, App Home, history answers.

- "Mark resolved" opens a modal (views.open needs the click's trigger_id within
  3 s, so the lazy listener opens it at once); its submission resolves the
  incidents whose IDs travelled in the button value and the modal's
  private_metadata, then re-renders the summary with who resolved it and why.
- "Similar incidents" answers in the thread; "Show all" re-renders the summary
  without cuts (50 blocks at most, the rest as thread replies).
- Summaries are kept (data and history view, as JSON) in a small SQLite file
  next to the history, so a summary can be re-rendered days later; without it
  the resolution is said in the thread instead.
- Who may resolve: anyone, or the users and user groups of INTUNE_BOT_RESOLVERS
  (user groups are read with usergroups.users.list: scope usergroups:read).
- A click or a submission that arrives twice acts once: both are claimed in the
  dedupe store, and History.resolve changes an incident only once.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.history import History, HistoryError
from bot.settings import Settings
from bot.slack import home, render
from bot.slack.replies import history_at

if TYPE_CHECKING:
    from bot.search import Answer
    from bot.slack.app import Services

log = logging.getLogger(__name__)

KEEP_SUMMARIES = 90 * 24 * 3600  # seconds a summary can still be re-rendered


# --- kept summaries ---------------------------------------------------------------------


def summaries_path(history: Settings | Path) -> Path:
    """Next to the history file: `history.db` keeps its summaries in `history-slack-summaries.db`."""
    path = history.db_path if isinstance(history, Settings) else Path(history)
    return path.with_name(path.stem + "-slack-summaries.db")


@contextmanager
def summaries(history: Settings | Path) -> Iterator[sqlite3.Connection]:
    path = summaries_path(history)
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path, timeout=5.0, isolation_level=None)) as db:
        db.execute("PRAGMA journal_mode=WAL")
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
    except (sqlite3.Error, OSError, TypeError, ValueError) as err:
        log.warning("summary %s/%s not kept: %s", channel, ts, err)


def kept_summary(settings: Settings, channel: str, ts: str) -> dict | None:
    try:
        with summaries(settings) as db:
            row = db.execute("SELECT body FROM summaries WHERE key = ?", (f"{channel}/{ts}",))
            found = row.fetchone()
    except (sqlite3.Error, OSError) as err:
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
    except sqlite3.Error as err:
        log.warning("kept summaries unavailable: %s", err)
        return []
    return list(
        dict.fromkeys(
            i for (body,) in rows for i in render.incident_ids(json.loads(body)["history"])
        )
    )


def keep_resolution(settings: Settings, channel: str, ts: str, kept: dict) -> None:
    with summaries(settings) as db:
        db.execute(
            "UPDATE summaries SET body = ? WHERE key = ?", (json.dumps(kept), f"{channel}/{ts}")
        )


# --- who may resolve --------------------------------------------------------------------


def may_resolve(client: WebClient, resolvers: Sequence[str], user: str) -> bool:
    """Anyone when no resolvers are set; else a listed user or a member of a listed group."""
    if not resolvers or user in resolvers:
        return True
    for group in (r for r in resolvers if r.startswith("S")):
        try:
            if user in (client.usergroups_users_list(usergroup=group).get("users") or ()):
                return True
        except SlackApiError as err:  # missing usergroups:read, deleted group: not a member
            log.warning("usergroups.users.list %s failed: %s", group, err.response.get("error"))
    return False


# --- core calls ---------------------------------------------------------------------------


def resolve(
    db: Path | None, ids: Sequence[int], by: str, note: str, thread: tuple[str, str]
) -> int:
    """Resolve the open ones of `ids`; how many changed (0 when all already were)."""
    changed = 0
    with history_at(db) as history:
        if history is None:
            raise HistoryError("the history store is not available")
        for incident_id in ids:
            try:
                changed += history.resolve(incident_id, by, note, thread)
            except HistoryError:  # pruned or folded into another incident since
                log.info("incident %s is gone; not resolved", incident_id)
    return changed


def incident_dicts(history: History | None, ids: Sequence[int], limit: int = 10) -> list[dict]:
    found = []
    for incident_id in ids[:limit]:
        try:
            found.append(history.incident(incident_id).to_dict())  # type: ignore[union-attr]
        except (HistoryError, AttributeError):
            continue
    return found


def similar(db: Path | None, event_id: int, code: str | None) -> list[dict]:
    with history_at(db) as history:
        if history is None:
            return []
        return [i.to_dict() for i in history.similar(event_id, code, limit=10)]


def home_data(db: Path | None, *, now: datetime | None = None, days: int = 30) -> dict[str, Any]:
    """What the App Home shows: servers with open incidents and last upload, recurring failures."""
    with history_at(db) as history:
        if history is None:
            return {"available": False}
        servers = [s.to_dict() for s in history.servers()]
        uploads = history.last_uploads()
        for server in servers[: home.MAX_SERVERS]:
            found = history.incidents(server=server["name"], status="open", limit=200)
            found.sort(key=lambda i: (i.kind != "failure", -i.count))  # failures, biggest first
            server["open"] = [i.to_dict() for i in found if i.server == server["name"]][:20]
            server["upload"] = uploads.get(server["name"])
        since = (now or datetime.now(UTC)) - timedelta(days=days)
        recent = history.incidents(since=since, limit=5000)
    return {"available": True, "servers": servers, "recurring": recurring(recent), "days": days}


def recurring(incidents: Sequence[Any], top: int = 8) -> list[dict]:
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


def what_history_knows(
    history: History, answer: Answer, servers: Sequence[str], thread: tuple[str, str] | None,
    db: Path | None = None,
) -> list[dict]:  # fmt: skip
    """Blocks for a question: its failure on the servers it names, or in the summary's thread."""
    entry = answer.best.entry if answer.best else None  # a wrong guess only finds nothing
    blocks: list[dict] = []
    if thread:
        found = history.incidents_in_thread(*thread)
        known = {i.id for i in found}
        for incident_id in thread_incident_ids(db, *thread):
            if incident_id not in known:
                found += _incident_or_none(history, incident_id)
        found.sort(key=lambda i: i.last, reverse=True)
        items = _with_recent(history, _about(found, entry) or found)
        blocks += render.known(items, "about this thread's incidents")
    for server in servers[:2]:
        found = history.incidents(server=server, limit=50)
        if found:  # the failure asked about, else the server's latest failures
            items = _with_recent(history, _about(found, entry) or found)
            blocks += render.known(items, f"on {render.code(server)}")
        else:
            blocks += render.incidents([], server)["blocks"]
    return blocks


def _incident_or_none(history: History, incident_id: int) -> list[Any]:
    try:
        return [history.incident(incident_id)]
    except HistoryError:  # folded into another incident since
        return []


def _about(incidents: Sequence[Any], entry: Any) -> list[Any]:
    """The incidents of the failure the question names (event ID, code or HRESULT)."""
    if entry is None:
        return []
    if entry.kind == "event":
        return [i for i in incidents if str(i.event_id) == entry.id]
    return [i for i in incidents if (i.code or "").lower() == entry.id.lower()]


def _with_recent(history: History, incidents: Sequence[Any], top: int = 3) -> list[dict]:
    """The latest incident of each distinct failure and server, with its 30-day history."""
    seen, items = set(), []
    for i in incidents:
        key = (i.server, i.event_id, i.code)
        if key in seen:
            continue
        seen.add(key)
        recent = history.recent(i.server, i.event_id, i.code).to_dict()
        items.append({"incident": i.to_dict(), "recent": recent})
        if len(items) == top:
            break
    return items


# --- listeners ------------------------------------------------------------------------------


def register(app: App, services: Services) -> None:
    on = IncidentListeners(services)
    app.action(render.RESOLVE_ACTION)(ack=acknowledge, lazy=[on.resolve_clicked])
    app.view(render.RESOLVE_VIEW)(ack=acknowledge, lazy=[on.resolve_submitted])
    app.action(render.SIMILAR_ACTION)(ack=acknowledge, lazy=[on.similar])
    app.action(render.SHOW_ALL_ACTION)(ack=acknowledge, lazy=[on.show_all])
    app.event("app_home_opened")(on.home_opened)


def acknowledge(ack: Ack) -> None:
    ack()  # closes the modal on submission; the work follows in a lazy listener


def where(body: dict) -> tuple[str, str, str]:
    """(channel, message ts, thread ts) of the message a button sits on."""
    msg = body.get("message") or {}
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id", "")
    ts = container.get("message_ts") or msg.get("ts", "")
    return channel, ts, msg.get("thread_ts") or container.get("thread_ts") or ts


def reported(method: Callable[..., None]) -> Callable[..., None]:
    """A lazy listener's failure: logged with its traceback, and told to the person who clicked.

    (Bolt logs a lazy listener's exception as one line, and the person would see nothing.)
    """

    @wraps(method)
    def wrapper(self: IncidentListeners, **kw: Any) -> None:
        try:
            method(self, **kw)
        except Exception:
            log.exception("%s failed", method.__name__)
            body, client = kw.get("body") or {}, kw.get("client")
            meta = (body.get("view") or {}).get("private_metadata") or "{}"
            channel = where(body)[0] or json.loads(meta).get("c")
            try:
                user = body["user"]["id"]
                client.chat_postEphemeral(channel=channel, user=user, **render.crashed())  # type: ignore[union-attr]
            except Exception:
                log.exception("could not report the failure in Slack")

    return wrapper


class IncidentListeners:
    def __init__(self, services: Services) -> None:
        self.services = services

    @property
    def settings(self) -> Settings:
        return self.services.settings

    def _first(self, body: dict, action: dict) -> bool:
        """A click Slack delivers twice (same action_ts, same user) is handled once."""
        return self.services.seen.claim("action", body["user"]["id"], action.get("action_ts"))

    def _refuse(self, client: WebClient, channel: str, user: str) -> bool:
        if may_resolve(client, self.settings.resolvers, user):
            return False
        client.chat_postEphemeral(channel=channel, user=user, **render.not_allowed())
        return True

    @reported
    def resolve_clicked(self, body: dict, action: dict, client: WebClient) -> None:
        channel, ts, thread = where(body)
        if not self._first(body, action) or self._refuse(client, channel, body["user"]["id"]):
            return
        ids = render.parse_ids(action.get("value", ""))
        meta = json.dumps({"ids": render.ids_value(ids), "c": channel, "ts": ts, "t": thread})
        with history_at(self.services.db) as history:
            shown = incident_dicts(history, ids)
        modal = render.resolve_modal(ids, meta, shown)
        client.views_open(trigger_id=body["trigger_id"], view=modal)

    @reported
    def resolve_submitted(self, body: dict, view: dict, client: WebClient) -> None:
        meta, user = json.loads(view.get("private_metadata") or "{}"), body["user"]["id"]
        first = self.services.seen.claim("view", view["id"])
        if not first or self._refuse(client, meta["c"], user):
            return
        value = view["state"]["values"][render.NOTE_BLOCK][render.NOTE_INPUT].get("value") or ""
        note, ids = value.strip()[: render.NOTE_MAX], render.parse_ids(meta["ids"])
        changed = resolve(self.services.db, ids, user, note, (meta["c"], meta["t"]))
        if changed:
            self.show_resolution(client, meta, {"by": user, "note": note, "count": changed})

    def show_resolution(self, client: WebClient, meta: dict, resolution: dict) -> None:
        kept = kept_summary(self.settings, meta["c"], meta["ts"])
        if kept is None:
            msg = render.resolved_in_thread(**resolution)
            client.chat_postMessage(channel=meta["c"], thread_ts=meta["t"], **msg)
            return
        kept["resolved"].append(resolution)
        keep_resolution(self.settings, meta["c"], meta["ts"], kept)
        msg = render.summary(kept["data"], kept["history"], resolved=kept["resolved"])
        client.chat_update(channel=meta["c"], ts=meta["ts"], **msg)

    @reported
    def similar(self, body: dict, action: dict, client: WebClient) -> None:
        channel, _, thread = where(body)
        if self._first(body, action):
            value = json.loads(action.get("value") or "{}")
            found = similar(self.services.db, int(value["e"]), value.get("c"))
            msg = render.similar(found, value["e"], value.get("c"))
            client.chat_postMessage(channel=channel, thread_ts=thread, **msg)

    @reported
    def show_all(self, body: dict, action: dict, client: WebClient) -> None:
        channel, ts, thread = where(body)
        kept = self._first(body, action) and kept_summary(self.settings, channel, ts)
        if kept is None:
            gone = render.summary_gone()
            client.chat_postEphemeral(channel=channel, user=body["user"]["id"], **gone)
        elif kept:
            first, *rest = render.summary_full(kept["data"], kept["history"], kept["resolved"])
            client.chat_update(channel=channel, ts=ts, **first)
            for msg in rest:
                client.chat_postMessage(channel=channel, thread_ts=thread, **msg)

    @reported
    def home_opened(self, event: dict, client: WebClient) -> None:
        if event.get("tab", "home") == "home":
            view = home.view(home_data(self.services.db))
            client.views_publish(user_id=event["user"], view=view)
