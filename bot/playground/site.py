"""The page's HTTP side: static files, a long-polled snapshot, and what the person does.

Plain stdlib HTTP on loopback. The page is three files from `static/` (no
build, no CDN); its Content-Security-Policy allows only our own scripts, so
even text that slipped into markup could not run. Requests whose Host is not
the playground's own (DNS rebinding) or whose Origin is another site are
refused: on loopback, any page the person visits could otherwise post here.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from bot.playground import Playground

STATIC = files("bot.playground") / "static"
PAGES = {"/": "index.html", "/static/playground.css": "playground.css",
         "/static/blockkit.js": "blockkit.js", "/static/playground.js": "playground.js"}  # fmt: skip
TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".js": "text/javascript; charset=utf-8"}  # fmt: skip
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")  # fmt: skip
POLL_SECONDS = 20.0
MAX_UPLOAD = 1 << 30  # the bot refuses past its own limit (200 MB); this only guards the disk
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class Site(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, playground: Playground, host: str, port: int) -> None:
        self.playground = playground
        super().__init__((host, port), Handler)
        self.port = self.server_address[1]
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{self.port}/"
        self.hosts = {f"{h}:{self.port}" for h in ("127.0.0.1", "localhost", "[::1]")}
        self.loopback = host in LOOPBACK

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the page went away mid-answer (a reload, a closed tab): nothing to report
        super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    server: Site
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass  # a request log would drown the app's own warnings

    @property
    def playground(self) -> Playground:
        return self.server.playground

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if not self._allowed():
            return
        if path in PAGES:
            name = PAGES[path]
            return self._send(200, (STATIC / name).read_bytes(), TYPES[Path(name).suffix])
        if path == "/api/state":
            after = int(_query(self.path).get("after", "-1") or -1)
            self.playground.workspace.wait(after, POLL_SECONDS)
            return self._json(self.playground.workspace.snapshot())
        if path.startswith("/files/"):
            return self._file(path.split("/")[2])
        self._send(404, b"not found", "text/plain")

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        if not self._allowed():
            return
        delivery = self.playground.delivery
        if path == "/api/upload":
            return self._upload()
        body = self._body()
        if body is None:
            return
        if "channel" in body and body["channel"] not in self.playground.workspace.channels:
            return self._send(400, b"no such channel", "text/plain")
        if path == "/api/send":
            delivery.send(
                str(body.get("channel")), str(body.get("text") or ""), body.get("thread_ts")
            )
        elif path == "/api/action":
            delivery.click(
                str(body.get("channel")), str(body.get("ts")), dict(body.get("action") or {})
            )
        elif path == "/api/submit":
            return self._json(
                {"errors": delivery.submit(str(body.get("view_id")), body.get("values") or {})}
            )
        elif path == "/api/close":
            self.playground.workspace.close_modal(body.get("view_id"))
        elif path == "/api/home":
            delivery.open_home()
        else:
            return self._send(404, b"not found", "text/plain")
        self._json({"ok": True})

    # --- helpers -------------------------------------------------------------------------------

    def _allowed(self) -> bool:
        host, origin = self.headers.get("Host", ""), self.headers.get("Origin")
        if self.server.loopback and host not in self.server.hosts:
            self._send(403, b"this playground answers only on its own address", "text/plain")
            return False
        if self.command == "POST" and origin and urlsplit(origin).netloc != host:
            self._send(403, b"cross-origin requests are refused", "text/plain")
            return False
        return True

    def _body(self) -> dict[str, Any] | None:
        length = int(self.headers.get("Content-Length") or 0)
        if "application/json" not in (self.headers.get("Content-Type") or "") or length > 1 << 20:
            self._send(415, b"send JSON (at most 1 MB)", "text/plain")
            return None
        try:
            found = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._send(400, b"not JSON", "text/plain")
            return None
        return found if isinstance(found, dict) else {}

    def _upload(self) -> None:
        """The file's bytes as the body, its name in the query: streamed to disk, then shared."""
        query = _query(self.path)
        length = int(self.headers.get("Content-Length") or -1)
        name = Path(query.get("name") or "upload").name[:200] or "upload"
        if length < 0:
            return self._send(411, b"send the file with its Content-Length", "text/plain")
        if length > MAX_UPLOAD:
            return self._send(413, b"the file is too large for the playground", "text/plain")
        if query.get("channel") not in self.playground.workspace.channels:
            return self._send(400, b"no such channel", "text/plain")
        folder = Path(tempfile.mkdtemp(dir=self.playground.uploads))
        dest = folder / "file"
        with dest.open("wb") as out:
            left = length
            while left > 0:
                chunk = self.rfile.read(min(left, 1 << 20))
                if not chunk:
                    break
                out.write(chunk)
                left -= len(chunk)
        ts = self.playground.delivery.upload(query.get("channel") or "", name, dest, length,
                                             query.get("text") or "", query.get("thread_ts") or None)  # fmt: skip
        self._json({"ok": True, "ts": ts})

    def _file(self, file_id: str) -> None:
        file = self.playground.workspace.files.get(file_id)
        if file is None:
            return self._send(404, b"no such file", "text/plain")
        mimetype = file.get("mimetype") or "application/octet-stream"
        inline = mimetype == "image/png"  # our chart; anything else is a download, never rendered
        head = {"Content-Disposition": "inline" if inline else "attachment"}
        if "path" in file:
            path = Path(file["path"])
            self._head(
                200, mimetype if inline else "application/octet-stream", path.stat().st_size, head
            )
            with path.open("rb") as f:
                shutil.copyfileobj(f, self.wfile, 1 << 20)
            return None
        self._send(
            200, file.get("data") or b"", mimetype if inline else "application/octet-stream", head
        )

    def _json(self, data: Any) -> None:
        self._send(200, json.dumps(data).encode(), "application/json")

    def _send(self, status: int, data: bytes, ctype: str, headers: dict | None = None) -> None:
        self._head(status, ctype, len(data), headers)
        self.wfile.write(data)

    def _head(self, status: int, ctype: str, length: int, headers: dict | None = None) -> None:
        self.send_response(status)
        for key, value in {"Content-Type": ctype, "Content-Length": str(length),
                           "Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                           "Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                           **(headers or {})}.items():  # fmt: skip
            self.send_header(key, value)
        self.end_headers()


def _query(path: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}
