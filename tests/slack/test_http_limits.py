"""HTTP mode facing the internet: oversized, unsigned, malformed and idle requests.

All over real sockets against the real server (waitress + Bolt) the `slack` fixture runs.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import socket
import time
from urllib.parse import urlsplit

import pytest

from bot.slack.server import MAX_BODY, make_server
from tests.support.slack import SECRET, serving


def raw_request(url: str, head: str, body: bytes = b"", timeout: float = 10) -> bytes:
    """Send `head` (request line + headers) and `body` on a fresh socket; return the reply."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(head.encode() + b"\r\n\r\n" + body)
        reply = b""
        try:
            while chunk := sock.recv(65536):
                reply += chunk
                if b"\r\n\r\n" in reply:
                    break
        except ConnectionResetError:
            pass  # the server hung up on the rest of a refused body
    return reply


def status_of(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1])


def signed_headers(body: bytes, timestamp: str | None = None) -> dict[str, str]:
    ts = timestamp or str(int(time.time()))
    mac = hmac.new(SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={mac}"}


@pytest.mark.parametrize("path", ["/slack/events", "/health", "/anything"])
def test_oversized_body_is_refused_before_it_is_read(slack, path):
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {300 * 1024 * 1024}"
    start = time.monotonic()
    reply = raw_request(slack.url, head, b"{" + b" " * 65536)
    assert status_of(reply) == 413
    assert time.monotonic() - start < 3  # answered from the headers, not after 300 MB


def test_oversized_chunked_body_is_refused(slack):
    parts = urlsplit(slack.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"%x\r\n%s\r\n" % (65536, b"a" * 65536)
        sent = 0
        try:
            while sent < 2 * MAX_BODY:
                sock.sendall(chunk)
                sent += 65536
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert b" 413 " in sock.recv(4096).split(b"\r\n")[0] + b" "


def test_body_just_under_the_limit_is_still_read(slack):
    body = b"token=x&" + b"a" * (MAX_BODY - 100)
    headers = "".join(f"\r\n{k}: {v}" for k, v in signed_headers(body).items())
    head = f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}{headers}"
    assert status_of(raw_request(slack.url, head, body)) != 413


REFUSED = [
    ("unsigned", {}, b'{"type": "event_callback"}', 401, "not signed"),
    ("word timestamp", {"X-Slack-Request-Timestamp": "now", "X-Slack-Signature": "v0=00"}, b"{}", 401,
     "malformed timestamp"),
    ("garbage timestamp", {"X-Slack-Request-Timestamp": "１２３", "X-Slack-Signature": "v0=00"}, b"{}",
     401, "malformed timestamp"),
    ("stale", signed_headers(b"{}", str(int(time.time()) - 3600)), b"{}", 401, "stale timestamp"),
    ("forged", {**signed_headers(b"{}"), "X-Slack-Signature": "v0=" + "0" * 64}, b"{}", 401,
     "bad signature"),
    ("signed, malformed JSON", signed_headers(b'{"type": '), b'{"type": ', 400, "malformed JSON"),
    ("signed, JSON list", signed_headers(b"[1, 2]"), b"[1, 2]", 400, "not an object"),
    ("signed, not UTF-8", signed_headers(b"{\xff\xfe}"), b"{\xff\xfe}", 400, "not UTF-8"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "headers", "body", "status", "reason"), REFUSED,
                         ids=[r[0] for r in REFUSED])  # fmt: skip
def test_unsigned_or_malformed_request_gets_one_line(
    slack, caplog, case, headers, body, status, reason
):
    caplog.set_level(logging.INFO)
    extra = "".join(f"\r\n{k}: {v}" for k, v in headers.items())
    head = f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}{extra}"
    reply = raw_request(slack.url, head, body)
    assert status_of(reply) == status
    time.sleep(0.1)  # the log line is written on the server's thread
    # waitress.queue warns of its own backlog on a loaded machine: not about this request.
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING and r.name != "waitress.queue"]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    assert reason in lines[0].getMessage()
    assert lines[0].exc_info is None


def test_slack_ssl_check_is_answered(slack):
    reply = slack.post("ssl_check=1&token=legacy", "application/x-www-form-urlencoded", sign=False)
    assert reply.status == 200


def hold_idle(url: str, count: int) -> list[socket.socket]:
    parts = urlsplit(url)
    return [socket.create_connection((parts.hostname, parts.port)) for _ in range(count)]


def test_signed_command_is_answered_while_150_idle_connections_are_held(slack, fake_slack):
    held = hold_idle(slack.url, 150)
    try:
        time.sleep(0.3)  # let the server accept them all
        reply, path = slack.command("20502")
        assert reply.status == 200
        assert reply.seconds < 2
        fake_slack.wait_for("response", where=lambda c: c.path == path)
    finally:
        for sock in held:
            sock.close()


@pytest.fixture
def small_server(app, fake_slack):
    """The same app on a server with a connection limit of 20, to reach it cheaply."""
    with serving(app, fake_slack, connection_limit=20) as sender:
        yield sender


def test_idle_sockets_make_room_at_the_connection_limit(small_server, fake_slack):
    held = hold_idle(small_server.url, 40)  # twice the limit: the rest wait in the backlog
    try:
        time.sleep(0.5)
        reply, path = small_server.command("20502")
        assert reply.status == 200
        assert reply.seconds < 3
        fake_slack.wait_for("response", where=lambda c: c.path == path)
    finally:
        for sock in held:
            sock.close()


def test_http_mode_refuses_to_start_without_a_signing_secret(app):
    with pytest.raises(ValueError, match="signing secret"):
        make_server(app, "127.0.0.1", 0, secret="")
