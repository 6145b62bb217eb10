"""Read what a query names: codes, IIS answers, Win32 errors, event IDs.

A question ("why did 20502 fail"), a bare ID ("410") and a pasted log line
or IIS log entry are read by the same rules:

- what is never a code or an ID is masked first: GUIDs (device IDs), request,
  process and transaction IDs, ports, IP addresses, dates and times, version
  numbers, certificate thumbprints, and the time-taken and byte counts of an
  IIS line;
- an IIS W3C line gives its status, substatus and sc-win32-status (the
  latter may be an HRESULT in unsigned decimal: 2148204809 = 0x800B0109);
- "HTTP Error 403.16", "500 - Internal server error" name IIS answers;
- "Error 12175", "WIN32: 1722", "WinHttp: 12152" name Win32 errors, read as
  their HRESULT (0x8007xxxx);
- HRESULTs and diagnostic codes in any spelling (bot.codes);
- event IDs: named ("event 31", "Event ID: 1310") always; a bare number only
  when nothing more specific was named.
"""

from __future__ import annotations

import re

from bot.codes import code_from_int, find_codes, win32_hresult
from bot.value import Value

_set = object.__setattr__  # fields of an immutable Value are set once, in __init__

# HRESULTs that only say "it failed" (E_FAIL, E_UNEXPECTED): a line that also
# names a reason is answered by the reason, not by these.
GENERIC_CODES = frozenset({"0x80004005", "0x8000FFFF"})


class _Pattern:
    """A regular expression compiled on first use: `intune-bot lookup 20502`
    never pays for the log-line patterns (~3 ms of a ~50 ms start)."""

    __slots__ = ("_args", "_compiled")

    def __init__(self, *args) -> None:
        self._args, self._compiled = args, None

    def __getattr__(self, name: str):
        if self._compiled is None:
            self._compiled = re.compile(*self._args)
        return getattr(self._compiled, name)


_MASK_PARTS = [
    # labelled identifiers: the value is an ID, never a code ("RequestId: 81234567")
    (
        r"\b(?:request\s*id|requestid|request|req\s*id|process\s*id|processid|pid|"
        r"thread\s*id|threadid|transaction\s*id|activity\s*id|device\s*id|user\s*id|"
        r"correlation\s*id|session\s*id|tenant\s*id|"
        r"serial\s*number|serial|thumbprint|port|time[- ]?taken|duration|elapsed)"
        r"\s*[:=#]?\s*['\"(]?[\w{}-]*\d[\w{}-]*"
    ),
    r"[{(]?\b[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\b[})]?",  # GUID
    r"\b[0-9a-fA-F]{32,64}\b",  # thumbprints and hashes
    r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?(?!\w|\.\w)",  # IPv4[:port]
    r"\b[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?:%\d+)?",  # IPv6 fe80::...%13
    r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?Z?)?",  # date
    r"\b\d{1,2}:\d{2}(?::\d{2})?(?:[:.,]\d+)?\b",  # time
    r"(?<![\w.])\d+(?:\.\d+){2,}(?!\w|\.\w)",  # versions 6.1711.4.0
    r"\b\d+\s?ms\b",  # durations: "took 20502 ms", "GET(47ms)"
    r"\b[\w-]+(?:\.[\w-]+)+:\d{2,5}\b",  # host.name:port
    r"//[\w.-]+:\d{1,5}\b",  # a URL's host:port, dotted or not (https://ndes01:8443/)
    # product years: "Server 2019", "Windows Server 2016 R2", "SQL 2022"
    r"\b(?:windows|server|sql|office|exchange|visual studio)\s+(?:server\s+)?(?:19|20)\d\d\b",
]
# One pass over the query: each part is tried left to right at every position.
_MASK = _Pattern("|".join(f"(?:{p})" for p in _MASK_PARTS), re.I)

# A W3C line of the default IIS fields ends with
#   cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken [bytes]
_IIS_LINE = _Pattern(
    r"(?i)\b(?:GET|POST|HEAD|PUT)\s+(?P<url>/\S*).*?\s(?P<status>[1-5]\d\d)\s+(?P<sub>\d{1,3})"
    r"\s+(?P<win32>\d{1,10})\s+\d+(?:\s+\d+)?\.?\s*$"
)
_HTTP_NAMED = _Pattern(
    r"(?i)\b(?:http(?:\s+error)?|status(?:\s+code)?|iis)\s*:?\s*(?P<status>[1-5]\d\d)"
    r"(?:\.(?P<sub>\d{1,3}))?(?!\w|\.\w)"
)
_HTTP_DOTTED = _Pattern(r"(?<![\w.])(?P<status>[1-5]\d\d)\.(?P<sub>\d{1,3})(?!\w|\.\w)")
_HTTP_TITLED = _Pattern(
    r"(?i)(?<![\w.])(?P<status>[45]\d\d)\s*[-–—:]?\s*(?:forbidden|internal server error|"
    r"service unavailable|not found|unauthorized|bad request|request-uri too long)"
)
# A bare 4xx/5xx in a question about a web page ("the challenge URL returns a
# blank page or 503", "the application pool stops, devices get 503").
_WEB_CONTEXT = _Pattern(
    r"(?i)\b(?:url|urls|page|iis|https?|browser|browse|browsing|website|mscep|ndes|app(?:lication)? pool)\b"
)
_HTTP_BARE = _Pattern(r"(?<![\w.:-])(?P<status>[45]\d\d)(?![\w:-]|\.\w)")
_WIN32 = _Pattern(
    r"(?i)\b(?:win32|winhttp|win32 error|error)\s*(?:code)?\s*[:=]?\s*(?P<n>\d{3,5})(?!\w|\.\w)"
)
_ID_WORDS = r"(?:event|evt|eventid|event\s+id|id|ev[eè]nement|évènement|événement|evenement)"
_EVENT_NAMED = _Pattern(rf"(?i)\b{_ID_WORDS}\s*:?\s*#?\s*(?P<n>\d{{1,5}})(?!\w|\.\w)")
_SOURCE_HOPS = {"ca": "ca", "adcs": "ca", "certsvc": "ca", "ndes": "ndes", "mscep": "ndes",
                "connector": "connector", "connecteur": "connector"}  # fmt: skip
_SOURCE_EVENT = _Pattern(
    rf"(?i)\b(?P<source>{'|'.join(_SOURCE_HOPS)})\s+(?:{_ID_WORDS}\s*:?\s*#?\s*)?(?P<n>\d{{1,5}})(?!\w|\.\w)"
)
_NUMBER = _Pattern(r"(?<![\w.-])(?P<n>\d{1,5})(?!\w|\.\w)")
# "410", "0410", "00000410", "x410", "0x 410": a diagnostic code typed loosely,
# also after the word that says it is one ("code 410", "diagnostic code 410", "error 410",
# "code d'erreur 410", "le code 410").
_LOOSE_HEX = _Pattern(
    r"(?i)^\s*(?:(?:the|le|diagnostic|diag|error)\s+)?(?:code(?:\s+d['’]\s*erreur)?|error|erreur)?"
    r"\s*[:#]?\s*(?:0?x\s*)?(?P<digits>[0-9a-f]{1,8})h?\s*$"
)


class HttpStatus(Value):
    __slots__ = ("status", "sub", "win32", "url")
    status: int
    sub: int | None  # None: the query did not say
    win32: int | None
    url: str | None

    def __init__(self, status: int, sub: int | None, win32: int | None = None,
                 url: str | None = None) -> None:  # fmt: skip
        _set(self, "status", status)
        _set(self, "sub", sub)
        _set(self, "win32", win32)
        _set(self, "url", url)

    @property
    def id(self) -> str:
        return f"{self.status}.{self.sub or 0}"


class Reading:
    """Everything a query names, most specific kinds first (a plain class: the CLI
    pays for every dataclass it imports)."""

    __slots__ = ("text", "codes", "win32", "http", "events", "named_events", "loose_hex", "hops")

    def __init__(self, text: str) -> None:
        self.text = text  # the query with what is never a code masked out
        self.codes: list[str] = []  # canonical, in order
        self.win32: list[tuple[str, str]] = []  # (0x8007xxxx, the digits)
        self.http: list[HttpStatus] = []
        self.events: list[str] = []  # decimal IDs, named ones first
        self.named_events: set[str] = set()
        # The hop a source word right before an ID names ("CA event 86" -> "ca"): an
        # event of another source by that number is not the answer.
        self.hops: dict[str, str] = {}
        self.loose_hex: str | None = None  # "410" -> "0x00000410", for "did you mean"


def read(query: str) -> Reading:
    """What `query` names; never raises."""
    bare = query.strip()
    if bare.isascii() and bare.isdigit() and len(bare) <= 5:
        # "20502", the commonest question: an event ID or a loosely typed code,
        # read without the log-line patterns (the same reading they would give).
        reading = Reading(text=query)
        reading.loose_hex = code_from_int(int(bare, 16))
        _add_event(reading, bare, named=False)
        return reading
    loose = _LOOSE_HEX.fullmatch(query)
    iis = _IIS_LINE.search(query)
    masked = _mask(query[: iis.start("status")] if iis else query)
    reading = Reading(text=masked)
    if iis:
        win32 = int(iis["win32"])
        code = code_from_int(win32) if win32 >= 0x80000000 else None
        if code:
            reading.codes.append(code)
        reading.http.append(
            HttpStatus(int(iis["status"]), int(iis["sub"]), None if code else win32, iis["url"])
        )
    for rx in (_HTTP_NAMED, _HTTP_DOTTED, _HTTP_TITLED):
        for m in rx.finditer(masked):
            sub = m.groupdict().get("sub")
            status = HttpStatus(int(m["status"]), int(sub) if sub is not None else None)
            if all(h.status != status.status for h in reading.http):
                reading.http.append(status)
    if not reading.http and _WEB_CONTEXT.search(masked):
        for m in _HTTP_BARE.finditer(masked):
            reading.http.append(HttpStatus(int(m["status"]), None))
    http_spans = [m.span() for rx in (_HTTP_NAMED, _HTTP_DOTTED) for m in rx.finditer(masked)]
    for code in find_codes(masked, typed=True):
        if code not in reading.codes:
            reading.codes.append(code)
    for m in _WIN32.finditer(masked):
        n = int(m["n"])
        if 0 < n < 0x10000 and not _inside(m.start("n"), http_spans):
            reading.win32.append((win32_hresult(n), str(n)))
    for m in _EVENT_NAMED.finditer(masked):
        _add_event(reading, m["n"], named=True)
    for m in _SOURCE_EVENT.finditer(masked):
        reading.hops[str(int(m["n"]))] = _SOURCE_HOPS[m["source"].lower()]
    if loose and not reading.codes:
        digits = loose["digits"]
        reading.loose_hex = code_from_int(int(digits, 16))
    if not (reading.codes or reading.http or reading.named_events):
        # A bare number is an event ID when the query is short ("20502",
        # "ndes 31"), or long enough not to be a count ("2 devices").
        words = masked.split()
        for m in _NUMBER.finditer(masked):
            # "ndes 31", "20502 failing" yes; "2 devices failed" no.
            alone = len(words) <= 2 or (len(words) == 3 and not masked[m.end() :].strip())
            if alone or len(m["n"]) >= 4:
                _add_event(reading, m["n"], named=False)
    return reading


def _add_event(reading: Reading, digits: str, *, named: bool) -> None:
    ident = str(int(digits))
    if ident == "0":
        return
    if named:
        reading.named_events.add(ident)
    if ident not in reading.events:
        reading.events.append(ident)


def _mask(text: str) -> str:
    return _MASK.sub(" ", text)


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in spans)
