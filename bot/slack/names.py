"""The one way a shared file's name is shown: the name the user shared, made harmless.

Every place that shows it (the "reading…" line, error lines, the summary, the
chart's title and alt text, the history) gets it from `shown_name`, and the
downloaded copy is saved under it too, so the readers' own messages ("x.evtx
is plain text…") name the file the user knows, not a temp name.

Harmless means: no `<…>` that Slack would read as a mention or a link (the
brackets become ‹ ›, which also reads in plain-text fields such as a file
title, where &lt; would show as is), no backtick to close a code span, no
control or bidi characters to hide or reorder text, no path separator (∕ ⧵
instead, so it is also a safe file name), one line, and a length cap that keeps
the extension.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

MAX_CHARS = 100
_LOOKALIKE = str.maketrans({"<": "‹", ">": "›", "`": "'", "/": "∕", "\\": "⧵"})


def shown_name(name: str | None, fallback: str = "file") -> str:
    """`<!channel> NDES01\u202e.evtx` -> `‹!channel› NDES01.evtx`."""
    kept = "".join(" " if ch.isspace() else ch for ch in name or ""
                   if unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cs") or ch.isspace())  # fmt: skip
    text = re.sub(r" {2,}", " ", kept).strip().translate(_LOOKALIKE)
    if len(text) > MAX_CHARS:
        suffix = Path(text).suffix if len(Path(text).suffix) <= 10 else ""
        text = text[: MAX_CHARS - len(suffix) - 1].rstrip() + "…" + suffix
    return text if text.strip(".") else fallback
