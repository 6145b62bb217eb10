"""The Bolt app factory: one place that wires settings, the Web API client and listeners."""

from __future__ import annotations

import logging
import urllib.error
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.settings import HOW_TO_GET, README_SETUP, Settings, SettingsError
from bot.slack import listeners, render
from bot.slack.services import Services

log = logging.getLogger(__name__)

def web_client(settings: Settings) -> WebClient:
    # The default client retries only connection errors; 429s need the rate-limit handler.
    handlers = [ConnectionErrorRetryHandler(), RateLimitErrorRetryHandler(max_retry_count=2)]
    return WebClient(token=settings.bot_token, base_url=settings.api_url, retry_handlers=handlers)


def check_token(client: WebClient, settings: Settings) -> dict:
    """auth.test, turned into one clear line when the token is refused or Slack is unreachable."""
    try:
        return client.auth_test().data  # type: ignore[return-value]
    except SlackApiError as err:
        code = err.response.get("error", "error") if err.response is not None else "error"
        raise SettingsError(
            f"Slack refused SLACK_BOT_TOKEN ({code}). It must be {HOW_TO_GET['SLACK_BOT_TOKEN']}; "
            f"reinstall the app if it changed. See {README_SETUP}."
        ) from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise SettingsError(
            f"cannot reach Slack at {settings.api_url} ({reason}); check SLACK_API_URL and the network"
        ) from None


def create_app(settings: Settings, services: Services) -> App:
    """A Bolt app with our listeners; `auth.test` runs now, so a bad token fails here."""
    client = web_client(settings)
    check_token(client, settings)
    app = App(
        client=client,
        signing_secret=settings.signing_secret or "",
        listener_executor=services.listener_pool,
        name="intune-triage",
    )
    listeners.register(app, services)
    app.error(report_error)
    return app


def report_error(
    error: Exception, body: dict, context: Any, client: WebClient, logger: logging.Logger
) -> None:
    """Log any handler failure, and say so where it happened: the thread, or the command's reply."""
    logger.error("handler failed: %r", error, exc_info=error)
    event = body.get("event") or {}
    try:
        if event.get("channel") and event.get("ts"):
            thread = event.get("thread_ts") or event["ts"]
            client.chat_postMessage(channel=event["channel"], thread_ts=thread, **render.crashed())
        elif context.response_url:
            context.respond(response_type="ephemeral", **render.crashed())
    except Exception:  # the report itself failed (Slack down?): the log has it, carry on
        logger.exception("could not report the failure in Slack")
