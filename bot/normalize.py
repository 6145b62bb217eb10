"""The one text normalizer: how the catalogue, search and the history compare text.

Catalogue validation (no two names collide), search (a query names an entry,
a pattern is found in a pasted line) and the history (one server, however its
name is typed) must agree on when two texts are "the same", or an alias the
loader accepts could be unreachable in search. Every such comparison goes
through the functions here.

- `fold`: words compared loosely: lowercase, accents stripped, every run of
  anything but letters and digits one space ("Échec d'émission" -> "echec d emission").
- `squash`: names compared: `fold` without the spaces, so `Upload_Failure`,
  `upload failure` and `UploadFailure` are one name.
- `ascii_lower`: a name as SQLite's NOCASE compares it (ASCII letters only),
  for keys that must group exactly as a NOCASE column does.
"""

from __future__ import annotations

import re
import string
import unicodedata

_CANT = re.compile(r"(?i)\bcan[’']t\b")
_WORD = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def fold(text: str) -> str:
    """Lowercase, strip accents, every non-alphanumeric run becomes one space."""
    # "can't" would fold to "can t": say it whole, so it reads as a negation.
    text = _CANT.sub("cannot", text)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(_WORD.findall(text.lower()))


def squash(text: str) -> str:
    """Case, accents, spacing and punctuation removed: how names are compared."""
    return fold(text).replace(" ", "")


def split_name(name: str) -> str:
    """`PkcsCertIssue_Failure` -> `Pkcs Cert Issue Failure` (for word matching)."""
    return _CAMEL.sub(" ", name.replace("_", " "))


def contains_words(text_folded: str, phrase_folded: str) -> bool:
    """Is `phrase_folded` inside `text_folded` on word boundaries? Both already folded."""
    if not phrase_folded:
        return False
    return f" {phrase_folded} " in f" {text_folded} "


def ascii_lower(name: str) -> str:
    """ASCII letters lowercased, nothing else touched: SQLite NOCASE equality."""
    return name.translate(_ASCII_LOWER)
