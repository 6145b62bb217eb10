"""`intune-bot playground`: serve the page, print its URL, run until Ctrl-C."""

from __future__ import annotations

import sys
from pathlib import Path

import click

DEFAULT_PORT = 8765


def register(cli: click.Group) -> None:
    cli.add_command(playground)


@click.command()
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port for the page (0: any free port).")  # fmt: skip
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback shows the page to your network.")  # fmt: skip
@click.option("--db", "db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="History file to use (default: a fresh one, deleted on exit).")  # fmt: skip
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the default browser.")
def playground(port: int, host: str, db: Path | None, open_browser: bool) -> None:
    """Try the bot in a browser page that looks like a Slack channel, without Slack.

    The real app answers `/intune …`, `@intune-triage …` and dropped event logs
    against a Slack Web API simulated in this process: no tokens, no network.

    \b
    Examples:
        intune-bot playground
        intune-bot playground --port 9000 --open
        intune-bot playground --db ~/triage-history.db
    """
    import logging  # here, not at import: `intune-bot lookup` should not pay for it

    from bot.playground import Playground  # slack_bolt loads only here

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        play = Playground(db=db, host=host, port=port)
    except OSError as err:
        print(f"intune-bot: cannot listen on {host}:{port}: {err.strerror or err}; "
              "try another --port", file=sys.stderr)  # fmt: skip
        sys.exit(2)
    if not _loopback(host):
        print(f"intune-bot: warning: listening on {host}: others on your network can use this page",
              file=sys.stderr)  # fmt: skip
    history = str(db) if db else "a temporary file, deleted on exit"
    print(f"Playground: {play.url}  (history: {history}; Ctrl-C to stop)", flush=True)
    if open_browser:
        import webbrowser

        webbrowser.open(play.url)
    try:
        play.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        play.close()


def _loopback(host: str) -> bool:
    try:
        import ipaddress

        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
