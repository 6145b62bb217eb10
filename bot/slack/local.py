"""Local text mode: `intune-bot run` with no Slack tokens at all.

Type what you would type in Slack and get the same answers in the terminal:
`/intune 20502`, a question, a path to a log file (as if you dropped it in a
channel), `help`, `quit`. Reads lines until end of input, so it works with a
pipe or a closed stdin too. Nothing here needs Slack or the network.
"""

from __future__ import annotations

import contextlib
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from bot.settings import Settings
from bot.slack.commands import guess_lang, parse

INTRO = """\
intune-triage, local mode: no Slack tokens are set, so type here what you would type in Slack.
  /intune 20502 | /intune 0x410 | a question | a path to a log file (= dropping it in a channel)
  /intune history [SERVER] | /intune servers | help | quit
  (A file read here is not added to the history; `intune-bot summarize FILE --record` does that.)
To connect Slack: create the app from manifest.yml, then set SLACK_BOT_TOKEN (xoxb-…) and
SLACK_APP_TOKEN (xapp-…) and run `intune-bot run` again. Steps: README, "Run in Slack"."""

QUIT = {"quit", "exit", "q", ":q", "bye"}
PROMPT = "intune> "


def run_local(stdin: TextIO | None, stdout: TextIO, settings: Settings) -> int:
    """Answer one line at a time until `quit` or end of input; always exits 0.

    A closed stdin (`<&-`, where Python sets sys.stdin to None) is an empty one.
    """
    print(INTRO, file=stdout, flush=True)
    if stdin is None:
        return 0
    interactive = stdin.isatty()
    try:
        for line in _lines(stdin, stdout if interactive else None):
            if line.lower() in QUIT:
                break
            print(reply(line, settings), file=stdout, flush=True)
            print(file=stdout, flush=True)
    except BrokenPipeError:  # `intune-bot run < questions | head`: the reader left
        return 0
    return 0


def _lines(stdin: TextIO, prompt_to: TextIO | None) -> Iterator[str]:
    """Non-empty input lines, stripped; a prompt first when a person is typing."""
    while True:
        if prompt_to is not None:
            print(PROMPT, end="", file=prompt_to, flush=True)
        line = stdin.readline()
        if not line:  # end of input (Ctrl-D, a closed pipe)
            return
        if line.strip():
            yield line.strip()


def reply(line: str, settings: Settings) -> str:
    """The answer the bot would give in Slack, as terminal text."""
    if line.lower() in ("help", "?", "/intune", "/intune help"):
        return INTRO
    path = as_path(line)
    if path is not None:
        return dropped(path)
    if line.startswith("/intune"):
        text = line[len("/intune") :].strip()
        cmd = parse(text)
        if cmd.verb in ("history", "servers"):
            return stored(cmd.verb, cmd.arg, settings)
        return lookup_text(cmd.arg if cmd.verb == "lookup" else "help")
    if _looks_like_path(line):
        return f"No such file: {line.strip(chr(39) + chr(34))}"
    if line.startswith("/"):
        return f"Slack would say: {line.split()[0]} is not a command here. Try /intune help."
    return lookup_text(line)


_LOG_SUFFIXES = (".evtx", ".xml", ".csv", ".txt")


def _looks_like_path(line: str) -> bool:
    """A single word with a folder or a log extension: meant as a file, not a question."""
    text = line.strip("'\"")
    if " " in text and not text.lower().endswith(_LOG_SUFFIXES):
        return False
    return text.lower().endswith(_LOG_SUFFIXES) or (
        text.startswith(("/", "~", "./", "../")) and not text.startswith("/intune")
    )


def lookup_text(text: str) -> str:
    from bot.search import lookup
    from bot.textfmt import format_answer

    lang = guess_lang(text)
    return format_answer(lookup(text, lang=lang), lang)


def dropped(path: Path) -> str:
    """What the bot answers in the thread of a dropped file (or that it stays silent)."""
    from bot.logs import NotAnEventLog
    from bot.summary import summarize_file
    from bot.textfmt import format_summary

    try:
        summary = summarize_file(path)
    except NotAnEventLog as err:
        return f"(In Slack the bot stays silent: {err})"
    except OSError as err:
        return f"Could not read {path.name}: {err.strerror or err}"
    return format_summary(summary)


def as_path(line: str) -> Path | None:
    """A line that names an existing file, quoted or with escaped spaces (drag and drop)."""
    candidates = [line]
    with contextlib.suppress(ValueError):  # an unbalanced quote: not a path
        candidates += shlex.split(line)[:1]
    for text in candidates:
        path = Path(text.strip("'\"")).expanduser()
        try:
            if path.is_file():
                return path
        except OSError:  # a question too long to be a file name
            continue
    return None


def stored(verb: str, server: str, settings: Settings) -> str:
    """`/intune history [SERVER]` and `/intune servers`, as `intune-bot history` prints them."""
    from bot.cli_history import format_incident, format_server
    from bot.triage import history_at

    with history_at(settings.db_path) as history:
        if history is None:
            return f"The history store {settings.db_path} cannot be opened."
        if verb == "servers":
            lines = [format_server(s) for s in history.servers()]
            return "\n".join(lines) or "No connector servers recorded yet."
        lines = [format_incident(i) for i in history.incidents(server=server or None, limit=30)]
        return "\n".join(lines) or "No incidents recorded" + (f" for {server}." if server else ".")
