"""What the playground's Slack holds: channels, messages, threads, reactions, the modal, Home.

Built from two things only: what the person typed (their own messages), and
every Web API call the app made to the fake Slack (`apply`, a `FakeSlack`
watcher). So the page draws exactly what Slack would have received: a
chat.update edits the message in place, reactions.add puts a reaction on it,
views.open shows the modal, views.publish the Home tab, a post to a
response_url becomes the ephemeral (or in-channel) reply to the command.

The page long-polls `wait(after)` and redraws from `snapshot()`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bot.slack.fake_api import AUTH_TEST, Call

BOT = {"id": AUTH_TEST["user_id"], "name": AUTH_TEST["user"], "bot": True}
ME = {"id": "U0PLAYER1", "name": "you", "bot": False}
SLACKBOT = {"id": "USLACKBOT", "name": "Slackbot", "bot": True}
CHANNEL = {"id": "C0HELPDESK", "name": "helpdesk", "type": "channel"}
DM = {"id": "D0INTUNE01", "name": BOT["name"], "type": "im"}  # the app's Messages tab


@dataclass
class Message:
    channel: str
    ts: str
    user: str
    text: str = ""
    blocks: list[dict] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)
    thread_ts: str | None = None
    ephemeral: bool = False  # "Only visible to you"
    reactions: dict[str, list[str]] = field(default_factory=dict)
    rev: int = 0  # bumped on every change, so the page redraws only what changed

    def to_dict(self) -> dict[str, Any]:
        return {"channel": self.channel, "ts": self.ts, "user": self.user, "text": self.text,
                "blocks": self.blocks, "files": self.files, "thread_ts": self.thread_ts,
                "ephemeral": self.ephemeral, "rev": self.rev,
                "reactions": [{"name": n, "users": u} for n, u in self.reactions.items() if u]}  # fmt: skip


@dataclass
class Response:
    """Where a response_url's posts land: a command's channel, or the message a button is on."""

    channel: str
    thread_ts: str | None = None
    original: str | None = None  # ts of the message replace_original / delete_original act on
    ephemeral: bool = True


def encode_typed(text: str) -> str:
    """What Slack's client sends for typed text: &, <, > escaped, mentions turned into markup.

    So `<!channel>` typed by a person arrives as inert `&lt;!channel&gt;`, and
    `@intune-triage` as `<@UBOT>`, as in a real workspace.
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(rf"(?<![\w@])@{re.escape(BOT['name'])}\b", f"<@{BOT['id']}>", text)
    text = re.sub(rf"(?<![\w@])@{re.escape(ME['name'])}\b", f"<@{ME['id']}>", text)
    text = re.sub(r"(?<![\w@])@(channel|here|everyone)\b", r"<!\1>", text)
    return re.sub(rf"(?<![\w#])#{CHANNEL['name']}\b", f"<#{CHANNEL['id']}|{CHANNEL['name']}>", text)


class Workspace:
    """One person, the bot, #helpdesk and the DM with the bot; thread-safe."""

    def __init__(self, next_ts: Callable[[], str], files_url: str = "/files") -> None:
        self.next_ts = next_ts  # the fake Slack's clock, so every ts is unique and ordered
        self.files_url = files_url  # where the page fetches uploaded files
        self.messages: dict[tuple[str, str], Message] = {}  # in posting order
        self.modal: dict[str, Any] | None = None
        self.home: dict[str, Any] | None = None
        self.files: dict[str, dict[str, Any]] = {}  # id -> {"name", "mimetype", "data"|"path"}
        self.responses: dict[str, Response] = {}  # response_url path -> where it posts
        self.channels = {c["id"]: c for c in (CHANNEL, DM)}
        self.version = 0
        self._cond = threading.Condition()

    # --- the page's side ---------------------------------------------------------------

    def wait(self, after: int, timeout: float) -> int:
        """Block until the version passes `after` (or `timeout`); return the version."""
        with self._cond:
            self._cond.wait_for(lambda: self.version > after, timeout)
            return self.version

    def snapshot(self) -> dict[str, Any]:
        with self._cond:
            return {"version": self.version, "me": ME["id"],
                    "users": {u["id"]: u for u in (BOT, ME, SLACKBOT)},
                    "channels": self.channels,
                    "messages": [m.to_dict() for m in self.messages.values()],
                    "modal": self.modal, "home": self.home}  # fmt: skip

    def post(self, msg: Message) -> Message:
        with self._cond:
            self.messages[(msg.channel, msg.ts)] = msg
            self._changed()
        return msg

    def message(self, channel: str, ts: str) -> Message | None:
        with self._cond:
            return self.messages.get((channel, ts))

    def close_modal(self, view_id: str | None = None) -> None:
        with self._cond:
            if self.modal and (view_id is None or self.modal.get("id") == view_id):
                self.modal = None
                self._changed()

    def _changed(self) -> None:
        self.version += 1
        self._cond.notify_all()

    # --- the app's side: every answered Web API call ---------------------------------------

    def apply(self, call: Call) -> None:
        handler = getattr(self, "_" + call.method.replace(".", "_"), None)
        if handler is None or (call.reply and not call.reply.get("ok", True)):
            return  # a call Slack refused changes nothing
        with self._cond:
            handler(call)
            self._changed()

    def _chat_postMessage(self, call: Call) -> None:
        self._add(call.get("channel"), call.reply["ts"], call.body, call.get("thread_ts"))

    def _chat_postEphemeral(self, call: Call) -> None:
        self._add(call.get("channel"), call.reply["message_ts"], call.body,
                  call.get("thread_ts"), ephemeral=True)  # fmt: skip

    def _chat_update(self, call: Call) -> None:
        msg = self.messages.get((call.get("channel"), call.get("ts")))
        if msg:
            msg.text, msg.blocks = call.get("text") or "", call.get("blocks") or []
            msg.rev += 1

    def _chat_delete(self, call: Call) -> None:
        self.messages.pop((call.get("channel"), call.get("ts")), None)

    def _reactions_add(self, call: Call) -> None:
        msg = self.messages.get((call.get("channel"), call.get("timestamp")))
        if msg:
            users = msg.reactions.setdefault(call.get("name"), [])
            if BOT["id"] not in users:
                users.append(BOT["id"])
            msg.rev += 1

    def _reactions_remove(self, call: Call) -> None:
        msg = self.messages.get((call.get("channel"), call.get("timestamp")))
        if msg and BOT["id"] in msg.reactions.get(call.get("name"), []):
            msg.reactions[call.get("name")].remove(BOT["id"])
            msg.rev += 1

    def _files_getUploadURLExternal(self, call: Call) -> None:  # noqa: N802 (Slack's name)
        self.files[call.reply["file_id"]] = {"name": call.get("filename") or "file", "data": b""}

    def _upload(self, call: Call) -> None:
        file = self.files.get(urlsplit(call.path).path.rsplit("/", 1)[-1])
        if file is not None:
            file["data"] = call.raw

    def _files_completeUploadExternal(self, call: Call) -> None:  # noqa: N802 (Slack's name)
        """The uploaded files, shared in one message of the bot's where the call says."""
        shared = []
        for f in call.get("files") or ():
            file = self.files.get(f["id"])
            if file is None:
                continue
            file["title"] = f.get("title") or file["name"]
            file["mimetype"] = "image/png" if file["data"][:8] == b"\x89PNG\r\n\x1a\n" else (
                "application/octet-stream")  # fmt: skip
            shared.append(self.file_object(f["id"]))
        if shared and call.get("channel_id"):
            body = {"text": call.get("initial_comment") or "", "files": shared}
            self._add(call.get("channel_id"), self.next_ts(), body, call.get("thread_ts"))

    def _views_open(self, call: Call) -> None:
        self.modal = call.reply["view"]

    def _views_update(self, call: Call) -> None:
        if self.modal and self.modal.get("id") == call.get("view_id"):
            self.modal = {**call.reply["view"], "id": self.modal["id"]}

    def _views_publish(self, call: Call) -> None:
        if call.get("user_id") == ME["id"]:
            self.home = call.reply["view"]

    def _response(self, call: Call) -> None:
        """A post to a response_url: a new reply, or a change to the original message."""
        where = self.responses.get(call.path)
        if where is None:
            return
        body = call.body
        original = self.messages.get((where.channel, where.original or ""))
        if body.get("delete_original"):
            if original:
                del self.messages[(original.channel, original.ts)]
            return
        if body.get("replace_original") and original:
            original.text, original.blocks = body.get("text") or "", body.get("blocks") or []
            original.rev += 1
            return
        in_channel = body.get("response_type") == "in_channel"
        msg = self._add(where.channel, self.next_ts(), body, body.get("thread_ts") or where.thread_ts,
                        ephemeral=not in_channel)  # fmt: skip
        if where.original is None:  # a command's later posts act on its first reply
            where.original = msg.ts

    def file_object(self, file_id: str) -> dict[str, Any]:
        file = self.files[file_id]
        return {"id": file_id, "name": file["name"], "title": file.get("title") or file["name"],
                "mimetype": file.get("mimetype") or "application/octet-stream",
                "size": file.get("size", len(file.get("data") or b"")),
                "url": f"{self.files_url}/{file_id}"}  # fmt: skip

    def _add(self, channel: str, ts: str, body: dict, thread_ts: str | None,
             ephemeral: bool = False) -> Message:  # fmt: skip
        if thread_ts == ts:
            thread_ts = None
        msg = Message(channel, ts, BOT["id"], body.get("text") or "", body.get("blocks") or [],
                      list(body.get("files") or []), thread_ts, ephemeral)  # fmt: skip
        self.messages[(channel, ts)] = msg
        return msg
