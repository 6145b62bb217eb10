"""Parse the catalogue's TOML files, with a cache that makes the CLI start fast.

tomllib is pure Python: parsing the catalogue costs ~25 ms, a third of the
CLI's cold-start budget. The parsed tables are kept as JSON (C-parsed, ~2 ms)
in __pycache__ beside the files, keyed by a checksum of their bytes, so an
edit is always seen. JSON, not pickle: loading it can never run code, and
whoever can write the cache can write the TOML beside it anyway. The cache
holds only parsed TOML; validation still runs on every load.
"""

from __future__ import annotations

import json
import os
import threading
import zlib

from bot.entry_schema import CatalogueError

_CACHE_FORMAT = 1


def read_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def parsed_files(folder: str, sources: list[tuple[str, bytes]]) -> list[tuple[str, dict]]:
    key = _cache_key(sources)
    cache = os.path.join(folder, "__pycache__", "catalogue.json")
    try:
        cached = json.loads(read_bytes(cache))
        if cached.get("key") == key:
            return [(name, data) for name, data in cached["files"]]
    except (OSError, ValueError, TypeError, KeyError):
        pass  # no cache yet, or a damaged one: parse the TOML
    import tomllib  # only on a cache miss: importing it alone costs ~8 ms

    parsed = []
    for name, raw in sources:
        try:
            parsed.append((name, tomllib.loads(raw.decode("utf-8"))))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise CatalogueError(f"{name}: not valid TOML: {exc}") from None
    _write_cache(cache, {"key": key, "files": parsed})
    return parsed


def _cache_key(sources: list[tuple[str, bytes]]) -> str:
    crc = zlib.crc32(str(_CACHE_FORMAT).encode())
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
