"""Load and validate the reviewed catalogue in knowledge/ into typed entries.

The catalogue is data (TOML files reviewed like code); this module only reads
it, checks it, and hands out frozen dataclasses. It knows nothing of Slack.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Kind = Literal["event", "code", "hresult"]
Outcome = Literal["success", "warning", "failure", "retry", "info"]


@dataclass(frozen=True, slots=True)
class Text:
    """One piece of text in the two languages the bot answers in."""

    en: str
    fr: str

    def get(self, lang: str) -> str:
        return self.fr if lang == "fr" and self.fr else self.en


@dataclass(frozen=True, slots=True)
class Advice:
    """A likely cause or a fix step, with where it comes from.

    `inferred` is True when the documentation does not state it and we
    reasoned it out; the bot says so when it shows it.
    """

    text: Text
    source: str
    inferred: bool = False


@dataclass(frozen=True, slots=True)
class Entry:
    """One event ID, diagnostic code or HRESULT."""

    kind: Kind
    id: str  # decimal event ID ("20502") or canonical hex ("0x00000410")
    name: str
    generation: str  # "legacy" | "current" | "windows" (NDES / CA) | "any"
    provider: str | None  # event source, for events
    log: str  # event log / channel where it is written
    outcome: Outcome
    operation: str  # service, enrollment_certificate, pkcs_issue, revoke, upload, ...
    description: Text  # the official text, verbatim
    other_wordings: tuple[str, ...]  # other documented wordings (English)
    related: tuple[str, ...]  # related IDs / codes, canonical spelling
    causes: tuple[Advice, ...]
    fixes: tuple[Advice, ...]
    doc: str  # documentation link
    aliases: tuple[str, ...]  # other names people use for it
    note: Text | None = None  # quirks worth telling (e.g. Symantec is now DigiCert)

    @property
    def json_type(self) -> str:
        """The `type` of the CLI JSON contract: HRESULTs are codes too."""
        return "event" if self.kind == "event" else "code"


class CatalogueError(ValueError):
    """The catalogue is malformed; the message names the file, the entry and the problem."""


def knowledge_dir() -> Path:
    """Where the catalogue lives: inside the installed wheel, else the source tree."""
    packaged = Path(__file__).parent / "_knowledge"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "knowledge"
