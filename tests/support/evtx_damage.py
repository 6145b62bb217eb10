"""Chunk-header damage to a real .evtx: the cases tests/test_logs_damaged.py reads,
and bench/damaged.py times (wall time is a bench figure, not a test assertion)."""

from __future__ import annotations

import random
import struct

HEADER, CHUNK = 4096, 65536
C3 = HEADER + 3 * CHUNK  # the fourth chunk


def patch(data: bytes, at: int, fmt: str, value: int) -> bytes:
    buf = bytearray(data)
    struct.pack_into(fmt, buf, at, value)
    return bytes(buf)


# (what, mutate(bytes) -> bytes)
CHUNK_HEADER_DAMAGE = [
    ("zeroed chunk magic", lambda d: patch(d, C3, "<Q", 0)),
    ("free space 0xFFFFFFFF", lambda d: patch(d, C3 + 48, "<I", 0xFFFFFFFF)),
    ("last record offset 0xFFFFFFF0", lambda d: patch(d, C3 + 44, "<I", 0xFFFFFFF0)),
    ("first record size 0", lambda d: patch(d, C3 + 512 + 4, "<I", 0)),
    ("first record size 0xFFFFFFF0", lambda d: patch(d, C3 + 512 + 4, "<I", 0xFFFFFFF0)),
    ("header chunk count 0xFFFF", lambda d: patch(d, 42, "<H", 0xFFFF)),
    ("zeroed file header", lambda d: b"ElfFile\x00" + bytes(HEADER - 8) + d[HEADER:]),
    ("random chunk", lambda d: d[:C3] + b"ElfChnk\x00" + random.Random(1).randbytes(CHUNK - 8) + d[C3 + CHUNK:]),
    ("empty chunk", lambda d: d[:C3] + b"ElfChnk\x00" + bytes(CHUNK - 8) + d[C3 + CHUNK:]),
]
