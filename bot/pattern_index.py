"""Message texts that identify an entry, found inside a question or a pasted log line.

Curated `patterns` of the data, plus an entry's own official texts when
they are long enough to mean one thing; compared in bot.normalize.fold
form, with inserts such as %1 filled by anything.
"""

from __future__ import annotations

import re
from functools import cached_property

from bot.knowledge import Entry
from bot.normalize import fold
from bot.words import fragments, in_order

IMPLICIT_PATTERN_WORDS = 5  # an official text this long, found whole in a query, names its entry
MIN_PATTERN_WORDS = 3  # the loader's floor for curated patterns (bot.entry_schema)


class PatternIndex:
    """Every identifying message text of a catalogue's entries."""

    def __init__(self, entries: tuple[Entry, ...] | list[Entry]) -> None:
        self.entries = entries

    @cached_property
    def patterns(self) -> list[tuple[tuple[str, ...], Entry, bool]]:
        """(folded fragments, entry, curated?) for every identifying message text.

        Curated `patterns` of the data, plus an entry's own official texts
        (description, its first sentence, other wordings) when they are long
        enough to mean one thing: "Access is denied" is everywhere, "The RPC
        server is unavailable" is one HRESULT. A message-table template
        ("cannot submit the certificate request (%1). %2") matches whatever
        fills its inserts: its fragments must appear in order.
        """
        out: list[tuple[tuple[str, ...], Entry, bool]] = []
        for entry in self.entries:
            seen: set[tuple[str, ...]] = set()
            for text in entry.patterns:
                seen.add(key := fragments(text))
                out.append((key, entry, True))
            official = [entry.description.en, *entry.other_wordings]
            official += [re.split(r"(?<=[.!?])\s", entry.description.en, maxsplit=1)[0]]
            for text in official:
                key = fragments(text)
                words = sum(len(f.split()) for f in key)
                if key and key not in seen and words >= IMPLICIT_PATTERN_WORDS:
                    seen.add(key)
                    out.append((key, entry, False))
        return out

    def found_patterns(self, query: str) -> list[tuple[Entry, int, bool]]:
        """Entries whose identifying text is inside `query`: (entry, words, curated)."""
        folded = f" {fold(query)} "
        if folded.count(" ") <= MIN_PATTERN_WORDS:  # shorter than any pattern ("20502")
            return []
        best: dict[str, tuple[Entry, int, bool]] = {}
        for key, entry, curated in self.patterns:
            if in_order(folded, key):
                size = sum(len(f.split()) for f in key)
                old = best.get(entry.key)
                if old is None or (curated, size) > (old[2], old[1]):
                    best[entry.key] = (entry, size, curated)
        return list(best.values())
