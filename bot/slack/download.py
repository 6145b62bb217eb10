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
"""

from __future__ import annotations

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


def download(url: str, dest: Path, *, token: str, api_url: str, max_bytes: int,
             timeout: float = 30.0) -> int:  # fmt: skip
    """Stream `url` into `dest`; return the number of bytes written."""
    if not trusted(url, api_url):
        raise DownloadError(
            f"refused to send the bot token to {urlsplit(url).hostname}: not a Slack host"
        )
    for _ in range(MAX_REDIRECTS + 1):
        headers = {"Authorization": f"Bearer {token}"} if trusted(url, api_url) else {}
        request = urllib.request.Request(url, headers=headers)
        try:
            response = _opener.open(request, timeout=timeout)
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
            return _save(response, dest, max_bytes)
    raise DownloadError("the download was redirected too many times")


def _save(response, dest: Path, max_bytes: int) -> int:  # type: ignore[no-untyped-def]
    if (response.headers.get("Content-Type") or "").lower().startswith("text/html"):
        raise DownloadError(LOGIN_PAGE)
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise DownloadError(f"it is {size(int(declared))}, over the {size(max_bytes)} limit")
    written = 0
    with open(dest, "wb") as out:
        while chunk := response.read(CHUNK):
            written += len(chunk)
            if written > max_bytes:
                raise DownloadError(f"it is over the {size(max_bytes)} limit")
            out.write(chunk)
    return written
