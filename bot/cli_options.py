"""Options several `intune-bot` commands share, in a module that costs nothing to import.

bot.cli needs `--db` for `summarize`; taking it from bot.cli_history would load
the history commands on every start, `intune-bot lookup` included.
"""

from __future__ import annotations

import click

db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    help="History database (default: $INTUNE_BOT_DB, else a per-user data file).",
)
