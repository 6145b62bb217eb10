"""What a summary holds: failure groups and the summary itself, and their JSON.

The values `bot.summary.Summarizer` builds; the `--json` contract of DESIGN.md
is their `to_dict()`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.classify import ConnectorEvent
from bot.hops import HOPS
from bot.knowledge import Advice, Entry
from bot.logs import Problem

EXAMPLES = 5  # devices / CAs / templates shown per failure


def iso(t: datetime | None) -> str | None:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if t else None


def _add_counts(mine: Counter, theirs: Counter) -> None:
    """mine.update(theirs), keys in the same order, with dict operations in C:
    Counter.update loops in Python over a mapping, and a group counts thousands of
    devices in each part of a large log (the merge of parts is serial)."""
    sums = {key: mine[key] + theirs[key] for key in mine.keys() & theirs.keys()}
    dict.update(mine, theirs)
    dict.update(mine, sums)


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
        hour = t.replace(minute=0, second=0, microsecond=0)
        self.hours[hour] = self.hours.get(hour, 0) + 1
        self.servers[ce.server] = self.servers.get(ce.server, 0) + 1
        # get() rather than Counter's += 1: a new key (most devices and users are)
        # would call Counter.__missing__, a Python method, once per event.
        for counter, value in ((self.devices, ce.device_id), (self.users, ce.user_id),
                               (self.cas, ce.ca), (self.templates, ce.template)):  # fmt: skip
            if value:
                counter[value] = counter.get(value, 0) + 1

    def merge(self, other: Group) -> None:
        """Take in the same group as read from another part of the log (a later one)."""
        self.count += other.count
        if other.first is not None and (self.first is None or other.first < self.first):
            self.first = other.first
        if other.last is not None and (self.last is None or other.last > self.last):
            self.last = other.last
        self.later_succeeded += other.later_succeeded
        for name in ("servers", "devices", "users", "cas", "templates", "hours"):
            _add_counts(getattr(self, name), getattr(other, name))

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
            "fix": first_fix(self),
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
    notes: list[str] = field(default_factory=list)  # facts that are not damage: local times
    # Kinds past MAX_GROUPS, per list: {"failures": {"kinds": n, "events": n, "kept": 500}}
    cut: dict[str, dict[str, int]] = field(default_factory=dict)
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
            "notes": self.notes,
            "affected": self.affected(),
            "cut": self.cut,
        }

    def affected(self) -> dict[str, int]:
        """Distinct servers, devices, users, CAs and templates across every failure group:
        a device failing in two groups is one device."""
        return {
            key: len(set().union(*(getattr(g, key) for g in self.failures)))
            for key in ("servers", "devices", "users", "cas", "templates")
        }


def check_first(group: Group | None) -> dict | None:
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
        "causes": [advice(a) for a in causes],
        "fixes": [advice(a) for a in fixes],
        "doc": (group.code_entry or group.entry).doc if (group.code_entry or group.entry) else None,
    }


def first_fix(group: Group) -> dict | None:
    """The first fix the catalogue gives for a group: the code's, else the event's."""
    for entry in (group.code_entry, group.entry):
        if entry is not None and entry.id != "0x00000000" and entry.fixes:
            return advice(entry.fixes[0])
    return None


def advice(a: Advice) -> dict:
    return {"en": a.text.en, "fr": a.text.fr, "inferred": a.inferred}
