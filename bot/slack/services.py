"""What the listeners need besides Slack: settings, the history path, dedupe, workers."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.settings import Settings
from bot.slack.dedupe import Seen
from bot.slack.membership import Membership

log = logging.getLogger(__name__)
DOWNLOADS = 8  # files downloading at once; each costs a thread and a socket, little CPU

LISTENER_THREADS = 16  # Bolt's default is 5; /intune answers run here, so give them room


class Workers:
    """Our own bounded pool for slow work (download, parse), apart from Bolt's listener threads.

    Downloads wait on the network and parses on the CPU, so they are bounded apart:
    up to `downloads` files come in at once, but only `parses` are read at once
    (`with workers.parsing:`), and a file that trickles in holds no parse slot.
    `submit` refuses instead of queueing without end, so a burst of uploads gets a
    "busy" answer rather than a reply an hour later.
    """

    def __init__(self, parses: int, queue: int = 16, downloads: int = DOWNLOADS) -> None:
        threads = max(parses, downloads)
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="intune-upload")
        self._slots = threading.BoundedSemaphore(threads + queue)
        self.parsing = threading.BoundedSemaphore(parses)

    def submit(self, fn: Callable[..., Any], *args: Any) -> bool:
        if not self._slots.acquire(blocking=False):
            return False
        future = self._pool.submit(fn, *args)
        future.add_done_callback(lambda _: self._slots.release())
        return True

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)


@dataclass
class Services:
    """What the listeners need besides Slack: settings, the history path, dedupe, workers.

    `listener_pool` is the pool Bolt runs listeners (and lazy listeners) on; it lives
    here so that `close(wait=True)` drains every answer still being worked on.
    """

    settings: Settings
    db: Path | None
    seen: Seen = field(default_factory=Seen)
    workers: Workers | None = None
    membership: Membership = None  # type: ignore[assignment]  # set from settings below
    listener_pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(
            LISTENER_THREADS, thread_name_prefix="bolt-listener"
        )
    )

    def __post_init__(self) -> None:
        if self.workers is None:
            self.workers = Workers(self.settings.workers)
        if self.membership is None:
            self.membership = Membership(shared=self.settings.shared_history)

    @classmethod
    def create(cls, settings: Settings) -> Services:
        # Dedupe claims sit next to the history, so HTTP workers on one disk share them.
        seen_path = settings.db_path.with_name(settings.db_path.stem + "-slack-seen.db")
        try:
            seen_path.parent.mkdir(parents=True, exist_ok=True)
            seen = Seen(seen_path)
        except Exception as err:  # a read-only disk must not stop the bot
            log.warning("dedupe store %s unavailable (%s); using memory", seen_path, err)
            seen = Seen()
        return cls(settings=settings, db=settings.db_path, seen=seen)

    def close(self, wait: bool = False) -> None:
        """Stop listeners and workers; `wait` lets what was started finish (tests, clean shutdowns).

        Listeners first: one may still hand a file to the workers. Closing twice is harmless.
        """
        assert self.workers is not None
        self.listener_pool.shutdown(wait=wait, cancel_futures=not wait)
        self.workers.shutdown(wait=wait)
        self.seen.close()
