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
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.classify import ConnectorEvent, classify, device_of, is_noise, recognize
from bot.hops import HOPS
from bot.knowledge import Advice, Catalogue, Entry, default_catalogue
from bot.logs import Event, Problem

EXAMPLES = 5  # devices / CAs / templates shown per failure
PROGRESS_EVERY = 5000  # records between progress callbacks


def iso(t: datetime | None) -> str | None:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if t else None


@dataclass
class Group:
    """All events of one event ID and code (a failure, warning or retry)."""

    event_id: str
    name: str
    code: str | None
    code_name: str | None
    outcome: str
    operation: str
    entry: Entry | None
    code_entry: Entry | None
    hop: str = "connector"
    source: str = ""  # the provider exactly as in the log, or "IIS"
    status: str | None = None  # IIS: "403.16", with its url (cs-uri-stem) and win32 status
    url: str | None = None
    win32: int | None = None
    count: int = 0
    first: datetime | None = None
    last: datetime | None = None
    later_succeeded: int = 0  # events whose device succeeded at the same operation afterwards
    servers: Counter = field(default_factory=Counter)
    devices: Counter = field(default_factory=Counter)
    users: Counter = field(default_factory=Counter)
    cas: Counter = field(default_factory=Counter)
    templates: Counter = field(default_factory=Counter)
    # Events per UTC hour (the timeline chart's series): bounded by hours x groups.
    hours: Counter = field(default_factory=Counter, repr=False)

    def add(self, ce: ConnectorEvent) -> None:
        t = ce.event.time
        self.count += 1
        if self.first is None or t < self.first:
            self.first = t
        if self.last is None or t > self.last:
            self.last = t
        self.hours[t.replace(minute=0, second=0, microsecond=0)] += 1
        self.servers[ce.server] += 1
        for counter, value in ((self.devices, ce.device_id), (self.users, ce.user_id),
                               (self.cas, ce.ca), (self.templates, ce.template)):  # fmt: skip
            if value:
                counter[value] += 1

    def to_dict(self) -> dict:
        def top(counter: Counter) -> dict:
            return {
                "count": len(counter),
                "examples": [k for k, _ in counter.most_common(EXAMPLES)],
            }

        return {
            "event_id": self.event_id or None,
            "name": self.name,
            "code": self.code,
            "code_name": self.code_name,
            "count": self.count,
            "first": iso(self.first),
            "last": iso(self.last),
            "operation": self.operation,
            "later_succeeded": self.later_succeeded,
            "servers": dict(self.servers.most_common()),
            "devices": top(self.devices),
            "users": top(self.users),
            "cas": top(self.cas),
            "templates": top(self.templates),
            "hop": self.hop,
            "source": self.source,
            **({"status": self.status, "url": self.url, "win32": self.win32} if self.status else {}),
            "fix": _first_fix(self),
        }


@dataclass
class Summary:
    file: str
    format: str
    records: int = 0
    connector_events: int = 0
    first: datetime | None = None
    last: datetime | None = None
    servers: list[str] = field(default_factory=list)
    failures: list[Group] = field(default_factory=list)
    warnings: list[Group] = field(default_factory=list)
    retries: list[Group] = field(default_factory=list)
    successes: Counter = field(default_factory=Counter)
    success_rates: list[dict] = field(default_factory=list)
    noise: list[dict] = field(default_factory=list)
    timeline: dict = field(default_factory=dict)
    check_first: dict | None = None
    problems: list[Problem] = field(default_factory=list)
    parser: str | None = None
    files: list[dict] = field(default_factory=list)  # a zip's log members: {name, format, records}
    skipped: list[dict] = field(default_factory=list)  # a zip's members not read: {name, reason}
    ignored: int = 0  # records outside the chain (IIS requests to other URLs)
    hops: dict[str, dict[str, int]] = field(default_factory=dict)  # hop -> {records, failures}
    # Every connector event, kept only when the caller asks (history ingest).
    events: list[ConnectorEvent] = field(default_factory=list, repr=False)

    @property
    def dominant(self) -> Group | None:
        return self.failures[0] if self.failures else None

    @property
    def broken_hop(self) -> str | None:
        """The first hop of the chain (device first) whose logs hold failures."""
        return next((h for h in HOPS if self.hops.get(h, {}).get("failures")), None)

    def to_dict(self) -> dict:
        """The `intune-bot summarize --json` contract of DESIGN.md, and more."""
        return {
            "file": self.file,
            "format": self.format,
            "parser": self.parser,
            "servers": self.servers,
            "records": self.records,
            "connector_events": self.connector_events,
            "first": iso(self.first),
            "last": iso(self.last),
            "failures": [g.to_dict() for g in self.failures],
            "warnings": [g.to_dict() for g in self.warnings],
            "retries": [g.to_dict() for g in self.retries],
            "successes": {k: v for k, v in self.successes.most_common()},
            "success_rates": self.success_rates,
            "noise": self.noise,
            "timeline": self.timeline,
            "check_first": self.check_first,
            "problems": [p.to_dict() for p in self.problems],
            "hops": {h: self.hops[h] for h in HOPS if h in self.hops},
            "broken_hop": self.broken_hop,
            **({"files": self.files, "skipped": self.skipped} if self.format == "zip" else {}),
            "ignored": self.ignored,
        }


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
        self.last_success: dict[tuple, datetime] = {}
        self.pending: list[tuple[Group, tuple, datetime]] = []

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
                key = (event.computer, entry.operation, device)
                if t > self.last_success.get(key, _EPOCH):
                    self.last_success[key] = t
            return
        ce = classify(event, self.catalogue, slim=self.keep_events)
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
            self.successes[str(event.event_id)] += 1
            hour[1] += 1
            if device_key and t > self.last_success.get(device_key, _EPOCH):
                self.last_success[device_key] = t
        elif outcome in ("failure", "warning", "retry"):
            group = self._group(ce)
            group.add(ce)
            if outcome == "failure":
                hour[0] += 1
                self.hop_failures[ce.hop] = self.hop_failures.get(ce.hop, 0) + 1
            if device_key:
                self.pending.append((group, device_key, t))

    def _hour(self, t: datetime) -> list[int]:
        # Logs are mostly in time order: reuse the current hour's counters.
        if self._hour_start <= t < self._hour_end:
            return self._hour_counts
        start = t.replace(minute=0, second=0, microsecond=0)
        self._hour_start, self._hour_end = start, start + _HOUR
        self._hour_counts = self.hours[start]
        return self._hour_counts

    def _group(self, ce: ConnectorEvent) -> Group:
        event = ce.event
        key = (ce.outcome, ce.hop, event.provider, str(event.event_id), ce.code, ce.symptom)
        group = self.groups.get(key)
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
                group.win32 = int(win32) if win32.isdigit() else None
        return group

    def result(self, file: str = "", format: str = "", problems=()) -> Summary:
        for entry_id, n in self.plain_successes.items():
            self.connector_events += n
            self.successes[entry_id] += n
            self.ops[self.catalogue.get(entry_id).operation]["success"] += n
        self.plain_successes = {}
        if self.records == 0:
            self.first = self.last = None
        for group, device_key, t in self.pending:
            if self.last_success.get(device_key, _EPOCH) > t:
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
        )
        # What to check first: the broken hop's most frequent failure (where the request stopped).
        broken = summary.broken_hop
        first = next((g for g in summary.failures if g.hop == broken), summary.dominant)
        summary.check_first = _check_first(first)
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


_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
_NEVER_BEFORE = datetime.min.replace(tzinfo=UTC)
_NEVER_AFTER = datetime.max.replace(tzinfo=UTC)
_HOUR = timedelta(hours=1)


def _check_first(group: Group | None) -> dict | None:
    """What to check first for the dominant failure: the code's advice, then the event's."""
    if group is None:
        return None
    causes: list[Advice] = []
    fixes: list[Advice] = []
    for entry in (group.code_entry, group.entry):
        if entry is not None and entry.id != "0x00000000":
            causes += entry.causes
            fixes += entry.fixes
    return {
        "event_id": group.event_id,
        "name": group.name,
        "code": group.code,
        "code_name": group.code_name,
        "causes": [_advice(a) for a in causes],
        "fixes": [_advice(a) for a in fixes],
        "doc": (group.code_entry or group.entry).doc if (group.code_entry or group.entry) else None,
    }


def _group_name(ce: ConnectorEvent, code_entry: Entry | None) -> str:
    if ce.entry:
        return ce.entry.name
    if ce.symptom and ce.symptom[0] == "iis":
        return f"HTTP {ce.symptom[1]} on {ce.symptom[2]}"
    if ce.symptom:  # a trace line: its own words, masked, say more than the code's name
        return ce.symptom[1] or (code_entry.name if code_entry else ce.event.provider)
    return f"{ce.event.provider} {ce.event.event_id}"


def _first_fix(group: Group) -> dict | None:
    """The first fix the catalogue gives for a group: the code's, else the event's."""
    for entry in (group.code_entry, group.entry):
        if entry is not None and entry.id != "0x00000000" and entry.fixes:
            return _advice(entry.fixes[0])
    return None


def _advice(a: Advice) -> dict:
    return {"en": a.text.en, "fr": a.text.fr, "inferred": a.inferred}


def summarize(
    events: Iterable[Event],
    *,
    file: str = "",
    format: str = "",
    catalogue: Catalogue | None = None,
    progress: Callable[[int], None] | None = None,
    keep_events: bool = False,
) -> Summary:
    """Summarize any iterable of events (pure)."""
    acc = Summarizer(catalogue, keep_events=keep_events)
    add = acc.add
    for n, event in enumerate(events, 1):
        add(event)
        if progress and n % PROGRESS_EVERY == 0:
            progress(n)
    return acc.result(file=file, format=format)


def summarize_file(
    path: str | Path,
    *,
    parser: str = "auto",
    progress: Callable[[int], None] | None = None,
    catalogue: Catalogue | None = None,
    keep_events: bool = False,
    max_unpacked: int | None = None,
) -> Summary:
    """Open a log (any supported format, or a zip of them), summarize it, list its problems.

    `max_unpacked`: how much a zip may expand to (the upload limit; default 200 MB).
    Raises `bot.logs.NotAnEventLog` when the file is not an event log export.
    """
    from bot.logs import open_log

    limits = {"max_unpacked": max_unpacked} if max_unpacked else {}
    log = open_log(path, parser=parser, **limits)
    summary = summarize(
        log, file=Path(path).name, format=log.format, catalogue=catalogue,
        progress=progress, keep_events=keep_events,
    )  # fmt: skip
    summary.problems = list(log.problems)
    summary.parser = getattr(log, "parser", None)
    summary.ignored = log.ignored
    if log.format == "zip":
        summary.files = [m.to_dict() for m in log.files]
        summary.skipped = list(log.skipped)
    return summary
