"""The incident history: every log the bot reads, remembered per connector server.

One SQLite file (WAL mode, so the Slack workers and the CLI can share it) with
four main tables: `servers`, `uploads` (one row per file read: name, SHA-256,
who and where from, problems), `events` (every connector event, once, however
many exports contained it) and `incidents`; `upload_servers`, `logs` and `meta`
support them. No token or secret is ever stored.

An incident is one failure on one server: the same event ID and diagnostic
code (or HRESULT), from its first to its last occurrence. Warnings make
incidents too, of kind "warning", so "CRL about to expire" is remembered
without being mixed with failures. Success, info and retry events are stored
(for recounts and searches) but make no incident. The same failure starts a
new incident when it comes back after a quiet gap (24 h by default) or after
the incident was resolved ("reopened").

Incidents depend only on which events are stored, not on the order files
arrive in: an older export read after a newer one fills in the same spans.
(Resolutions are the exception: a failure older than a resolution joins the
resolved incident, a newer one reopens it.)

    history = open_history()                     # $INTUNE_BOT_DB or a per-user path
    result = history.record_upload(UploadInfo.from_file(path, "evtx"), events)
    history.recent("NDES01", 20502, "0x00000410")  # "3 times in 30 days"

The package, one concept a module: `values` (what goes in and out), `schema`
(tables and migrations), `opener` (the one SQLite opener, shared with the Slack
stores), `base` (checks on open, write transactions), `queries`, `spans` (the
incident algorithm), `ingest` (recording an upload) and `store` (`open_history`).
"""

from bot.history.base import DEFAULT_GAP
from bot.history.ingest import UPLOAD_WAIT
from bot.history.opener import HistoryError
from bot.history.schema import MIGRATIONS, SCHEMA_VERSION
from bot.history.store import History, default_path, open_history
from bot.history.values import (
    Incident,
    IncidentChange,
    IngestResult,
    Recent,
    ServerInfo,
    UploadInfo,
)

__all__ = [
    "DEFAULT_GAP",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "UPLOAD_WAIT",
    "History",
    "HistoryError",
    "Incident",
    "IncidentChange",
    "IngestResult",
    "Recent",
    "ServerInfo",
    "UploadInfo",
    "default_path",
    "open_history",
]
