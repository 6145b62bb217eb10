"""The incident workflow in Slack: summary buttons, the resolve modal, App Home.

- "Mark resolved" opens a modal (views.open needs the click's trigger_id within
  3 s, so the lazy listener opens it at once); its submission resolves the
  incidents whose IDs travelled in the button value and the modal's
  private_metadata, then re-renders the summary with who resolved it and why.
- "Similar incidents" answers in the thread; "Show all" re-renders the summary
  without cuts (50 blocks at most, the rest as thread replies).
- Summaries are kept (bot/slack/kept.py), so a summary can be re-rendered days
  later; without it the resolution is said in the thread instead.
- Who may resolve: anyone, or the users and user groups of INTUNE_BOT_RESOLVERS
  (user groups are read with usergroups.users.list: scope usergroups:read).
- A click or a submission that arrives twice acts once: both are claimed in the
  dedupe store, and History.resolve changes an incident only once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import triage
from bot.history import HistoryError
from bot.settings import Settings
from bot.slack import render
from bot.slack.kept import keep_resolution, kept_summary
from bot.slack.render import home
from bot.slack.services import Services
from bot.triage import history_at

log = logging.getLogger(__name__)


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
            shown = triage.incident_dicts(history, ids)
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
        with history_at(self.services.db, readonly=False) as history:
            if history is None:
                raise HistoryError("the history store is not available")
            changed = triage.resolve(history, ids, user, note, (meta["c"], meta["t"]))
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
            scope = self.services.membership.scope(client, channel=channel, user=body["user"]["id"])
            with history_at(self.services.db) as history:
                found = (
                    triage.similar(history, int(value["e"]), value.get("c"),
                                   visible=scope(history.channels()))
                    if history else []
                )  # fmt: skip
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
            # Only this person sees their Home: the channels they are in, and their DM with us.
            scope = self.services.membership.scope(
                client, channel=event.get("channel"), user=event["user"]
            )
            try:
                with history_at(self.services.db) as history:
                    visible = scope(history.channels()) if history else None
                    data = triage.home_data(history, servers=home.MAX_SERVERS, visible=visible)
            except HistoryError as err:  # Home still opens, saying the history is unavailable
                log.warning("home tab without history: %s", err)
                data = triage.home_data(None)
            view = home.view(data)
            client.views_publish(user_id=event["user"], view=view)
