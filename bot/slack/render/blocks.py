"""Block Kit primitives and Slack's limits: every message is assembled from these.

Two rules hold everywhere:

- untrusted text (log contents, file names, user text, even catalogue text) goes
  through `escape()`: Slack parses `&`, `<` and `>` as control characters, so an
  unescaped `<!channel>` in a log would ping everyone and `<http://x|y>` would
  forge a link;
- Slack's limits are kept here and only here: 50 blocks per message, 3000
  characters per section; what does not fit ends in "…and N more".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.history_words import UNKNOWN_SERVER

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_TEXT = 3000  # the top-level fallback text; Slack allows 40k, notifications show far less

Message = dict[str, Any]


def escape(text: object) -> str:
    """Make untrusted text inert in mrkdwn: only & < > are control characters.

    Not html.escape(): it also encodes quotes, which Slack would show literally.
    """
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def code(text: object) -> str:
    """Untrusted text in an inline code span: escaped, and backticks can't close the span."""
    return "`" + escape(str(text).replace("`", "'")) + "`"


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """ "1 failure", "2,000 failures": the number with its noun, singular when it is one."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"




def server(name: object) -> str:
    """A server's name as code; the nameless server of older CSV uploads as *unknown server*."""
    return code(name) if str(name or "").strip() else f"_{UNKNOWN_SERVER}_"


def section(text: str) -> dict:
    if len(text) > MAX_SECTION:
        text = text[: MAX_SECTION - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:MAX_SECTION]}]}


def list_section(title: str, lines: Sequence[str], more: int = 0) -> dict:
    """A titled list that stops before 3000 characters and says how many it left out."""
    out = [title] if title else []
    size = len(title)
    for i, line in enumerate(lines):
        tail = f"…and {len(lines) - i + more} more"
        if size + len(line) + len(tail) + 2 > MAX_SECTION:
            out.append(tail)
            break
        out.append(line)
        size += len(line) + 1
    else:
        if more:
            out.append(f"…and {more} more")
    return section("\n".join(out))


def message(text: str, blocks: list[dict], tail: Sequence[dict] = ()) -> Message:
    """Cap the block count; the last kept block says how many were left out, then `tail`."""
    room = MAX_BLOCKS - len(tail)
    if len(blocks) > room:
        left = len(blocks) - (room - 1)
        blocks = blocks[: room - 1] + [context(f"…and {left} more")]
    return {"text": text[:MAX_TEXT], "blocks": [*blocks, *tail]}


def plain(text: str) -> Message:
    """A one-line message; `text` must already be escaped."""
    return message(text, [section(text)])


def crashed() -> Message:
    return plain(":warning: Something went wrong while handling this; it has been logged.")


def mention(user: object) -> str:
    """A Slack user ID as a mention; anything that is not an ID stays inert text."""
    text = str(user or "")
    ok = text[:1] in ("U", "W") and text.isalnum() and text.isupper() and len(text) <= 20
    return f"<@{text}>" if ok else code(text or "someone")


def url(link: str) -> str:
    # Inside <url|label> a "|" or ">" would end the URL early.
    return escape(link).replace("|", "%7C")


def more(total: int, shown: int) -> str:
    return f" …and {total - shown:,} more" if total > shown else ""


def when(iso: object) -> str:
    text = str(iso or "?")
    return escape(text.replace("T", " ").replace("+00:00", "Z")[:20])
