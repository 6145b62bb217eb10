"""`intune-bot`: the command line over the same core the Slack bot uses.

Imports of the core happen inside each command, so `intune-bot lookup`
starts fast: it never pays for slack_bolt, sqlite_utils or the EVTX reader.
"""

from __future__ import annotations

import json
import sys

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
@click.option("--lang", type=click.Choice(["en", "fr"]), default="en", show_default=True)
@click.option("--limit", type=click.IntRange(1, 50), default=5, show_default=True)
def lookup(text: tuple[str, ...], as_json: bool, lang: str, limit: int) -> None:
    """Explain an event ID, diagnostic code, HRESULT or a question.

    \b
    Examples:
        intune-bot lookup 20502
        intune-bot lookup 0x410 --json
        intune-bot lookup why did PKCS issuance fail
        intune-bot lookup pourquoi l'émission PKCS a échoué --lang fr
    """
    from bot.search import answer_to_json, lookup as run_lookup

    answer = run_lookup(" ".join(text), limit=limit, lang=lang)
    if as_json:
        click.echo(json.dumps(answer_to_json(answer), ensure_ascii=False))
    else:
        from bot.textfmt import format_answer

        click.echo(format_answer(answer, lang))


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        sys.exit(130)
