"""Parse and check the catalogue once per edit, so the CLI starts fast.

tomllib is pure Python: parsing the catalogue costs ~25 ms, and checking its
~200 entries another ~12 ms, most of the CLI's cold-start budget. The checked
entries are kept as JSON (C-parsed) in __pycache__ beside the files, keyed by a checksum of their bytes AND of the checking
code's own source, so an edit of either is always seen: the same bytes
checked by the same code get the same verdict. JSON, not pickle: loading it
can never run code, and whoever can write the cache can write the TOML
beside it anyway. Only a catalogue that passed every check is cached as checked.
"""

from __future__ import annotations

import json
import os
import threading
import zlib

from bot.entry import Advice, CatalogueError, Entry, Noise, Terms, Text
from bot.value import Value

_CACHE_FORMAT = 2
# The code whose verdict the cache keeps: editing it re-checks the catalogue.
_CHECKERS = ("entry.py", "entry_schema.py", "knowledge.py", "codes.py", "normalize.py")


def read_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def cached(folder: str, sources: list[tuple[str, bytes]]):
    """(key, (entries, synonyms) checked earlier for exactly these files and this
    code, or None: no cache yet, a stale one or a damaged one)."""
    key = _cache_key(sources)
    if key is None:
        return None, None
    try:
        content = json.loads(read_bytes(_cache_path(folder)))
        if content.get("key") == key:
            return key, _checked(content["checked"])
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        pass
    return key, None


def parse_toml(sources: list[tuple[str, bytes]]) -> list[tuple[str, dict]]:
    import tomllib  # only on a cache miss: importing it alone costs ~8 ms

    parsed = []
    for name, raw in sources:
        try:
            parsed.append((name, tomllib.loads(raw.decode("utf-8"))))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise CatalogueError(f"{name}: not valid TOML: {exc}") from None
    return parsed


def store(folder: str, key: str | None, entries: tuple[Entry, ...], synonyms) -> None:
    if key is None:
        return
    checked = {"entries": [_plain(e) for e in entries], "synonyms": synonyms}
    _write_cache(_cache_path(folder), {"key": key, "checked": checked})


def _checked(checked: dict) -> tuple[tuple[Entry, ...], tuple[tuple[str, ...], ...]]:
    """The entries a previous load checked, rebuilt without checking them again."""
    entries = tuple(_entry(d) for d in checked["entries"])
    return entries, tuple(tuple(g) for g in checked["synonyms"])


def _entry(d: dict) -> Entry:
    def advice(items: list) -> tuple[Advice, ...]:
        return tuple(Advice(Text(**a["text"]), a["source"], a["inferred"], a["provenance"])
                     for a in items)  # fmt: skip

    return Entry(
        **{k: tuple(v) if isinstance(v, list) else v for k, v in d.items() if k in _PLAIN},
        description=Text(**d["description"]),
        causes=advice(d["causes"]),
        fixes=advice(d["fixes"]),
        note=Text(**d["note"]) if d["note"] else None,
        keywords=Terms(tuple(d["keywords"]["en"]), tuple(d["keywords"]["fr"])),
        noise=tuple(Noise(n["pattern"], Text(**n["reason"]), n["source"]) for n in d["noise"]),
    )


_NESTED = {"description", "causes", "fixes", "note", "keywords", "noise"}
_PLAIN = set(Entry.__slots__) - _NESTED


def _plain(value):
    """An entry as JSON-ready dicts and lists (what dataclasses.asdict gave)."""
    if isinstance(value, Value):
        return {n: _plain(getattr(value, n)) for n in value.__slots__}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _cache_path(folder: str) -> str:
    return os.path.join(folder, "__pycache__", "catalogue.json")


def _cache_key(sources: list[tuple[str, bytes]]) -> str | None:
    crc = zlib.crc32(str(_CACHE_FORMAT).encode())
    here = os.path.dirname(os.path.abspath(__file__))
    for name in _CHECKERS:
        try:
            crc = zlib.crc32(read_bytes(os.path.join(here, name)), crc)
        except OSError:  # an install without the sources: no way to know the code, no cache
            return None
    for name, raw in sources:
        crc = zlib.crc32(raw, zlib.crc32(name.encode(), crc))
    return f"{_CACHE_FORMAT}-{len(sources)}-{sum(len(r) for _, r in sources)}-{crc:08x}"


def _write_cache(cache: str, content: dict) -> None:
    """Best effort: a read-only install simply parses the TOML every time."""
    try:
        text = json.dumps(content, ensure_ascii=False)
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        # One temp file per process and thread, so two writers never share one.
        tmp = f"{cache}.{os.getpid()}.{threading.get_ident()}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, cache)  # atomic: a concurrent reader sees old or new, never half
    except (OSError, TypeError, ValueError):
        pass
