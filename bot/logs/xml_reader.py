"""Event Viewer "Save as XML" (<Events> root) and `wevtutil qe /f:xml` (rootless <Event>s).

Streaming: the file is decoded and fed to an incremental parser 64 KiB at a
time, and each <Event> element is dropped as soon as it has been normalized,
so memory does not grow with the file. Safe on hostile input: DOCTYPE and
ENTITY declarations (entity-expansion attacks, external entities) are refused
before they reach the parser, one event may not exceed MAX_EVENT_BYTES nor nest
deeper than MAX_DEPTH, and top-level elements that are not events are dropped
(counted as ignored) like events, so millions of them cost neither memory nor time.
"""

from __future__ import annotations

import codecs
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from bot.logs import Event
from bot.logs.detect import Sniffed
from bot.logs.event_xml import event_from_element
from bot.logs.state import ReadState

BLOCK = 64 * 1024
MAX_EVENT_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64  # an <Event> is 4 levels deep under <Events>; EventData XML adds a few

_DECLARATION = re.compile(r"^\ufeff?\s*<\?xml[^>]*\?>")
_DANGEROUS = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.I)
_WRAPPER = "IntuneTriageRoot"  # a root for wevtutil's rootless stream


def read_xml(path: Path, sniffed: Sniffed, state: ReadState) -> Iterator[Event]:
    for count, elem in stream_elements(path, sniffed, state, "Event", rootless=sniffed.flavor == "wevtutil"):
        try:
            yield event_from_element(elem)
        except Exception as err:
            state.skipped += 1
            state.problem(f"event {count}", f"could not be read: {err}")


def stream_elements(
    path: Path, sniffed: Sniffed, state: ReadState, local_name: str, *, rootless: bool
) -> Iterator[tuple[int, ET.Element]]:
    """(n, element) for each top-level element named `local_name`, dropped once the caller is done.

    `rootless`: the file is a stream of such elements with no root
    (wevtutil's output, WCF's .svclog traces): we give it one.
    """
    parser = ET.XMLPullParser(events=("start", "end"))
    if rootless:
        parser.feed(f"<{_WRAPPER}>")
    decoder = codecs.getincrementaldecoder(sniffed.encoding or "utf-8")(errors="replace")
    root: ET.Element | None = None
    others = 0  # top-level elements that are not `local_name`
    depth = 0
    count = 0
    since_event = 0  # characters fed since the last complete element
    tail = ""  # end of the previous block, so a declaration split across blocks is seen
    first = True
    with open(path, "rb") as f:
        while True:
            state.check_time()
            raw = f.read(BLOCK)
            text = decoder.decode(raw, final=not raw)
            if first:
                # Our text is already decoded: drop the declaration, whose
                # encoding="utf-16" would otherwise confuse the parser.
                text = _DECLARATION.sub("", text, count=1)
                first = False
            if _DANGEROUS.search(tail + text):
                state.problem("file", "the XML contains a DOCTYPE or ENTITY declaration, which event exports never have: reading stopped")
                return
            tail = text[-16:]
            try:
                if text:
                    parser.feed(text)
                if not raw:
                    if rootless:
                        parser.feed(f"</{_WRAPPER}>")
                    parser.close()
                for kind, elem in parser.read_events():
                    if kind == "start":
                        depth += 1
                        if root is None:
                            root = elem
                        if depth > MAX_DEPTH:  # ElementTree would hold every level in memory
                            state.problem(f"event {count + 1}", f"its XML nests deeper than {MAX_DEPTH} elements, which event exports never do: reading stopped")
                            return
                        continue
                    depth -= 1
                    if depth != 1:
                        continue
                    if elem.tag.endswith(local_name):
                        count += 1
                        yield count, elem
                    else:  # not an event: dropped as well, or millions would pile up under the root
                        others += 1
                    since_event = 0
                    if root is not None:
                        root.clear()  # drop the finished element: memory stays flat
            except ET.ParseError as err:
                line, column = err.position
                state.skipped += 1
                reason = str(err).split(":")[0]
                if not raw or reason.startswith("no element found") or "unclosed token" in reason:
                    state.problem(f"line {line}", f"the XML ends in the middle of an event ({reason}): the file looks cut off")
                else:
                    state.problem(f"line {line}, column {column}", f"the XML is malformed ({reason}): reading stopped there")
                return
            since_event += len(text)
            if since_event > MAX_EVENT_BYTES:
                state.problem(f"event {count + 1}", "one event is larger than 16 MB: reading stopped")
                return
            if not raw:
                if others:
                    state.problem("file", f"{others:,} top-level XML elements are not <{local_name}> elements: skipped")
                return
