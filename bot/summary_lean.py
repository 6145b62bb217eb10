"""The summary's fast path: most records of a log counted without decoding them.

A connector log is mostly successes, and a success adds only a count, its
hour, its server and its device to the summary; an event of a source outside
the chain adds only its time. Decoding such a record's JSON into Python
objects costs several times what the Rust parser spent producing it (issue
11 item 7). So the evtx reader hands each batch of raw records to
`absorb(summarizer, records)`, which reads their System part with a few
string searches, counts the ones it can, and returns the records that must
be decoded in full (failures, warnings, any record laid out otherwise).

The counts are the same as Summarizer.add would make (tests/test_summary.py
compares both paths); times are compared as evtx's fixed-width UTC strings
and turned into datetimes once per distinct value.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from bot.classify import CONTENT_DECIDES, recognized_kind
from bot.event_fields import device_field
from bot.logs.evtx_json import from_json
from bot.summary import NEVER, compact_device

# evtx's compact JSON starts the same way for every record of the standard
# schema; then come Provider, EventID, Version, Level, Task, …, TimeCreated,
# …, Channel, Computer, in this order. Inside a string every quote is
# escaped, so these member names can only be the members themselves.
_PREFIX = ('{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},'
           '"System":{"Provider":')  # fmt: skip
_TIME = '"SystemTime":"'


class _Kind:
    """What the summary does with the records of one kind (same System text)."""

    __slots__ = ("way", "server", "provider", "event_id", "entry", "hop", "device_key", "noise", "slot")

    def __init__(self, way: int, server: str = "", provider: str = "", event_id: int = 0,
                 entry=None, hop: str = "") -> None:  # fmt: skip
        self.way, self.server, self.provider, self.event_id = way, server, provider, event_id
        self.entry, self.hop = entry, hop
        self.device_key: str | None = None  # '"DeviceId":"', once the full path has learnt it
        self.noise = [n.pattern.lower() for n in entry.noise] if entry is not None else []
        self.slot = (server, entry.operation if entry is not None else "")  # its key in last_success


OUTSIDE, INFO, SUCCESS, WHOLE = range(4)  # a kind's way: only its time, counted, counted + device, decoded


def absorb(acc, records: list[dict]) -> list[dict]:
    """Count what can be counted from the batch's raw JSON; return the records to decode.

    A record's kind is the text from its Provider to its Level (provider,
    event ID, level) and from its Channel to its Computer: the first record
    of each kind is decoded in full, remembered, and goes the full way (which
    also learns where its kind keeps the device); the others are counted
    from a few string searches.
    """
    if acc.keep_events:  # the history keeps every connector event whole
        return records
    # What a kind needs depends on its text and the catalogue only: learnt once per
    # catalogue, not again for each part of an upload or each upload of the bot's day.
    kinds = vars(acc.catalogue).setdefault("_raw_kinds", {})
    start = len(_PREFIX)
    times: list[str] = []
    counted: list[_Kind] = []  # one per record counted (Counter() counts a list in C)
    ok_times: list[str] = []  # one per success: its hour is counted at the end
    last_ok: dict[tuple, str] = {}  # (kind, device as logged) -> latest time
    whole: list[dict] = []
    for rec in records:
        text = rec["data"]
        if not text.startswith(_PREFIX):
            whole.append(rec)
            continue
        level_end = text.find(',"Task":', start)
        channel = text.find('"Channel":', level_end)
        at = text.find(_TIME, level_end, channel)
        computer = text.find('"Computer":"', channel)
        end = text.find('"', computer + 12)
        if (level_end < 0 or at < 0 or computer < 0 or text[end - 1] == "\\"
                or text[at + 40] != "Z" or text.find('Data":{', level_end, channel) >= 0):  # fmt: skip
            whole.append(rec)  # not the usual layout: the full reader judges
            continue
        when = text[at + 14 : at + 40]
        key = (text[start:level_end], text[channel:end])
        kind = kinds.get(key)
        if kind is None:
            if len(kinds) < 10_000:  # a hostile file may invent kinds without end
                kinds[key] = _kind(acc, rec)
            whole.append(rec)
            continue
        way = kind.way
        if way == OUTSIDE:
            times.append(when)
            continue
        if way == WHOLE or (kind.noise and _maybe_noise(kind.noise, text)):
            whole.append(rec)
            continue
        if way == SUCCESS:
            device_key = kind.device_key or _device_key(kind)
            at = text.find(device_key, end) if device_key else -1
            if at < 0:  # no device field, or not learnt yet: the full path looks further
                whole.append(rec)
                continue
            at += len(device_key)
            device = text[at : at + 36]
            if (text[at + 36] != '"' or device[8] != "-" or device[13] != "-" or device[18] != "-"
                    or device[23] != "-"):  # fmt: skip
                whole.append(rec)  # braces, or not a GUID: the full path cleans it
                continue
            last = (kind, device)
            if when > last_ok.get(last, ""):
                last_ok[last] = when
            ok_times.append(when)
        times.append(when)
        counted.append(kind)
    _merge(acc, times, counted, ok_times, last_ok)
    return whole


def _kind(acc, rec: dict) -> _Kind:
    """How to count a record's kind, from one full decoding."""
    try:
        event = from_json(rec)
    except Exception:  # the full path reports it
        return _Kind(WHOLE)
    found = recognized_kind(event, acc.catalogue)
    if found is None:
        return _Kind(OUTSIDE)
    if found is CONTENT_DECIDES:
        return _Kind(WHOLE)
    entry, outcome, hop = found[1], found[2], found[3]
    if entry is None or outcome not in ("success", "info") or not _plain_noise(entry):
        return _Kind(WHOLE)
    way = SUCCESS if outcome == "success" else INFO
    return _Kind(way, event.computer, event.provider, event.event_id, entry, hop)


def _device_key(kind: _Kind) -> str | None:
    field = device_field(kind.provider, kind.event_id)
    if field is not None:
        kind.device_key = f'"{field}":"'
    return kind.device_key


def _plain_noise(entry) -> bool:
    """Can the entry's noise rules be checked on the raw JSON?

    The rules match the event's text case-insensitively (Entry.noise_reason);
    a pattern of printable ASCII with no quote or backslash reads the same in
    the JSON, so when it is absent there the record is not noise.
    """
    return all(n.pattern.isascii() and n.pattern.isprintable() and not set(n.pattern) & set('"\\')
               for n in entry.noise)  # fmt: skip


def _maybe_noise(patterns: list[str], text: str) -> bool:
    low = text.lower()
    return any(p in low for p in patterns)


def _merge(acc, times: list[str], counted: list[_Kind], ok_times: list[str], last_ok: dict) -> None:
    if not times:
        return
    acc.records += len(times)
    first, last = _utc(min(times)), _utc(max(times))
    if first < acc.first:
        acc.first = first
    if last > acc.last:
        acc.last = last
    for kind, n in Counter(counted).items():
        acc.computers[kind.server] += n
        acc.hop_records[kind.hop] = acc.hop_records.get(kind.hop, 0) + n
        if kind.way == SUCCESS:
            entry_id = kind.entry.id
            acc.plain_successes[entry_id] = acc.plain_successes.get(entry_id, 0) + n
        else:
            acc.connector_events += n
    for hour, n in Counter([t[:13] for t in ok_times]).items():
        acc.hours[datetime.fromisoformat(f"{hour}:00:00+00:00")][1] += n
    _merge_last_ok(acc, last_ok)


def _merge_last_ok(acc, last_ok: dict) -> None:
    """Each device's latest success of the batch into acc.last_success, as
    Summarizer.succeeded keeps it (its GUID as 16 bytes, its naive UTC time), inline:
    this runs once per distinct device of a log (72,000 in the 50 MB one)."""
    last_success = acc.last_success
    for (kind, device), when in last_ok.items():
        devices = last_success.get(kind.slot)
        if devices is None:
            devices = last_success[kind.slot] = {}
        key = compact_device(device)
        t = datetime.fromisoformat(when)  # naive UTC, as summary.naive_utc makes
        if t > devices.get(key, NEVER):
            devices[key] = t


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text + "+00:00")
