"""A file shared in Slack: download it, decide by content, summarize, answer in its thread.

Runs on our own worker pool, never on Bolt's listener threads, so a 200 MB parse
cannot delay `/intune`. Whatever goes wrong ends as one line in the file's
thread (or as silence, when the file was never a log), never as a crash.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import tempfile
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.history import HistoryError, open_history
from bot.history.opener import describe
from bot.logs import NotAnEventLog, open_log
from bot.settings import Settings
from bot.slack import render
from bot.slack.chart_upload import upload_chart
from bot.slack.download import SCOPE_HINT, DownloadError, download
from bot.slack.kept import remember_summary
from bot.slack.membership import Scope
from bot.slack.names import shown_name
from bot.slack.reactions import Status
from bot.summary_file import summarize_file
from bot.summary_parallel import processes
from bot.triage import Source, ingest, needs_server, server_named_in

log = logging.getLogger(__name__)

LOG_SUFFIXES = (".evtx", ".xml", ".csv", ".txt", ".log", ".tsv", ".svclog", ".zip")  # zips of logs too
# Metadata that settles it: these are never event log exports, don't even download them.
NOT_LOG_MIMETYPES = ("image/", "video/", "audio/", "application/pdf", "application/zip",
                     "application/vnd.", "application/msword", "text/html")  # fmt: skip
NOT_LOG_FILETYPES = {"png", "jpg", "jpeg", "gif", "heic", "bmp", "webp", "pdf", "zip", "gzip",
                     "mp4", "mov", "mp3", "docx", "xlsx", "pptx", "doc", "html", "gdoc",
                     "space", "post", "email"}  # fmt: skip


@dataclass
class Thread:
    """Where the answer goes: the message "reading…" is posted as, then updated in place."""

    client: WebClient
    channel: str
    thread_ts: str
    interval: float = 2.0
    ts: str | None = None
    status: Status | None = None  # reactions on the message that shared the file
    scope: Scope | None = None  # who reads it: what of the history to tell (None: this channel's)
    _last: float = field(default=0.0, repr=False)

    def say(self, msg: render.Message) -> None:
        if self.ts is None:
            resp = self.client.chat_postMessage(
                channel=self.channel, thread_ts=self.thread_ts, **msg
            )
            self.ts = resp["ts"]
        else:
            self.client.chat_update(channel=self.channel, ts=self.ts, **msg)
        self._last = time.monotonic()

    def progress(self, msg: render.Message) -> None:
        """Updates throttled to one every `interval` seconds: chat.update is rate-limited."""
        if time.monotonic() - self._last >= self.interval:
            self.say(msg)


def thread_of(client: WebClient, event: dict[str, Any], interval: float = 2.0) -> Thread:
    return Thread(client, event["channel"], event.get("thread_ts") or event["ts"], interval)


def handle_upload(client: WebClient, settings: Settings, event: dict[str, Any], token: str,
                  parsing: AbstractContextManager | None = None,
                  scope: Scope | None = None) -> None:  # fmt: skip
    """Every file of one file_share message, one after the other, each reported on its own.

    - `parsing` is held while a downloaded file is read: parses are bounded, downloads not.
    - `scope`: who reads the thread (bot/slack/membership.py); without it, only what
      this channel taught the history is told there.
    """
    status = Status(client, event["channel"], event["ts"])
    for file in event.get("files") or ():
        thread = thread_of(client, event, settings.progress_interval)
        thread.status = status
        if scope is not None:
            thread.scope = scope
        try:
            handle_file(client, settings, event, file, token, thread, parsing)
        except Exception:
            log.exception("file %s in %s failed", file.get("id"), event.get("channel"))
            thread.say(
                render.problem(
                    shown_name(file.get("name"), file.get("id", "file")),
                    "an internal error (logged)",
                )
            )
    status.finish()


def handle_file(client: WebClient, settings: Settings, event: dict[str, Any], file: dict[str, Any],
                token: str, thread: Thread, parsing: AbstractContextManager | None = None,
                server: str | None = None) -> None:  # fmt: skip
    """Download, summarize and record one file; `server` for an export that names none."""
    if not file.get("url_private_download"):
        # Slack Connect and some events carry only {"id", "file_access": "check_file_info"}.
        try:
            file = client.files_info(file=file["id"])["file"]
        except SlackApiError as err:
            reason = f"Slack refused files.info ({err.response.get('error')})"
            return thread.say(
                render.problem(shown_name(file.get("name"), file["id"]), f"{reason}: {SCOPE_HINT}")
            )
    name, nbytes = shown_name(file.get("name"), file["id"]), file.get("size")
    if not could_be_log(file):
        return
    hinted = name.lower().endswith(LOG_SUFFIXES)
    if nbytes and nbytes > settings.max_upload_bytes:
        if hinted:
            thread.say(render.problem(name, f"it is {render.size(nbytes)}, over the "
                                      f"{render.size(settings.max_upload_bytes)} limit"))  # fmt: skip
        return
    if name.lower().endswith((".evtx", ".zip")):
        thread.say(render.reading(name, nbytes))  # a strong hint: say so before the download
        if thread.status:
            thread.status.start()
    with tempfile.TemporaryDirectory(prefix="intune-bot-") as tmp:
        path = temp_path(Path(tmp), name)
        try:
            nbytes = download(file["url_private_download"], path, token=token,
                              api_url=settings.api_url, max_bytes=settings.max_upload_bytes,
                              floor=settings.download_floor, expected=nbytes)  # fmt: skip
            with parsing or nullcontext():
                summarize(path, name, nbytes, thread, settings, event, file, server)
        except DownloadError as err:
            thread.say(render.problem(name, str(err)))
        except NotAnEventLog as err:
            if thread.ts:  # we already said "reading…": say why we stopped
                thread.say(render.problem(name, str(err)))


def summarize(path: Path, name: str, nbytes: int, thread: Thread, settings: Settings,
              event: dict[str, Any], file: dict[str, Any], server: str | None = None) -> None:  # fmt: skip
    open_log(path, max_unpacked=settings.max_upload_bytes)  # decide by content first: raises NotAnEventLog
    if thread.ts is None:
        thread.say(render.reading(name, nbytes))
    if thread.status:
        thread.status.start()
    # The answer first, on every core; the events the history keeps are read again after it.
    summary = summarize_file(
        path, progress=lambda n: thread.progress(render.reading(name, nbytes, n)),
        max_unpacked=settings.max_upload_bytes, processes=processes(),
    )
    data = summary.to_dict()
    data["file"] = name  # the same as path.name, unless the file system refused it
    thread.say(render.summary(data, pending=True))  # readable now; recording takes a while
    if thread.status:
        thread.status.result(len(summary.failures))
    done = record(path, summary, settings, event, file, thread, server)
    thread.say(render.summary(data, done.view, not_recorded=done.not_recorded))
    if done.ask is not None:  # the summary stands; the history waits for a server name
        question = render.ask_server(name, file.get("id", ""), thread.ts or "", done.ask)
        thread.client.chat_postMessage(channel=thread.channel, thread_ts=thread.thread_ts,
                                       **question)  # fmt: skip
    # A server given here means the file is read again once someone named its server:
    # its chart is already in the thread.
    if server is None:
        upload_chart(thread.client, summary, name, thread.channel, thread.thread_ts)


@dataclass(frozen=True)
class Recorded:
    """What recording one upload did: the history's view, why not, or the servers to ask about."""

    view: dict[str, Any] | None = None
    not_recorded: str | None = None
    ask: list[str] | None = None  # known servers, most recently seen first


def record(path: Path, summary: Any, settings: Settings, event: dict[str, Any],
           file: dict[str, Any], thread: Thread, server: str | None = None) -> Recorded:  # fmt: skip
    """Remember the upload with its thread; the summary still goes out if the store fails.

    An export that names no computer is recorded under the known server its message
    or file name names; failing that, nothing is recorded and `ask` lists the servers
    to offer, so a person says which. The history keeps every event, which the
    summary shown was made without (on every core, to answer sooner): the file
    is read again for them here, once the answer is in the thread.
    """
    source = Source("slack", user=event.get("user"), channel=thread.channel,
                    thread_ts=thread.thread_ts, file_id=file.get("id"))  # fmt: skip
    kept = summarize_file(path, keep_events=True, max_unpacked=settings.max_upload_bytes)
    try:
        with open_history(settings.db_path) as history:
            try:
                visible = thread.scope(history.channels()) if thread.scope else {thread.channel}
                if not server and needs_server(kept):
                    texts = (event.get("text") or "", file.get("name") or "")
                    server = server_named_in(history, *texts, visible=visible)
                    if server is None:
                        known = history.servers(visible)
                        return Recorded(ask=[s.name for s in known if s.name.strip()])
                view = ingest(path, kept, source, history, server=server, visible=visible).view()
            except sqlite3.DatabaseError as err:  # damaged past the pages opening reads
                raise HistoryError(describe(history.name, err)) from None
    except HistoryError as err:
        log.warning("upload not recorded: %s", err)
        return Recorded(not_recorded=str(err))
    data = {**summary.to_dict(), "file": shown_name(file.get("name"), file.get("id", "file"))}
    remember_summary(settings, thread.channel, thread.ts, thread.thread_ts, data, view)
    return Recorded(view=view)


def could_be_log(file: dict[str, Any]) -> bool:
    """False only when the metadata says for sure it is not an event log export."""
    if file.get("mode") in ("external", "post", "space", "tombstone"):
        return False
    mimetype = (file.get("mimetype") or "").lower()
    filetype = (file.get("filetype") or "").lower()
    name = (file.get("name") or "").lower()
    if name.endswith(LOG_SUFFIXES):
        return True
    return not (mimetype.startswith(NOT_LOG_MIMETYPES) or filetype in NOT_LOG_FILETYPES)


def temp_path(folder: Path, name: str) -> Path:
    """Where the download goes: under the shown name, so the readers' messages use it.

    Falls back to a plain ASCII name where the file system refuses that one (too
    long in bytes, or a character or name Windows does not allow).
    """
    if ":" in name or _windows_device(name):
        # Windows opens these without an error: a device (CON, NUL, COM1.evtx) or an
        # alternate data stream ("a.evtx:x"), not a file in the folder.
        return folder / safe_name(name)
    path = folder / name
    try:
        path.touch(exist_ok=False)
        return path
    except (OSError, ValueError):
        return folder / safe_name(name)


def safe_name(name: str) -> str:
    """A file name from Slack, safe to use inside our temp folder."""
    cleaned = re.sub(r"[^\w.\- ]", "_", Path(name).name)[:100].strip(" .")
    return "_" + cleaned if _windows_device(cleaned) else cleaned or "upload"


_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"{p}{n}" for p in ("COM", "LPT") for n in range(1, 10))}


def _windows_device(name: str) -> bool:
    """CON, nul.evtx, COM1.log…: names Windows opens as a device, whatever the extension."""
    return name.split(".", 1)[0].strip().upper() in _DEVICES
