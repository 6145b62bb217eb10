"""The incident history: every log the bot reads, remembered per connector server.

One SQLite file (WAL mode, so the Slack workers and the CLI can share it) with
four main tables: `servers`, `uploads` (one row per file read: name, SHA-256,
who and where from, problems), `events` (every connector event, once, however
many exports contained it) and `incidents`; `upload_servers`, `logs` and `meta`
support them. No token or secret is ever stored.

An incident is one failure on one server: the same event ID and diagnostic
code (or HRESULT), open from its first occurrence until someone resolves it;
a pause, however long, does not split it. A failure after the resolution opens
a new incident linked to the old one ("recurred"). Warnings the catalogue says
how to fix make incidents too, of kind "warning", so "CRL about to expire" is
remembered without being mixed with failures; warnings it gives nothing to fix
heal themselves and are only counted. Success, info and retry events are
stored (for recounts and searches) but make no incident.

Incidents depend only on which events are stored and when incidents were
resolved, not on the order files arrive in: an older export read late joins
the incident that was open at its time.

Every event is recorded under a server: an export that names no computer is
recorded only with a server name given for it (`record_upload(..., server=)`).

    history = open_history()                     # $INTUNE_BOT_DB or a per-user path
    result = history.record_upload(UploadInfo.from_file(path, "evtx"), events)
    history.recent("NDES01", 20502, "0x00000410")  # "3 times in 30 days"

The package, one concept a module: `values` (what goes in and out), `schema`
(tables and migrations), `regroup` (merging what older releases split),
`opener` (the one SQLite opener, shared with the Slack stores), `base` (checks
on open, write transactions), `queries`, `spans` (the incident algorithm),
`ingest` (recording an upload) and `store` (`open_history`).
"""

from bot.history.event_rows import NoServer, nameless_events
from bot.history.ingest import UPLOAD_WAIT, AmbiguousServer
from bot.history.opener import HistoryError
from bot.history.schema import MIGRATIONS, SCHEMA_VERSION
from bot.history.store import History, default_path, open_history
from bot.history.values import (
    Incident,
    IncidentChange,
    IngestResult,
    Recent,
    Resolution,
    SelfHealing,
    ServerInfo,
    UploadInfo,
)

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "UPLOAD_WAIT",
    "AmbiguousServer",
    "History",
    "HistoryError",
    "Incident",
    "IncidentChange",
    "IngestResult",
    "NoServer",
    "Recent",
    "Resolution",
    "SelfHealing",
    "ServerInfo",
    "UploadInfo",
    "default_path",
    "nameless_events",
    "open_history",
]
