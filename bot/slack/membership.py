"""Who may see what the history learned where: Slack's channel membership, cached briefly.

What a log shared in a channel taught the history is shown in that channel, and
elsewhere only to that channel's members. So every answer that tells history first
asks who will read it:

- one person (the Home tab, a DM with the bot, an ephemeral `/intune` answer): the
  channels they are in, from users.conversations;
- everyone in a channel (a thread reply, a Similar incidents list, the digest): that
  channel, and each channel the history knows whose members include all of its
  members, from conversations.members.

The core gets the answer as a set of channel IDs (`visible`). Answers are cached for
`ttl` seconds, at most `size` of them (the least recently used go first), so a busy
channel costs a call a minute, not one per message. A Slack error fails closed: that
person or channel sees nothing learned elsewhere, and the log gets one line (then
nothing more until the cached failure expires). With INTUNE_BOT_SHARED_HISTORY=1
nothing is asked: everyone sees everything (None).

Scopes: channels:read, groups:read, im:read, mpim:read (see manifest.yml).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.history.queries import Visible

log = logging.getLogger(__name__)

# Who reads an answer, as a question the history's channels answer: what may be shown.
Scope = Callable[[list[str]], Visible]

TTL = 60.0  # seconds: someone who leaves a channel stops seeing its history within a minute
SIZE = 512  # cached answers (people and channels)
PAGE = 1000  # Slack's largest page for both methods
MAX_PAGES = 20  # past 20,000 channels or members, the rest are not read (fewer shown)
TYPES = "public_channel,private_channel,mpim,im"


class Membership:
    """users.conversations and conversations.members, cached; `shared` asks nothing."""

    def __init__(self, *, shared: bool = False, ttl: float = TTL, size: int = SIZE,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.shared, self.ttl, self.size, self.clock = shared, ttl, size, clock
        self._cache: OrderedDict[tuple[str, str], tuple[float, frozenset[str] | None]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def scope(self, client: WebClient, *, channel: str | None, user: str | None) -> Scope:
        """The Scope of an answer posted in `channel` (None: shown to `user` alone).

        Asked only once the history is open, and only if the answer tells history.
        """
        return lambda known: self.visible(client, channel=channel, user=user, known=known)

    def visible(
        self, client: WebClient, *, channel: str | None, user: str | None, known: Iterable[str]
    ) -> Visible:
        """What may be shown in `channel` (a DM: to `user` alone), of the `known` channels."""
        if self.shared:
            return None
        if channel and not channel.startswith("D"):  # a channel, or a group DM (G…/C…)
            return self.for_channel(client, channel, known)
        return self.for_user(client, user, here=[channel] if channel else [])

    def for_user(self, client: WebClient, user: str | None, here: Iterable[str] = ()) -> Visible:
        """The channels `user` is in, plus `here` (the DM they read the answer in)."""
        if self.shared:
            return None
        mine = self._cached("user", user, lambda: self._channels_of(client, user)) if user else None
        return (mine or frozenset()) | frozenset(here)

    def for_channel(self, client: WebClient, channel: str, known: Iterable[str]) -> Visible:
        """`channel`, and each of `known` whose members include every member of `channel`."""
        if self.shared:
            return None
        others = sorted(set(known) - {channel})
        readers = self._members(client, channel) if others else None
        if not readers:
            return frozenset({channel})
        shown = {channel}
        for other in others:
            members = self._members(client, other)
            if members is not None and readers <= members:
                shown.add(other)
        return frozenset(shown)

    def _members(self, client: WebClient, channel: str) -> frozenset[str] | None:
        return self._cached("channel", channel, lambda: self._members_of(client, channel))

    def _cached(
        self, kind: str, key: str, ask: Callable[[], frozenset[str] | None]
    ) -> frozenset[str] | None:
        now = self.clock()
        with self._lock:
            hit = self._cache.get((kind, key))
            if hit is not None and hit[0] > now:
                self._cache.move_to_end((kind, key))
                return hit[1]
        answer = ask()  # outside the lock: one slow call must not hold up the others
        with self._lock:
            self._cache[(kind, key)] = (now + self.ttl, answer)
            self._cache.move_to_end((kind, key))
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return answer

    def _channels_of(self, client: WebClient, user: str) -> frozenset[str] | None:
        return _paged(
            lambda cursor: client.users_conversations(
                user=user, types=TYPES, limit=PAGE, cursor=cursor
            ),
            "channels",
            lambda c: c.get("id"),
            f"users.conversations for {user}",
        )

    def _members_of(self, client: WebClient, channel: str) -> frozenset[str] | None:
        return _paged(
            lambda cursor: client.conversations_members(channel=channel, limit=PAGE, cursor=cursor),
            "members",
            lambda m: m,
            f"conversations.members of {channel}",
        )


def _paged(
    call: Callable[[str | None], Any], key: str, pick: Callable[[Any], Any], what: str
) -> frozenset[str] | None:
    """Every page of a cursor-paged method; None, logged in one line, if any page fails."""
    found: set[str] = set()
    cursor = None
    try:
        for _ in range(MAX_PAGES):
            page = call(cursor)
            found.update(str(v) for v in map(pick, page.get(key) or ()) if v)
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
    except SlackApiError as err:
        code = err.response.get("error") if err.response is not None else "error"
        log.warning("%s failed (%s): history learned elsewhere is not shown", what, code)
        return None
    except Exception as err:  # unreachable, a timeout, a body that is not JSON: fail closed
        log.warning("%s failed (%r): history learned elsewhere is not shown", what, err)
        return None
    return frozenset(found)

