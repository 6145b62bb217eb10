"""Listeners for "which server did this export come from?": a known server, or a typed name.

The choice records the file again from Slack (files.info, then the same download,
summary and history as an upload), so nothing of the export is kept while the
question waits. The summary message is updated with what the history now says,
and the question is replaced by who chose which server.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.history import AmbiguousServer, HistoryError
from bot.slack import render
from bot.slack.incidents import acknowledge, where
from bot.slack.names import shown_name
from bot.slack.services import Services
from bot.slack.uploads import Thread, handle_file
from bot.triage import history_at

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    on = ServerChoice(services)
    app.action(render.SERVER_ACTION)(ack=acknowledge, lazy=[on.chosen])
    app.action(render.SERVER_OTHER_ACTION)(ack=acknowledge, lazy=[on.other])
    app.view(render.SERVER_VIEW)(ack=on.check_name, lazy=[on.typed])


def _typed(view: dict) -> str:
    values = (view.get("state") or {}).get("values") or {}
    field = (values.get(render.SERVER_BLOCK) or {}).get(render.SERVER_INPUT) or {}
    return " ".join(str(field.get("value") or "").split())[: render.SERVER_MAX]


class ServerChoice:
    def __init__(self, services: Services) -> None:
        self.services = services

    def check_name(self, ack: Ack, view: dict) -> None:
        """A blank name, or the short name of several known servers, keeps the modal open
        with the reason under the field (the servers are not named: some may be of
        channels this user is not in)."""
        name = _typed(view)
        try:
            self.meant(name)
        except AmbiguousServer:
            why = f"Several known servers are called {name}: type the full name (NDES01.contoso.com)."
        else:
            why = "" if name else "Type the server's name."
        if why:
            ack(response_action="errors", errors={render.SERVER_BLOCK: why})
        else:
            ack()

    def meant(self, name: str) -> str:
        """The known server a typed name means ("ndes01": NDES01.contoso.com), else the name."""
        if not name:
            return name
        try:
            with history_at(self.services.db) as history:
                return history.server_meant(name) if history is not None else name
        except AmbiguousServer:
            raise
        except HistoryError:
            return name  # recording says why the history cannot be updated

    def chosen(self, body: dict, action: dict, client: WebClient, context: BoltContext) -> None:
        value = action.get("value") or (action.get("selected_option") or {}).get("value", "")
        choice = render.parse_choice(value)
        channel, ask_ts, thread = where(body)
        self.record(client, context, {**choice, "c": channel, "t": thread, "a": ask_ts},
                    body["user"]["id"])  # fmt: skip

    def other(self, body: dict, action: dict, client: WebClient) -> None:
        channel, ask_ts, thread = where(body)
        meta = {**render.parse_choice(action.get("value", "")), "c": channel, "t": thread,
                "a": ask_ts}  # fmt: skip
        client.views_open(trigger_id=body["trigger_id"], view=render.server_modal(meta))

    def typed(self, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
        meta = render.parse_choice(view.get("private_metadata") or "")
        self.record(client, context, {**meta, "s": _typed(view)}, body["user"]["id"])

    def record(self, client: WebClient, context: BoltContext, choice: dict[str, str],
               user: str) -> None:  # fmt: skip
        """Record the file under the chosen server, once, whoever clicks first."""
        file_id, server, channel = choice.get("f"), choice.get("s"), choice.get("c")
        if not (file_id and server and channel and choice.get("m")):
            log.warning("server choice without its file, server or summary: %s", json.dumps(choice))
            return
        if not self.services.seen.claim("server", channel, choice["m"]):
            return  # someone already answered the question for this summary
        name = file_id
        try:
            file: dict[str, Any] = client.files_info(file=file_id)["file"]
            name = shown_name(file.get("name"), file_id)
            thread = Thread(client, channel, choice.get("t") or choice["m"], ts=choice["m"])
            thread.scope = self.services.membership.scope(client, channel=channel, user=user)
            settings = self.services.settings
            handle_file(client, settings, {"user": user, "channel": channel}, file,
                        context.bot_token or "", thread, self.services.workers.parsing,
                        server=server)  # fmt: skip
            answer = render.recorded_under(name, self.meant(server), user)
        except AmbiguousServer:  # another server of that short name came in meanwhile
            answer = render.not_recorded(name, f"several known servers are called {server}")
        except SlackApiError as err:
            reason = f"Slack refused files.info ({err.response.get('error')}); share it again"
            answer = render.not_recorded(name, reason)
        except Exception:
            log.exception("recording %s under %s failed", file_id, server)
            answer = render.not_recorded(name, "an internal error (logged)")
        if choice.get("a"):
            client.chat_update(channel=channel, ts=choice["a"], **answer)
