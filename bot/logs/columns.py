"""Column names of the text exports, per language, mapped to our field names.

Event Viewer ("Save All Events As" CSV / tab-delimited TXT) writes five
localized headers — Level, Date and Time, Source, Event ID, Task Category —
and then the message as an unnamed last column. PowerShell's
`Get-WinEvent | Export-Csv` writes the EventLogRecord property names.
"""

from __future__ import annotations

# Event Viewer headers: lower-cased header text -> (canonical, language)
EVENT_VIEWER: dict[str, tuple[str, str]] = {
    "level": ("level", "en"),
    "date and time": ("time", "en"),
    "source": ("source", ""),  # same word in French
    "event id": ("event_id", "en"),
    "task category": ("task", "en"),
    "niveau": ("level", "fr"),
    "date et heure": ("time", "fr"),
    "id de l'événement": ("event_id", "fr"),
    "id de l’événement": ("event_id", "fr"),
    "catégorie de la tâche": ("task", "fr"),
}

# PowerShell properties we use -> canonical name: Get-WinEvent's EventLogRecord,
# and the older Get-EventLog's EventLogEntry (EventID, EntryType, TimeGenerated...).
POWERSHELL: dict[str, str] = {
    "message": "message",
    "id": "event_id",
    "eventid": "event_id",
    "level": "level_number",
    "leveldisplayname": "level",
    "entrytype": "level",
    "providername": "source",
    "source": "source",
    "logname": "channel",
    "machinename": "computer",
    "timecreated": "time",
    "timegenerated": "time",
    "recordid": "record_id",
    "index": "record_id",
}

# Level names as Event Viewer prints them -> numeric level
LEVELS: dict[str, int] = {
    "critical": 1, "critique": 1,
    "error": 2, "erreur": 2,
    "warning": 3, "avertissement": 3,
    "information": 4, "informations": 4,
    "verbose": 5, "commentaires": 5, "détaillé": 5,
    "audit success": 0, "succès de l'audit": 0, "succès de l’audit": 0,
    "audit failure": 0, "échec de l'audit": 0, "échec de l’audit": 0,
    "successaudit": 0, "failureaudit": 0,  # Get-EventLog's EntryType
}  # fmt: skip

REQUIRED = ("time", "event_id")


def _clean(cell: str) -> str:
    return cell.strip().strip('"').strip("\ufeff").strip().lower()


def match_header(cells: list[str]) -> tuple[str, str, dict[str, int]] | None:
    """(flavor, language, canonical -> column index) if the header is an event export's."""
    cleaned = [_clean(c) for c in cells]
    columns: dict[str, int] = {}
    languages = set()
    for i, cell in enumerate(cleaned):
        hit = EVENT_VIEWER.get(cell)
        if hit and hit[0] not in columns:
            columns[hit[0]] = i
            if hit[1]:
                languages.add(hit[1])
    if all(k in columns for k in REQUIRED) and "source" in columns:
        # The message is the unnamed column after the named ones.
        columns["message"] = len(cells) if cleaned[-1] else len(cells) - 1
        language = "fr" if "fr" in languages else "en"
        return "eventviewer", language, columns
    columns = {}
    for i, cell in enumerate(cleaned):
        name = POWERSHELL.get(cell)
        if name and name not in columns:
            columns[name] = i
    # `Select-Object TimeCreated, Id, Message | Export-Csv` is common: a time,
    # an ID and one more event column are enough.
    if all(k in columns for k in REQUIRED) and len(columns) >= 3:
        return "powershell", "", columns
    return None
