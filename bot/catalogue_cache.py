"""Parse and check the catalogue once per edit, so the CLI starts fast.

tomllib is pure Python: parsing the catalogue costs ~25 ms, and checking its
~230 entries another ~12 ms, most of the CLI's cold-start budget. The checked
entries are kept in __pycache__ beside the files, keyed by a checksum of their
bytes AND of the checking (and rebuilding) code's own source, so an edit of
either is always seen: the same bytes checked by the same code get the same verdict.
Only a catalogue that passed every check is cached; a cache that is missing,
stale, damaged or of another shape is ignored and the TOML parsed again.

The cache is plain data (tuples, strings, numbers, booleans, None) written with
marshal, as Python writes the .pyc files beside it: loading it runs no code, and
whoever can write it can write the TOML (or the .pyc) beside it anyway. Never
pickle. Each entry is one tuple in the order of `Entry.__slots__`, nested values
as tuples in theirs, so rebuilding is positional (JSON dicts took ~12 ms to load
and rebuild, this ~2.5 ms); equal strings (source URLs) are written once.
"""

from __future__ import annotations

import gc
import marshal
import os
import sys
import threading
import zlib

from bot.entry import Advice, CatalogueError, Entry, Noise, Terms, Text

_CACHE_FORMAT = 3
_CACHE_NAME = "catalogue.marshal"
# The code whose verdict and values the cache keeps: editing it re-checks the catalogue.
_CHECKERS = (
    "entry.py",
    "entry_schema.py",
    "knowledge.py",
    "codes.py",
    "normalize.py",
    "catalogue_cache.py",
    "value.py",
)

def read_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def cached(folder: str, sources: list[tuple[str, bytes]]):
    """(key, (entries, synonyms) checked earlier for exactly these files and this
    code, or None: no cache yet, a stale one or a damaged one)."""
    key = _cache_key(sources)
    if key is None:
        return None, None
    # Tens of thousands of new tuples would start the cycle collector a few dozen
    # times (~1.5 ms of a CLI start) for plain data that holds no cycle.
    collecting = gc.isenabled()
    gc.disable()
    try:
        stored_key, entries, synonyms = marshal.loads(read_bytes(_cache_path(folder)))
        if stored_key == key:
            return key, (tuple(_entry(f) for f in entries), tuple(synonyms))
    except Exception:  # any damage at all (a marshal error, another shape): parse again
        pass
    finally:
        if collecting:
            gc.enable()
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
    strings: dict[str, str] = {}
    content = (key, _plain(entries, strings), _plain(tuple(synonyms), strings))
    _write_cache(_cache_path(folder), content)


# Where the nested values sit in an entry's tuple (the order of Entry.__slots__).
_FIELDS = Entry.__slots__
_DESCRIPTION, _CAUSES, _FIXES, _NOTE, _KEYWORDS, _NOISE = (
    _FIELDS.index(n) for n in ("description", "causes", "fixes", "note", "keywords", "noise")
)


def _entry(f: tuple) -> Entry:
    """An entry a previous load checked, rebuilt without checking it again."""
    if len(f) != len(_FIELDS):  # (trailing fields have defaults: never fill them in)
        raise ValueError("an entry of another shape")
    values = list(f)
    values[_DESCRIPTION] = Text(*f[_DESCRIPTION])
    values[_CAUSES] = tuple(Advice(Text(*a[0]), *a[1:]) for a in f[_CAUSES])
    values[_FIXES] = tuple(Advice(Text(*a[0]), *a[1:]) for a in f[_FIXES])
    values[_NOTE] = Text(*f[_NOTE]) if f[_NOTE] is not None else None
    values[_KEYWORDS] = Terms(*f[_KEYWORDS])
    values[_NOISE] = tuple(Noise(p, Text(*r), s) for p, r, s in f[_NOISE])
    return Entry(*values)


def _plain(value, strings: dict[str, str]):
    """A value as nested tuples in slot order; equal strings as one object, so
    marshal writes each once."""
    if isinstance(value, str):
        return strings.setdefault(value, value)
    if isinstance(value, tuple | list):
        return tuple(_plain(v, strings) for v in value)
    if isinstance(value, Text | Terms | Advice | Noise | Entry):
        return tuple(_plain(getattr(value, n), strings) for n in value.__slots__)
    return value


def remember(catalogue, folder: str, key: str | None):
    """Note where a checked catalogue is cached, so what is computed from it can
    be kept beside it (`derived`); a catalogue built any other way has no cache."""
    if key is not None:
        vars(catalogue)["_cached_as"] = (folder, key)
    return catalogue


def derived(catalogue, name: str, build, restore):
    """What `build()` computes from a catalogue, as plain data, kept beside its cache.

    Keyed by the catalogue's cache key and the source of every module of the bot
    package (whatever code `build` runs, an edit of it is seen). `restore` turns
    the plain data into what the caller uses; any failure of loading or restoring
    builds it again. Without a cached catalogue, simply `restore(build())`.
    """
    folder, key = vars(catalogue).get("_cached_as", (None, None))
    key = key and _code_key(key)
    if key is None:
        return restore(build())
    path = os.path.join(folder, "__pycache__", f"{name}.marshal")
    collecting = gc.isenabled()
    gc.disable()  # plain data, no cycles (see `cached`)
    try:
        stored_key, plain = marshal.loads(read_bytes(path))
        if stored_key == key:
            return restore(plain)
    except Exception:  # any damage at all: build it again
        pass
    finally:
        if collecting:
            gc.enable()
    plain = build()
    _write_cache(path, (key, plain))
    return restore(plain)


def parsed_toml(path: str) -> dict:
    """A small TOML data file (knowledge/chain/) parsed, kept as marshal data in the
    __pycache__ beside it, keyed by its bytes: a summary reads the hop table in every
    process it runs, and importing tomllib (~8 ms) and parsing cost more than reading
    the log's first chunks. Whatever checks the data still checks it every time; a
    missing, stale or damaged cache is parsed again. Raises what tomllib raises."""
    raw = read_bytes(path)
    key = f"{sys.version_info[0]}.{sys.version_info[1]}-{len(raw)}-{zlib.crc32(raw):08x}"
    cache = os.path.join(os.path.dirname(path), "__pycache__", os.path.basename(path) + ".marshal")
    try:
        stored_key, data = marshal.loads(read_bytes(cache))
        if stored_key == key and isinstance(data, dict):
            return data
    except Exception:  # any damage at all: parse again
        pass
    import tomllib

    data = tomllib.loads(raw.decode("utf-8"))
    _write_cache(cache, (key, data))  # (a value marshal cannot write, a date, keeps no cache)
    return data


def _code_key(catalogue_key: str) -> str | None:
    here = os.path.dirname(os.path.abspath(__file__))
    crc = zlib.crc32(catalogue_key.encode())
    try:
        for name in sorted(n for n in os.listdir(here) if n.endswith(".py")):
            crc = zlib.crc32(read_bytes(os.path.join(here, name)), zlib.crc32(name.encode(), crc))
    except OSError:
        return None
    return f"{catalogue_key}-{crc:08x}"


def _cache_path(folder: str) -> str:
    return os.path.join(folder, "__pycache__", _CACHE_NAME)


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


def _write_cache(cache: str, content: tuple) -> None:
    """Best effort: a read-only install simply parses the TOML every time."""
    try:
        data = marshal.dumps(content)
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        # One temp file per process and thread, so two writers never share one.
        tmp = f"{cache}.{os.getpid()}.{threading.get_ident()}.tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, cache)  # atomic: a concurrent reader sees old or new, never half
    except (OSError, ValueError):
        pass
