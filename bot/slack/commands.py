"""What a person typed, read the same way in Slack and in the local text mode.

A handful of anchored patterns for the explicit verbs; everything else is a
lookup (an ID, a code, a name or a question) for the search engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HELP = re.compile(r"^\s*(?:help|aide|usage|\?)?\s*$", re.I)
HISTORY = re.compile(r"^\s*(?:history|historique)(?:\s+(?P<server>\S+))?\s*$", re.I)
SERVERS = re.compile(r"^\s*(?:servers|serveurs)\s*$", re.I)
MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")

# Words and letters that only French questions have; enough to pick the answer's language.
FRENCH_WORDS = {
    "pourquoi", "comment", "quoi", "quel", "quelle", "quels", "échoué", "échoue", "echoue",
    "erreur", "le", "la", "les", "des", "du", "est", "une", "un", "sur", "avec", "pas",
    "que", "qui", "où", "émission", "certificat", "connecteur", "serveur", "ça", "je", "mon",
    "échec", "problème", "aide", "dois", "faire",
}  # fmt: skip
FRENCH_LETTERS = re.compile(r"[éèêàùçœ]", re.I)


@dataclass(frozen=True)
class Command:
    verb: str  # help | history | servers | lookup
    arg: str = ""


def parse(text: str) -> Command:
    """`/intune TEXT` (or a mention, or a local line) as a verb and its argument."""
    text = text or ""
    if HELP.match(text):
        return Command("help")
    if m := HISTORY.match(text):
        return Command("history", m["server"] or "")
    if SERVERS.match(text):
        return Command("servers")
    return Command("lookup", text.strip())


def strip_mentions(text: str) -> str:
    """A mention's text without the `<@UBOT>` that addressed it."""
    return MENTION.sub(" ", text or "").strip()


def guess_lang(text: str) -> str:
    """French ("fr") for a French question, else "en"; IDs and codes alone are "en"."""
    words = re.findall(r"[\wéèêàùçœ']+", text.lower())
    hits = sum(1 for w in words if w in FRENCH_WORDS)
    if hits >= 2 or (hits and FRENCH_LETTERS.search(text)):
        return "fr"
    return "en"
