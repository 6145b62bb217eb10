"""Which language a question is in, so every front end answers in the same one.

The CLI, the local prompt and Slack all call `guess_lang`; an ID or a code
alone is English (the catalogue's names are English in both languages).
"""

from __future__ import annotations

import re

# Words and letters that only French questions have; enough to pick the answer's language.
FRENCH_WORDS = {
    "pourquoi", "comment", "quoi", "quel", "quelle", "quels", "échoué", "échoue", "echoue",
    "erreur", "le", "la", "les", "des", "du", "est", "une", "un", "sur", "avec", "pas",
    "que", "qui", "où", "émission", "certificat", "connecteur", "serveur", "ça", "je", "mon",
    "échec", "problème", "aide", "dois", "faire",
}  # fmt: skip
FRENCH_LETTERS = re.compile(r"[éèêàùçœ]", re.I)
_WORDS = re.compile(r"[\wéèêàùçœ']+")


def guess_lang(text: str) -> str:
    """French ("fr") for a French question, else "en"; IDs and codes alone are "en"."""
    words = _WORDS.findall(text.lower())
    hits = sum(1 for w in words if w in FRENCH_WORDS)
    if hits >= 2 or (hits and FRENCH_LETTERS.search(text)):
        return "fr"
    return "en"
