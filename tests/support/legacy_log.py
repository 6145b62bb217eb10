"""Small legacy connector event logs (one failure kind), written with tests/support/evtx_writer.

Legacy connector events (provider NDESConnector, the "Microsoft Intune Connector"
log): 20502 failures with a diagnostic code, 20501 successes, on one server.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.support.evtx_writer import Record, write_evtx

PROVIDER = "NDESConnector"
CHANNEL = "Microsoft Intune Connector"
START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def records(failures: int, successes: int = 0, *, server: str = "NDES01.contoso.com",
            device: str = "4f1c2d3e-aaaa-bbbb-cccc-000000000001", ca: str = "CONTOSO-CA",
            template: str = "IntuneWiFi", start: datetime = START) -> Iterator[Record]:  # fmt: skip
    for i in range(failures + successes):
        failed = i < failures
        yield Record(
            event_id=20502 if failed else 20501,
            time=start + timedelta(minutes=i),
            provider=PROVIDER,
            channel=CHANNEL,
            computer=server,
            level=2 if failed else 4,
            data=[
                ("Device ID", device),
                ("CA Name", ca),
                ("Certificate Template", template),
                ("Diagnostic Code", "0x00000410" if failed else "0x00000000"),
            ],
        )


def write(path: Path, failures: int, successes: int = 0, **kw: object) -> Path:
    write_evtx(path, records(failures, successes, **kw))  # type: ignore[arg-type]
    return path


def many_failures(path, kinds: int, server="NDES01.contoso.com"):
    """A log with `kinds` different diagnostic codes: more failure lines than a summary shows."""
    def records():
        for k in range(kinds):
            for j in range(2):
                yield Record(event_id=20502, time=START + timedelta(minutes=k * 3 + j),
                             provider=PROVIDER, channel=CHANNEL, computer=server, level=2,
                             data=[("Device ID", f"dev-{k}-{j}"), ("CA Name", "CONTOSO-CA"),
                                   ("Certificate Template", "IntuneWiFi"),
                                   ("Diagnostic Code", f"0x{0x80000000 + k:08X}")])  # fmt: skip

    write_evtx(path, records())
    return path
