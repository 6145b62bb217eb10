"""History store: ingest rate and the latency of the bot's queries at 1 million events.

    .venv/bin/python bench/history.py                 # 1,000,000 generated events
    .venv/bin/python bench/history.py --events 500000 --db /tmp/h.db

Prints figures; asserts nothing (goals: ingest >= 50k events/s; every query < 20 ms).
Events are generated in-process as ConnectorEvents, 20 servers over 90 days, and
ingested as files of 100k events, like a helpdesk uploading exports. Then, when
tests/support/connector_logs.py and bot/summary.py are there, the 50 MB generated
log is read, classified and recorded, end to end (--no-large-log skips it).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.classify import ConnectorEvent  # noqa: E402
from bot.history import UploadInfo, open_history  # noqa: E402
from bot.logs import Event  # noqa: E402

START = datetime(2026, 8, 1, tzinfo=UTC)
SERVERS = [f"NDES{n:02}.contoso.com" for n in range(1, 21)]
# (event ID, outcome, codes): a rough legacy + current connector mix.
KINDS = [
    (1000, "success", [None]),
    (1001, "success", [None]),
    (20500, "success", [None]),
    (1003, "failure", ["0x800706BA", "0x80094800", "0x80070005"]),
    (20502, "failure", ["0x00000410", "0x00000411", "0x00000401"]),
    (2011, "failure", ["0x80072EE7"]),
    (1010, "warning", ["0x00000412"]),
    (4005, "info", [None]),
]
WEIGHTS = [30, 25, 15, 8, 8, 4, 5, 5]


def generate(count: int, seed: int = 1) -> list[ConnectorEvent]:
    """`count` connector events, record IDs increasing per server, times over 90 days."""
    rng = random.Random(seed)
    step = timedelta(days=90) / count
    records = dict.fromkeys(SERVERS, 0)
    events = []
    for n in range(count):
        server = rng.choice(SERVERS)
        records[server] += 1
        event_id, outcome, codes = rng.choices(KINDS, WEIGHTS)[0]
        event = Event(
            record_id=records[server],
            time=START + step * n,
            event_id=event_id,
            level=2 if outcome == "failure" else 4,
            provider="Microsoft-Intune-CertificateConnectors",
            channel="Microsoft-Intune-CertificateConnectors/Operational",
            computer=server,
        )
        events.append(
            ConnectorEvent(
                event=event,
                entry=None,
                outcome=outcome,
                operation="pkcs_issue",
                code=rng.choice(codes),
                device_id=f"dev-{rng.randrange(5000)}",
                user_id=f"user{rng.randrange(2000)}@contoso.com",
                ca="CA01\\Contoso Issuing CA",
                template="IntuneUserPKCS",
            )
        )
    return events


def upload(name: str) -> UploadInfo:
    return UploadInfo(file_name=name, sha256=name.ljust(64, "0"), size=0, format="evtx")


def timed(label: str, query: Callable[[], Any], rounds: int = 30) -> None:
    query()  # warm the page cache and the statement cache
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        query()
        samples.append((time.perf_counter() - start) * 1000)
    print(f"  {label:<52} median {statistics.median(samples):7.2f} ms   max {max(samples):7.2f} ms")


def large_log_run(tmp: Path) -> None:
    """The 50 MB generated .evtx: read + classify (summarize_file), then record_upload."""
    try:
        from bot.summary_file import summarize_file
        from tests.support.connector_logs import large_log
    except ImportError as err:
        print(f"50 MB generated log: skipped ({err})")
        return
    path = tmp / "large.evtx"
    large_log(path)
    start = time.perf_counter()
    try:
        summary = summarize_file(path, keep_events=True)
    except Exception as err:  # other modules may be mid-change: the rest still runs
        print(f"50 MB generated log: skipped ({type(err).__name__}: {err})")
        return
    read = time.perf_counter() - start
    events = list(summary.events)
    with open_history(tmp / "large.db") as history:
        info = UploadInfo.from_file(path, summary.format, records=summary.records)
        start = time.perf_counter()
        result = history.record_upload(info, events)
        elapsed = time.perf_counter() - start
    print(
        f"50 MB generated log ({path.stat().st_size / 1e6:.0f} MB, {summary.records:,} records): "
        f"read + classify {read:.1f} s; recorded {len(events):,} connector events in "
        f"{elapsed:.1f} s = {len(events) / elapsed:,.0f} events/s, "
        f"{len(result.incidents)} incidents"
    )


def churn_run(tmp: Path) -> None:
    """Worst case for incident folding: one failure with 1,000 incidents on one server
    (a burst every 2 days for 5 years), then 100k more failures of it in one upload."""
    with open_history(tmp / "churn.db") as history:
        bursts = [
            _failure(n * 10 + k, START + timedelta(days=2 * n, minutes=k))
            for n in range(1000)
            for k in range(10)
        ]
        history.record_upload(upload("bursts"), bursts)
        more = [
            _failure(10**6 + n, START + timedelta(days=2 * (n % 1000), hours=1, seconds=n // 1000))
            for n in range(100_000)
        ]
        start = time.perf_counter()
        result = history.record_upload(upload("more"), more)
        elapsed = time.perf_counter() - start
        print(
            f"incident churn: 100,000 failures into 1,000 incidents of one failure in "
            f"{elapsed:.1f} s = {len(more) / elapsed:,.0f} events/s "
            f"({len(result.incidents)} incidents touched)"
        )


def _failure(record_id: int, t: datetime) -> ConnectorEvent:
    event = Event(record_id, t, 20502, 2, "Connector", "Operational", SERVERS[0])
    return ConnectorEvent(event, None, "failure", "pkcs_issue", "0x00000410")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=100_000, help="events per upload")
    parser.add_argument("--db", type=Path, help="database file (default: a temp file)")
    parser.add_argument("--no-large-log", action="store_true", help="skip the 50 MB log")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_large_log:
            large_log_run(Path(tmp))
        churn_run(Path(tmp))
        path = args.db or Path(tmp) / "history.db"
        t = time.perf_counter()
        events = generate(args.events)
        print(f"generated {len(events):,} connector events in {time.perf_counter() - t:.1f} s")

        history = open_history(path)
        start = time.perf_counter()
        for n in range(0, len(events), args.batch):
            history.record_upload(upload(f"file{n}"), events[n : n + args.batch])
        elapsed = time.perf_counter() - start
        print(
            f"ingest: {len(events):,} events in {elapsed:.1f} s = "
            f"{len(events) / elapsed:,.0f} events/s ({args.batch:,} per upload)"
        )

        # An overlapping export: half already stored, half new records.
        fresh = [
            replace(ce, event=replace(ce.event, record_id=(ce.event.record_id or 0) + 10**7))
            for ce in generate(args.batch // 2, seed=2)
        ]
        overlap = events[-args.batch // 2 :] + fresh
        start = time.perf_counter()
        result = history.record_upload(upload("overlap"), overlap)
        elapsed = time.perf_counter() - start
        print(
            f"overlapping upload: {len(overlap):,} events ({result.new_events:,} new) in "
            f"{elapsed:.2f} s = {len(overlap) / elapsed:,.0f} events/s"
        )
        start = time.perf_counter()
        again = history.record_upload(upload("overlap"), overlap)
        print(
            f"same file again: already_recorded={again.already_recorded} in "
            f"{(time.perf_counter() - start) * 1000:.0f} ms (the SHA-256 is known before any row is built)"
        )

        stored = history.conn.execute("SELECT count(*) FROM events").fetchone()[0]
        incidents = history.conn.execute("SELECT count(*) FROM incidents").fetchone()[0]
        size = path.stat().st_size / 1e6
        print(f"queries at {stored:,} stored events, {incidents:,} incidents, {size:.0f} MB:")
        now = START + timedelta(days=91)
        server, short = SERVERS[3], SERVERS[3].split(".")[0]
        timed("servers()", history.servers)
        timed("incidents()", history.incidents)
        timed(f"incidents(server={short!r})", lambda: history.incidents(server=short))
        timed("incidents(status='open', since=30 days)",
              lambda: history.incidents(status="open", since=now - timedelta(days=30)))  # fmt: skip
        timed("incidents(event_id=20502)", lambda: history.incidents(event_id=20502))
        timed("similar(event_id=20502, exclude_server=...)",
              lambda: history.similar(event_id=20502, exclude_server=server))  # fmt: skip
        timed("similar(code='0x800706BA')", lambda: history.similar(code="0x800706BA"))
        timed(f"recent({short!r}, 1003, '0x800706BA', 30 days)",
              lambda: history.recent(short, 1003, "0x800706BA", now=now))  # fmt: skip
        first = history.incidents(limit=1)[0].id
        timed("resolve(...) (write; already resolved after the 1st)",
              lambda: history.resolve(first, "bench", "note"))  # fmt: skip
        start = time.perf_counter()
        pruned = history.prune(timedelta(days=60), now=now)
        print(f"prune(60 days): {pruned:,} events in {time.perf_counter() - start:.2f} s")
        history.close()


if __name__ == "__main__":
    main()
