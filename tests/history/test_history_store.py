"""The history file itself: opening, migrating, refusing, and several processes at once."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from bot.history import (
    SCHEMA_VERSION,
    HistoryError,
    default_path,
    open_history,
)
from tests.support.history import (
    REPO,
    T0,
    connector_event,
    counts,
    failures,
    upload,
)

# -- the file itself -----------------------------------------------------------------------

V1_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE servers (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    first_seen TEXT NOT NULL, last_seen TEXT NOT NULL);
CREATE TABLE uploads (id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE,
    file_name TEXT NOT NULL, size INTEGER NOT NULL, format TEXT NOT NULL,
    source TEXT NOT NULL, user TEXT, channel TEXT, thread_ts TEXT, file_id TEXT,
    uploaded_at TEXT NOT NULL, records INTEGER NOT NULL, connector_events INTEGER NOT NULL,
    new_events INTEGER NOT NULL, problems TEXT NOT NULL DEFAULT '[]');
CREATE TABLE upload_servers (upload_id INTEGER NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
    server_id INTEGER NOT NULL REFERENCES servers(id), events INTEGER NOT NULL,
    PRIMARY KEY (upload_id, server_id)) WITHOUT ROWID;
CREATE INDEX upload_servers_server ON upload_servers(server_id, upload_id);
CREATE TABLE logs (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE events (id INTEGER PRIMARY KEY, server_id INTEGER NOT NULL REFERENCES servers(id),
    upload_id INTEGER NOT NULL REFERENCES uploads(id),
    log_id INTEGER NOT NULL REFERENCES logs(id),
    record_key TEXT NOT NULL, time TEXT NOT NULL, event_id INTEGER NOT NULL,
    outcome TEXT NOT NULL, code TEXT, device TEXT, user TEXT, ca TEXT, template TEXT);
CREATE UNIQUE INDEX events_record ON events(server_id, log_id, record_key, time, event_id);
CREATE INDEX events_failure ON events(server_id, event_id, code, time);
CREATE INDEX events_time ON events(time);
CREATE TABLE incidents (id INTEGER PRIMARY KEY, server_id INTEGER NOT NULL REFERENCES servers(id),
    event_id INTEGER NOT NULL, code TEXT, first TEXT NOT NULL, last TEXT NOT NULL,
    count INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    resolved_by TEXT, resolved_at TEXT, note TEXT, channel TEXT, thread_ts TEXT,
    previous_id INTEGER REFERENCES incidents(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL);
CREATE INDEX incidents_key ON incidents(server_id, event_id, code, first);
CREATE INDEX incidents_server_last ON incidents(server_id, last);
CREATE INDEX incidents_last ON incidents(last);
CREATE INDEX incidents_event ON incidents(event_id, status, last);
CREATE INDEX incidents_code ON incidents(code, status, last);
INSERT INTO servers VALUES (1, 'NDES01.contoso.com',
    '2026-11-02T09:00:00.000000Z', '2026-11-02T10:00:00.000000Z');
INSERT INTO uploads VALUES (1, 'abc', 'old.evtx', 10, 'evtx', 'cli', 'alice', NULL, NULL, NULL,
    '2026-11-03T00:00:00.000000Z', 2, 2, 2, '[]');
INSERT INTO upload_servers VALUES (1, 1, 2);
INSERT INTO logs VALUES (1, 'Microsoft-Intune-CertificateConnectors/Operational');
INSERT INTO events VALUES
    (1, 1, 1, 1, '1', '2026-11-02T09:00:00.000000Z', 20502, 'failure',
     '0x800706BA', NULL, NULL, NULL, NULL),
    (2, 1, 1, 1, '2', '2026-11-02T10:00:00.000000Z', 20502, 'failure',
     '0x800706BA', NULL, NULL, NULL, NULL);
INSERT INTO incidents VALUES (1, 1, 20502, '0x800706BA', '2026-11-02T09:00:00.000000Z',
    '2026-11-02T10:00:00.000000Z', 2, 'resolved', 'alice', '2026-11-03T00:00:00.000000Z',
    'restarted CertSvc', NULL, NULL, NULL, '2026-11-03T00:00:00.000000Z');
PRAGMA user_version = 1;
"""


def test_open_history_migrates_version_1_without_loss(db_path):
    conn = sqlite3.connect(db_path)
    conn.executescript(V1_SCHEMA)
    conn.close()

    with open_history(db_path) as h:
        [incident] = h.incidents()
        assert (incident.kind, incident.note, incident.count) == (
            "failure",
            "restarted CertSvc",
            2,
        )
        assert h.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        # The old store keeps working: its events still dedupe, its incident recurs.
        [change] = h.record_upload(
            upload("new"),
            [connector_event(1, 1, event_id=20502, code="0x800706BA", device=None)]
            + [connector_event(5, 48)],
        ).incidents
        assert (change.change, change.incident.previous_id) == ("recurred", 1)


V2_FILE = Path(__file__).parent / "data" / "v2-split-incidents.db"


def test_open_history_merges_incidents_an_older_release_split(tmp_path):
    """A real file written by the release before (schema 2, new incident after 24 quiet
    hours; see data/PROVENANCE.md): 11 incidents, 7 open, become 6, 4 open."""
    path = tmp_path / "old.db"
    shutil.copy(V2_FILE, path)
    before = counts(path)

    with open_history(path) as h:
        merged = {(i.server, i.event_id, i.code): i for i in h.incidents(status="resolved")}
        still_open = {(i.server, i.event_id, i.code): i for i in h.incidents(status="open")}
        total = h.incidents(limit=100)

    assert (before["incidents"], len(total)) == (11, 6)
    assert len(still_open) == 4
    assert counts(path)["events"] == before["events"]  # events are never touched
    ca_down = merged[("NDES01.contoso.com", 20502, "0x800706BA")]
    assert (ca_down.id, ca_down.count, ca_down.note) == (1, 5, "restarted CertSvc on CA01")
    assert (ca_down.channel, ca_down.thread_ts) == ("C1", "1.1")  # the first part's thread
    recurred = still_open[("NDES01.contoso.com", 20502, "0x800706BA")]
    assert (recurred.count, recurred.previous_id) == (2, ca_down.id)
    pkcs = still_open[("NDES01.contoso.com", 20102, "0x00000400")]
    assert (pkcs.count, pkcs.first, pkcs.last) == (3, T0, T0 + timedelta(hours=60))
    assert still_open[("NDES02.contoso.com", 10301, "0x00000403")].count == 2
    # Two resolutions with two notes merged into one incident: both kept, the latest shown.
    revoke = merged[("NDES02.contoso.com", 20202, "0x00000402")]
    assert revoke.note == "second fix: renewed the RA certificate"
    assert [(r.by, r.note) for r in revoke.resolutions] == [
        ("U2", "first fix: CA permissions"),
        ("U3", "second fix: renewed the RA certificate"),
    ]
    assert (revoke.channel, revoke.thread_ts) == ("C2", "2.2")
    # The nameless server an older release recorded stays, to be reassigned.
    assert still_open[("", 20502, "0x800706BA")].unknown_server


def test_open_history_merged_file_keeps_working(tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(V2_FILE, path)

    with open_history(path) as h:
        result = h.record_upload(upload("day9"), [connector_event(40, 24 * 9, event_id=20102,
                                                                  code="0x00000400")])  # fmt: skip
        [pkcs] = h.incidents(event_id=20102)

    assert [(c.change, c.incident.id) for c in result.incidents] == [("ongoing", pkcs.id)]
    assert pkcs.count == 4


def test_open_history_refuses_newer_schema(db_path):
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TABLE future (x)")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = db_path.read_bytes()

    with pytest.raises(HistoryError, match="newer intune-triage") as err:
        open_history(db_path)

    assert "\n" not in str(err.value)
    assert db_path.read_bytes() == before
    assert not Path(f"{db_path}-wal").exists()


def test_open_history_refuses_file_that_is_not_sqlite(db_path):
    db_path.write_bytes(b"EVTX? no, just a text file people named history.db\n" * 100)
    before = db_path.read_bytes()

    with pytest.raises(HistoryError, match="not a SQLite database"):
        open_history(db_path)

    assert db_path.read_bytes() == before


def test_open_history_refuses_another_applications_database(db_path):
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY)")
    conn.close()
    before = db_path.read_bytes()

    with pytest.raises(HistoryError, match="another application"):
        open_history(db_path)

    assert db_path.read_bytes() == before


@pytest.fixture
def read_only(db_path: Path):
    """The history file, made read-only: by mode bits, or (root ignores those) immutable."""
    open_history(db_path).close()
    if os.geteuid() != 0:
        db_path.chmod(0o444)
        yield db_path
        db_path.chmod(0o644)
        return
    if subprocess.run(["chattr", "+i", str(db_path)], capture_output=True).returncode:
        pytest.skip("running as root on a file system without chattr +i")
    try:
        yield db_path
    finally:
        subprocess.run(["chattr", "-i", str(db_path)], check=True)


def test_open_history_refuses_read_only_database(read_only):
    before = read_only.read_bytes()

    with pytest.raises(HistoryError, match="read-only"):
        open_history(read_only)

    assert read_only.read_bytes() == before


def test_open_history_refuses_a_folder(tmp_path):
    with pytest.raises(HistoryError, match="is a folder"):
        open_history(tmp_path)


def test_set_thread_while_another_process_writes_too_long_is_one_line(history, db_path):
    [change] = history.record_upload(upload(), failures(range(1, 2))).incidents
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        impatient = open_history(db_path, busy_timeout=0.2)
        with impatient, pytest.raises(HistoryError, match="busy") as err:
            impatient.set_thread(change.incident.id, "C1", "1.1")
    finally:
        holder.kill()
        holder.communicate()  # reaps it and closes its pipe
    assert "\n" not in str(err.value)
    assert history.incident(change.incident.id).thread_ts is None


HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(30)
"""


def test_open_history_default_path_is_created_from_env(tmp_path, monkeypatch):
    target = tmp_path / "a" / "b" / "history.db"
    monkeypatch.setenv("INTUNE_BOT_DB", str(target))

    assert default_path() == target
    open_history().close()

    assert target.exists()


def test_open_history_default_path_is_per_user(monkeypatch, tmp_path):
    monkeypatch.delenv("INTUNE_BOT_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    if sys.platform.startswith("linux"):
        assert default_path() == tmp_path / "intune-triage" / "history.db"
    assert default_path().name == "history.db"


def test_open_history_uses_wal_and_foreign_keys(history):
    assert history.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert history.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


# -- real processes ----------------------------------------------------------------------

WORKER = """
import sys, time
from datetime import UTC, datetime, timedelta
from pathlib import Path
sys.path.insert(0, {repo!r})
from tests.support.history import connector_event, upload
from bot.history import open_history

db, name, start, stop, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
events = [connector_event(r, r / 60) for r in range(start, stop)]
history = open_history(db)  # uploads wait for each other (UPLOAD_WAIT)
print("ready", flush=True)
while not Path(go).exists():
    time.sleep(0.005)
result = history.record_upload(upload(name), events)
print(result.new_events, flush=True)
"""


def test_record_upload_from_two_processes_at_once(tmp_path, db_path):
    open_history(db_path).close()
    script = tmp_path / "worker.py"
    script.write_text(WORKER.format(repo=str(REPO)))
    go = tmp_path / "go"
    # Two overlapping exports: records 0..29999 and 20000..49999.
    workers = [
        subprocess.Popen(
            [sys.executable, str(script), str(db_path), name, str(a), str(b), str(go)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, a, b in (("monday", 0, 30_000), ("tuesday", 20_000, 50_000))
    ]
    for w in workers:
        assert w.stdout is not None
        assert w.stdout.readline().strip() == "ready"
    go.touch()
    outputs = [w.communicate(timeout=120) for w in workers]

    assert [w.returncode for w in workers] == [0, 0], [err for _, err in outputs]
    new = sorted(int(out.strip()) for out, _ in outputs)
    assert new == [20_000, 30_000]  # whichever went second found 10 000 already stored
    assert counts(db_path)["events"] == 50_000
    with open_history(db_path) as h:
        [incident] = h.incidents()
        assert incident.count == 50_000


OPENER = """
import sys, time
from pathlib import Path
from bot.history import open_history

go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.001)
open_history(sys.argv[1]).close()
"""


def test_open_history_fresh_file_from_several_processes_at_once(tmp_path, db_path):
    """Each creates the schema if missing: they must not trip over one another."""
    go = tmp_path / "go"
    openers = [
        subprocess.Popen(
            [sys.executable, "-c", OPENER, str(db_path), str(go)],
            cwd=REPO,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    time.sleep(0.5)  # let them all start and wait
    go.touch()
    errors = [p.communicate(timeout=60)[1] for p in openers]

    assert [p.returncode for p in openers] == [0] * 4, errors
    with open_history(db_path) as h:
        assert h.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


KILLED = """
import os, sys, time
from pathlib import Path
sys.path.insert(0, {repo!r})
from tests.support.history import connector_event, upload
from bot.history import open_history

db, marker = sys.argv[1], Path(sys.argv[2])
history = open_history(db)
inserted = 0

def stall(sql):
    # Deep inside the upload's transaction: say so, then wait to be killed.
    global inserted
    if sql.startswith("INSERT OR IGNORE INTO events"):
        inserted += 1
        if inserted == 5000:
            marker.touch()
            time.sleep(60)

history.conn.set_trace_callback(stall)
history.record_upload(upload("big"), [connector_event(r, r / 60) for r in range(20_000)])
"""


def test_record_upload_killed_mid_transaction_leaves_no_half_upload(tmp_path, db_path):
    open_history(db_path).close()
    script = tmp_path / "killed.py"
    script.write_text(KILLED.format(repo=str(REPO)))
    marker = tmp_path / "in-transaction"
    proc = subprocess.Popen([sys.executable, str(script), str(db_path), str(marker)], cwd=REPO)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None, "the worker ended before the kill"
        assert time.monotonic() < deadline
        time.sleep(0.01)

    proc.send_signal(signal.SIGKILL)
    proc.wait()

    assert proc.returncode == -signal.SIGKILL
    assert counts(db_path) == dict.fromkeys(counts(db_path), 0)
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    with open_history(db_path) as h:
        result = h.record_upload(upload("big"), failures(range(3)))
        assert (result.already_recorded, result.new_events) == (False, 3)


BIG = """
import sys
sys.path.insert(0, {repo!r})
from tests.support.history import connector_event, upload
from bot.history import open_history

events = [connector_event(r, r / 600) for r in range(150_000)]
open_history(sys.argv[1]).record_upload(upload("big"), events)
print("committed", flush=True)
"""


def test_record_upload_killed_while_writing_a_large_file_leaves_no_half_upload(tmp_path, db_path):
    """No pause this time: kill once the transaction has written megabytes to the WAL."""
    open_history(db_path).close()
    script = tmp_path / "big.py"
    script.write_text(BIG.format(repo=str(REPO)))
    wal = Path(f"{db_path}-wal")
    proc = subprocess.Popen(
        [sys.executable, str(script), str(db_path)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while not (wal.exists() and wal.stat().st_size > 2_000_000):
        assert proc.poll() is None, "the upload finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.002)

    proc.kill()
    out, _ = proc.communicate()

    assert "committed" not in out
    assert counts(db_path) == dict.fromkeys(counts(db_path), 0)
