"""History scoped to channels: what scoping costs the bot's queries, and the schema 4 upgrade.

    .venv/bin/python bench/history_scope.py                  # 1,000,000 events, 8 channels
    .venv/bin/python bench/history_scope.py --events 200000

Prints figures; asserts nothing. The events of bench/history.py are recorded as files
shared in 8 channels (a ninth of them from the CLI); each query is timed unscoped (the
CLI), scoped to 2 of the channels (one person), and scoped to 5,000 channel IDs of which
the history knows 2 (someone in every channel). Then the file is taken back to schema 3
(what the upgrade adds is dropped) and opened again: the time the upgrade takes.
"""

from __future__ import annotations

import argparse
import importlib.util
import sqlite3
import sys
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.history import open_history  # noqa: E402
from bot.triage import home_data  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_history", ROOT / "bench" / "history.py")
base = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(base)  # type: ignore[union-attr]

CHANNELS = [f"C0CHAN{n}" for n in range(8)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=50_000, help="events per upload")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.db"
        events = base.generate(args.events)
        with open_history(path) as history:
            start = time.perf_counter()
            for i, n in enumerate(range(0, len(events), args.batch)):
                channel = CHANNELS[i % len(CHANNELS)] if i % 9 != 8 else None
                info = replace(base.upload(f"file{n}"), channel=channel,
                               source="slack" if channel else "cli")  # fmt: skip
                history.record_upload(info, events[n : n + args.batch])
            elapsed = time.perf_counter() - start
            incidents = history.conn.execute("SELECT count(*) FROM incidents").fetchone()[0]
            print(f"ingest: {len(events):,} events in {elapsed:.1f} s, {incidents:,} incidents, "
                  f"{len(CHANNELS)} channels")  # fmt: skip
            now = base.START + timedelta(days=91)
            short = base.SERVERS[3].split(".")[0]
            person = set(CHANNELS[:2])
            everyone = {f"C{n:08d}" for n in range(5000)} | person
            for label, visible in (("unscoped", None), ("2 channels", person),
                                   ("5,000 channels", everyone)):  # fmt: skip
                print(f"{label}:")
                base.timed("servers()", lambda v=visible: history.servers(v))
                base.timed("incidents(server=...)",
                           lambda v=visible: history.incidents(server=short, visible=v))  # fmt: skip
                base.timed("similar(code='0x800706BA')",
                           lambda v=visible: history.similar(code="0x800706BA", visible=v))  # fmt: skip
                base.timed("recent(server, 1003, '0x800706BA')",
                           lambda v=visible: history.recent(short, 1003, "0x800706BA", now=now,
                                                            visible=v))  # fmt: skip
                base.timed("activity(1 day) (the digest)",
                           lambda v=visible: history.activity(now - timedelta(days=1), visible=v))  # fmt: skip
                base.timed("home_data (the Home tab)",
                           lambda v=visible: home_data(history, now=now, visible=v), rounds=5)  # fmt: skip
        downgrade(path)
        start = time.perf_counter()
        with open_history(path) as history:
            elapsed = time.perf_counter() - start
            learned = history.conn.execute("SELECT count(*) FROM incident_channels").fetchone()[0]
        print(f"upgrade 3 -> current at {len(events):,} events: {elapsed:.2f} s "
              f"({learned:,} incident channels learned)")  # fmt: skip


def downgrade(path: Path) -> None:
    """Take the file back to schema 3: drop what schemas 4 and 5 added."""
    with sqlite3.connect(path) as conn:
        conn.executescript(
            """DROP TABLE incident_channels;
               DROP INDEX uploads_channel;
               ALTER TABLE upload_servers DROP COLUMN first;
               ALTER TABLE upload_servers DROP COLUMN last;
               ALTER TABLE resolutions DROP COLUMN channel;
               PRAGMA user_version = 3;"""
        )


if __name__ == "__main__":
    main()
