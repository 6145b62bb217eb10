"""HTTP mode: Bolt's WSGI adapter under waitress, plus `/health`.

Slack sends events, slash commands and button clicks all to `/slack/events`
(the manifest's request URLs in HTTP mode); Bolt verifies each signature.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

EVENTS_PATH = "/slack/events"


def wsgi_app(app: App) -> Callable[..., Iterable[bytes]]:
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/health":
            body = json.dumps({"ok": True}).encode()
            start_response(
                "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            )
            return [body]
        return slack(environ, start_response)

    return application


def make_server(app: App, host: str, port: int, threads: int = 16, **options: Any) -> Any:
    """A waitress server (production grade, pure Python, Windows too); `.run()` blocks."""
    import waitress

    return waitress.create_server(
        wsgi_app(app), host=host, port=port, threads=threads, ident="intune-triage", **options
    )
