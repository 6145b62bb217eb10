"""Zips of logs (Intune's "Collect diagnostics", an admin's zip of a server's logs).

A zip is read member by member: each member is copied into a private
temporary folder under a name of our own (member names are never used as
paths: `../` and absolute names are only text here), read as any other log,
and deleted. Windows backslash paths are read as folders; a zip inside the
zip is read too, one level deep. Limits keep a hostile archive cheap, each
refused with one line: the total uncompressed size (the upload limit), the
number of entries and the compression ratio. Encrypted members and members
that are not logs (.reg, .html, command output) are listed as skipped.

Intune's "Collect diagnostics" zip holds one folder per artifact, numbered:
"(42) Events Microsoft-Windows-DeviceManagement-…-Admin/Events.evtx"; the
folder names the log of each member (`Member.log`).
"""

from __future__ import annotations

import os
import re
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.logs import Event, NotAnEventLog, Problem
from bot.logs.detect import HEAD_BYTES, sniff_head

MAX_UNPACKED = 200 * 1024 * 1024  # the default upload limit (settings.max_upload_bytes)
MAX_ENTRIES = 10_000
MAX_RATIO = 200  # uncompressed / compressed; an .evtx with empty chunks reaches ~100
RATIO_FLOOR = 1024 * 1024  # members smaller than this are never judged by ratio
COPY_BLOCK = 1024 * 1024


@dataclass
class Member:
    """One log member: its name in the zip, its log, what was read from it."""

    name: str
    format: str
    log: str | None = None  # the log it holds, from Intune's folder layout
    records: int = 0

    def to_dict(self) -> dict:
        out = {"name": self.name, "format": self.format, "records": self.records}
        if self.log:
            out["log"] = self.log
        return out


def display_name(raw: str) -> str:
    """A member name as text a person can read: forward slashes, no control characters."""
    name = raw.replace("\\", "/")
    name = "".join(c if c >= " " and c != "\x7f" else "?" for c in name)
    return name[:200] + ("…" if len(name) > 200 else "")


_NUMBERED = re.compile(r"^\(?\d+\)?\s+(.+)$")


def log_of(name: str) -> str | None:
    """The log a member holds, from Intune's "(42) Events <log>/Events.evtx" layout."""
    parts = [p for p in name.split("/") if p]
    if len(parts) < 2:
        return None
    m = _NUMBERED.match(parts[-2])
    if not m:
        return None
    label = m.group(1).strip()
    words = label.split(None, 1)
    if len(words) == 2 and words[0].lower() == "events":
        label = words[1]
    return label or None


def check_archive(z: zipfile.ZipFile, name: str, max_unpacked: int) -> None:
    """Refuse, in one line, an archive whose headers already say it is too big or a bomb."""
    infos = z.infolist()
    if len(infos) > MAX_ENTRIES:
        raise NotAnEventLog(f"{name} holds {len(infos):,} entries, over the limit of {MAX_ENTRIES:,}")
    total = sum(i.file_size for i in infos)
    if total > max_unpacked:
        raise NotAnEventLog(
            f"{name} expands to {_mb(total)}, over the {_mb(max_unpacked)} limit for an upload"
        )
    for info in infos:
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise NotAnEventLog(
                f"{name}: {display_name(info.filename)} expands {ratio:,} to 1 "
                f"(the limit is {MAX_RATIO} to 1): it looks like a zip bomb"
            )


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):,.0f} MB"


class ZipLog:
    """A zip of logs, iterated as the events of all its log members in turn."""

    format = "zip"

    def __init__(self, path: str | Path, parser: str = "auto", *, max_unpacked: int = MAX_UNPACKED,
                 time_budget: float | None = None, max_records: int | None = None,
                 members: range | None = None) -> None:  # fmt: skip
        """`members`: read only these top-level entries (by index), as a worker reading a
        part of the archive does; the caller then merges the parts, in order."""
        from bot.logs.logfile import MAX_RECORDS, PARSERS, TIME_BUDGET_S

        if parser not in PARSERS:
            raise ValueError(f"unknown parser {parser!r}: use one of {', '.join(PARSERS)}")
        self.path = Path(path)
        self.size = os.path.getsize(self.path)
        self.parser = parser
        self.max_unpacked = max_unpacked
        self.time_budget = TIME_BUDGET_S if time_budget is None else time_budget
        self.max_records = MAX_RECORDS if max_records is None else max_records
        self.members = members
        self.absorb = None  # handed to each member (see LogFile.absorb)
        try:
            with zipfile.ZipFile(self.path) as z:
                check_archive(z, self.path.name, max_unpacked)
        except zipfile.BadZipFile as err:
            raise NotAnEventLog(f"{self.path.name} looks like a ZIP archive but cannot be read ({err})") from None
        self.files: list[Member] = []
        self.skipped: list[dict[str, str]] = []  # {name, reason}: members not read
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        self.records_seen = 0
        self.records_skipped = 0
        self.ignored = 0
        self.complete = False

    def __repr__(self) -> str:
        return f"ZipLog({str(self.path)!r})"

    def __iter__(self) -> Iterator[Event]:
        self.files, self.skipped, self.problems, self.notes = [], [], [], []
        self.records_seen = self.records_skipped = self.ignored = 0
        self.complete = False
        self._budget = self.max_unpacked
        self._deadline = time.monotonic() + self.time_budget
        # The temporary folder is mode 0700: ours alone.
        with tempfile.TemporaryDirectory(prefix="intune-zip-") as tmp, zipfile.ZipFile(self.path) as z:
            if self.members is not None:
                # What the entries before this part may unpack to: a whole pass would have
                # spent at most that much of the budget by now (none writes past its size).
                self._budget -= sum(i.file_size for i in z.infolist()[: self.members.start])
            yield from self._members(z, "", Path(tmp), depth=0)
        if not self.files and self.members is None:
            raise NotAnEventLog(self.nothing_read())
        self.complete = time.monotonic() <= self._deadline

    def nothing_read(self) -> str:
        name = self.path.name
        if not self.skipped:
            return f"{name} is a ZIP archive with nothing in it"
        shown = "; ".join(f"{s['name']}: {s['reason']}" for s in self.skipped[:3])
        more = f" and {len(self.skipped) - 3} more" if len(self.skipped) > 3 else ""
        return f"{name} is a ZIP archive with no log in it ({shown}{more})"

    def _skip(self, name: str, reason: str) -> None:
        self.skipped.append({"name": name, "reason": reason})

    def _members(self, z: zipfile.ZipFile, prefix: str, tmp: Path, depth: int) -> Iterator[Event]:
        for index, info in enumerate(z.infolist()):
            if depth == 0 and self.members is not None and index not in self.members:
                continue
            if info.is_dir() or info.filename.endswith("\\"):
                continue
            name = prefix + display_name(info.filename)
            if info.flag_bits & 0x1:
                self._skip(name, "encrypted (password-protected): not read")
                continue
            if time.monotonic() > self._deadline:
                self.problems.append(Problem(name, "not read: the archive takes too long to read"))
                continue
            if self.records_seen >= self.max_records:
                self.problems.append(Problem(name, f"not read: the archive's limit of {self.max_records:,} records is reached"))
                continue
            target = tmp / f"{depth}-{index}"
            try:  # the finally removes a member copied in part, too
                try:
                    head = self._copy(z, info, target)
                except _Skip as why:
                    self._skip(name, str(why))
                    continue
                except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as err:
                    self._skip(name, f"cannot be extracted ({_short(err)})")
                    continue
                if head.startswith(b"PK\x03\x04"):
                    yield from self._nested(target, name, tmp, depth)
                    continue
                try:
                    kind = sniff_head(head, name.rsplit("/", 1)[-1])
                except NotAnEventLog as err:
                    self._skip(name, _not_a_log(str(err), name))
                    continue
                yield from self._read(target, name, kind.format)
            finally:
                target.unlink(missing_ok=True)

    def _nested(self, target: Path, name: str, tmp: Path, depth: int) -> Iterator[Event]:
        if depth >= 1:
            self._skip(name, "a zip inside a zip inside a zip: only one level of zips is read")
            return
        try:
            with zipfile.ZipFile(target) as inner:
                check_archive(inner, name, self._budget)
                yield from self._members(inner, name + "/", tmp, depth + 1)
        except NotAnEventLog as err:
            self._skip(name, str(err).removeprefix(f"{name}: ").removeprefix(f"{name} "))
        except zipfile.BadZipFile as err:
            self._skip(name, f"a damaged zip ({_short(err)})")

    def _copy(self, z: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path) -> bytes:
        """Copy one member out, within the budget and its declared size; returns its head."""
        if info.file_size > self._budget:
            raise _Skip(f"not read: the archive's contents pass the {_mb(self.max_unpacked)} limit")
        written = 0
        head = b""
        with z.open(info) as src, open(target, "wb") as out:
            while True:
                block = src.read(COPY_BLOCK)
                if not block:
                    break
                written += len(block)
                if written > info.file_size or written > self._budget:
                    raise _Skip("holds more data than its header declares: not read")
                if len(head) < HEAD_BYTES:
                    head += block[: HEAD_BYTES - len(head)]
                out.write(block)
        self._budget -= written
        if info.date_time[0] >= 1980:  # plain-text logs without times take the file's
            stamp = time.mktime((*info.date_time, 0, 0, -1))
            os.utime(target, (stamp, stamp))
        return head

    def _read(self, target: Path, name: str, fmt: str) -> Iterator[Event]:
        from bot.logs.logfile import LogFile

        remaining = max(self._deadline - time.monotonic(), 0.0)
        log = LogFile(target, self.parser, time_budget=remaining, max_records=self.max_records,
                      records_before=self.records_seen, display=name)  # fmt: skip
        log.absorb = self.absorb
        member = Member(name, fmt, log_of(name))
        self.files.append(member)
        yield from log
        self.records_seen += log.records_seen
        member.records = log.records_seen
        self.records_skipped += log.records_skipped
        self.ignored += log.ignored
        self.problems.extend(Problem(f"{name}: {p.where}", p.reason) for p in log.problems)
        self.notes.extend(n for n in log.notes if n not in self.notes)


class _Skip(Exception):
    """A member is not read; str() is the reason."""


def _short(err: BaseException) -> str:
    return str(err).splitlines()[0][:120] if str(err) else type(err).__name__


def _not_a_log(reason: str, name: str) -> str:
    """'x.reg is plain text, not an event log export' -> 'plain text, not a log we read'."""
    base = name.rsplit("/", 1)[-1]
    reason = reason.removeprefix(base).strip()
    reason = reason.removeprefix("is ").removeprefix("looks like ")
    return reason.replace("not an event log export", "not a log we read")

