"""The terminal prompt: `intune-bot run` with no Slack tokens at all.

Type what you would type in Slack and get the same answers in the terminal:
`/intune 20502` (or just `20502`, or `20502 0x410` for several), a question
(naming a server adds what the history knows of it), a path to a log file (as
if you dropped it in a channel), `history [SERVER]`, `servers`, `help`, `quit`.
The line is read with the bot's own command parser (bot/commands.py).

A person at a terminal gets line editing and the previous lines (readline, where
the platform has it); Ctrl-D or Ctrl-C leave. Piped input is read line by line
until its end, with no prompt. Nothing here needs Slack or the network.
"""

from __future__ import annotations

import contextlib
import re
import shlex
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from bot.commands import guess_lang, parse
from bot.settings import Settings

INTRO = """\
intune-triage, local mode: no Slack tokens are set, so type here what you would type in Slack.
  /intune 20502 | /intune 0x410 | 20502 0x410 (several) | a question, e.g. why did 20502 fail on NDES01
  a path to a log file (= dropping it in a channel)
  /intune history [SERVER] | /intune servers | help | quit (or Ctrl-D)
  (A file read here is not added to the history; `intune-bot summarize FILE --record` does that.)
To connect Slack: create the app from manifest.yml, then set SLACK_BOT_TOKEN (xoxb-…) and
SLACK_APP_TOKEN (xapp-…) and run `intune-bot run` again. Steps: README, "Run in Slack"."""

QUIT = {"quit", "exit", "q", ":q", "bye"}
PROMPT = "intune> "
HISTORY_FILE = "intune-bot-prompt-history"  # next to the history store, if its folder exists
HISTORY_LINES = 500


def run_prompt(stdin: TextIO | None, stdout: TextIO, settings: Settings) -> int:
    """Answer one line at a time until `quit`, end of input or Ctrl-C; always exits 0.

    A closed stdin (`<&-`, where Python sets sys.stdin to None) is an empty one.
    """
    print(INTRO, file=stdout, flush=True)
    if stdin is None:
        return 0
    # input() (and readline) read sys.stdin; any other stream is read as a pipe.
    interactive = stdin is sys.stdin and stdin.isatty() and stdout.isatty()
    lines = _typed(settings) if interactive else _piped(stdin)
    try:
        for line in lines:
            if line.lower() in QUIT:
                break
            print(reply(line, settings), file=stdout, flush=True)
            print(file=stdout, flush=True)
    except KeyboardInterrupt:  # Ctrl-C, at the prompt or during an answer: leave quietly
        print(file=stdout, flush=True)
    except BrokenPipeError:  # `intune-bot run < questions | head`: the reader left
        return 0
    return 0


def _piped(stdin: TextIO) -> Iterator[str]:
    """Non-empty input lines, stripped, until the end of input."""
    for line in stdin:
        if line.strip():
            yield line.strip()


def _typed(settings: Settings) -> Iterator[str]:
    """Lines a person types at the prompt, with readline's editing and history if present."""
    save = _line_history(settings.db_path.parent / HISTORY_FILE)
    try:
        while True:
            try:
                line = input(PROMPT)
            except EOFError:  # Ctrl-D
                print()
                return
            if line.strip():
                yield line.strip()
    finally:
        save()


def _line_history(path: Path) -> Callable[[], None]:
    """Load the previous lines into readline; returns what saves them on the way out."""
    try:
        import readline  # not on every platform (Windows without pyreadline3)
    except ImportError:
        return lambda: None
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    readline.set_history_length(HISTORY_LINES)

    def save() -> None:
        if path.parent.is_dir():  # never create the store's folder just for this
            with contextlib.suppress(OSError):
                readline.write_history_file(path)

    return save


def reply(line: str, settings: Settings) -> str:
    """The answer the bot would give in Slack, as terminal text."""
    if line.lower() in ("help", "?", "/intune", "/intune help"):
        return INTRO
    # "summarize FILE", as README's CLI examples spell it, is a drop here too.
    line = re.sub(r"^(intune-bot\s+)?summarize\s+(?=\S)", "", line)
    path = as_path(line)
    if path is not None:
        return dropped(path, settings.max_upload_bytes)
    if _looks_like_path(line):
        return f"No such file: {line.strip(chr(39) + chr(34))}"
    text = line
    if line.startswith("/intune"):
        text = line[len("/intune") :].strip()
    elif line.startswith("/"):
        return f"Slack would say: {line.split()[0]} is not a command here. Try /intune help."
    cmd = parse(text)
    if cmd.verb == "help":
        return INTRO
    if cmd.verb in ("history", "servers"):
        return stored(cmd.verb, cmd.arg, settings)
    if cmd.ids:
        return "\n\n".join(lookup_text(i) for i in cmd.ids)
    return question(cmd.arg, settings)


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


def question(text: str, settings: Settings) -> str:
    """A lookup, and what the history knows of the servers the question names (as in Slack)."""
    from bot.asking import ask
    from bot.listing import not_read
    from bot.textfmt import format_answer, format_known

    asked = ask(text, settings.db_path)
    out = format_answer(asked.answer, asked.lang)
    if asked.known:
        out += "\n\n" + format_known([k.to_dict() for k in asked.known])
    if asked.history_error:  # the answer stands; say why the history part is missing
        out += "\n\n" + not_read(asked.history_error)
    return out


def dropped(path: Path, max_unpacked: int) -> str:
    """What the bot answers in the thread of a dropped file (or that it stays silent).

    `max_unpacked`: how far a zip may expand, the upload limit as in Slack."""
    from bot.logs import NotAnEventLog
    from bot.summary_file import summarize_file
    from bot.summary_parallel import processes
    from bot.textfmt import format_summary

    try:
        summary = summarize_file(path, max_unpacked=max_unpacked, processes=processes())
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
    from bot.cli_history import format_incidents, format_servers
    from bot.listing import TERMINAL, listing, nothing_listed

    found = listing(settings.db_path, verb, server)
    said = nothing_listed(found, TERMINAL)
    if said is not None:
        return said
    return format_servers(found.servers) if verb == "servers" else format_incidents(found.incidents)
