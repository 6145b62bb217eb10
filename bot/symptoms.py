"""What an event with no catalogued ID says: IIS statuses and legacy trace lines.

IIS requests and the lines of NDESPlugin.log / .svclog carry no event ID, so
their outcome comes from what they say: an HTTP status, a level, words such
as "failed" or "returns true", an HRESULT or a WinHTTP error number. And an
event that gives only the generic 0x80004005 beside a message gets the
specific code of that message, from the catalogue's HRESULT texts (NDES
event 31 does both, depending on its cause).
"""

from __future__ import annotations

import re

from bot.codes import find_codes, win32_hresult
from bot.knowledge import Catalogue, Entry
from bot.logs import Event
from bot.logs.numbers import as_int
from bot.normalize import contains_words, fold

GENERIC_CODES = frozenset({"0x80004005", "0x8000FFFF", "0x80070057"})  # E_FAIL, E_UNEXPECTED, E_INVALIDARG


def iis_outcome(event: Event, entry: Entry | None = None) -> str:
    """The catalogue's outcome for the status, else success for 1xx-3xx, else failure.

    Browsing https://<server>/certsrv/mscep/mscep.dll answers "HTTP Error 403.0 -
    Forbidden" when NDES works (domain.md §4, the policy-module article): that
    bare GET is healthy, while a 403 to a SCEP operation is not, whatever the
    entry for the status says.
    """
    status = event.data.get("status", "")
    if status == "403.0" and healthy_probe(event):
        return "success"
    failed = status[:1] not in ("1", "2", "3")
    outcome = entry.outcome if entry is not None else ("failure" if failed else "success")
    return "failure" if failed and outcome == "success" else outcome


def iis_entry(catalogue: Catalogue, event: Event) -> Entry | None:
    """The catalogue's answer for a request: status with its win32 status, else the status alone."""
    d = event.data
    status, win32, url = d.get("status", ""), d.get("win32", ""), d.get("url", "").lower()
    for key in (f"IIS:{status}:{win32}", f"IIS:{status}"):
        entry = catalogue.get(key) if key.count(":") == 1 or win32 not in ("", "0") else None
        if entry is not None and (not entry.urls or url.startswith(tuple(u.lower() for u in entry.urls))):
            return entry
    return None


def symptom_entry(catalogue: Catalogue, text: str) -> Entry | None:
    """The catalogued symptom whose pattern is in the text (a legacy log line)."""
    patterns = vars(catalogue).get("_symptom_patterns")
    if patterns is None:
        patterns = [(fold(p), e) for e in catalogue.entries if e.kind == "symptom" for p in e.patterns]
        vars(catalogue)["_symptom_patterns"] = patterns
    if not patterns:
        return None
    folded = fold(text)
    return next((e for p, e in patterns if contains_words(folded, p)), None)


def healthy_probe(event: Event) -> bool:
    """A bare GET of mscep.dll: what a browser or a monitoring probe sends."""
    d = event.data
    return d.get("method", "").upper() == "GET" and not d.get("query") and d.get("url", "").lower().endswith("/mscep.dll")


def win32_code(win32: str) -> str | None:
    """sc-win32-status as an HRESULT: 2148204809 -> 0x800B0109, 1346 -> 0x80070542 (HRESULT_FROM_WIN32)."""
    n = as_int(win32)
    return win32_hresult(n) if n is not None else None


# Words of failure and of success in the legacy logs' lines (the policy-module
# article quotes them: "Verify challenge returns true", "Exiting VerifyRequest
# with 0x0", "VerifyRequest Finished with status True", "Failed to send http
# request ... Error 12175", "... returns false").
_FAILED = re.compile(
    r"(?i)\b(?:exception|failed|failure|fails|denied|could not|cannot|can't|unable to|"
    r"returns? false|status false|error\s+\d{3,})\b|<title>\s*[45]\d\d"
)
_SUCCEEDED = re.compile(r"(?i)returns? true|status true|with 0x0\b|\bsucceeded\b|\bsuccessfully\b")
_WINHTTP = re.compile(r"(?i)\berror\s+(12\d{3})\b")  # WinHTTP errors are 12001-12186


def trace_outcome(event: Event) -> str:
    text = event.message or ""
    if event.level in (1, 2) or (event.level in (None, 3, 4) and _FAILED.search(text)):
        return "failure"
    if event.level == 3:
        return "warning"
    if _SUCCEEDED.search(text):
        return "success"
    return "info"


def trace_codes(text: str) -> list[str]:
    """HRESULTs in a line, then its WinHTTP error as one (12175 -> 0x80072F8F)."""
    codes = find_codes(text) if ("0x" in text or "0X" in text) else []
    for m in _WINHTTP.finditer(text):
        codes.append(win32_hresult(int(m.group(1))))
    return codes


_MASK = re.compile(
    r"\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?"
    r"|0[xX][0-9A-Fa-f]+|\b[0-9A-Fa-f]{16,}\b|\b\d+\b"
)


def signature(text: str, limit: int = 120) -> str:
    """A line with its IDs and numbers masked, so repeats of one failure group together."""
    first = text.split(" at ", 1)[0].strip()  # a .NET stack trace starts at the first ' at '
    return " ".join(_MASK.sub("…", first).split())[:limit]


def specific_code(codes: list[str], texts: list[str], catalogue: Catalogue) -> str | None:
    """The most specific code: a non-generic one found, else the code whose message is in the text."""
    specific = [c for c in codes if c not in GENERIC_CODES]
    if specific:
        return specific[0]
    for text in texts:
        code = _code_of_message(text, catalogue)
        if code:
            return code
    return codes[0] if codes else None


MEMO_TEXTS = 10_000  # a log repeats a few messages; a hostile one may invent them without end


def _code_of_message(text: str, catalogue: Catalogue) -> str | None:
    """The code whose catalogued message is the text or inside it, memoized per text:
    it runs for every failure with a generic code, and scans every message."""
    memo = vars(catalogue).setdefault("_code_of_message", {})
    try:
        return memo[text]
    except KeyError:
        pass
    by_message = _codes_by_message(catalogue)
    key = fold(text)
    code = by_message.get(key)
    if code is None:
        code = next((c for m, c in by_message.items() if len(m) >= 20 and contains_words(key, m)), None)
    if len(memo) < MEMO_TEXTS:
        memo[text] = code
    return code


def _codes_by_message(catalogue: Catalogue) -> dict[str, str]:
    memo = vars(catalogue).get("_codes_by_message")
    if memo is None:
        memo = {}
        for entry in catalogue.codes():
            for text in (entry.description.en, *entry.other_wordings):
                folded = fold(text)
                if folded and entry.id not in GENERIC_CODES:
                    memo.setdefault(folded, entry.id)
        vars(catalogue)["_codes_by_message"] = memo
    return memo
