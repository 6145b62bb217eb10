"""What a person typed, read the same way by `/intune`, a mention or DM, and the terminal prompt.

A handful of anchored patterns for the explicit verbs; everything else is a
lookup (an ID, a code, a name or a question) for the search engine. A line of
several IDs and codes (`20502 0x410 20501`) is several lookups, one answer each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.codes import canonical_code
from bot.lang import guess_lang

__all__ = ["Command", "guess_lang", "parse", "strip_mentions"]

HELP = re.compile(r"^\s*(?:help|aide|usage|\?)?\s*$", re.I)
HISTORY = re.compile(r"^\s*(?:history|historique)(?:\s+(?P<server>\S+))?\s*$", re.I)
SERVERS = re.compile(r"^\s*(?:servers|serveurs)\s*$", re.I)
MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
EVENT_ID = re.compile(r"\d{1,5}")
ID_SEPARATORS = re.compile(r"[\s,;]+")
MAX_IDS = 10  # answers to one line; more is a paste, not a question

@dataclass(frozen=True)
class Command:
    verb: str  # help | history | servers | lookup
    arg: str = ""
    ids: tuple[str, ...] = ()  # a lookup of several IDs and codes: look each one up


def parse(text: str) -> Command:
    """`/intune TEXT` (or a mention, or a prompt line) as a verb and its argument."""
    text = text or ""
    if HELP.match(text):
        return Command("help")
    if m := HISTORY.match(text):
        return Command("history", m["server"] or "")
    if SERVERS.match(text):
        return Command("servers")
    return Command("lookup", text.strip(), several_ids(text))


def several_ids(text: str) -> tuple[str, ...]:
    """The IDs and codes of a line made only of them, when there are two or more; else ()."""
    tokens = [t for t in ID_SEPARATORS.split(text.strip()) if t]
    if not 2 <= len(tokens) <= MAX_IDS:
        return ()
    if all(EVENT_ID.fullmatch(t) or canonical_code(t, typed=True) for t in tokens):
        return tuple(dict.fromkeys(tokens))
    return ()


def strip_mentions(text: str) -> str:
    """A mention's text without the `<@UBOT>` that addressed it."""
    return MENTION.sub(" ", text or "").strip()
