"""Real history files damaged the ways disks and people damage them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

PAGE = 4096


def damaged_past_first_page(good: Path, out: Path) -> Path:
    """`good`'s bytes with every page after the first two overwritten.

    The header and the schema page still read, so the file opens; the tables'
    pages are garbage, so the first query fails as SQLite's "malformed".
    """
    conn = sqlite3.connect(good)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file
    conn.close()
    data = bytearray(good.read_bytes())
    assert len(data) > 4 * PAGE, "needs a history with a few pages of tables"
    for start in range(2 * PAGE, len(data), PAGE):
        data[start : start + PAGE] = b"\x5a" * PAGE
    out.write_bytes(bytes(data))
    return out


def garbage(out: Path, size: int = 5000) -> Path:
    """Bytes that are not SQLite at all (a file put where the history should be)."""
    out.write_bytes(bytes((i * 7 + 3) % 256 for i in range(size)))
    return out
