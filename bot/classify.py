"""Recognize connector events and pull out what a helpdesk needs from them.

An `Event` from any export becomes a `ConnectorEvent`: which catalogue entry
it is, its outcome, the diagnostic code or HRESULT, and the device, user, CA,
template, thumbprint and serial it concerns (read by bot.event_fields).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.event_fields import extract_fields
from bot.hops import Source, catalogue_row, row_of, source_of
from bot.knowledge import Catalogue, Entry
from bot.logs import Event
from bot.symptoms import (
    GENERIC_CODES,
    iis_entry,
    iis_outcome,
    signature,
    specific_code,
    symptom_entry,
    trace_codes,
    trace_outcome,
    win32_code,
)

LEGACY, CURRENT, NDES, CA = "legacy", "current", "ndes", "ca"
IIS_PROVIDER = "IIS"
TRACE_CHANNELS = {"svclog", "ndesplugin.log"}  # the legacy text logs (bot.logs.trace_reader)



# Not frozen: a large log makes one per failure, and a frozen dataclass sets each of
# its 15 fields through object.__setattr__ (2.7 us a construction instead of 0.8).
@dataclass(slots=True)
class ConnectorEvent:
    event: Event
    entry: Entry | None  # the catalogue entry for this event, None if unknown
    outcome: str  # success | warning | failure | retry | info | noise
    operation: str
    code: str | None  # canonical diagnostic code or HRESULT, "0x00000410"
    device_id: str | None = None
    user_id: str | None = None
    ca: str | None = None
    template: str | None = None
    thumbprint: str | None = None
    serial: str | None = None
    family: str = LEGACY  # legacy | current | ndes | ca, or the hop for sources with no family
    noise_reason: str | None = None
    hop: str = "connector"  # device | iis | ndes | connector | ca (bot.hops.HOPS)
    # What groups events with no catalogued ID: an IIS (status, url, win32), a trace line's signature.
    symptom: tuple | None = None

    @property
    def server(self) -> str:
        return self.event.computer


def family_of(event: Event) -> str | None:
    """Which chain source wrote this event (a catalogue family, else its hop), or None for any other."""
    row = source_of(event)
    return (row.family or row.hop) if row else None


def recognize(event: Event, catalogue: Catalogue) -> tuple[str, Entry | None, str, str] | None:
    """(family, catalogue entry, outcome, hop) of a chain event; None for any other event."""
    found = recognized_kind(event, catalogue)
    if found is CONTENT_DECIDES:
        return _recognize_content(event, catalogue)
    return found


_UNSEEN = object()


def recognized_kind(event, catalogue: Catalogue):
    """What recognize() knows from the System values alone (provider, channel, ID, level).

    CONTENT_DECIDES when the event's content does (IIS requests, trace lines,
    rows with required text). A log repeats a few such quadruples thousands
    of times: each is worked out once, memoized on the catalogue itself so a
    memo can never outlive or mix up catalogues.
    """
    memo = vars(catalogue).setdefault("_recognize_memo", {})
    key = (event.provider, event.channel, event.event_id, event.level)
    found = memo.get(key, _UNSEEN)
    if found is _UNSEEN:
        found = _recognize_kind(event, catalogue)
        if len(memo) < 50_000:  # a hostile file may invent quadruples without end
            memo[key] = found
    return found


CONTENT_DECIDES = ("content decides",)  # recognized_kind's answer for content-dependent sources


def _recognize_kind(event: Event, catalogue: Catalogue):
    row = row_of(event) or catalogue_row(event, catalogue)
    if row is None:
        return None
    if row.requires or event.provider == IIS_PROVIDER or event.channel.lower() in TRACE_CHANNELS:
        return CONTENT_DECIDES
    if row.event_ids is not None and event.event_id not in row.event_ids:
        return None
    return _by_catalogue(event, catalogue, row)


def _by_catalogue(event: Event, catalogue: Catalogue, row: Source):
    entry = catalogue.event(event.event_id, row.family or event.provider)
    if event.event_id in row.failure_ids:
        outcome = "failure"  # e.g. the CA's event 53: logged as a warning, a denied request
    elif entry is not None:
        outcome = entry.outcome
    else:
        outcome = _outcome_from_level(event.level)
    hop = entry.hop if entry is not None and entry.hop else row.hop
    if outcome == "info" and event.level in (1, 2) and hop != "connector":
        # Windows sources log one ID both ways (CAPI2 11 "Build Chain" is an
        # error only when its result is not 0): the Error level says which.
        outcome = "failure"
    return (row.family or hop, entry, outcome, hop)


def _recognize_content(event: Event, catalogue: Catalogue):
    row = source_of(event)
    if row is None:
        return None
    if event.provider == IIS_PROVIDER:
        entry = iis_entry(catalogue, event)
        return ("w3c", entry, iis_outcome(event, entry), row.hop)
    if event.channel.lower() in TRACE_CHANNELS:
        entry = symptom_entry(catalogue, event.message or "")
        outcome = entry.outcome if entry is not None else trace_outcome(event)
        return ("trace", entry, outcome, entry.hop if entry is not None and entry.hop else row.hop)
    return _by_catalogue(event, catalogue, row)


def classify(event: Event, catalogue: Catalogue, *, slim: bool = False,
             recognized: tuple | None = None) -> ConnectorEvent | None:
    """The connector view of one event; None when no connector source wrote it.

    `slim=True` drops the event's data and message once read (they are most of
    its memory) when a record ID identifies it, for callers that keep every
    event of a large file. `recognized`: what `recognize()` already said of the
    event (the summarizer asks first), so content is not read twice.
    """
    if recognized is None:
        recognized = recognize(event, catalogue)
    if recognized is None:
        return None
    family, entry, outcome, hop = recognized
    if family in ("w3c", "trace"):
        return _symptom_event(event, catalogue, family, entry, outcome, hop)
    # Successes are most of a log and only their device matters (did a failed
    # device succeed later?): read their named fields, skip the text search.
    fields = extract_fields(event, thorough=outcome not in ("success", "info"))
    code = fields.get("code")
    if hop != "connector" and outcome not in ("success", "info") and (code is None or code in GENERIC_CODES):
        # NDES event 31 gives either the code with its message, or the message
        # with 0x80004005: the message's own code says more.
        texts = [v for v in event.data.values() if v] + ([event.message] if event.message else [])
        code = specific_code([code] if code else [], texts, catalogue) or code
    noise = _noise(catalogue, entry, event, code)
    if noise:
        outcome = "noise"
    if slim and event.record_id is not None:
        # Kept by the thousand: share the strings every event repeats.
        event = Event(event.record_id, event.time, event.event_id, event.level,
                      _shared(event.provider), _shared(event.channel),
                      _shared(event.computer), _NO_DATA)  # fmt: skip
        fields = {k: _shared(v) if k in ("ca", "template") else v for k, v in fields.items()}
    return ConnectorEvent(
        event=event,
        entry=entry,
        outcome=outcome,
        operation=entry.operation if entry else family,
        code=code,
        device_id=fields.get("device"),
        user_id=fields.get("user"),
        ca=fields.get("ca"),
        template=fields.get("template"),
        thumbprint=fields.get("thumbprint"),
        serial=fields.get("serial"),
        family=family,
        noise_reason=noise,
        hop=hop,
    )


# The operation of an IIS request or trace line the catalogue has no entry for (a 200,
# a trace line with no code): the one its catalogued siblings have, so that a success
# and a failure of the same requests count in one success rate.
HOP_OPERATION = {"iis": "web", "connector": "general", "ndes": "ndes", "ca": "ca", "device": "device"}


def _symptom_event(event: Event, catalogue: Catalogue, family: str, entry: Entry | None,
                   outcome: str, hop: str) -> ConnectorEvent:  # fmt: skip
    """An IIS request or a legacy trace line: grouped by what it says, not by an event ID."""
    if family == "w3c":  # an IIS request
        d = event.data
        code = win32_code(d.get("win32", ""))
        symptom: tuple = ("iis", d.get("status", ""), d.get("url", ""), d.get("win32", ""))
    else:
        text = event.message or ""
        code = specific_code(trace_codes(text), [text], catalogue) if outcome in ("failure", "warning") else None
        symptom = ("trace", signature(text))
    fields = extract_fields(event, thorough=False) if family == "trace" else {}
    if family == "trace" and entry is not None:
        symptom = ("trace", entry.key)  # one group per catalogued symptom, however worded
    operation = entry.operation if entry else HOP_OPERATION.get(hop, "general")
    return ConnectorEvent(event=event, entry=entry, outcome=outcome, operation=operation, code=code,
                          device_id=fields.get("device"), family=family, hop=hop, symptom=symptom)  # fmt: skip


_NO_DATA: dict[str, str] = {}  # shared by slim events; never written to
_SHARED: dict[str, str] = {}


def _shared(text: str) -> str:
    """One copy of a string that repeats across a log (server, channel, CA, template)."""
    found = _SHARED.get(text)
    if found is None:
        if len(_SHARED) >= 10_000:  # a hostile file may make them all different
            return text
        found = _SHARED[text] = text
    return found


def _outcome_from_level(level: int | None) -> str:
    if level in (1, 2):
        return "failure"
    if level == 3:
        return "warning"
    return "info"


def is_noise(entry: Entry, event: Event) -> bool:
    """Does one of the entry's benign-noise rules match this event?"""
    return entry.noise_reason(_noise_text(event)) is not None


def _noise(catalogue: Catalogue, entry: Entry | None, event: Event, code: str | None) -> str | None:
    """Known benign events (rules in the catalogue): say why instead of reporting a failure.

    A rule sits on the event's entry (event 1000 "cannot be found") or on the
    code's entry (0x8009310B after Microsoft's NDES URL test, an event with no
    documented ID).
    """
    code_entry = catalogue.get(code) if code else None
    sources = [e for e in (entry, code_entry) if e is not None and e.noise]
    if not sources:
        return None
    text = _noise_text(event)
    rule = next((r for e in sources if (r := e.noise_reason(text))), None)
    return rule.reason.en if rule else None


def _noise_text(event: Event) -> str:
    return " ".join([event.message or "", *event.data.values()])
