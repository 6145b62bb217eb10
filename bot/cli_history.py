"""`intune-bot history` and `intune-bot servers`: the incident history from the terminal.

`register(cli)` adds the commands to the main group. The store (and sqlite_utils)
is imported inside each command, so other commands start without paying for it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.cli_options import db_option

if TYPE_CHECKING:
    from bot.history import History, Incident, IngestResult, ServerInfo
    from bot.listing import Listing

UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class Age(click.ParamType):
    """A duration such as 30d, 12h, 90m or 2w."""

    name = "age"

    def convert(self, value: Any, param: Any, ctx: Any) -> timedelta:
        if isinstance(value, timedelta):
            return value
        match = re.fullmatch(r"\s*(\d+)\s*([smhdw])\s*", str(value).lower())
        if not match:
            self.fail(f"{value!r} is not a duration like 30d, 12h or 2w", param, ctx)
        return timedelta(**{UNITS[match[2]]: int(match[1])})


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


@contextmanager
def opened(db_path: str | None, *, readonly: bool = False) -> Iterator[History]:
    """The history store, with its errors turned into one line on stderr and exit 1.

    `readonly` for commands that only read: they never create the file, and a file
    without write access can still be read.
    """
    import sqlite3

    from bot.history import HistoryError, open_history
    from bot.history.opener import describe

    try:
        with open_history(db_path, readonly=readonly) as history:
            try:
                yield history
            except sqlite3.DatabaseError as err:
                raise HistoryError(describe(history.name, err)) from None
    except HistoryError as err:
        raise click.ClickException(str(err)) from None


def _listed(db_path: str | None, verb: str, server: str | None = None, **filters: Any) -> Listing:
    """What `verb` lists (bot/listing.py); a store that cannot be read is one line and exit 1.

    Reading never creates the store: a missing one is an empty listing that says so."""
    from bot.history import default_path
    from bot.listing import listing

    found = listing(Path(db_path) if db_path else default_path(), verb, server, **filters)
    if found.error is not None:
        raise click.ClickException(found.error)
    return found


class HistoryGroup(click.Group):
    """`history [SERVER]` lists incidents; `history resolve|prune ...` are subcommands.

    Click cannot have both an optional argument and subcommands on one group, so
    anything that is not a subcommand name goes to the default, `list`.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = ["list", *args]
        return super().parse_args(ctx, args)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The help shows `list`'s options too: the examples above use them."""
        listing = self.commands["list"]
        options = [p for p in listing.params if isinstance(p, click.Option)]
        rows = [r for p in options if (r := p.get_help_record(ctx))]
        with formatter.section("Options of the listing (history [SERVER] ...)"):
            formatter.write_dl(rows)
        super().format_options(ctx, formatter)


@click.group(cls=HistoryGroup)
def history() -> None:
    """Incidents the bot remembers per connector server.

    With no subcommand, lists incidents, latest first.

    \b
    Examples:
        intune-bot history
        intune-bot history NDES01 --status open --since 30d
        intune-bot history NDES01 --json
        intune-bot history resolve 12 --note "Renewed the NDES RA certificate"
        intune-bot history prune --older-than 180d
    """


@history.command("list")
@click.argument("server", required=False)
@click.option("--status", type=click.Choice(["open", "resolved"]), help="Only these incidents.")
@click.option("--since", type=Age(), help="Only incidents seen in this long, e.g. 30d.")
@click.option("--event", "event_id", type=int, help="Only this event ID.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@json_option
@db_option
def list_incidents(
    server: str | None,
    status: str | None,
    since: timedelta | None,
    event_id: int | None,
    limit: int,
    as_json: bool,
    db_path: str | None,
) -> None:
    """List incidents, latest first; SERVER may be the short name (NDES01).

    \b
    Examples:
        intune-bot history list NDES01 --since 7d
        intune-bot history list --status open --json
    """
    found = _listed(db_path, "history", server, status=status, event_id=event_id,
                    since=datetime.now(UTC) - since if since else None, limit=limit)  # fmt: skip
    if as_json:
        payload = {"server": server, "incidents": [i.to_dict() for i in found.incidents]}
        click.echo(json.dumps(payload, ensure_ascii=False))
    else:
        click.echo(_nothing(found) or format_incidents(found.incidents))


@history.command()
@click.argument("incident", type=int)
@click.option("--note", required=True, help="What fixed it; the bot quotes this next time.")
@click.option("--by", default=None, help="Who fixed it (default: your user name).")
@db_option
def resolve(incident: int, note: str, by: str | None, db_path: str | None) -> None:
    """Mark an incident resolved, with a note on what fixed it.

    Resolving twice keeps the first resolution. The next failure of the same
    kind on that server opens a new incident, "recurred" from this one.

    \b
    Example:
        intune-bot history resolve 12 --note "Started CertSvc on CA01"
    """
    with opened(db_path) as store:
        import getpass  # here, not at the top: every `intune-bot` start would pay for it

        changed = store.resolve(incident, by or getpass.getuser(), note)
        current = store.incident(incident)
    if changed:
        click.echo(f"Resolved incident #{incident}.")
    else:
        when = _when(current.resolved_at)
        click.echo(
            f"Incident #{incident} was already resolved by {current.resolved_by} on {when}; "
            "kept that resolution."
        )


@history.command()
@click.option(
    "--older-than", "older_than", type=Age(), required=True, help="Age of events to remove."
)
@db_option
def prune(older_than: timedelta, db_path: str | None) -> None:
    """Remove events older than a duration; incidents and their notes are kept.

    \b
    Example:
        intune-bot history prune --older-than 180d
    """
    with opened(db_path) as store:
        removed = store.prune(older_than)
    click.echo(f"Removed {removed} events older than {_age(older_than)}; incidents kept.")


@history.command()
@click.argument("incident", type=int)
@click.option("--server", required=True, metavar="NAME", help="The server the log came from.")
@db_option
def reassign(incident: int, server: str, db_path: str | None) -> None:
    """Put an incident of the unknown server under the server it came from.

    Older releases recorded CSV and TXT exports, which name no computer, under no
    server. Its events move with it; an open incident of the same failure already
    on that server takes them in.

    \b
    Example:
        intune-bot history reassign 7 --server NDES01
    """
    with opened(db_path) as store:
        moved = store.reassign(incident, server)
    into = "" if moved.id == incident else f" (merged into #{moved.id})"
    click.echo(f"Incident #{incident} is now on {moved.server}{into}: {moved.count} events.")


@click.command()
@json_option
@db_option
def servers(as_json: bool, db_path: str | None) -> None:
    """Connector servers seen in uploaded logs, with their open incidents.

    \b
    Examples:
        intune-bot servers
        intune-bot servers --json --db ./history.db
    """
    found = _listed(db_path, "servers")
    if as_json:
        click.echo(json.dumps({"servers": [s.to_dict() for s in found.servers]}, ensure_ascii=False))
    else:
        click.echo(_nothing(found) or format_servers(found.servers))


def _nothing(found: Listing) -> str | None:
    from bot.listing import TERMINAL, nothing_listed

    return nothing_listed(found, TERMINAL)


def register(cli: click.Group) -> None:
    """Add `history` and `servers` to the `intune-bot` group."""
    cli.add_command(history)
    cli.add_command(servers)


# -- terminal rendering ------------------------------------------------------------------


def format_incidents(incidents: list[Incident]) -> str:
    """One row per incident in aligned columns; resolutions and hints indented below it."""
    rows = []
    for i in incidents:
        failure = " ".join(x for x in (str(i.event_id), i.code or "") if x)
        rows.append([f"#{i.id}", server_label(i.server), failure, i.name or "", i.kind, i.status,
                     f"{i.count:,}x", f"{_when(i.first)} -> {_when(i.last)} UTC"])  # fmt: skip
    lines = []
    for incident, row in zip(incidents, aligned(rows, right={6}), strict=True):
        lines.append(row + (f"  (recurred after #{incident.previous_id})" if incident.previous_id else ""))
        lines += [f"    {note}" for note in _notes(incident)]
    return "\n".join(lines)


def format_incident(incident: Incident) -> str:
    return format_incidents([incident])


def _notes(incident: Incident) -> list[str]:
    notes = []
    if incident.status == "resolved":
        note = f": {incident.note}" if incident.note else ""
        notes.append(f"resolved by {incident.resolved_by} on {_when(incident.resolved_at)}{note}")
    if not incident.server.strip():
        notes.append(f"reassign it: intune-bot history reassign {incident.id} --server NAME")
    return notes


def aligned(rows: list[list[str]], right: frozenset[int] | set[int] = frozenset()) -> list[str]:
    """Rows of cells as text columns two spaces apart; the `right` columns align right."""
    if not rows:
        return []
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    return [
        "  ".join(
            cell.rjust(widths[c]) if c in right else cell.ljust(widths[c])
            for c, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]


def format_ingest(result: IngestResult) -> str:
    """What recording one file did, for `summarize --record`: new, ongoing, recurred."""
    if result.already_recorded:
        return f"Already recorded (upload #{result.upload_id}): nothing changed."
    lines = [
        f"Recorded {result.new_events} new of {result.events} connector events "
        f"(upload #{result.upload_id})."
    ]
    if result.too_old:
        lines.append(f"{result.too_old} events are older than the pruned history: skipped.")
    if result.untracked:
        lines.append(f"{result.untracked:,} more failure kinds past the incidents one log may "
                     "open: their events are stored, no incident opened.")  # fmt: skip
    for change in result.incidents:
        i = change.incident
        code = f" {i.code}" if i.code else ""
        lines.append(
            f"  {change.change:<8} #{i.id} {server_label(i.server)} {i.event_id}{code} ({i.kind}): "
            f"+{change.added}, {i.count} in all, {_when(i.first)} -> {_when(i.last)} UTC"
        )
    return "\n".join(lines)


def format_servers(servers: list[ServerInfo]) -> str:
    """One row per server in aligned columns, under a header."""
    rows = [["server", "open", "incidents", "last event (UTC)", "last upload (UTC)"]]
    for server in servers:
        upload = _when(server.last_upload) if server.last_upload else "never"
        rows.append([server_label(server.name), str(server.open_incidents),
                     str(server.incidents), _when(server.last_seen), upload])  # fmt: skip
    return "\n".join(aligned(rows, right={1, 2}))


def format_server(server: ServerInfo) -> str:
    return format_servers([server]).splitlines()[1]


def server_label(name: str) -> str:
    from bot.history_words import TERMINAL  # the one wording of the nameless server

    return TERMINAL.server(name)


def _when(t: datetime | None) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if t else "?"


def _age(age: timedelta) -> str:
    """A duration in its largest whole unit: "180 days", "2 weeks", "36 hours"."""
    seconds = int(age.total_seconds())
    for unit, size in (("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds and seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds} seconds"
