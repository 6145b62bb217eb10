"""Load and validate the reviewed catalogue in knowledge/ into typed entries.

The catalogue is data (TOML files reviewed like code); this module only reads
it, checks it, and hands out frozen dataclasses. It knows nothing of Slack.

- `load_catalogue(path)` reads every `*.toml` of a folder: `[[entry]]` tables
  (events, diagnostic codes, HRESULTs) and `[[synonym]]` groups.
- `default_catalogue()` is the shipped catalogue, loaded once.
- A malformed entry raises `CatalogueError` naming the file, the entry and
  the problem, so a bad edit fails loudly instead of answering wrongly.
"""

from __future__ import annotations

import functools
import json
import os
import re
import threading
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from bot.codes import canonical_code

if TYPE_CHECKING:
    from pathlib import Path

Kind = Literal["event", "code", "hresult"]
Outcome = Literal["success", "warning", "failure", "retry", "info"]

KINDS = ("event", "code", "hresult")
OUTCOMES = ("success", "warning", "failure", "retry", "info")
GENERATIONS = ("legacy", "current", "windows", "any")
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
    ndes ca trust install general""".split()
)

# Where an event comes from, as bot.classify names it ("family"), by provider.
PROVIDER_NDES = "Microsoft-Windows-NetworkDeviceEnrollmentService"
PROVIDER_CA = "Microsoft-Windows-CertificationAuthority"
PROVIDER_CURRENT = "Microsoft-Intune-CertificateConnectors"
FAMILIES = ("legacy", "current", "ndes", "ca")

_EVENT_ID = re.compile(r"[1-9][0-9]{0,4}")  # decimal, no leading zeros, <= 65535 in practice
_HEX_ID = re.compile(r"0x[0-9A-F]{8}")  # canonical: lowercase 0x, eight uppercase digits

# Files whose entries come first, so ties in a search favour the documented
# legacy tables over the newer, longer lists; any other *.toml follows by name.
_FILE_ORDER = (
    "legacy_events",
    "diagnostic_codes",
    "connector_events",
    "windows_events",
    "hresults",
)


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
    """A likely cause or a fix step, with where it comes from.

    `inferred` is True when the documentation does not state it and we
    reasoned it out; the bot says so when it shows it.
    """

    text: Text
    source: str
    inferred: bool = False


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
    keywords: Terms = Terms()  # symptoms and phrasings that should find this entry
    fr_official: bool = True  # False: description.fr is our translation, not Microsoft's
    name_fr: str | None = None  # the French page's name, where it differs (0x0 "Opération réussie")
    noise: tuple[Noise, ...] = ()  # documented benign occurrences

    @property
    def json_type(self) -> str:
        """The `type` of the CLI JSON contract: HRESULTs are codes too."""
        return "event" if self.kind == "event" else "code"

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


class CatalogueError(ValueError):
    """The catalogue is malformed; the message names the file, the entry and the problem."""


@dataclass(frozen=True)
class Catalogue:
    """Every entry, in file order, plus the synonym groups free-text search uses."""

    entries: tuple[Entry, ...]
    synonyms: tuple[tuple[str, ...], ...] = ()
    _by_id: dict[str, Entry] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        # Event IDs and hex codes never look alike, so one dict serves both.
        object.__setattr__(self, "_by_id", {e.id: e for e in self.entries})

    def get(self, id: str) -> Entry | None:
        """The entry with this canonical ID ("20502", "0x00000410"), or None."""
        return self._by_id.get(id)

    def event(self, event_id: int | str, source: str | None = None) -> Entry | None:
        """The event with this ID, or None.

        `source` narrows it to one writer: a family (legacy, current, ndes,
        ca) or a provider name. DCOM also writes an event 10010, so callers
        reading real logs should always pass it. The legacy connector's
        provider name is not documented: pass the family for those.
        """
        entry = self._by_id.get(str(event_id).strip())
        if entry is None or entry.kind != "event":
            return None
        if source is None:
            return entry
        wanted = source.strip().lower()
        if wanted in FAMILIES:
            return entry if entry.family == wanted else None
        return entry if (entry.provider or "").lower() == wanted else None

    def events(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.kind == "event")

    def codes(self) -> tuple[Entry, ...]:
        """Diagnostic codes and HRESULTs."""
        return tuple(e for e in self.entries if e.kind != "event")

    def related(self, entry: Entry) -> tuple[Entry, ...]:
        return tuple(self._by_id[r] for r in entry.related if r in self._by_id)


def knowledge_dir() -> Path:
    """Where the catalogue lives: inside the installed wheel, else the source tree."""
    from pathlib import Path

    return Path(_knowledge_folder())


def _knowledge_folder() -> str:
    # os.path, not pathlib: `intune-bot lookup` would otherwise import pathlib
    # (and urllib.parse, ipaddress) for this alone, ~3 ms of its cold start.
    here = os.path.dirname(os.path.abspath(__file__))
    packaged = os.path.join(here, "_knowledge")
    if os.path.isdir(packaged):
        return packaged
    return os.path.join(os.path.dirname(os.path.realpath(here)), "knowledge")


@functools.lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    """The shipped catalogue, read and checked once per process."""
    return load_catalogue()


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Read and validate every *.toml in `path` (default: `knowledge_dir()`)."""
    folder = os.fspath(path) if path is not None else _knowledge_folder()
    try:
        names = sorted((n for n in os.listdir(folder) if n.endswith(".toml")), key=_file_rank)
    except OSError:
        names = []
    if not names:
        raise CatalogueError(f"{folder}: no *.toml catalogue files")
    sources = [(name, _read(os.path.join(folder, name))) for name in names]
    entries: list[tuple[str, Entry]] = []
    synonyms: list[tuple[str, tuple[str, ...]]] = []
    for name, data in _parsed(folder, sources):
        unknown = set(data) - {"entry", "synonym"}
        if unknown:
            raise CatalogueError(f"{name}: unknown top-level key(s) {sorted(unknown)}")
        for i, raw in enumerate(_array(data, "entry", name), 1):
            entries.append((name, _entry(raw, f"{name}: entry #{i}")))
        for i, raw in enumerate(_array(data, "synonym", name), 1):
            synonyms.append((name, _synonym_group(raw, f"{name}: synonym #{i}")))
    _check_together(entries, synonyms)
    return Catalogue(tuple(e for _, e in entries), tuple(g for _, g in synonyms))


# --- parsing, with a cache -----------------------------------------------------------
# tomllib is pure Python: parsing the catalogue costs ~25 ms, a third of the
# CLI's cold-start budget. The parsed tables are kept as JSON (C-parsed, ~2 ms)
# in __pycache__ beside the files, keyed by a checksum of their bytes, so an
# edit is always seen. JSON, not pickle: loading it can never run code, and
# whoever can write the cache can write the TOML beside it anyway. The cache
# holds only parsed TOML; validation still runs on every load.

_CACHE_FORMAT = 1


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _parsed(folder: str, sources: list[tuple[str, bytes]]) -> list[tuple[str, dict]]:
    key = _cache_key(sources)
    cache = os.path.join(folder, "__pycache__", "catalogue.json")
    try:
        cached = json.loads(_read(cache))
        if cached.get("key") == key:
            return [(name, data) for name, data in cached["files"]]
    except (OSError, ValueError, TypeError, KeyError):
        pass  # no cache yet, or a damaged one: parse the TOML
    import tomllib  # only on a cache miss: importing it alone costs ~8 ms

    parsed = []
    for name, raw in sources:
        try:
            parsed.append((name, tomllib.loads(raw.decode("utf-8"))))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise CatalogueError(f"{name}: not valid TOML: {exc}") from None
    _write_cache(cache, {"key": key, "files": parsed})
    return parsed


def _cache_key(sources: list[tuple[str, bytes]]) -> str:
    crc = zlib.crc32(str(_CACHE_FORMAT).encode())
    for name, raw in sources:
        crc = zlib.crc32(raw, zlib.crc32(name.encode(), crc))
    return f"{_CACHE_FORMAT}-{len(sources)}-{sum(len(r) for _, r in sources)}-{crc:08x}"


def _write_cache(cache: str, content: dict) -> None:
    """Best effort: a read-only install simply parses the TOML every time."""
    try:
        text = json.dumps(content, ensure_ascii=False)
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        # One temp file per process and thread, so two writers never share one.
        tmp = f"{cache}.{os.getpid()}.{threading.get_ident()}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, cache)  # atomic: a concurrent reader sees old or new, never half
    except (OSError, TypeError, ValueError):
        pass


# --- reading one entry -----------------------------------------------------------

_REQUIRED = frozenset("kind id name generation log outcome operation description doc".split())
_OPTIONAL = frozenset(
    """provider other_wordings related causes fixes aliases note keywords fr_official
    name_fr noise""".split()
)


def _entry(raw: Any, where: str) -> Entry:
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where}: an entry must be a table")
    # Name the entry by what identifies it, so the message points at the right row.
    label = f"{where} ({raw.get('id', '?')} {raw.get('name', '?')})"
    missing = sorted(_REQUIRED - raw.keys())
    if missing:
        raise CatalogueError(f"{label}: missing field(s) {', '.join(missing)}")
    unknown = sorted(raw.keys() - _REQUIRED - _OPTIONAL)
    if unknown:
        raise CatalogueError(f"{label}: unknown field(s) {', '.join(unknown)}")

    kind = _choice(raw, "kind", KINDS, label)
    ident = _str(raw, "id", label)
    pattern = _EVENT_ID if kind == "event" else _HEX_ID
    if not pattern.fullmatch(ident):
        want = (
            "a decimal event ID such as 20502" if kind == "event" else "0x%08X such as 0x00000410"
        )
        raise CatalogueError(f"{label}: bad id {ident!r} for kind {kind}: want {want}")
    provider = raw.get("provider")
    if kind == "event" and not isinstance(provider, str):
        raise CatalogueError(f"{label}: field provider must be a string for an event")
    if provider is not None and not isinstance(provider, str):
        raise CatalogueError(f"{label}: field provider must be a string")
    operation = _str(raw, "operation", label)
    if operation not in OPERATIONS:
        raise CatalogueError(f"{label}: unknown operation {operation!r} (see OPERATIONS)")
    name_fr = raw.get("name_fr")
    if name_fr is not None and not isinstance(name_fr, str):
        raise CatalogueError(f"{label}: field name_fr must be a string")
    fr_official = raw.get("fr_official", True)
    if not isinstance(fr_official, bool):
        raise CatalogueError(f"{label}: field fr_official must be true or false")
    note = _text(raw["note"], f"{label}: note") if "note" in raw else None
    return Entry(
        kind=kind,
        id=ident,
        name=_str(raw, "name", label),
        generation=_choice(raw, "generation", GENERATIONS, label),
        provider=provider,
        log=_str(raw, "log", label),
        outcome=_choice(raw, "outcome", OUTCOMES, label),
        operation=operation,
        description=_text(raw["description"], f"{label}: description"),
        other_wordings=_strings(raw, "other_wordings", label),
        related=_strings(raw, "related", label),
        causes=_advice(raw, "causes", label),
        fixes=_advice(raw, "fixes", label),
        doc=_str(raw, "doc", label),
        aliases=_strings(raw, "aliases", label),
        note=note,
        keywords=_terms(raw.get("keywords", {}), f"{label}: keywords"),
        fr_official=fr_official,
        name_fr=name_fr,
        noise=_noise(raw, label),
    )


def _str(raw: dict, key: str, label: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError(f"{label}: field {key} must be a non-empty string")
    return value


def _choice(raw: dict, key: str, allowed: tuple[str, ...], label: str) -> Any:
    value = _str(raw, key, label)
    if value not in allowed:
        raise CatalogueError(f"{label}: unknown {key} {value!r}: want one of {', '.join(allowed)}")
    return value


def _strings(raw: dict, key: str, label: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise CatalogueError(f"{label}: field {key} must be a list of non-empty strings")
    return tuple(value)


def _text(raw: Any, label: str) -> Text:
    if not isinstance(raw, dict) or set(raw) != {"en", "fr"}:
        raise CatalogueError(f"{label}: must be a table with exactly en and fr")
    if not all(isinstance(v, str) and v.strip() for v in raw.values()):
        raise CatalogueError(f"{label}: en and fr must be non-empty strings")
    return Text(en=raw["en"], fr=raw["fr"])


def _terms(raw: Any, label: str) -> Terms:
    if not isinstance(raw, dict) or not set(raw) <= {"en", "fr"}:
        raise CatalogueError(f"{label}: must be a table with en and/or fr lists")
    return Terms(en=_strings(raw, "en", label), fr=_strings(raw, "fr", label))


def _advice(raw: dict, key: str, label: str) -> tuple[Advice, ...]:
    items = raw.get(key, [])
    if not isinstance(items, list):
        raise CatalogueError(f"{label}: field {key} must be an array of tables")
    out = []
    for i, item in enumerate(items, 1):
        where = f"{label}: {key}[{i}]"
        if not isinstance(item, dict) or not {"en", "fr", "source"} <= item.keys():
            raise CatalogueError(f"{where}: needs en, fr and source")
        if not set(item) <= {"en", "fr", "source", "inferred"}:
            raise CatalogueError(
                f"{where}: unknown field(s) {sorted(set(item) - {'en', 'fr', 'source', 'inferred'})}"
            )
        inferred = item.get("inferred", False)
        if not isinstance(inferred, bool):
            raise CatalogueError(f"{where}: inferred must be true or false")
        text = _text({"en": item["en"], "fr": item["fr"]}, where)
        out.append(Advice(text=text, source=_str(item, "source", where), inferred=inferred))
    return tuple(out)


def _noise(raw: dict, label: str) -> tuple[Noise, ...]:
    items = raw.get("noise", [])
    if not isinstance(items, list):
        raise CatalogueError(f"{label}: field noise must be an array of tables")
    out = []
    for i, item in enumerate(items, 1):
        where = f"{label}: noise[{i}]"
        if not isinstance(item, dict) or set(item) != {"pattern", "en", "fr", "source"}:
            raise CatalogueError(f"{where}: needs exactly pattern, en, fr and source")
        reason = _text({"en": item["en"], "fr": item["fr"]}, where)
        out.append(Noise(_str(item, "pattern", where), reason, _str(item, "source", where)))
    return tuple(out)


def _synonym_group(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, dict) or set(raw) != {"terms"}:
        raise CatalogueError(f"{where}: a synonym group is a table with one key, terms")
    terms = _strings(raw, "terms", where)
    if len(terms) < 2:
        raise CatalogueError(f"{where} ({terms[0] if terms else '?'}): needs at least two terms")
    return terms


def _array(data: dict, key: str, file: str) -> list:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise CatalogueError(f"{file}: {key} must be an array of tables ([[{key}]])")
    return value


# --- rules across entries ----------------------------------------------------------


def _fold(name: str) -> str:
    """The form names are compared in: search treats `Upload_Failure` and `upload failure` alike."""
    return re.sub(r"[\s_\-.]+", "", name).casefold()


def _check_together(
    entries: list[tuple[str, Entry]], synonyms: list[tuple[str, tuple[str, ...]]]
) -> None:
    by_id: dict[str, tuple[str, Entry]] = {}
    for file, e in entries:
        if e.id in by_id:
            other_file, other = by_id[e.id]
            raise CatalogueError(
                f"{file}: entry {e.id} {e.name}: duplicate id, already used by "
                f"{other.name} in {other_file}"
            )
        by_id[e.id] = (file, e)

    # Every name and alias must point at one entry, or search cannot tell them apart.
    owner: dict[str, tuple[str, Entry, str]] = {
        _fold(i): (f, e, "id") for i, (f, e) in by_id.items()
    }
    for file, e in entries:
        seen_here: set[str] = set()
        for what, value in [("name", e.name)] + [("alias", a) for a in e.aliases]:
            key = _fold(value)
            if key in seen_here:
                continue
            seen_here.add(key)
            taken = owner.get(key)
            if taken and taken[1] is not e:
                t_file, t_entry, t_what = taken
                problem = "duplicate name" if what == "name" == t_what else f"{what} collides"
                raise CatalogueError(
                    f"{file}: entry {e.id} {e.name}: {problem}: {value!r} is already the "
                    f"{t_what} of {t_entry.id} {t_entry.name} in {t_file}"
                )
            owner[key] = (file, e, what)
        for alias in e.aliases:
            # "0x410" or "-2146875374" as an alias is a code spelling: it must be this entry's.
            code = canonical_code(alias)
            if code and code != e.id and code in by_id:
                other_file, other = by_id[code]
                raise CatalogueError(
                    f"{file}: entry {e.id} {e.name}: alias collides: {alias!r} is the code "
                    f"{code} of {other.name} in {other_file}"
                )

    for file, e in entries:
        for ref in e.related:
            if ref not in by_id:
                raise CatalogueError(
                    f"{file}: entry {e.id} {e.name}: related {ref!r} is not an id in the catalogue"
                )
            if ref == e.id:
                raise CatalogueError(f"{file}: entry {e.id} {e.name}: related lists itself")

    group_of: dict[str, tuple[str, str]] = {}
    for file, group in synonyms:
        for term in group:
            key = term.casefold()
            if key in group_of and group_of[key][1] != group[0]:
                raise CatalogueError(
                    f"{file}: synonym group {group[0]!r}: term {term!r} is already in group "
                    f"{group_of[key][1]!r} of {group_of[key][0]}"
                )
            group_of[key] = (file, group[0])


def _file_rank(name: str) -> tuple[int, str]:
    stem = name.removesuffix(".toml")
    return (_FILE_ORDER.index(stem) if stem in _FILE_ORDER else len(_FILE_ORDER), stem)
