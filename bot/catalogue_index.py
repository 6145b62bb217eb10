"""What lookup ranks with, built once per catalogue and lazily, part by part.

IDs come from the catalogue itself; names (bot.name_index), identifying
message texts (bot.pattern_index) and free text (bot.text_index) are each
built on the first question that needs them, so `intune-bot lookup 20502`
never pays for the free-text structures. Here too: the other connector
generation's event of a failure, and the neighbours of an unknown ID.
"""

from __future__ import annotations

from functools import cached_property

from bot.knowledge import Catalogue, Entry
from bot.name_index import NameIndex
from bot.pattern_index import PatternIndex
from bot.text_index import TextIndex

NEAR = 0x40  # how far an unknown ID or code may be from the entries offered instead


class Index:
    """Everything the ranking needs, built once per catalogue."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.entries = catalogue.entries
        self.order = {e.key: i for i, e in enumerate(self.entries)}

    @cached_property
    def _names(self) -> NameIndex:
        return NameIndex(self.entries)

    @cached_property
    def _patterns(self) -> PatternIndex:
        return PatternIndex(self.entries)

    @cached_property
    def text(self) -> TextIndex:
        return TextIndex(self.catalogue)

    def by_name(self, query: str) -> list[tuple[Entry, float, bool]]:
        return self._names.by_name(query)

    def found_patterns(self, query: str) -> list[tuple[Entry, int, bool]]:
        return self._patterns.found_patterns(query)

    def free_text(self, query: str) -> list[tuple[Entry, float]]:
        return self.text.free_text(query)

    # generations

    @cached_property
    def _counterparts(self) -> dict[str, Entry]:
        """Legacy <-> current connector events that log the same failure: the one
        pair with the same operation and outcome (20102 PkcsCertIssue_Failure and
        1052 PkcsIssuedFailure), derived, never typed."""
        by_step: dict[tuple[str, str], dict[str, list[Entry]]] = {}
        for e in self.entries:
            if e.kind == "event" and e.generation in ("legacy", "current"):
                step = by_step.setdefault((e.operation, e.outcome), {})
                step.setdefault(e.generation, []).append(e)
        pairs: dict[str, Entry] = {}
        for gens in by_step.values():
            legacy, current = gens.get("legacy", []), gens.get("current", [])
            if len(legacy) == 1 and len(current) == 1:
                pairs[legacy[0].key], pairs[current[0].key] = current[0], legacy[0]
        return pairs

    def counterpart(self, entry: Entry) -> Entry | None:
        return self._counterparts.get(entry.key)

    # unknown IDs

    def nearest(self, ident: str) -> list[tuple[Entry, float]]:
        """Entries numerically closest to an unknown ID or code, same kind."""
        if ident.startswith("HTTP "):  # "HTTP 502": the IIS answers of its class (5xx)
            status = float(ident[5:])
            pool = [e for e in self.entries if e.kind == "http" and e.id[0] == ident[5]]
            pool.sort(key=lambda e: (abs(float(e.id) - status), e.win32 is not None))
            return [(e, 30.0 - i) for i, e in enumerate(pool[:3])]
        if ident.startswith("0x"):
            value = int(ident, 16)
            pool = [e for e in self.entries if e.kind in ("code", "hresult")]
            dist = {e.id: abs(int(e.id, 16) - value) for e in pool}
        else:
            value = int(ident)
            pool = [e for e in self.entries if e.kind == "event"]
            dist = {e.id: abs(int(e.id) - value) for e in pool}
        # Only neighbours worth a look: 20503 -> 20502, 0x412 -> 0x411; 99999 -> nothing.
        close = sorted((e for e in pool if dist[e.id] <= NEAR), key=lambda e: dist[e.id])
        return [(e, 30.0 - i) for i, e in enumerate(close[:3])]


_INDEXES: dict[int, tuple[Catalogue, Index]] = {}


def index_for(catalogue: Catalogue) -> Index:
    # Keyed by identity: hashing a frozen catalogue would walk every entry per query.
    cached = _INDEXES.get(id(catalogue))
    if cached is None or cached[0] is not catalogue:
        cached = _INDEXES[id(catalogue)] = (catalogue, Index(catalogue))
    return cached[1]
