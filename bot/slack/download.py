"""Download a Slack file with the bot token, streamed to disk, to Slack's hosts only.

`WebClient` has no download helper (python-slack-sdk#1434), so this is plain
urllib. Three Slack quirks shape it:

- `url_private_download` needs `Authorization: Bearer xoxb-…`; without the
  header, or without the files:read scope, Slack answers 200 with an HTML
  login page instead of the file;
- the token must never reach another host, not even through a redirect
  (urllib's own redirect handler would copy the header), so redirects are
  followed by hand and the header goes only to Slack or to SLACK_API_URL's host;
- the event's `size` can be missing or wrong, so the limit is enforced while reading.

A per-read timeout alone lets a server trickle a byte every few seconds for
hours, so each download also has an overall deadline, scaled to its size. A
body that ends before its Content-Length is a failed download, not a damaged
log, and is said as such.
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from bot.slack.render import size

SLACK_DOMAINS = ("slack.com", "slack-edge.com", "slack-files.com", "slack-gov.com")
CHUNK = 1024 * 1024
MAX_REDIRECTS = 5
SCOPE_HINT = "check the files:read scope and reinstall the app"
LOGIN_PAGE = f"Slack sent a login page instead of the file: {SCOPE_HINT}"
DEADLINE_FLOOR = 60.0  # seconds any download may take, however small
SECONDS_PER_MB = 2.0  # and 2 s more per MB (0.5 MB/s): a 200 MB log gets 7 minutes


class DownloadError(Exception):
    """The file could not be downloaded; str(err) is one line for the thread."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None  # hand the 3xx back to us


_opener = urllib.request.build_opener(_NoRedirect)


def trusted(url: str, api_url: str) -> bool:
    """True if the bot token may be sent to `url`: Slack over https, or SLACK_API_URL's own host."""
    target, api = urlsplit(url), urlsplit(api_url)
    if target.scheme == api.scheme and target.netloc.lower() == api.netloc.lower():
        return True
    host = (target.hostname or "").lower()
    slack = any(host == d or host.endswith("." + d) for d in SLACK_DOMAINS)
    return slack and target.scheme == "https" and target.port in (None, 443)


def deadline_for(nbytes: int, floor: float = DEADLINE_FLOOR) -> float:
    """Seconds a download of `nbytes` may take in all."""
    return floor + SECONDS_PER_MB * nbytes / (1024 * 1024)


def download(url: str, dest: Path, *, token: str, api_url: str, max_bytes: int,
             timeout: float = 30.0, floor: float = DEADLINE_FLOOR,
             expected: int | None = None) -> int:  # fmt: skip
    """Stream `url` into `dest`; return the number of bytes written.

    - `timeout` bounds each read, the deadline (`floor` plus time for the size: the
      Content-Length, else `expected`, else `max_bytes`) the whole download.
    """
    started = time.monotonic()
    if not trusted(url, api_url):
        raise DownloadError(
            f"refused to send the bot token to {urlsplit(url).hostname}: not a Slack host"
        )
    for _ in range(MAX_REDIRECTS + 1):
        headers = {"Authorization": f"Bearer {token}"} if trusted(url, api_url) else {}
        request = urllib.request.Request(url, headers=headers)
        try:
            response = _opener.open(request, timeout=min(timeout, floor))
        except urllib.error.HTTPError as err:
            if err.code in (301, 302, 303, 307, 308) and err.headers.get("Location"):
                url = urljoin(url, err.headers["Location"])
                err.close()
                continue
            err.close()
            raise DownloadError(f"Slack answered HTTP {err.code} to the download") from None
        except (urllib.error.URLError, OSError) as err:
            raise DownloadError(f"the download failed: {getattr(err, 'reason', err)}") from None
        with response:
            return _save(response, dest, max_bytes, _Clock(started, floor, expected or max_bytes))
    raise DownloadError("the download was redirected too many times")


class _Clock:
    def __init__(self, started: float, floor: float, nbytes: int) -> None:
        self.started, self.floor, self.nbytes = started, floor, nbytes

    def sized(self, nbytes: int) -> None:
        self.nbytes = nbytes

    def check(self, written: int) -> None:
        took = time.monotonic() - self.started
        if took > deadline_for(self.nbytes, self.floor):
            raise DownloadError(
                f"the download was too slow: {size(written)} of {size(self.nbytes)} "
                f"in {took:.0f} s; share it again"
            )


def _save(response, dest: Path, max_bytes: int, clock: _Clock) -> int:  # type: ignore[no-untyped-def]
    if (response.headers.get("Content-Type") or "").lower().startswith("text/html"):
        raise DownloadError(LOGIN_PAGE)
    header = response.headers.get("Content-Length") or ""
    declared = int(header) if header.isdigit() else None
    if declared is not None:
        if declared > max_bytes:
            raise DownloadError(f"it is {size(declared)}, over the {size(max_bytes)} limit")
        clock.sized(declared)
    written = 0
    with open(dest, "wb") as out:
        while True:
            try:
                chunk = response.read1(CHUNK)  # what has arrived: read() would wait for all of it
            except (http.client.IncompleteRead, OSError) as err:  # chunked body cut, reset, timeout
                raise DownloadError(
                    f"the download stopped at {size(written)}: {err}; share it again"
                ) from None
            if not chunk:
                break
            written += len(chunk)
            if written > max_bytes:
                raise DownloadError(f"it is over the {size(max_bytes)} limit")
            out.write(chunk)
            clock.check(written)
    if declared is not None and written < declared:
        raise DownloadError(
            f"the download stopped at {size(written)} of {size(declared)}; share it again"
        )
    return written
