"""Load and validate the reviewed catalogue in knowledge/ into typed entries.

The catalogue is data (TOML files reviewed like code); this module only reads
it, checks what spans entries, and hands out immutable values. It knows
nothing of Slack. One entry's schema is bot/entry_schema.py; its values are
bot/entry.py (re-exported here, where callers have always found them).

- `load_catalogue(path)` reads every `*.toml` of a folder: `[[entry]]` tables
  and `[[synonym]]` groups.
- `default_catalogue()` is the shipped catalogue, loaded once.
- A malformed entry raises `CatalogueError` naming the file, the entry and
  the problem, so a bad edit fails loudly instead of answering wrongly.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING

from bot import catalogue_cache
from bot.catalogue_cache import read_bytes
from bot.codes import canonical_code
from bot.entry import (  # noqa: F401  (re-exported: the catalogue's public names)
    FAMILIES,
    GENERATIONS,
    HOPS,
    KINDS,
    OPERATIONS,
    OUTCOMES,
    PROVIDER_CA,
    PROVIDER_CURRENT,
    PROVIDER_IIS,
    PROVIDER_NDES,
    Advice,
    CatalogueError,
    Entry,
    Kind,
    Noise,
    Outcome,
    Terms,
    Text,
    provider_key,
)
from bot.normalize import fold, squash

if TYPE_CHECKING:
    from pathlib import Path

# Files whose entries come first, so ties in a search favour the documented
# legacy tables over the newer, longer lists, and a plain ID in `related`
# ("1000") means the connector's own event; any other *.toml follows by name.
_FILE_ORDER = (
    "legacy_events",
    "diagnostic_codes",
    "connector_events",
    "windows_events",
    "hresults",
)


class Catalogue:
    """Every entry, in file order, plus the synonym groups free-text search uses.

    Immutable by convention, compared and hashed by its entries and synonyms
    (a plain class, not a dataclass: the CLI pays for every dataclass it imports)."""

    # No __slots__: bot.classify, bot.hops and bot.symptoms keep memos in vars(catalogue).

    def __init__(
        self, entries: tuple[Entry, ...], synonyms: tuple[tuple[str, ...], ...] = ()
    ) -> None:
        self.entries = entries
        self.synonyms = synonyms
        by_key: dict[str, Entry] = {}
        by_id: dict[str, Entry] = {}
        sharing: dict[str, list[Entry]] = {}
        for e in entries:
            by_key.setdefault(e.key, e)
            by_id.setdefault(e.id, e)  # the first with a plain ID owns it
            sharing.setdefault(e.id, []).append(e)
        self._by_key = by_key
        self._by_id = by_id
        self._sharing = {k: tuple(v) for k, v in sharing.items()}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Catalogue):
            return NotImplemented
        return (self.entries, self.synonyms) == (other.entries, other.synonyms)

    def __hash__(self) -> int:
        return hash((self.entries, self.synonyms))

    def __repr__(self) -> str:
        return f"Catalogue({len(self.entries)} entries, {len(self.synonyms)} synonym groups)"

    def get(self, ref: str) -> Entry | None:
        """The entry a reference names, or None.

        A key ("Application Error:1000", "IIS:403.16", "symptom:taken-under-submission")
        names one entry; a plain ID ("20502", "0x00000410", "1000") names the
        first entry with that ID in load order (the connector's own, for events).
        """
        return self._by_key.get(ref) or self._by_id.get(ref)

    def with_id(self, ident: str) -> tuple[Entry, ...]:
        """Every entry with this plain ID (several sources may share an event ID)."""
        return self._sharing.get(ident, ())

    def event(self, event_id: int | str, source: str | None = None) -> Entry | None:
        """The event with this ID, or None.

        `source` narrows it to one writer: a family (legacy, current, ndes,
        ca) or a provider name. Several sources share IDs (DCOM also writes
        a 10010, Application Error a 1000), so callers reading real logs
        should always pass it. The legacy connector's provider name is not
        documented: pass the family for those.
        """
        events = [e for e in self.with_id(str(event_id).strip()) if e.kind == "event"]
        if source is None:
            return events[0] if events else None
        wanted = source.strip().lower()
        if wanted in FAMILIES:
            return next((e for e in events if e.family == wanted), None)
        key = provider_key(wanted)
        return next((e for e in events if e.provider and provider_key(e.provider) == key), None)

    def events(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.kind == "event")

    def codes(self) -> tuple[Entry, ...]:
        """Diagnostic codes and HRESULTs."""
        return tuple(e for e in self.entries if e.kind in ("code", "hresult"))

    def related(self, entry: Entry) -> tuple[Entry, ...]:
        return tuple(found for r in entry.related if (found := self.get(r)) is not None)


def knowledge_dir() -> Path:
    """Where the catalogue lives: inside the installed wheel, else the source tree."""
    from pathlib import Path

    return Path(_knowledge_folder())


def _knowledge_folder() -> str:
    # os.path, not pathlib: `intune-bot lookup` would otherwise import pathlib
    # (and urllib.parse, ipaddress) for this alone, ~3 ms of its cold start.
    here = os.path.dirname(os.path.abspath(__file__))
    packaged = os.path.join(here, "_knowledge")
    if os.path.isdir(packaged):
        return packaged
    return os.path.join(os.path.dirname(os.path.realpath(here)), "knowledge")


@functools.lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    """The shipped catalogue, read and checked once per process."""
    return load_catalogue()


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Read and validate every *.toml in `path` (default: `knowledge_dir()`)."""
    folder = os.fspath(path) if path is not None else _knowledge_folder()
    try:
        names = sorted((n for n in os.listdir(folder) if n.endswith(".toml")), key=_file_rank)
    except OSError:
        names = []
    if not names:
        raise CatalogueError(f"{folder}: no *.toml catalogue files")
    sources = [(name, read_bytes(os.path.join(folder, name))) for name in names]
    key, checked = catalogue_cache.cached(folder, sources)
    if checked is not None:
        return catalogue_cache.remember(Catalogue(*checked), folder, key)
    from bot.entry_schema import parse_entry, parse_synonym_group  # only when checking

    parsed = catalogue_cache.parse_toml(sources)
    entries: list[tuple[str, Entry]] = []
    synonyms: list[tuple[str, tuple[str, ...]]] = []
    for name, data in parsed:
        unknown = set(data) - {"entry", "synonym"}
        if unknown:
            raise CatalogueError(f"{name}: unknown top-level key(s) {sorted(unknown)}")
        for i, raw in enumerate(_array(data, "entry", name), 1):
            entries.append((name, parse_entry(raw, f"{name}: entry #{i}")))
        for i, raw in enumerate(_array(data, "synonym", name), 1):
            synonyms.append((name, parse_synonym_group(raw, f"{name}: synonym #{i}")))
    _check_together(entries, synonyms)
    catalogue = Catalogue(tuple(e for _, e in entries), tuple(g for _, g in synonyms))
    catalogue_cache.store(folder, key, catalogue.entries, catalogue.synonyms)
    return catalogue_cache.remember(catalogue, folder, key)


def _array(data: dict, key: str, file: str) -> list:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise CatalogueError(f"{file}: {key} must be an array of tables ([[{key}]])")
    return value


# --- rules across entries ----------------------------------------------------------


def _check_together(
    entries: list[tuple[str, Entry]], synonyms: list[tuple[str, tuple[str, ...]]]
) -> None:
    by_key: dict[str, tuple[str, Entry]] = {}
    first_with_id: dict[str, tuple[str, Entry]] = {}
    for file, e in entries:
        if e.key in by_key:
            other_file, other = by_key[e.key]
            raise CatalogueError(
                f"{file}: entry {e.id} {e.name}: duplicate id for one source (key {e.key!r}), "
                f"already used by "
                f"{other.name} in {other_file}"
            )
        by_key[e.key] = (file, e)
        first_with_id.setdefault(e.id, (file, e))
    _check_names(entries, first_with_id)
    _check_patterns(entries)
    catalogue = Catalogue(tuple(e for _, e in entries))
    for file, e in entries:
        for ref in e.related:
            found = catalogue.get(ref)
            if found is None:
                raise CatalogueError(
                    f"{file}: entry {e.id} {e.name}: related {ref!r} is not an id or key "
                    "in the catalogue"
                )
            if found is e:
                raise CatalogueError(f"{file}: entry {e.id} {e.name}: related lists itself")
    _check_synonyms(synonyms)


def _check_names(
    entries: list[tuple[str, Entry]], first_with_id: dict[str, tuple[str, Entry]]
) -> None:
    """Every name and alias must point at one entry under the search's normalizer,
    or search cannot tell them apart (and the later one would be unreachable)."""
    owner: dict[str, tuple[str, Entry, str]] = {
        squash(i): (f, e, "id") for i, (f, e) in first_with_id.items()
    }
    for file, e in entries:
        seen_here: set[str] = set()
        for what, value in [("name", e.name)] + [("alias", a) for a in e.aliases]:
            key = squash(value)
            if not key:
                raise CatalogueError(f"{file}: entry {e.id} {e.name}: {what} {value!r} has no words")
            if key in seen_here:
                continue
            seen_here.add(key)
            taken = owner.get(key)
            if taken and taken[1] is not e:
                t_file, t_entry, t_what = taken
                problem = "duplicate name" if what == "name" == t_what else f"{what} collides"
                raise CatalogueError(
                    f"{file}: entry {e.id} {e.name}: {problem}: {value!r} is already the "
                    f"{t_what} of {t_entry.id} {t_entry.name} in {t_file}"
                )
            owner[key] = (file, e, what)
        for alias in e.aliases:
            # "0x410" as an alias is a code spelling: it must be this entry's.
            code = canonical_code(alias)
            if code and code != e.id and code in first_with_id:
                other_file, other = first_with_id[code]
                raise CatalogueError(
                    f"{file}: entry {e.id} {e.name}: alias collides: {alias!r} is the code "
                    f"{code} of {other.name} in {other_file}"
                )


def _check_patterns(entries: list[tuple[str, Entry]]) -> None:
    """A pattern found in a question makes its entry the exact answer: two entries
    cannot both be it."""
    owner: dict[str, tuple[str, Entry]] = {}
    for file, e in entries:
        for pattern in e.patterns:
            key = fold(pattern)
            taken = owner.get(key)
            if taken and taken[1] is not e:
                raise CatalogueError(
                    f"{file}: entry {e.id} {e.name}: pattern {pattern!r} is already a pattern "
                    f"of {taken[1].id} {taken[1].name} in {taken[0]}"
                )
            owner[key] = (file, e)


def _check_synonyms(synonyms: list[tuple[str, tuple[str, ...]]]) -> None:
    group_of: dict[str, tuple[str, str]] = {}
    for file, group in synonyms:
        for term in group:
            key = fold(term)
            if key in group_of and group_of[key][1] != group[0]:
                raise CatalogueError(
                    f"{file}: synonym group {group[0]!r}: term {term!r} is already in group "
                    f"{group_of[key][1]!r} of {group_of[key][0]}"
                )
            group_of[key] = (file, group[0])


def _file_rank(name: str) -> tuple[int, str]:
    stem = name.removesuffix(".toml")
    return (_FILE_ORDER.index(stem) if stem in _FILE_ORDER else len(_FILE_ORDER), stem)
