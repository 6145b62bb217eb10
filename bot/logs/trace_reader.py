"""The legacy connector's own text logs: .svclog WCF traces and NDESPlugin.log.

The legacy Intune Certificate Connector (NDESConnector) and its policy
module write these beside the event log (…\\NDESConnectorSvc\\Logs\\Logs and
…\\NDESPolicyModule\\Logs); the current connector no longer does (domain.md
§3.4, §5). Their lines carry no event ID: bot.classify reads the HRESULTs,
WinHTTP errors and messages in them.

- .svclog (CertificateRegistrationPoint_*.svclog, NDESConnector_*.svclog):
  a stream of WCF `<E2ETraceEvent>` elements with no root. Each becomes an
  Event with provider = the trace source's name, channel "svclog", the
  level from its SubType, the ApplicationData text as the message.
- NDESPlugin.log: one line per message, usually with a leading time. Each
  line becomes an Event with provider "NDESPlugin", channel "NDESPlugin.log";
  a line without a time takes the last time seen (or the file's own).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from bot.logs import Event
from bot.logs.detect import Sniffed
from bot.logs.event_xml import parse_time
from bot.logs.numbers import as_int
from bot.logs.state import ReadState
from bot.logs.text_reader import bounded_lines, parse_local_time
from bot.logs.xml_reader import stream_elements

SVCLOG, PLUGIN_LOG, PLUGIN = "svclog", "NDESPlugin.log", "NDESPlugin"
MAX_MESSAGE = 8000  # characters of a trace's text kept (stack traces can be long)
MAX_LINE = 64 * 1024

# TraceEventType names (System.Diagnostics) -> event log levels
_SUBTYPE_LEVEL = {"critical": 1, "error": 2, "warning": 3, "information": 4, "verbose": 5}


def read_svclog(path: Path, sniffed: Sniffed, state: ReadState) -> Iterator[Event]:
    for count, elem in stream_elements(path, sniffed, state, "E2ETraceEvent", rootless=True):
        try:
            yield _trace_event(elem, count)
        except Exception as err:
            state.skipped += 1
            state.problem(f"trace {count}", f"could not be read: {err}")


def _trace_event(elem, count: int) -> Event:
    system = _child(elem, "System")
    if system is None:
        raise ValueError("no <System> element")
    created = _child(system, "TimeCreated")
    stamp = created.get("SystemTime") if created is not None else None
    if not stamp:
        raise ValueError("no TimeCreated")
    subtype = _child(system, "SubType")
    level = _SUBTYPE_LEVEL.get((subtype.get("Name") or "").lower()) if subtype is not None else None
    source = _child(system, "Source")
    event_id = (_text(_child(system, "EventID")) or "0").strip()
    data = _child(elem, "ApplicationData")
    message = " ".join("".join(data.itertext()).split()) if data is not None else ""
    return Event(
        record_id=count,
        time=parse_time(stamp),
        event_id=as_int(event_id) or 0,
        level=level,
        provider=source.get("Name", "") if source is not None else "",
        channel=SVCLOG,
        computer=_text(_child(system, "Computer")).strip(),
        data={},
        message=message[:MAX_MESSAGE],
    )


def _child(elem, local: str):
    for child in elem:
        if child.tag.rsplit("}", 1)[-1] == local:
            return child
    return None


def _text(elem) -> str:
    return (elem.text or "") if elem is not None else ""


# A leading time: ISO ("2017-08-08 20:22:16[.123]") or the locale's ("8/8/2017 8:22:16 PM"),
# possibly in brackets.
_LEAD_TIME = re.compile(
    r"\s*\[?(\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}[ T]+\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,7})?"
    r"(?:\s*[AaPp][Mm])?(?:Z|[+-]\d\d:?\d\d)?)\]?[\s:,\-|]*"
)


def read_plugin_log(path: Path, sniffed: Sniffed, state: ReadState) -> Iterator[Event]:
    last = datetime.fromtimestamp(os.path.getmtime(path), UTC)
    with open(path, encoding=sniffed.encoding or "utf-8", errors="replace", newline="") as f:
        for number, line in enumerate(bounded_lines(f, state, MAX_LINE, whole_rows=False), 1):
            text = line.strip().lstrip("\ufeff")
            if not text:
                continue
            if number % 4096 == 0:
                state.check_time()
            m = _LEAD_TIME.match(text)
            if m:
                try:
                    last = parse_local_time(m.group(1), day_first=False)
                    text = text[m.end() :]
                except ValueError:
                    pass  # not a time after all: the whole line is the message
            yield Event(number, last, 0, None, PLUGIN, PLUGIN_LOG, "", {}, text[:MAX_MESSAGE])
