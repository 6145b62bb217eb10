"""A run of an .evtx file's chunks, seen as an .evtx file of its own.

An .evtx is a 4 KiB file header and 64 KiB chunks that each stand alone
(their own string and template tables). The file header followed by chunks
[first, end) is therefore a valid log holding exactly those chunks' records,
with their own record IDs: so a large log can be read by two processes at
once, each parsing half its chunks. The `evtx` parser reads this view as it
reads any binary file object (read / seek / tell); nothing is copied to disk.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from bot.logs.chunks import CHUNK_SIZE, HEADER_SIZE


class ChunkView(io.RawIOBase):
    """File header + chunks [first, end) of the .evtx at `path`, read-only."""

    def __init__(self, path: str | Path, first: int, end: int) -> None:
        super().__init__()
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close()
        size = os.fstat(self._file.fileno()).st_size
        self._start = HEADER_SIZE + first * CHUNK_SIZE  # where chunk `first` begins in the file
        stop = min(HEADER_SIZE + end * CHUNK_SIZE, size)
        self._size = HEADER_SIZE + max(stop - self._start, 0)
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._size}[whence]
        self._pos = max(base + offset, 0)
        return self._pos

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        done = 0
        while done < len(view) and self._pos < self._size:
            if self._pos < HEADER_SIZE:  # the file's own header
                where, room = self._pos, HEADER_SIZE - self._pos
            else:  # the chunks, shifted down to follow the header
                where, room = self._start + self._pos - HEADER_SIZE, self._size - self._pos
            self._file.seek(where)
            n = self._file.readinto(view[done : done + min(room, len(view) - done)])
            if not n:
                break
            done += n
            self._pos += n
        return done

    def close(self) -> None:
        self._file.close()
        super().close()
