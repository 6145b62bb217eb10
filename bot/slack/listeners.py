"""The Slack listeners: read the event, call the core, say the result.

Order matters: Bolt runs the first listener that matches, so the file_share
handler comes before the DM handler, and a do-nothing `message` catch-all comes
last (without it every other message is an "Unhandled request" 404 warning).

`/intune` and the share button ack at once and answer from a lazy listener.
Not only for speed: in bolt 1.30 a listener that raises right after ack() can
wipe its ack (thread_runner sets ack.response back to None), and Slack then sees
a 404 three seconds later. A lazy listener's failure never touches the ack.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from slack_bolt import Ack, App, BoltContext, BoltResponse, Respond, Say
from slack_sdk import WebClient

from bot.slack import incidents, render, replies, server_choice
from bot.slack.dedupe import once_per_event
from bot.slack.services import Services
from bot.slack.uploads import handle_upload

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    on = Listeners(services)
    app.use(once_per_event(services.seen))
    app.use(skip_bots)
    app.command("/intune")(ack=acknowledge, lazy=[on.intune])
    app.action(render.SHARE_ACTION)(ack=acknowledge, lazy=[on.share])
    app.event({"type": "message", "subtype": "file_share"})(on.file_share)
    app.event("app_mention")(on.mention)
    incidents.register(app, services)  # summary buttons, the resolve modal, App Home
    server_choice.register(app, services)  # "which server is this export from?"
    app.event({"type": "message", "subtype": None}, matchers=[in_dm])(on.direct_message)
    app.event("message")(ignore)


def acknowledge(ack: Ack) -> None:
    ack()  # Slack gives up after 3 s; the answer follows through response_url


class Listeners:
    """Listener methods bound to the services (Bolt deep-copies context for lazy listeners)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def intune(self, command: dict, respond: Respond, client: WebClient) -> None:
        # respond() goes through response_url: works in DMs and channels the bot never joined.
        # The answer is ephemeral: only the person who typed it reads it.
        scope = self.services.membership.scope(client, channel=None, user=command.get("user_id"))
        with reported(respond):
            respond(
                response_type="ephemeral",
                **replies.command(command.get("text", ""), self.services.db, scope=scope),
            )

    def share(self, action: dict, respond: Respond) -> None:
        with reported(respond):
            respond(
                response_type="in_channel",
                replace_original=False,
                **replies.shared(action["value"]),
            )
            respond(delete_original=True)  # the private copy is no longer needed

    def file_share(self, event: dict, client: WebClient, context: BoltContext, say: Say) -> None:
        if not self.services.seen.claim("message", event["channel"], event["ts"]):
            return
        settings, workers = self.services.settings, self.services.workers
        scope = self.services.membership.scope(client, channel=event["channel"], user=event.get("user"))
        if not workers.submit(
            handle_upload, client, settings, event, context.bot_token, workers.parsing, scope
        ):
            say(thread_ts=event.get("thread_ts") or event["ts"], **render.plain(BUSY))

    def mention(self, event: dict, client: WebClient, context: BoltContext, say: Say) -> None:
        if event.get("files"):  # a file shared with a mention: the upload is the point
            return self.file_share(event, client, context, say)
        self.direct_message(event, say, client)

    def direct_message(self, event: dict, say: Say, client: WebClient) -> None:
        # app_mention and message deliver the same message twice: claim (channel, ts) once.
        if self.services.seen.claim("message", event["channel"], event["ts"]):
            thread = (event["channel"], event["thread_ts"]) if event.get("thread_ts") else None
            scope = self.services.membership.scope(client, channel=event["channel"], user=event.get("user"))
            answer = replies.question(event.get("text", ""), self.services.db, thread, scope=scope)
            say(thread_ts=event.get("thread_ts") or event["ts"], **answer)


BUSY = "Too many files are being read; share this one again in a few minutes."


@contextmanager
def reported(respond: Respond) -> Iterator[None]:
    """Log a failure and tell the person who asked, privately, instead of crashing."""
    try:
        yield
    except Exception as error:
        log.error("/intune failed: %r", error, exc_info=error)
        try:
            respond(response_type="ephemeral", **render.crashed())
        except Exception:
            log.exception("could not report the failure in Slack")


def ignore() -> None:
    """Other messages in channels the bot is in: not for us."""


def in_dm(event: dict) -> bool:
    return event.get("channel_type") == "im"


def skip_bots(body: dict, next: Callable[[], BoltResponse]) -> BoltResponse | None:
    """Other bots' messages (Bolt already drops our own): two bots must never talk in a loop."""
    event = body.get("event") or {}
    if event.get("bot_id") or event.get("subtype") == "bot_message":
        return BoltResponse(status=200, body="")
    return next()
