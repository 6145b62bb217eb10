"""The Slack listeners: read the event, call the core, say the result.

Order matters: Bolt runs the first listener that matches, so the file_share
handler comes before the DM handler, and a do-nothing `message` catch-all comes
last (without it every other message is an "Unhandled request" 404 warning).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, BoltContext, BoltResponse, Respond, Say
from slack_sdk import WebClient

from bot.slack import render, replies
from bot.slack.dedupe import once_per_event
from bot.slack.uploads import handle_upload

if TYPE_CHECKING:
    from bot.slack.app import Services


def register(app: App, services: Services) -> None:
    app.use(once_per_event(services.seen))
    app.use(skip_bots)
    app.use(provide(services))
    app.command("/intune")(on_intune)
    app.action(render.SHARE_ACTION)(on_share)
    app.event({"type": "message", "subtype": "file_share"})(on_file_share)
    app.event("app_mention")(on_mention)
    app.event({"type": "message", "subtype": None}, matchers=[in_dm])(on_dm)
    app.event("message")(ignore)


def on_intune(ack: Ack, command: dict, respond: Respond, context: BoltContext) -> None:
    ack()  # first: Slack gives up after 3 s
    # respond() goes through response_url: works in DMs and channels the bot never joined.
    respond(
        response_type="ephemeral",
        **replies.command(command.get("text", ""), context["services"].db),
    )


def on_share(ack: Ack, action: dict, respond: Respond) -> None:
    ack()
    respond(response_type="in_channel", replace_original=False, **replies.shared(action["value"]))
    respond(delete_original=True)  # the private copy is no longer needed


def on_file_share(event: dict, client: WebClient, context: BoltContext, say: Say) -> None:
    services = context["services"]
    if not services.seen.claim("message", event["channel"], event["ts"]):
        return
    if not services.workers.submit(
        handle_upload, client, services.settings, event, context.bot_token
    ):
        say(
            thread_ts=event.get("thread_ts") or event["ts"],
            **render.plain("Too many files queued; share it again in a few minutes."),
        )


def on_mention(event: dict, client: WebClient, context: BoltContext, say: Say) -> None:
    if event.get("files"):  # a file shared with a mention: the upload is the point
        return on_file_share(event, client, context, say)
    answer_in_thread(event, context, say)


def on_dm(event: dict, context: BoltContext, say: Say) -> None:
    answer_in_thread(event, context, say)


def answer_in_thread(event: dict, context: BoltContext, say: Say) -> None:
    # app_mention and message deliver the same message twice: claim (channel, ts) once.
    if context["services"].seen.claim("message", event["channel"], event["ts"]):
        say(
            thread_ts=event.get("thread_ts") or event["ts"],
            **replies.question(event.get("text", ""), context["services"].db),
        )


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


def provide(services: Services) -> Callable[..., Any]:
    def middleware(context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse | None:
        context["services"] = services
        return next()

    return middleware
