"""Event Viewer CSV / tab-delimited TXT exports and PowerShell `Export-Csv` files.

These exports carry the rendered message but no EventData, and Event Viewer's
(not PowerShell's) has no computer, channel or record ID. Their times are the
exporting computer's local time in its locale's format, with no zone: we read
them as UTC and say so in `LogFile.notes`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from bot.logs import Event
from bot.logs.columns import LEVELS
from bot.logs.detect import Sniffed
from bot.logs.numbers import as_int
from bot.logs.state import ReadState

MAX_LINE = 1024 * 1024  # longer physical lines are skipped, so memory stays bounded
DATE_SAMPLE = 200  # rows looked at to decide between day-first and month-first dates

_DATE = re.compile(
    r"\s*(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})[ T,]+(\d{1,2})[:h.](\d{2})(?:[:.](\d{2}))?"
    r"(?:[.,](\d{1,7}))?\s*([AaPp]\.?\s?[Mm]\.?)?\s*(Z|[+-]\d\d:?\d\d)?"
)

NOTE_LOCAL_TIME = (
    "times in this export are the exporting computer's local time (the file does not say "
    "which time zone), read as UTC"
)


def read_table(path: Path, sniffed: Sniffed, state: ReadState, notes: list[str] | None = None) -> Iterator[Event]:
    columns = sniffed.columns
    with open(path, encoding=sniffed.encoding, errors="replace", newline="") as f:
        lines = bounded_lines(f, state)
        for _ in range(sniffed.skip_lines + 1):  # #TYPE line, header
            next(lines, None)
        # strict: a file cut inside a quoted message raises instead of passing
        # the partial text off as the whole message.
        reader = csv.reader(lines, delimiter=sniffed.delimiter, strict=True)
        head: list[tuple[int, list[str]]] = []
        rows = _rows(reader, state, first_line=sniffed.skip_lines + 1)
        for item in rows:  # a bounded look-ahead decides the date order
            head.append(item)
            if len(head) >= DATE_SAMPLE:
                break
        day_first = _day_first([row for _, row in head], columns["time"], sniffed.language)
        if head and notes is not None and not _has_zone(head[0][1], columns["time"]):
            notes.append(NOTE_LOCAL_TIME)
        make = _maker(columns, day_first)
        for chain in (head, rows):
            for line, row in chain:
                if not any(row):
                    continue  # blank line
                try:
                    yield make(row)
                except Exception as err:
                    state.skipped += 1
                    state.problem(f"line {line}", f"could not be read: {err}")


def bounded_lines(f, state: ReadState, limit: int = MAX_LINE, *, whole_rows: bool = True) -> Iterator[str]:
    """The file's lines; a line over `limit` is a problem and comes back as a bare "\\n".

    `whole_rows`: every line of this format ends with a line break, so a last
    line without one means the file was cut.
    """
    number = 0
    while True:
        line = f.readline(limit)
        if not line:
            return
        number += 1
        if len(line) >= limit and not line.endswith("\n"):
            while line and not line.endswith("\n"):  # drop the rest of the huge line
                line = f.readline(limit)
            state.skipped += 1
            size = f"{limit >> 20} MB" if limit >= 1 << 20 else f"{limit >> 10} KB"
            state.problem(f"line {number}", f"the line is longer than {size}: skipped")
            yield "\n"
            continue
        if whole_rows and not line.endswith("\n"):
            # A short line without a break is the last one. Event Viewer and
            # Export-Csv end every row with CRLF: the file was cut, maybe mid-row.
            state.problem(f"line {number}", "the file ends in the middle of a line: it looks cut off, the last event may be incomplete")
        yield line


def _rows(reader, state: ReadState, first_line: int) -> Iterator[tuple[int, list[str]]]:
    """(file line number where the row ends, row); line numbers count the header too."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:  # e.g. a field over csv.field_size_limit()
            state.skipped += 1
            state.problem(f"line {reader.line_num + first_line}", f"could not be read: {err}")
            continue
        yield reader.line_num + first_line, row


def _maker(columns: dict[str, int], day_first: bool):
    time_col = columns["time"]
    id_col = columns["event_id"]
    source_col = columns.get("source")
    level_col = columns.get("level")
    number_col = columns.get("level_number")
    message_col = columns.get("message")
    channel_col = columns.get("channel")
    computer_col = columns.get("computer")
    record_col = columns.get("record_id")

    def cell(row: list[str], i: int | None) -> str:
        return row[i] if i is not None and i < len(row) else ""

    def make(row: list[str]) -> Event:
        event_id = cell(row, id_col).strip()
        if as_int(event_id) is None:
            raise ValueError(f"event ID {event_id[:40]!r} is not a number")
        level = _level(cell(row, number_col), cell(row, level_col))
        record = cell(row, record_col).strip()
        message = cell(row, message_col) if message_col is not None else None
        return Event(
            record_id=as_int(record),
            time=parse_local_time(cell(row, time_col), day_first),
            event_id=int(event_id),
            level=level,
            provider=cell(row, source_col),
            channel=cell(row, channel_col),
            computer=cell(row, computer_col),
            data={},
            message=message.replace("\r\n", "\n") if message else message,
        )

    return make


def _level(number: str, name: str) -> int | None:
    level = as_int(number.strip())
    return level if level is not None else LEVELS.get(name.strip().lower())


def _day_first(rows: list[list[str]], col: int, language: str) -> bool:
    am_pm = False
    for row in rows:
        m = _DATE.match(row[col]) if col < len(row) else None
        if not m or len(m.group(1)) == 4:
            continue
        a, b = int(m.group(1)), int(m.group(2))
        if a > 12:
            return True
        if b > 12:
            return False
        am_pm = am_pm or bool(m.group(8))
    # Ambiguous everywhere: French is day-first; English with AM/PM is the US order.
    return language == "fr" or not am_pm


def _has_zone(row: list[str], col: int) -> bool:
    m = _DATE.match(row[col]) if col < len(row) else None
    return bool(m and m.group(9))


def parse_local_time(text: str, day_first: bool) -> datetime:
    m = _DATE.match(text)
    if not m:
        raise ValueError(f"date {text[:40]!r} is not in a known format")
    a, b, c, hour, minute, second, fraction, ampm, zone = m.groups()
    if len(a) == 4:
        year, month, day = int(a), int(b), int(c)
    elif day_first:
        day, month, year = int(a), int(b), int(c)
    else:
        month, day, year = int(a), int(b), int(c)
    if year < 100:
        year += 2000
    h = int(hour)
    if ampm:
        pm = ampm[0] in "Pp"
        h = h % 12 + (12 if pm else 0)
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    when = datetime(year, month, day, h, int(minute), int(second or 0), micro, tzinfo=UTC)
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = sign * (int(digits[:2]) * 60 + int(digits[2:]))
        when = datetime.fromtimestamp(when.timestamp() - offset * 60, UTC)
    return when
