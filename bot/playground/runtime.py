"""The playground's parts wired together: fake Slack, the real app, the page."""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

from bot.playground.delivery import Delivery
from bot.playground.site import Site
from bot.playground.workspace import BOT, CHANNEL, DM, ME, Workspace
from bot.settings import Settings
from bot.slack.app import Services, create_app
from bot.slack.fake_api import TOKEN, FakeSlack


class Playground:
    """Everything the page needs; `serve_forever()` blocks, `start()` serves from a thread."""

    def __init__(self, db: Path | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="intune-playground-")
        tmp = Path(self._tmp.name)
        self.uploads = tmp / "uploads"
        self.uploads.mkdir()
        self.db_path = Path(db).expanduser() if db else tmp / "history.db"
        self.fake = FakeSlack(clock=time.time)
        for room in (CHANNEL, DM):  # you and the bot: the members of the page's two rooms
            self.fake.add_channel(room["id"], {ME["id"], BOT["id"]})
        self.workspace = Workspace(self.fake.next_ts)
        self.fake.watch(self.workspace.apply)
        self.settings = Settings(bot_token=TOKEN, api_url=self.fake.api_url, db_path=self.db_path)
        self.services = Services.create(self.settings)
        try:
            self.app = create_app(self.settings, self.services)
            self.delivery = Delivery(self.app, self.fake, self.workspace)
            self.site = Site(self, host, port)
        except BaseException:
            self._release()
            raise
        self.url = self.site.url
        self._thread: threading.Thread | None = None

    def serve_forever(self) -> None:
        self.site.serve_forever(poll_interval=0.2)

    def start(self) -> Playground:
        self._thread = threading.Thread(target=self.serve_forever, name="playground", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread:
            self.site.shutdown()
            self._thread.join(5)
        self.site.server_close()
        self._release()

    def _release(self) -> None:
        self.services.close(wait=True)  # a log being read finishes before the fake goes away
        self.fake.close()
        self._tmp.cleanup()
