"""Entry names as people type them: exact, with typos, or shortened by one word.

A name or alias matches in any case or spacing (bot.normalize.squash);
a typo is a rapidfuzz ratio on squashed names; "crpverify failure" is
CRPVerifyMetric_Failure minus a word. Built on the first question that
could name an entry, never for "20502".
"""

from __future__ import annotations

import re
from functools import cached_property

from rapidfuzz import fuzz, process

from bot.knowledge import Entry
from bot.normalize import split_name, squash

EXACT = 100.0
FUZZY_NAME_CUTOFF = 82.0  # rapidfuzz ratio on squashed names; below this a name is not "meant"

_IDENTIFIER = re.compile(r"\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9_]+|[a-z][A-Z][A-Za-z0-9_]*)\b")


class NameIndex:
    """Names and aliases of a catalogue's entries, and their one-word-shorter variants."""

    def __init__(self, entries: tuple[Entry, ...] | list[Entry]) -> None:
        self.entries = entries

    @cached_property
    def names(self) -> dict[str, Entry]:
        names: dict[str, Entry] = {}
        for entry in self.entries:
            for name in (entry.name, *entry.aliases):
                key = squash(name)
                if key and key not in names and not key.isdigit():
                    names[key] = entry
        return names

    @cached_property
    def variants(self) -> dict[str, Entry]:
        """Names as people shorten them: "crpverify failure" for CRPVerifyMetric_Failure.
        Each name minus one of its words is a fuzzy candidate (never an exact one)."""
        variants: dict[str, Entry] = {}
        for entry in self.entries:
            words = split_name(entry.name).split()
            if len(words) >= 3:
                for i in range(len(words)):
                    key = squash(" ".join(words[:i] + words[i + 1 :]))
                    if key not in self.names:
                        variants.setdefault(key, entry)
        return variants

    @cached_property
    def name_keys(self) -> list[str]:
        return list(self.names)

    @cached_property
    def variant_keys(self) -> list[str]:
        return list(self.variants)

    def by_name(self, query: str) -> list[tuple[Entry, float, bool]]:
        whole = squash(query)
        keys = {whole}
        # Inside a sentence only identifier-looking words (CRPVerifyMetric_Failure)
        # are names; otherwise "succès" would be taken for the code named Success.
        keys.update(squash(tok) for tok in _IDENTIFIER.findall(query))
        keys.discard("")
        if all(k.isdigit() for k in keys):
            return []  # no name is all digits, and a number is never a typo of one
        found = [(self.names[k], EXACT, True) for k in keys if k in self.names]
        if found:
            return found
        out = []
        for key in keys:
            if len(key) < 6:
                continue
            pools = [(self.names, self.name_keys, 0.95)]
            if key == whole:  # a shortened name is typed alone, not inside a sentence
                pools.append((self.variants, self.variant_keys, 0.93))
            for pool, keys_, weight in pools:
                for name, score, _ in process.extract(
                    key, keys_, scorer=fuzz.ratio, score_cutoff=FUZZY_NAME_CUTOFF, limit=3
                ):
                    out.append((pool[name], score * weight, False))
        return out
