"""Events in, a failure summary out (pure: no Slack, no database).

`summarize(events)` streams once over the events and keeps only counters, so
memory follows the number of distinct failures and devices, not file size.
The result answers what a helpdesk asks first: which failures, how many,
when, on which server, for which devices / CAs / templates, how often the
same operation succeeded, and what to check first.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from bot.classify import ConnectorEvent, classify, is_noise, recognize
from bot.event_fields import device_of
from bot.knowledge import Catalogue, Entry, default_catalogue
from bot.logs import Event
from bot.logs.numbers import as_int
from bot.summary_values import Group, Summary, check_first, iso

# Kinds of failure, warning and retry a summary keeps in detail. Real logs have a few
# dozen; a damaged or hostile one had 100,000 (1 GB of groups). Past it, kinds are counted.
MAX_GROUPS = 500
PROGRESS_EVERY = 5000  # records between progress callbacks


class Summarizer:
    """Accumulates events one at a time; `result()` builds the Summary."""

    def __init__(self, catalogue: Catalogue | None = None, keep_events: bool = False) -> None:
        self.catalogue = catalogue or default_catalogue()
        self.keep_events = keep_events
        self.kept: list[ConnectorEvent] = []
        self.records = 0
        self.connector_events = 0
        self.first = _NEVER_AFTER  # so add() compares without a None check
        self.last = _NEVER_BEFORE
        self.computers: Counter = Counter()
        self.plain_successes: dict[str, int] = {}  # entry ID -> count, by the lean path in add()
        self._hour_start = self._hour_end = _NEVER_BEFORE
        self._hour_counts: list[int] = [0, 0]
        self.groups: dict[tuple[str, str, str | None], Group] = {}
        self.cut_kinds: dict[str, set[int]] = defaultdict(set)  # outcome -> hashes of cut kinds
        self.cut_events: Counter = Counter()  # outcome -> events of the kinds not kept
        self.successes: Counter = Counter()
        self.ops: dict[str, Counter] = defaultdict(Counter)
        self.noise: Counter = Counter()
        self.noise_reason: dict[str, str] = {}
        self.hours: dict[datetime, list[int]] = defaultdict(lambda: [0, 0])
        self.hop_records: dict[str, int] = {}
        self.hop_failures: dict[str, int] = {}
        # Latest success per (server, operation, device), and the failures and
        # retries to check against it once every event has been seen: exports
        # are not always in time order (Event Viewer XML is newest first).
        # (server, operation) -> {device: naive UTC time}, the device GUID as its 16 bytes:
        # what grows with a log's devices kept small (281,000 devices: ~40 MB less).
        self.last_success: dict[tuple[str, str], dict[bytes | str, datetime]] = {}
        # Pending: (group, (server, operation), device as in last_success, naive UTC time), made
        # as the failure is read (on every core), so result() only looks them up.
        self.pending: list[tuple[Group, tuple[str, str], bytes | str, datetime]] = []

    def add(self, event: Event) -> None:
        self.records += 1
        t = event.time
        if t < self.first:
            self.first = t
        if t > self.last:
            self.last = t
        recognized = recognize(event, self.catalogue)
        if recognized is None:
            return
        family, entry, outcome, hop = recognized
        hops = self.hop_records
        hops[hop] = hops.get(hop, 0) + 1
        if (
            outcome in ("success", "info")
            and entry is not None
            and not self.keep_events
            and not (entry.noise and is_noise(entry, event))
        ):
            # The common case, kept lean (it is most of a log): a success
            # needs only its device; per-entry counts become per-operation
            # counts once, in result().
            computers = self.computers
            computers[event.computer] = computers.get(event.computer, 0) + 1
            if outcome == "info":
                self.connector_events += 1
                return
            plain = self.plain_successes  # keyed by ID: hashing an Entry walks all its fields
            plain[entry.id] = plain.get(entry.id, 0) + 1
            self._hour(t)[1] += 1
            device = device_of(event)
            if device:
                self.succeeded(event.computer, entry.operation, device, t)
            return
        ce = classify(event, self.catalogue, slim=self.keep_events, recognized=recognized)
        assert ce is not None  # recognized above
        self.connector_events += 1
        self.computers[ce.server] += 1
        if self.keep_events:
            self.kept.append(ce)
        outcome = ce.outcome
        if outcome == "noise":
            key = str(event.event_id)
            self.noise[key] += 1
            self.noise_reason[key] = ce.noise_reason or ""
            return
        self.ops[ce.operation][outcome] += 1
        hour = self._hour(t)
        device_key = (ce.server, ce.operation, ce.device_id) if ce.device_id else None
        if outcome == "success":
            # IIS requests and trace lines have no event ID: counted under their source.
            self.successes[str(event.event_id) if event.event_id else event.provider] += 1
            hour[1] += 1
            if device_key:
                self.succeeded(*device_key, t)
        elif outcome in ("failure", "warning", "retry"):
            if outcome == "failure":
                hour[0] += 1
                self.hop_failures[ce.hop] = self.hop_failures.get(ce.hop, 0) + 1
            group = self._group(ce)
            if group is None:  # past MAX_GROUPS kinds: counted in the totals, not listed
                return
            group.add(ce)
            if device_key:
                self.pending.append((group, (ce.server, ce.operation), compact_device(ce.device_id), naive_utc(t)))

    def __getstate__(self) -> dict:
        # Sent between processes (bot.summary_parallel): without the catalogue, which the
        # receiver has, and with plain dicts where a defaultdict's factory is a lambda.
        state = dict(vars(self))
        state["catalogue"] = None
        state["hours"] = dict(self.hours)
        return state

    def __setstate__(self, state: dict) -> None:
        vars(self).update(state)
        self.hours = defaultdict(lambda: [0, 0], state["hours"])

    def merge(self, other: Summarizer) -> None:
        """Take in what another Summarizer read from a later part of the same upload.

        Parts are merged in their order, so the result is the one a single pass
        gives: counters add up, groups first seen later come after, and a kind
        of failure first seen once MAX_GROUPS kinds are kept is counted as cut.
        """
        self.records += other.records
        self.connector_events += other.connector_events
        self.first = min(self.first, other.first)
        self.last = max(self.last, other.last)
        self.kept.extend(other.kept)
        for mine, theirs in ((self.computers, other.computers), (self.plain_successes, other.plain_successes),
                             (self.successes, other.successes), (self.noise, other.noise),
                             (self.cut_events, other.cut_events), (self.hop_records, other.hop_records),
                             (self.hop_failures, other.hop_failures)):  # fmt: skip
            for key, n in theirs.items():
                mine[key] = mine.get(key, 0) + n
        self.noise_reason.update(other.noise_reason)
        for op, counts in other.ops.items():
            self.ops[op].update(counts)
        for hour, (bad, ok) in other.hours.items():
            counts = self.hours[hour]
            counts[0] += bad
            counts[1] += ok
        for outcome, kinds in other.cut_kinds.items():
            self.cut_kinds[outcome] |= kinds
        for key, devices in other.last_success.items():
            mine = self.last_success.get(key)
            if mine is None:
                self.last_success[key] = devices
                continue
            # Dict operations in C, not a loop per device: parts mostly see different
            # devices (a 50 MB log: 72,000, none in two parts), and the merge is serial.
            later_here = {d: t for d in mine.keys() & devices.keys() if (t := mine[d]) > devices[d]}
            mine.update(devices)
            mine.update(later_here)
        into: dict[int, Group | None] = {}  # id(their group) -> ours (None: cut here)
        for key, group in other.groups.items():
            ours = self.groups.get(key)
            if ours is None and len(self.groups) >= MAX_GROUPS:
                self.cut_kinds[group.outcome].add(hash(key))
                self.cut_events[group.outcome] += group.count
            elif ours is None:
                ours = self.groups[key] = group
                # Its entries came through a pickle: use this catalogue's own objects, found by
                # key (an ID alone can name another source's entry: "1000" is the connector's).
                group.entry = group.entry and self.catalogue.get(group.entry.key) or group.entry
                group.code_entry = (group.code_entry and self.catalogue.get(group.code_entry.key)
                                    or group.code_entry)  # fmt: skip
            else:
                ours.merge(group)
            into[id(group)] = ours
        self.pending.extend((into[id(g)], key, device, when) for g, key, device, when in other.pending
                            if into[id(g)] is not None)  # fmt: skip

    def succeeded(self, server: str, operation: str, device: str, t: datetime) -> None:
        """Note a device's success at an operation (what later_succeeded is checked against)."""
        devices = self.last_success.get((server, operation))
        if devices is None:
            devices = self.last_success[(server, operation)] = {}
        device, when = compact_device(device), naive_utc(t)
        if when > devices.get(device, NEVER):
            devices[device] = when

    def _hour(self, t: datetime) -> list[int]:
        # Logs are mostly in time order: reuse the current hour's counters.
        if self._hour_start <= t < self._hour_end:
            return self._hour_counts
        start = t.replace(minute=0, second=0, microsecond=0)
        self._hour_start, self._hour_end = start, start + _HOUR
        self._hour_counts = self.hours[start]
        return self._hour_counts

    def _group(self, ce: ConnectorEvent) -> Group | None:
        """The event's group; None once MAX_GROUPS kinds are kept (the kind is only counted)."""
        event = ce.event
        key = (ce.outcome, ce.hop, event.provider, str(event.event_id), ce.code, ce.symptom)
        group = self.groups.get(key)
        if group is None and len(self.groups) >= MAX_GROUPS:
            self.cut_kinds[ce.outcome].add(hash(key))
            self.cut_events[ce.outcome] += 1
            return None
        if group is None:
            code_entry = self.catalogue.get(ce.code) if ce.code else None
            group = self.groups[key] = Group(
                event_id="" if ce.symptom else str(event.event_id),
                name=_group_name(ce, code_entry),
                code=ce.code,
                code_name=code_entry.name if code_entry else None,
                outcome=ce.outcome,
                operation=ce.operation,
                entry=ce.entry,
                code_entry=code_entry,
                hop=ce.hop,
                source=event.provider,
            )
            if ce.symptom and ce.symptom[0] == "iis":
                _, group.status, group.url, win32 = ce.symptom
                group.win32 = as_int(win32)
        return group

    def result(self, file: str = "", format: str = "", problems=()) -> Summary:
        for entry_id, n in self.plain_successes.items():
            self.connector_events += n
            self.successes[entry_id] += n
            self.ops[self.catalogue.get(entry_id).operation]["success"] += n
        self.plain_successes = {}
        if self.records == 0:
            self.first = self.last = None
        last_success, nothing = self.last_success, {}
        for group, server_operation, device, when in self.pending:
            if last_success.get(server_operation, nothing).get(device, NEVER) > when:
                group.later_succeeded += 1
        by_count = sorted(self.groups.values(), key=lambda g: (-g.count, g.event_id, g.code or "", g.name))
        summary = Summary(
            file=file,
            format=format,
            records=self.records,
            connector_events=self.connector_events,
            first=self.first,
            last=self.last,
            servers=sorted(c for c in self.computers if c),  # CSV exports carry no computer
            failures=[g for g in by_count if g.outcome == "failure"],
            warnings=[g for g in by_count if g.outcome == "warning"],
            retries=[g for g in by_count if g.outcome == "retry"],
            successes=self.successes,
            success_rates=self._success_rates(),
            noise=[
                {"event_id": k, "count": n, "reason": self.noise_reason[k]}
                for k, n in self.noise.most_common()
            ],  # fmt: skip
            timeline=self._timeline(),
            problems=list(problems),
            events=self.kept,
            hops={h: {"records": n, "failures": self.hop_failures.get(h, 0)}
                  for h, n in self.hop_records.items()},  # fmt: skip
            cut={f"{outcome}s": {"kinds": len(kinds), "events": self.cut_events[outcome],
                                 "kept": MAX_GROUPS}
                 for outcome, kinds in self.cut_kinds.items()},  # fmt: skip
        )
        # What to check first: the broken hop's most frequent failure (where the request stopped).
        broken = summary.broken_hop
        first = next((g for g in summary.failures if g.hop == broken), summary.dominant)
        summary.check_first = check_first(first)
        return summary

    def _success_rates(self) -> list[dict]:
        rates = []
        for op, counts in sorted(self.ops.items()):
            ok, bad = counts["success"], counts["failure"]
            if ok + bad:
                rates.append({"operation": op, "succeeded": ok, "failed": bad,
                              "retried": counts["retry"], "rate": round(ok / (ok + bad), 4)})  # fmt: skip
        return rates

    def _timeline(self) -> dict:
        """Counts per hour, or per day when the log spans more than three days."""
        if not self.hours:
            return {"bucket": "hour", "points": []}
        span = max(self.hours) - min(self.hours)
        bucket = "day" if span > timedelta(days=3) else "hour"
        points: dict[datetime, list[int]] = defaultdict(lambda: [0, 0])
        for hour, (bad, ok) in self.hours.items():
            key = hour.replace(hour=0) if bucket == "day" else hour
            points[key][0] += bad
            points[key][1] += ok
        return {
            "bucket": bucket,
            "points": [
                {"t": iso(k), "failures": v[0], "successes": v[1]}
                for k, v in sorted(points.items())
            ],  # fmt: skip
        }


NEVER = datetime.min  # before any time in last_success


def naive_utc(t: datetime) -> datetime:
    """A time as last_success keeps it: UTC without its tzinfo. The fast path reads
    evtx's UTC text straight into one (datetime.fromisoformat, 0.1 us) where an
    aware time's POSIX float costs 0.5 us, once per device of a log."""
    return (t if t.tzinfo is UTC else t.astimezone(UTC)).replace(tzinfo=None)


def compact_device(device: str) -> bytes | str:
    """A device GUID as its 16 bytes (49 bytes in memory, not an 85-byte str); any other
    ID in lower case (the fast path passes IDs as logged). bytes.fromhex checks the digits in C (it takes spaces between pairs
    only, which the length then refuses), in half the time of isalnum() and int()."""
    if len(device) == 36:
        try:
            key = bytes.fromhex(device.replace("-", ""))
        except ValueError:  # not hex
            return device.lower()
        if len(key) == 16:
            return key
    return device.lower()
_NEVER_BEFORE = datetime.min.replace(tzinfo=UTC)
_NEVER_AFTER = datetime.max.replace(tzinfo=UTC)
_HOUR = timedelta(hours=1)


def _group_name(ce: ConnectorEvent, code_entry: Entry | None) -> str:
    if ce.entry:
        return ce.entry.name
    if ce.symptom and ce.symptom[0] == "iis":
        return f"HTTP {ce.symptom[1]} on {ce.symptom[2]}"
    if ce.symptom:  # a trace line: its own words, masked, say more than the code's name
        return ce.symptom[1] or (code_entry.name if code_entry else ce.event.provider)
    return f"{ce.event.provider} {ce.event.event_id}"


def summarize(
    events: Iterable[Event],
    *,
    file: str = "",
    format: str = "",
    catalogue: Catalogue | None = None,
    progress: Callable[[int], None] | None = None,
    keep_events: bool = False,
    acc: Summarizer | None = None,
) -> Summary:
    """Summarize any iterable of events (pure); `acc` continues a Summarizer given."""
    acc = acc or Summarizer(catalogue, keep_events=keep_events)
    add = acc.add
    if progress is None:
        for event in events:
            add(event)
    else:
        tick = ticker(progress)
        for event in events:
            add(event)
            tick(acc.records)  # records, also those counted raw
    return acc.result(file=file, format=format)


class Ticker:
    """Calls `progress(n)` once per PROGRESS_EVERY records read, n a multiple of it
    (a Slack message is updated each time: it must not be every batch)."""

    def __init__(self, progress: Callable[[int], None]) -> None:
        self.progress = progress
        self.mark = PROGRESS_EVERY

    def __call__(self, records: int) -> None:
        if records >= self.mark:
            self.mark = (records // PROGRESS_EVERY + 1) * PROGRESS_EVERY
            self.progress(self.mark - PROGRESS_EVERY)


def ticker(progress: Callable[[int], None] | None) -> Ticker | None:
    """`progress` as a Ticker (once per PROGRESS_EVERY records), or None."""
    if progress is None or isinstance(progress, Ticker):
        return progress
    return Ticker(progress)
