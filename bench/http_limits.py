"""HTTP mode under hostile traffic: `intune-bot run --http` (a real subprocess), a fake Slack.

Prints
- the server's peak RSS (VmHWM, Linux) before and after three concurrent unsigned
  300 MB POSTs (goal: unchanged; they get a 413 from their headers);
- signed `/intune 20502` latency (HTTP ack and answer at response_url) while
  150 idle connections are held open against the server (goal: as without them).

    .venv/bin/python bench/http_limits.py [--body-mb 300] [--idle 150] [--requests 50]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from slack_e2e import FakeSlack, intune, start_app  # noqa: E402


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def oversized_post(base: str, mb: int) -> str:
    """Stream an unsigned `mb` MB body the way an attacker would; return the status line."""
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {mb << 20}\r\n\r\n".encode())  # fmt: skip
        block = b" " * (1 << 20)
        try:
            for _ in range(mb):
                sock.sendall(block)
        except OSError:
            pass  # refused: the server closed the connection
        try:
            return sock.recv(200).split(b"\r\n")[0].decode() or "(closed)"
        except OSError as err:
            return f"({err.__class__.__name__})"


def held(base: str, count: int) -> list[socket.socket]:
    parts = urlsplit(base)
    return [socket.create_connection((parts.hostname, parts.port)) for _ in range(count)]


def report(label: str, results: list[tuple[float, float]]) -> None:
    for kind, values in (("ack", [r[0] for r in results]), ("answer", [r[1] for r in results])):
        ms = sorted(v * 1000 for v in values)
        p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
        print(f"/intune {kind:6} {label}: p50 {statistics.median(ms):6.1f} ms  p99 {p99:6.1f} ms  "
              f"max {ms[-1]:6.1f} ms  (n={len(ms)})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--body-mb", type=int, default=300)
    parser.add_argument("--idle", type=int, default=150)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    fake = FakeSlack()
    with tempfile.TemporaryDirectory() as tmp:
        proc, base = start_app(fake, Path(tmp) / "history.db")
        try:
            intune(base, fake, -1)  # warm up: the catalogue loads on the first lookup
            before = peak_rss_mb(proc.pid)
            start = time.monotonic()
            with ThreadPoolExecutor(3) as pool:
                statuses = list(pool.map(lambda _: oversized_post(base, args.body_mb), range(3)))
            print(f"3 x {args.body_mb} MB unsigned POST: {statuses} in {time.monotonic() - start:.2f} s; "
                  f"peak RSS {before:.0f} MB before, {peak_rss_mb(proc.pid):.0f} MB after")  # fmt: skip
            report("no idle sockets   ", [intune(base, fake, i) for i in range(args.requests)])
            sockets = held(base, args.idle)
            time.sleep(0.5)
            try:
                results = [intune(base, fake, 1000 + i) for i in range(args.requests)]
                report(f"{args.idle} idle sockets", results)
            finally:
                for sock in sockets:
                    sock.close()
        finally:
            proc.terminate()
            proc.wait(10)
            fake.close()


if __name__ == "__main__":
    main()
