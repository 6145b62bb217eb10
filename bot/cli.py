"""`intune-bot`: the command line over the same core the Slack bot uses.

Imports of the core happen inside each command, so `intune-bot lookup`
starts fast: it never pays for slack_bolt, sqlite_utils or the EVTX reader,
nor for json unless --json asks for it (tests/test_cli_cold_start.py).
"""

from __future__ import annotations

import gc
import os
import sys

import click

from bot.cli_options import db_option

# Commands whose modules load only when they run or `--help` lists them:
# `intune-bot lookup 20502` should not pay for the history or playground commands.
_LAZY = {
    "history": ("bot.cli_history", "history"),
    "servers": ("bot.cli_history", "servers"),
    "playground": ("bot.playground.command", "playground"),
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *_LAZY})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in _LAZY:
            import importlib

            module, attr = _LAZY[name]
            self.add_command(getattr(importlib.import_module(module), attr), name)
        return self.commands.get(name)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="intune-triage")
def cli() -> None:
    """Triage Microsoft Intune certificate connector failures.

    \b
    Example:
        intune-bot lookup 20502
        intune-bot summarize Application.evtx
    """


@cli.command()
@click.argument("text", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the JSON contract instead of text.")
@click.option(
    "--lang",
    type=click.Choice(["auto", "en", "fr"]),
    default="auto",
    show_default=True,
    help="Language of the answer; auto answers a French question in French, "
    "as Slack and the prompt do.",
)
@click.option("--limit", type=click.IntRange(1, 50), default=5, show_default=True,
              help="How many matches at most.")  # fmt: skip
def lookup(text: tuple[str, ...], as_json: bool, lang: str, limit: int) -> None:
    """Explain an event ID, diagnostic code, HRESULT, IIS answer or a question.

    Exits 1 when nothing in the catalogue matches (an unknown ID lists the
    nearest ones, but is not an answer).

    \b
    Examples:
        intune-bot lookup 20502
        intune-bot lookup 0x410 --json
        intune-bot lookup why did PKCS issuance fail
        intune-bot lookup pourquoi l'émission PKCS a échoué
    """
    from bot.answer import answer_to_json
    from bot.search import lookup as run_lookup

    query = " ".join(text)
    if lang == "auto":
        from bot.lang import guess_lang

        lang = guess_lang(query)
    answer = run_lookup(query, limit=limit, lang=lang)
    if as_json:
        import json

        click.echo(json.dumps(answer_to_json(answer), ensure_ascii=False))
    else:
        from bot.textfmt import format_answer

        click.echo(format_answer(answer, lang))
    if not answer.answered and not answer.is_help:
        sys.exit(1)


@cli.command()
@click.argument("file", type=click.Path(path_type=str, readable=False))  # we say why, in one line
@click.option("--json", "as_json", is_flag=True, help="Print the JSON contract instead of text.")
@click.option(
    "--parser",
    type=click.Choice(["auto", "rust", "python"]),
    default="auto",
    show_default=True,
    help="EVTX reader: the Rust-backed `evtx` (auto) or pure-Python python-evtx.",
)
@click.option("--lang", type=click.Choice(["en", "fr"]), default="en", show_default=True)
@click.option(
    "--record",
    is_flag=True,
    help="Also add the events to the incident history and say which incidents are new, "
    "ongoing or recurred (off by default: looking at a file changes nothing).",
)
@click.option(
    "--chart",
    "chart_path",
    type=click.Path(dir_okay=False, path_type=str),
    help="Also write a timeline (800x400) of failures by event and successes, in UTC, as "
    "PNG, SVG or PDF by the file's suffix. "
    "Written whenever asked; a note on stderr says when the log has no failures or spans "
    "an hour or less (the picture then shows little).",
)
@click.option(
    "--server",
    metavar="NAME",
    help="With --record: the server the log came from, for exports that name no computer "
    "(Event Viewer's CSV and TXT); a short name (NDES01) means the known server it is "
    "short for. Events that name their computer keep it.",
)
@db_option
def summarize(
    file: str,
    as_json: bool,
    parser: str,
    lang: str,
    record: bool,
    chart_path: str | None,
    server: str | None,
    db_path: str | None,
) -> None:
    """Summarize the connector failures in an event log export.

    FILE is an .evtx, an Event Viewer XML / CSV / TXT export or a PowerShell
    Export-Csv file; the format is detected from the content.

    \b
    Examples:
        intune-bot summarize Application.evtx
        intune-bot summarize connector.xml --json
        intune-bot summarize Application.evtx --chart timeline.png
        intune-bot summarize export.csv --record --server NDES01
    """
    from bot.logs import NotAnEventLog, ParserUnavailable
    from bot.summary_file import summarize_file
    from bot.summary_parallel import processes

    if chart_path:
        _chart_format(chart_path)  # a wrong suffix is said before a large log is read
    if os.path.isdir(file):
        raise click.ClickException(f"{file} is a folder: give the exported log file in it")
    try:
        size = os.path.getsize(file)
    except OSError as err:
        raise click.ClickException(f"cannot read {file}: {err.strerror}") from None
    show_bar = not as_json and sys.stderr.isatty() and size > 5_000_000
    try:
        if show_bar:
            # Record counts are what the reader reports; ~500 bytes a record.
            with click.progressbar(
                length=max(size // 500, 1), label="reading", file=sys.stderr
            ) as bar:
                summary = summarize_file(
                    file,
                    parser=parser,
                    keep_events=record,
                    progress=lambda n: bar.update(n - bar.pos),
                    processes=processes(),
                )
        else:
            summary = summarize_file(file, parser=parser, keep_events=record, processes=processes())
    except (NotAnEventLog, ParserUnavailable) as err:
        raise click.ClickException(str(err)) from None
    except OSError as err:
        raise click.ClickException(f"cannot read {file}: {err.strerror or err}") from None
    server = (server or "").strip() or None
    if server and not record:
        raise click.ClickException("--server names where a recorded log came from: add --record")
    if record and not server:
        from bot.triage import needs_server

        if needs_server(summary):  # before anything is printed or recorded
            raise click.ClickException(
                f"{file} names no computer for its events (an export without the Computer "
                "column): say which server it came from with --server NAME; nothing recorded"
            )
    if chart_path:
        _chart(summary, chart_path)  # before --record: a bad path changes nothing
    data = summary.to_dict()
    ingest, not_recorded = None, None
    if record:
        try:
            ingest = _record(file, summary, db_path, server)
        except click.ClickException as err:  # the summary is printed all the same
            not_recorded = err
    if as_json:
        import json

        if ingest is not None:
            data["history"] = ingest.to_dict()
        click.echo(json.dumps(data, ensure_ascii=False))
    else:
        from bot.textfmt import format_summary

        click.echo(format_summary(summary, lang))
        if ingest is not None:
            from bot.cli_history import format_ingest
            from bot.history_words import recent as recent_line

            click.echo("\n" + format_ingest(ingest.result))
            for recent in ingest.recent:  # what a Slack upload's summary says below its history
                click.echo(recent_line(recent.to_dict()))
    if not_recorded:
        raise click.ClickException(f"not recorded: {not_recorded.message}")


def _chart_format(path: str) -> str:
    """The chart's format from its suffix, checked before the log is read."""
    from bot.chart import format_for

    try:
        return format_for(path)
    except ValueError as err:
        raise click.ClickException(str(err)) from None


def _chart(summary, path: str) -> None:
    """Write the timeline chart; stdout stays the summary (the JSON stays parseable)."""
    from bot.chart import needs_chart, timeline_chart  # matplotlib loads only here

    if not needs_chart(summary):
        why = "has no failures" if not summary.failures else "spans an hour or less"
        click.echo(f"note: the log {why}; the chart shows little", err=True)
    try:
        timeline_chart(summary, path, image_format=_chart_format(path))
    except OSError as err:
        raise click.ClickException(f"cannot write {path}: {err.strerror or err}") from None


def _record(file: str, summary, db_path: str | None, server: str | None):
    """Add a summary's connector events to the history; one line on failure."""
    import getpass

    from bot.cli_history import opened
    from bot.triage import Source, ingest

    with opened(db_path) as history:
        source = Source("cli", user=getpass.getuser())
        return ingest(file, summary, source, history, server=server)


@cli.command()
@click.option("--http", is_flag=True, help="Serve HTTP at /slack/events instead of Socket Mode.")
@click.option("--port", type=click.IntRange(0, 65535), default=3000, show_default=True)
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on (--http).")
def run(http: bool, port: int, host: str) -> None:
    """Connect to Slack; with no Slack tokens set, answer here in the terminal.

    Socket Mode needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN; --http needs
    SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET. With none set, type what you
    would type in Slack: `/intune 20502`, a question, or a log file's path.

    \b
    Examples:
        intune-bot run
        intune-bot run --http --port 3000
        echo "/intune 20502" | intune-bot run
    """
    from bot.slack.runner import run as run_bot  # slack_bolt loads only here

    sys.exit(run_bot(http=http, port=port, host=host))


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        sys.exit(130)
    finally:
        # Everything is said: the interpreter's exit need not search what is still loaded
        # (the catalogue, the modules) for reference cycles, which took ~15-30 ms after a
        # large summary. Frozen objects are still freed; files and temp folders are closed
        # by their own code and atexit, not by the collector.
        gc.freeze()
