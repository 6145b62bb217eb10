"""What one catalogue entry is: typed, frozen values and the vocabularies they use.

An entry is identified by its source and ID (knowledge/*.toml, schema in
bot/entry_schema.py): an event by (provider, ID), because an event ID alone
is ambiguous (1000 is a connector event and also Application Error); a
diagnostic code or HRESULT by its canonical hex; an IIS answer by its
status.substatus (and sc-win32-status); a symptom with no code by a slug.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["event", "code", "hresult", "http", "symptom"]
Outcome = Literal["success", "warning", "failure", "retry", "info"]

KINDS = ("event", "code", "hresult", "http", "symptom")
OUTCOMES = ("success", "warning", "failure", "retry", "info")
GENERATIONS = ("legacy", "current", "windows", "any")
# The hops of the certificate chain (DESIGN.md "The chain"), device first.
HOPS = ("device", "iis", "ndes", "connector", "ca")
# A closed vocabulary, so a typo in the data cannot split one operation in two
# and break the success rates the summary computes per operation.
OPERATIONS = frozenset(
    """service enrollment_certificate retrieve_certificate
    pkcs_request pkcs_download pkcs_issue pkcs_upload
    pkcs_recrypt pkcs_recrypt_download pkcs_recrypt_decrypt pkcs_recrypt_reencrypt
    pkcs_recrypt_upload
    pkcs_import pkcs_import_download pkcs_import_reencrypt pkcs_import_upload
    revoke revoke_request revoke_download revoke_upload upload download
    scep_request scep_receive scep_verify scep_issue scep_notify
    ndes ca trust install general device web lifecycle""".split()
)

# Where an event comes from, as bot.classify names it ("family"), by provider.
PROVIDER_NDES = "Microsoft-Windows-NetworkDeviceEnrollmentService"
PROVIDER_CA = "Microsoft-Windows-CertificationAuthority"
PROVIDER_CURRENT = "Microsoft-Intune-CertificateConnectors"
PROVIDER_IIS = "IIS"  # the `source` of an IIS answer (DESIGN.md summarize contract)

# Event Viewer's Source column (CSV / TXT exports) drops "Microsoft-Windows-"
# from provider names: "CAPI2" is Microsoft-Windows-CAPI2.
WINDOWS_PREFIX = "microsoft-windows-"


def provider_key(name: str) -> str:
    """A provider name as compared everywhere: lowercased, the Windows prefix dropped."""
    return name.strip().lower().removeprefix(WINDOWS_PREFIX)


FAMILIES = ("legacy", "current", "ndes", "ca")

# What a lookup answer calls each kind (the `type` of the lookup JSON contract):
# an IIS status is a code people type; a symptom has no code at all.
JSON_TYPES = {"event": "event", "code": "code", "hresult": "code", "http": "code",
              "symptom": "symptom"}  # fmt: skip


class CatalogueError(ValueError):
    """The catalogue is malformed; the message names the file, the entry and the problem."""


@dataclass(frozen=True, slots=True)
class Text:
    """One piece of text in the two languages the bot answers in."""

    en: str
    fr: str

    def get(self, lang: str) -> str:
        return self.fr if lang == "fr" and self.fr else self.en


@dataclass(frozen=True, slots=True)
class Terms:
    """Words and short phrases in each language (search keywords)."""

    en: tuple[str, ...] = ()
    fr: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Advice:
    """A likely cause or a fix step, with the public page it comes from.

    `inferred` is True when the documentation does not state it and we
    reasoned it out; the bot says so when it shows it. `provenance` is for
    editors only and never shown.
    """

    text: Text
    source: str  # a public URL
    inferred: bool = False
    provenance: str | None = None


@dataclass(frozen=True, slots=True)
class Noise:
    """A documented benign occurrence: when `pattern` is in the event text, it is not a fault."""

    pattern: str  # case-insensitive substring of the event's message or data
    reason: Text
    source: str

    def matches(self, text: str) -> bool:
        return self.pattern.lower() in text.lower()


@dataclass(frozen=True, slots=True)
class Entry:
    """One event, diagnostic code, HRESULT, IIS answer or code-less symptom."""

    kind: Kind
    id: str  # "20502", "0x00000410", "403.16", "taken-under-submission"
    name: str
    generation: str  # "legacy" | "current" | "windows" (NDES / CA) | "any"
    provider: str | None  # event source exactly as logs write it; "IIS" for http
    log: str  # event log / channel / file / console where it is seen
    outcome: Outcome
    operation: str  # service, enrollment_certificate, pkcs_issue, revoke, upload, ...
    description: Text  # the official text, verbatim
    other_wordings: tuple[str, ...]  # other documented wordings (English)
    related: tuple[str, ...]  # references: plain IDs or keys (see Catalogue.get)
    causes: tuple[Advice, ...]
    fixes: tuple[Advice, ...]
    doc: str  # documentation link
    aliases: tuple[str, ...]  # other names people use for it
    note: Text | None = None  # user-facing quirks worth telling (e.g. Symantec is now DigiCert)
    keywords: Terms = Terms()  # symptoms and phrasings that should find this entry
    fr_official: bool = True  # False: description.fr is our translation, not Microsoft's
    name_fr: str | None = None  # the French page's name, where it differs (0x0 "Opération réussie")
    noise: tuple[Noise, ...] = ()  # documented benign occurrences
    hop: str | None = None  # device | iis | ndes | connector | ca; None: crosses hops
    patterns: tuple[str, ...] = ()  # message texts that identify it inside a pasted line
    win32: int | None = None  # http: the sc-win32-status this variant is about
    urls: tuple[str, ...] = ()  # http: the URL paths it is about
    provenance: str | None = None  # editors only: never shown in an answer

    @property
    def key(self) -> str:
        """Unique in a catalogue: "<provider>:<id>" for events, the hex for codes,
        "IIS:<status>[:<win32>]" for IIS answers, "symptom:<slug>"."""
        if self.kind == "event":
            return f"{self.provider}:{self.id}"
        if self.kind == "http":
            return f"{PROVIDER_IIS}:{self.id}" + (f":{self.win32}" if self.win32 is not None else "")
        if self.kind == "symptom":
            return f"symptom:{self.id}"
        return self.id

    @property
    def label(self) -> str:
        """How people name it in a list ("Related: …"), unlike `key`, which is for the
        catalogue: "20502", "0x80094800", "CAPI2 11", "IIS 500.0 (win32 1346)", a symptom's name."""
        if self.kind == "event":
            if self.family in ("legacy", "current"):
                return self.id  # the connector's own IDs are what admins type
            return f"{(self.provider or '').removeprefix('Microsoft-Windows-')} {self.id}"
        if self.kind == "http":
            return f"IIS {self.id}" + (f" (win32 {self.win32})" if self.win32 is not None else "")
        if self.kind == "symptom":
            return self.name
        return self.id

    @property
    def id_and_name(self) -> str:
        """ "20502 CRPVerifyMetric_Failure"; an IIS answer's name starts with its status already."""
        return self.name if self.name.startswith(self.id) else f"{self.id} {self.name}"

    @property
    def json_type(self) -> str:
        """The `type` of the CLI JSON contract: HRESULTs and IIS answers are codes too."""
        return JSON_TYPES[self.kind]

    @property
    def family(self) -> str | None:
        """The event source as bot.classify names it: legacy, current, ndes or ca."""
        if self.kind != "event":
            return None
        if self.generation in ("legacy", "current"):
            return self.generation
        return {PROVIDER_NDES: "ndes", PROVIDER_CA: "ca"}.get(self.provider or "")

    def noise_reason(self, text: str) -> Noise | None:
        """The documented benign case `text` matches, if any."""
        return next((n for n in self.noise if n.matches(text)), None)


def derived_hop(kind: str, generation: str, provider: str | None) -> str | None:
    """The hop an entry sits at when its data does not say: known sources only."""
    if kind == "code" or generation in ("legacy", "current"):
        return "connector"
    if kind == "http":
        return "iis"
    return {PROVIDER_NDES: "ndes", PROVIDER_CA: "ca", PROVIDER_CURRENT: "connector"}.get(
        provider or ""
    )
