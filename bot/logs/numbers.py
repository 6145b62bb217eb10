"""Numbers read from log text, which a damaged or hostile log may make anything.

`str.isdigit()` is true for "²" and other digits `int()` refuses, and `int()`
refuses digit strings past 4,300 characters: every reader and classifier that
turns a log's text into an int goes through `as_int()` instead.
"""

from __future__ import annotations

MAX_DIGITS = 20  # a 64-bit record ID has 20; anything longer is damage


def as_int(text: str) -> int | None:
    """The non-negative integer `text` spells in ASCII digits, else None."""
    if text.isascii() and text.isdigit() and len(text) <= MAX_DIGITS:
        return int(text)
    return None
