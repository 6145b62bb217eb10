"""HTTP mode: Bolt under waitress, plus `/health`, hardened for a public URL.

Slack sends events, slash commands and button clicks all to `/slack/events`
(the manifest's request URLs in HTTP mode). What reaches Bolt has been checked
here first, because anyone can POST to a public URL:

- a body over MAX_BODY is refused with 413 by waitress from its Content-Length,
  before a byte of it is read (and a chunked one as soon as it grows past it);
  Slack's own payloads are a few hundred kB at most;
- the signature is checked on the raw bytes, and a missing, stale or garbage
  timestamp or signature is a 401; a signed body that is not UTF-8 JSON or a
  form is a 400. Either is one log line: Bolt would raise (int("garbage"),
  json.loads) and waitress would log a traceback and answer 500;
- idle sockets cannot lock Slack out: they are closed after CHANNEL_TIMEOUT,
  and when the connection limit is reached the longest-idle ones make room.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import App, BoltRequest
from waitress.adjustments import Adjustments
from waitress.server import TcpWSGIServer

EVENTS_PATH = "/slack/events"
MAX_BODY = 4 * 1024 * 1024
CONNECTION_LIMIT = 500  # waitress's default is 100; each idle socket costs a file descriptor
CHANNEL_TIMEOUT = 20  # seconds a socket may sit idle (waitress: 120)
CLEANUP_INTERVAL = 2  # seconds between idle sweeps (waitress: 30)
MAX_CLOCK_SKEW = 5 * 60  # Slack's rule: older signed requests are replays

log = logging.getLogger(__name__)
Reply = tuple[int, str]


def wsgi_app(app: App, secret: str) -> Callable[..., Iterable[bytes]]:
    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "")
        if path == "/health":
            status, body = 200, json.dumps({"ok": True})
            ctype = "application/json"
        elif path != EVENTS_PATH or method != "POST":
            status, body, ctype = 404, "Not Found", "text/plain;charset=utf-8"
        else:
            status, body, headers = _events(app, secret, environ)
            return _send(start_response, status, body, headers)
        return _send(start_response, status, body, {"content-type": [ctype]})

    return application


def _events(app: App, secret: str, environ: dict[str, Any]) -> tuple[int, str, dict]:
    raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    headers = _headers(environ)
    if _ssl_check(raw):  # Slack's unsigned "is your certificate fine" probe: nothing to do
        return 200, "", {}
    refused = _unsigned(raw, headers, secret) or _unparsable(raw, headers)
    if refused:
        status, reason = refused
        log.warning(
            "refused a request from %s: %s (%d)", environ.get("REMOTE_ADDR"), reason, status
        )
        return status, reason, {"content-type": ["text/plain;charset=utf-8"]}
    response = app.dispatch(
        BoltRequest(body=raw.decode(), query=environ.get("QUERY_STRING", ""), headers=headers)
    )
    return response.status, response.body, response.headers


def _ssl_check(raw: bytes) -> bool:
    return len(raw) < 1024 and parse_qs(raw.decode(errors="replace")).get("ssl_check") == ["1"]


def _unsigned(raw: bytes, headers: dict[str, str], secret: str) -> Reply | None:
    """Slack's v0 signature over the raw bytes, as Bolt checks it, but never raising."""
    timestamp, signature = (
        headers.get("x-slack-request-timestamp"),
        headers.get("x-slack-signature"),
    )
    if not timestamp or not signature:
        return 401, "not signed"
    if not timestamp.isascii() or not timestamp.isdigit():
        return 401, "malformed timestamp"
    if abs(time.time() - int(timestamp)) > MAX_CLOCK_SKEW:
        return 401, "stale timestamp"
    mac = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256)
    if not hmac.compare_digest("v0=" + mac.hexdigest(), signature):
        return 401, "bad signature"
    return None


def _unparsable(raw: bytes, headers: dict[str, str]) -> Reply | None:
    """A signed body Bolt could not parse: not UTF-8, or JSON that is not an object."""
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        return 400, "body is not UTF-8"
    if headers.get("content-type", "").startswith("application/json") or text.startswith("{"):
        try:
            if not isinstance(json.loads(text), dict):
                return 400, "JSON body is not an object"
        except ValueError:
            return 400, "malformed JSON body"
    return None


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {k.lower().replace("_", "-"): v for k, v in environ.items()
               if k in ("CONTENT_LENGTH", "CONTENT_TYPE")}  # fmt: skip
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].lower().replace("_", "-")] = value
    return headers


def _send(start_response: Callable[..., Any], status: int, body: str,
          headers: dict[str, Any]) -> Iterable[bytes]:  # fmt: skip
    from http import HTTPStatus

    data = body.encode()
    pairs = [(k, v) for k, values in headers.items() if k.lower() != "content-length"
             for v in ([values] if isinstance(values, str) else values)]  # fmt: skip
    start_response(
        f"{status} {HTTPStatus(status).phrase}", [*pairs, ("content-length", str(len(data)))]
    )
    return [data]


class Server(TcpWSGIServer):
    """waitress's TCP server, which at its connection limit closes the longest-idle sockets.

    waitress itself stops accepting at the limit until its sweep closes sockets idle
    for channel_timeout; until then Slack's requests wait in the backlog and time out.
    """

    def readable(self) -> bool:
        if self.accepting and len(self._map) >= self.adj.connection_limit:
            self._make_room()
        return super().readable()

    def _make_room(self) -> None:
        idle = sorted((c for c in self.active_channels.values() if not c.requests and not c.will_close),
                      key=lambda c: c.last_activity)  # fmt: skip
        for channel in idle[: max(1, len(idle) // 10)]:
            channel.will_close = True  # closed by waitress's loop on its next pass


def make_server(app: App, host: str, port: int, *, secret: str, threads: int = 16,
                **options: Any) -> Server:  # fmt: skip
    """A waitress server (production grade, pure Python, Windows too); `.run()` blocks.

    `secret` is the signing secret the app was built with: requests are checked here first.
    """
    if not secret:  # an HMAC under an empty key is one anyone can compute
        raise ValueError("HTTP mode needs the app's signing secret")
    from waitress.task import ThreadedTaskDispatcher

    settings = {"connection_limit": CONNECTION_LIMIT, "channel_timeout": CHANNEL_TIMEOUT,
                "cleanup_interval": CLEANUP_INTERVAL, "max_request_body_size": MAX_BODY,
                **options}  # fmt: skip
    adj = Adjustments(host=host, port=port, threads=threads, ident="intune-triage", **settings)
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adj.threads)
    # One address, the first --host resolves to (waitress would listen on each).
    return Server(wsgi_app(app, secret), map={}, dispatcher=dispatcher, adj=adj)
