"""A fake Slack on loopback: the Web API, file downloads and response_url, all recorded.

Every request is kept as a `Call` (method, path, headers, parsed body), so tests
assert on what was posted, not just that something was, and the browser
playground (bot/playground) draws what the app sent from the same calls
(`watch()`). Like real Slack, a file download without `Authorization: Bearer
xoxb-test` gets an HTML login page with status 200. Behaviour a test needs is
queued with `fail_next()`. It listens on 127.0.0.1 only and never calls out.
"""

from __future__ import annotations

import itertools
import json
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

TOKEN = "xoxb-test"  # not a secret: the only token this fake accepts
APP_TOKEN = "xapp-test"
# What auth.test answers: the bot is user UBOT, "intune-triage", of team T1.
AUTH_TEST = {"ok": True, "url": "https://example.slack.com/", "team": "Example",
             "user": "intune-triage", "team_id": "T1", "user_id": "UBOT", "bot_id": "BBOT",
             "is_enterprise_install": False}  # fmt: skip
# The fake workspace's channels and who is in them (users.conversations, conversations.members):
# #helpdesk (C1) holds the tests' people U1…U9 and the bot; U1 has a DM with the bot (D1).
# Tests add private channels with `add_channel`.
WORKSPACE = {"C1": {"UBOT", *(f"U{n}" for n in range(1, 10))}, "D1": {"UBOT", "U1"}}
LOGIN_PAGE = b"<!DOCTYPE html><html><body>Sign in to Slack. This browser is no longer supported.</body></html>"


@dataclass
class Call:
    method: str  # "chat.postMessage", "files.download", "response", ...
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    reply: dict[str, Any] = field(default_factory=dict)  # what the fake answered
    raw: bytes = b""  # the request body as sent (the bytes of a file upload)

    @property
    def auth(self) -> str | None:
        return self.headers.get("authorization")

    def __getitem__(self, key: str) -> Any:
        return self.body[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.body.get(key, default)


@dataclass
class FakeFile:
    id: str
    name: str
    content: bytes | Path
    content_type: str = "application/octet-stream"
    always_html: bool = False  # like a token without files:read
    redirect_to: str | None = None  # answer the download with a 302 to this URL
    trickle: float = 0.0  # seconds between bytes: a download that crawls
    cut_at: int | None = None  # send this many bytes of the declared length, then hang up


class FakeSlack:
    """`clock=None` gives message timestamps tests can predict (1700000000.000001, …);
    the playground passes `time.time` so messages show when they were posted."""

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self.calls: list[Call] = []
        self.files: dict[str, FakeFile] = {}
        self.failures: dict[str, list[tuple[int, dict, dict]]] = {}
        self.delays: dict[str, float] = {}
        self.members: dict[str, set[str]] = {c: set(m) for c, m in WORKSPACE.items()}
        self.private: set[str] = set()  # channels only their members (and the bot in them) see
        self.watchers: list[Callable[[Call], None]] = []
        self._ts = itertools.count(1)
        self._views = itertools.count(1)
        self._clock = clock
        self._last_ts = 0.0
        self._lock = threading.Condition()
        self.server = _Server(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.api_url = self.url + "/api/"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- what tests set up -----------------------------------------------------

    def add_file(self, file_id: str, name: str, content: bytes | Path, **kw: Any) -> dict:
        """Serve a file; returns its object as it appears in a file_share event."""
        self.files[file_id] = FakeFile(file_id, name, content, **kw)
        size = content.stat().st_size if isinstance(content, Path) else len(content)
        url = f"{self.url}/files-pri/T1-{file_id}/download/{quote(name)}"
        return {"id": file_id, "name": name, "title": name, "mimetype": kw.get("content_type", "application/octet-stream"),
                "filetype": Path(name).suffix.lstrip(".") or "binary", "size": size, "mode": "hosted",
                "url_private": url, "url_private_download": url}  # fmt: skip

    def add_channel(self, channel: str, members: set[str], *, private: bool = False) -> None:
        """A channel and its members (add "UBOT" for a channel the bot was invited to)."""
        self.members[channel] = set(members)
        if private:
            self.private.add(channel)

    def fail_next(self, method: str, status: int = 200, body: dict | None = None,
                  headers: dict | None = None) -> None:  # fmt: skip
        """The next call to `method` gets this answer instead of the usual one."""
        self.failures.setdefault(method, []).append(
            (status, body or {"ok": False, "error": "fatal_error"}, headers or {})
        )

    # --- what tests read --------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0,
                 where: Callable[[Call], bool] = lambda c: True) -> list[Call]:  # fmt: skip
        """Block until `count` matching calls arrived; fail loudly with what did arrive."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [c for c in self.calls if c.method == method and where(c)]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(c.method, c.body.get("text", "")[:80]) for c in self.calls]
                    raise AssertionError(
                        f"expected {count} {method} calls, got {len(found)}: {seen}"
                    )
                self._lock.wait(left)

    def watch(self, watcher: Callable[[Call], None]) -> None:
        """Call `watcher(call)` after each call is answered (`call.reply` is what Slack said)."""
        self.watchers.append(watcher)

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()

    def _answered(self, call: Call) -> None:
        for watcher in self.watchers:
            watcher(call)

    def next_ts(self) -> str:
        """A message timestamp, unique and increasing, in Slack's "seconds.micros" form."""
        if self._clock is None:
            return f"1700000000.{next(self._ts):06d}"
        with self._lock:
            self._last_ts = max(self._clock(), self._last_ts + 1e-6)
            return f"{self._last_ts:.6f}"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the bench's 20 clients at once must not overflow the backlog


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def _handle(self) -> None:
            data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            raw = data.decode(errors="replace")
            path = urlsplit(self.path).path
            headers = {k.lower(): v for k, v in self.headers.items()}
            if path.startswith("/api/"):
                method = path[len("/api/") :]
            elif path.startswith("/files-pri/"):
                method = "files.download"
            elif path.startswith("/response/"):
                method = "response"
            elif path.startswith("/upload/"):  # the upload_url of files.getUploadURLExternal
                method = "upload"
            else:
                method = path
            body = {} if method == "upload" else _parse(raw, headers.get("content-type", ""))
            call = Call(method, path, headers, body, raw=data)
            fake._record(call)
            if method in fake.delays:
                time.sleep(fake.delays[method])
            queued = fake.failures.get(method)
            if queued:
                status, body, extra = queued.pop(0)
                return self._send(status, body, headers=extra)
            if method == "files.download":
                return self._download(path, call.auth)
            if method not in ("response", "upload"):
                call.reply = _api(fake, method, call)
            fake._answered(call)  # before the answer: a watcher's effect is visible to its caller
            if method == "response":
                return self._send(200, b"ok", "text/plain")
            if method == "upload":
                return self._send(200, f"OK - {len(data)}".encode(), "text/plain")
            return self._send(200, call.reply)

        def _download(self, path: str, auth: str | None) -> None:
            file_id = path.split("/")[2].split("-", 1)[1]
            file = fake.files.get(file_id)
            if file is None:
                return self._send(404, b"not found", "text/plain")
            if file.redirect_to:
                return self._send(302, b"", "text/plain", headers={"Location": file.redirect_to})
            if auth != f"Bearer {TOKEN}" or file.always_html:
                return self._send(200, LOGIN_PAGE, "text/html; charset=utf-8")
            if file.trickle or file.cut_at is not None:
                return self._badly(file)
            if isinstance(file.content, bytes):
                return self._send(200, file.content, file.content_type)
            self.send_response(200)
            self.send_header("Content-Type", file.content_type)
            self.send_header("Content-Length", str(file.content.stat().st_size))
            self.end_headers()
            with file.content.open("rb") as f:
                shutil.copyfileobj(f, self.wfile, 1 << 20)

        def _badly(self, file: FakeFile) -> None:
            """The whole length declared, then a byte at a time, or a hang-up at `cut_at`."""
            data = file.content if isinstance(file.content, bytes) else file.content.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", file.content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.close_connection = True
            sent = data[: file.cut_at] if file.cut_at is not None else data
            try:
                if not file.trickle:
                    self.wfile.write(sent)
                    return
                for i in range(len(sent)):
                    self.wfile.write(sent[i : i + 1])
                    self.wfile.flush()
                    time.sleep(file.trickle)
            except OSError:
                pass  # the client gave up on us

        def _send(
            self,
            status: int,
            body: Any,
            ctype: str = "application/json",
            headers: dict | None = None,
        ) -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _parse(raw: str, ctype: str) -> dict[str, Any]:
    if not raw:
        return {}
    if "json" in ctype or raw.startswith("{"):
        return json.loads(raw)
    body: dict[str, Any] = {k: v[0] for k, v in parse_qs(raw).items()}
    # Form-encoded calls send these as JSON strings.
    for key in ("blocks", "attachments", "files", "view"):
        if isinstance(body.get(key), str):
            body[key] = json.loads(body[key])
    return body


def _api(fake: FakeSlack, method: str, call: Call) -> dict[str, Any]:
    if method == "auth.test":
        if call.auth != f"Bearer {TOKEN}":
            return {"ok": False, "error": "invalid_auth"}
        return dict(AUTH_TEST)
    if method == "apps.connections.open":  # Socket Mode: needs the app-level token
        if call.auth != f"Bearer {APP_TOKEN}":
            return {"ok": False, "error": "invalid_auth"}
        return {"ok": True, "url": "ws://127.0.0.1:9/link/?ticket=x"}
    if method == "chat.postMessage":
        return {"ok": True, "channel": call.get("channel"), "ts": fake.next_ts(),
                "message": {"text": call.get("text")}}  # fmt: skip
    if method == "chat.update":
        return {
            "ok": True,
            "channel": call.get("channel"),
            "ts": call.get("ts"),
            "text": call.get("text"),
        }
    if method == "chat.postEphemeral":
        return {"ok": True, "message_ts": fake.next_ts()}
    if method in ("views.open", "views.publish", "views.update"):
        view = {**(call.get("view") or {}), "id": f"V{next(fake._views):08d}"}
        return {"ok": True, "view": view}
    if method == "files.getUploadURLExternal":  # files_upload_v2, step 1 of 3
        file_id = f"FUP{next(fake._ts):04d}"
        return {"ok": True, "file_id": file_id, "upload_url": f"{fake.url}/upload/v1/{file_id}"}
    if method == "files.completeUploadExternal":  # step 3: shared where the call says
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")}
                                      for f in call.get("files") or ()]}  # fmt: skip
    if method == "users.conversations":
        # With a bot token, Slack lists another person's private channels and DMs only
        # where the bot is a member too.
        user = call.get("user")
        mine = [c for c, m in sorted(fake.members.items()) if user in m
                and (_is_public(fake, c) or "UBOT" in m)]  # fmt: skip
        page, cursor = _page(mine, call)
        return {"ok": True, "channels": [{"id": c} for c in page],
                "response_metadata": {"next_cursor": cursor}}  # fmt: skip
    if method == "conversations.members":
        channel = call.get("channel")
        members = fake.members.get(channel)
        if members is None or (not _is_public(fake, channel) and "UBOT" not in members):
            return {"ok": False, "error": "channel_not_found"}
        page, cursor = _page(sorted(members), call)
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": cursor}}
    if method == "files.info":
        file = fake.files.get(call.get("file"))
        if file is None:
            return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "file": fake.add_file(file.id, file.name, file.content, content_type=file.content_type,
                                                  always_html=file.always_html)}  # fmt: skip
    return {"ok": True}


def _is_public(fake: FakeSlack, channel: str) -> bool:
    return channel.startswith("C") and channel not in fake.private


def _page(items: list[str], call: Call) -> tuple[list[str], str]:
    """One page of a cursor-paged list: the cursor is the offset, as text."""
    start = int(call.get("cursor") or 0)
    end = start + int(call.get("limit") or 100)
    return items[start:end], str(end) if end < len(items) else ""
