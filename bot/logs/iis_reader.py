"""IIS W3C logs (u_exYYMMDD.log): the requests of the certificate chain, as events.

Columns come from each `#Fields:` directive, and a log may restart with
another field set (IIS writes a new header when the logging settings or the
service restart). Only the chain's URLs become events — NDES
(/certsrv/mscep/mscep.dll and …/pkiclient.exe) and the legacy connector's
/CertificateRegistrationSvc/… —; other requests are counted in
`ReadState.ignored`. W3C times are UTC by definition.

Each request becomes an `Event` with provider "IIS" and event ID 0; its
`data` holds `method`, `url` (cs-uri-stem), `query`, `status`
("403.16": sc-status.sc-substatus), `win32` (sc-win32-status, decimal),
`user_agent` and `client`. bot.classify decides what a status means.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from bot.logs import Event
from bot.logs.detect import Sniffed
from bot.logs.numbers import as_int
from bot.logs.state import ReadState
from bot.logs.text_reader import bounded_lines

PROVIDER = "IIS"
MAX_LINE = 64 * 1024  # a request line longer than this is hostile: skipped
CHAIN_URLS = ("/certsrv/mscep/", "/certificateregistrationsvc/")  # lower-case prefixes

# W3C field name -> our data key (IIS names; cs(User-Agent) keeps its brackets).
_FIELDS = {
    "cs-method": "method",
    "cs-uri-stem": "url",
    "cs-uri-query": "query",
    "cs(user-agent)": "user_agent",
    "c-ip": "client",
    "sc-win32-status": "win32",
}


def is_chain_url(stem: str) -> bool:
    low = stem.lower()
    return low.startswith(CHAIN_URLS) or low in ("/certsrv/mscep", "/certificateregistrationsvc")


def read_iis(path: Path, sniffed: Sniffed, state: ReadState) -> Iterator[Event]:
    columns: dict[str, int] = {}
    with open(path, encoding=sniffed.encoding or "utf-8", errors="replace", newline="") as f:
        # IIS buffers its writes: a log copied while live may end mid-line.
        for number, line in enumerate(bounded_lines(f, state, MAX_LINE, whole_rows=False), 1):
            line = line.rstrip("\r\n")
            if not line:
                continue
            if line.startswith("#"):
                if line.startswith("#Fields:"):
                    columns = {name.lower(): i for i, name in enumerate(line[8:].split())}
                continue
            if number % 4096 == 0:
                state.check_time()
            if not columns:
                state.skipped += 1
                state.problem(f"line {number}", "a request before any #Fields: header: skipped")
                continue
            event = _request(line.split(" "), columns, number, state)
            if event is not None:
                yield event


def _request(cells: list[str], columns: dict[str, int], number: int, state: ReadState) -> Event | None:
    def cell(name: str) -> str:
        i = columns.get(name)
        value = cells[i] if i is not None and i < len(cells) else "-"
        return "" if value == "-" else value

    stem = cell("cs-uri-stem")
    if not is_chain_url(stem):
        state.ignored += 1
        return None
    status, sub = cell("sc-status"), cell("sc-substatus") or "0"
    status_n, sub_n = as_int(status), as_int(sub)
    if status_n is None or sub_n is None:
        state.skipped += 1
        state.problem(f"line {number}", f"status {status[:20]!r}.{sub[:20]!r} is not a number: skipped")
        return None
    try:
        when = datetime.fromisoformat(f"{cell('date')}T{cell('time')}").replace(tzinfo=UTC)
    except ValueError:
        state.skipped += 1
        state.problem(f"line {number}", "the date or time is not in the W3C format: skipped")
        return None
    data = {key: cell(name) for name, key in _FIELDS.items()}
    data["status"] = f"{status_n}.{sub_n}"
    return Event(
        record_id=number,
        time=when,
        event_id=0,
        level=None,
        provider=PROVIDER,
        channel=cell("s-sitename"),
        computer=cell("s-computername"),
        data=data,
    )
