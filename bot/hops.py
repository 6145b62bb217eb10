"""The hops of the certificate chain, and which one wrote an event.

A certificate that never arrives failed at one hop: the device asks IIS /
NDES, NDES asks the connector's policy module, the connector asks the CA.
Which provider logs at which hop is data: knowledge/chain/hops.toml, one row
per provider with a public source. `source_of(event)` finds the row; bot.classify
takes the event's meaning from the catalogue.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.entry import WINDOWS_PREFIX, provider_key

if TYPE_CHECKING:  # the lookup CLI formats hops without loading the log readers
    from bot.logs import Event

HOPS = ("device", "iis", "ndes", "connector", "ca")  # the order a request travels
HOP_LABELS = {"device": "device", "iis": "IIS", "ndes": "NDES", "connector": "connector", "ca": "CA"}
_MATCH_KEYS = ("provider", "prefix", "channel", "channel_prefix")
_KEYS = {*_MATCH_KEYS, "hop", "event_ids", "requires", "failure_ids", "family", "source"}


class HopTableError(ValueError):
    """knowledge/chain/hops.toml is malformed; the message names the row."""


@dataclass(frozen=True, slots=True)
class Source:
    """One row of the hop table: a provider (or channel) and the hop it logs at."""

    hop: str
    providers: tuple[str, ...] = ()  # lower-case
    prefix: str | None = None
    channel: str | None = None
    channel_prefix: str | None = None
    event_ids: frozenset[int] | None = None
    requires: str | None = None  # lower-case
    failure_ids: frozenset[int] = frozenset()
    family: str | None = None
    url: str = ""

    def matches(self, provider: str, channel: str) -> bool:
        """provider / channel lower-cased."""
        if self.providers and provider not in self.providers:
            return False
        if self.prefix and not provider.startswith(self.prefix):
            return False
        if self.channel and channel != self.channel:
            return False
        return not (self.channel_prefix and not channel.startswith(self.channel_prefix))

    def admits(self, event: Event) -> bool:
        """Does this event belong to the chain (the row's event IDs and required text)?"""
        if self.event_ids is not None and event.event_id not in self.event_ids:
            return False
        if self.requires is None:
            return True
        text = " ".join([event.message or "", *event.data.values()]).lower()
        return self.requires in text


def table_path() -> str:
    from bot.knowledge import knowledge_dir

    return os.path.join(knowledge_dir(), "chain", "hops.toml")


@functools.lru_cache(maxsize=4)
def load_table(path: str | None = None) -> tuple[Source, ...]:
    from bot.catalogue_cache import parsed_toml

    path = path or table_path()
    data = parsed_toml(path)
    rows = []
    for i, raw in enumerate(data.get("source", []), 1):
        where = f"{os.path.basename(path)}: source #{i}"
        unknown = set(raw) - _KEYS
        if unknown:
            raise HopTableError(f"{where}: unknown field(s) {sorted(unknown)}")
        if raw.get("hop") not in HOPS:
            raise HopTableError(f"{where}: hop must be one of {', '.join(HOPS)}")
        if not any(k in raw for k in _MATCH_KEYS) or not str(raw.get("source", "")).startswith("https://"):
            raise HopTableError(f"{where}: needs a provider, prefix or channel, and an https source")
        providers = raw.get("provider", ())
        providers = (providers,) if isinstance(providers, str) else tuple(providers)
        low = _lower_or_none
        rows.append(Source(
            hop=raw["hop"], providers=tuple(p.lower() for p in providers), prefix=low(raw.get("prefix")),
            channel=low(raw.get("channel")), channel_prefix=low(raw.get("channel_prefix")),
            event_ids=frozenset(raw["event_ids"]) if "event_ids" in raw else None,
            requires=low(raw.get("requires")), failure_ids=frozenset(raw.get("failure_ids", ())),
            family=raw.get("family"), url=raw["source"],
        ))  # fmt: skip
    return tuple(rows)


def _lower_or_none(value: str | None) -> str | None:
    return value.lower() if value else None


_BY_NAME: dict[tuple[str, str], Source | None] = {}


def row_of(event: Event) -> Source | None:
    """The hop-table row of the event's provider and channel (not yet checked against its ID)."""
    key = (event.provider, event.channel)
    try:
        return _BY_NAME[key]
    except KeyError:
        provider, channel = event.provider.lower(), event.channel.lower()
        row = next((r for r in load_table() if r.matches(provider, channel)), None)
        if row is None and provider and not provider.startswith(WINDOWS_PREFIX):
            # Event Viewer's Source column (CSV / TXT exports) drops the Windows prefix.
            full = WINDOWS_PREFIX + provider
            row = next((r for r in load_table() if r.matches(full, channel)), None)
        if len(_BY_NAME) < 10_000:  # a hostile file may invent names without end
            _BY_NAME[key] = row
        return row


def source_of(event: Event) -> Source | None:
    """The hop-table row of the event, or None when it is not part of the chain."""
    row = row_of(event)
    if row is None or not row.admits(event):
        return None
    return row


def catalogue_row(event: Event, catalogue) -> Source | None:
    """A row for a provider the table does not list but the catalogue has events of.

    Only the catalogued IDs belong to the chain (a generic provider such as
    "Application Error" writes many others); their hop is the entries' own.
    """
    rows = vars(catalogue).get("_hop_rows")
    if rows is None:
        ids: dict[str, set[int]] = {}
        hops: dict[str, tuple[str, str]] = {}
        for entry in catalogue.events():
            if entry.provider and entry.hop and entry.id.isdigit():
                name = provider_key(entry.provider)
                ids.setdefault(name, set()).add(int(entry.id))
                hops.setdefault(name, (entry.hop, entry.doc))
        rows = {name: Source(hop=hops[name][0], providers=(name,), event_ids=frozenset(found),
                             url=hops[name][1]) for name, found in ids.items()}  # fmt: skip
        vars(catalogue)["_hop_rows"] = rows
    return rows.get(provider_key(event.provider))


# The summary's chain line, "device → IIS/NDES → connector → CA": IIS and NDES
# run on one server and are read together, so they are one step.
CHAIN_STEPS = (("device", ("device",)), ("IIS/NDES", ("iis", "ndes")),
               ("connector", ("connector",)), ("CA", ("ca",)))  # fmt: skip


def chain_steps(hops: dict[str, dict[str, int]]) -> list[dict]:
    """The steps of the chain line, device first: {label, seen, records, failures, broken}.

    `broken` marks the first step whose logs hold failures: where the request
    stopped (later steps may fail too, often as a consequence). `seen` is False
    for a step no log in the upload covers.
    """
    steps, broken_seen = [], False
    for label, members in CHAIN_STEPS:
        records = sum(hops.get(h, {}).get("records", 0) for h in members)
        failures = sum(hops.get(h, {}).get("failures", 0) for h in members)
        broken = bool(failures) and not broken_seen
        broken_seen = broken_seen or broken
        steps.append({"label": label, "seen": any(h in hops for h in members), "records": records,
                      "failures": failures, "broken": broken})  # fmt: skip
    return steps
