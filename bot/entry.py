"""What one catalogue entry is: typed, immutable values and the vocabularies they use.

An entry is identified by its source and ID (knowledge/*.toml, schema in
bot/entry_schema.py): an event by (provider, ID), because an event ID alone
is ambiguous (1000 is a connector event and also Application Error); a
diagnostic code or HRESULT by its canonical hex; an IIS answer by its
status.substatus (and sc-win32-status); a symptom with no code by a slug.
"""

from __future__ import annotations

from typing import Literal

from bot.value import Value

_set = object.__setattr__  # fields of an immutable Value are set once, in __init__

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


class Text(Value):
    """One piece of text in the two languages the bot answers in."""

    __slots__ = ("en", "fr")
    en: str
    fr: str

    def __init__(self, en: str, fr: str) -> None:
        _set(self, "en", en)
        _set(self, "fr", fr)

    def get(self, lang: str) -> str:
        return self.fr if lang == "fr" and self.fr else self.en


class Terms(Value):
    """Words and short phrases in each language (search keywords)."""

    __slots__ = ("en", "fr")
    en: tuple[str, ...]
    fr: tuple[str, ...]

    def __init__(self, en: tuple[str, ...] = (), fr: tuple[str, ...] = ()) -> None:
        _set(self, "en", en)
        _set(self, "fr", fr)


NO_TERMS = Terms()  # an entry without search keywords


class Advice(Value):
    """A likely cause or a fix step, with the public page it comes from.

    `inferred` is True when the documentation does not state it and we
    reasoned it out; the bot says so when it shows it. `provenance` is for
    editors only and never shown.
    """

    __slots__ = ("text", "source", "inferred", "provenance")
    text: Text
    source: str  # a public URL
    inferred: bool
    provenance: str | None

    def __init__(self, text: Text, source: str, inferred: bool = False,
                 provenance: str | None = None) -> None:  # fmt: skip
        _set(self, "text", text)
        _set(self, "source", source)
        _set(self, "inferred", inferred)
        _set(self, "provenance", provenance)


class Noise(Value):
    """A documented benign occurrence: when `pattern` is in the event text, it is not a fault."""

    __slots__ = ("pattern", "reason", "source")
    pattern: str  # case-insensitive substring of the event's message or data
    reason: Text
    source: str

    def __init__(self, pattern: str, reason: Text, source: str) -> None:
        _set(self, "pattern", pattern)
        _set(self, "reason", reason)
        _set(self, "source", source)

    def matches(self, text: str) -> bool:
        return self.pattern.lower() in text.lower()


class Entry(Value):
    """One event, diagnostic code, HRESULT, IIS answer or code-less symptom."""

    __slots__ = (
        "kind",
        "id",
        "name",
        "generation",
        "provider",
        "log",
        "outcome",
        "operation",
        "description",
        "other_wordings",
        "related",
        "causes",
        "fixes",
        "doc",
        "aliases",
        "note",
        "keywords",
        "fr_official",
        "name_fr",
        "noise",
        "hop",
        "patterns",
        "win32",
        "urls",
        "provenance",
    )
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
    note: Text | None  # user-facing quirks worth telling (e.g. Symantec is now DigiCert)
    keywords: Terms  # symptoms and phrasings that should find this entry
    fr_official: bool  # False: description.fr is our translation, not Microsoft's
    name_fr: str | None  # the French page's name, where it differs (0x0 "Opération réussie")
    noise: tuple[Noise, ...]  # documented benign occurrences
    hop: str | None  # device | iis | ndes | connector | ca; None: crosses hops
    patterns: tuple[str, ...]  # message texts that identify it inside a pasted line
    win32: int | None  # http: the sc-win32-status this variant is about
    urls: tuple[str, ...]  # http: the URL paths it is about
    provenance: str | None  # editors only: never shown in an answer

    def __init__(
        self,
        kind: Kind,
        id: str,
        name: str,
        generation: str,
        provider: str | None,
        log: str,
        outcome: Outcome,
        operation: str,
        description: Text,
        other_wordings: tuple[str, ...],
        related: tuple[str, ...],
        causes: tuple[Advice, ...],
        fixes: tuple[Advice, ...],
        doc: str,
        aliases: tuple[str, ...],
        note: Text | None = None,
        keywords: Terms = NO_TERMS,
        fr_official: bool = True,
        name_fr: str | None = None,
        noise: tuple[Noise, ...] = (),
        hop: str | None = None,
        patterns: tuple[str, ...] = (),
        win32: int | None = None,
        urls: tuple[str, ...] = (),
        provenance: str | None = None,
    ) -> None:
        _set(self, "kind", kind)
        _set(self, "id", id)
        _set(self, "name", name)
        _set(self, "generation", generation)
        _set(self, "provider", provider)
        _set(self, "log", log)
        _set(self, "outcome", outcome)
        _set(self, "operation", operation)
        _set(self, "description", description)
        _set(self, "other_wordings", other_wordings)
        _set(self, "related", related)
        _set(self, "causes", causes)
        _set(self, "fixes", fixes)
        _set(self, "doc", doc)
        _set(self, "aliases", aliases)
        _set(self, "note", note)
        _set(self, "keywords", keywords)
        _set(self, "fr_official", fr_official)
        _set(self, "name_fr", name_fr)
        _set(self, "noise", noise)
        _set(self, "hop", hop)
        _set(self, "patterns", patterns)
        _set(self, "win32", win32)
        _set(self, "urls", urls)
        _set(self, "provenance", provenance)

    @property
    def key(self) -> str:
        """Unique in a catalogue: "<provider>:<id>" for events, the hex for codes,
        "IIS:<status>[:<win32>]" for IIS answers, "symptom:<slug>"."""
        if self.kind == "event":
            return f"{self.provider}:{self.id}"
        if self.kind == "http":
            return f"{PROVIDER_IIS}:{self.id}" + (
                f":{self.win32}" if self.win32 is not None else ""
            )
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
    def seen_in(self) -> str:
        """Where an admin finds it: "Application (source Microsoft-Windows-CertificationAuthority)",
        "Microsoft-Intune-CertificateConnectors/Admin", "u_ex*.log (IIS W3C)". A bare event
        ID names no source, so the answer must."""
        source = self.provider if self.kind == "event" else None
        if source and source not in self.log:
            return f"{self.log} (source {source})"
        return self.log

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
