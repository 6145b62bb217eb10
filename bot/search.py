"""One query in, ranked catalogue entries out, honestly.

The same engine answers `/intune TEXT`, free-text questions and the CLI.
What the query names is read by bot.query; the index is bot.catalogue_index.

Exact answers, most specific first:

1. a message text that identifies an entry, found in the query (an HRESULT's
   or symptom's own text: the reason in "cannot submit the request (The
   public key does not meet the minimum size…). 0x80004005"), an editors'
   curated pattern before another entry's official wording;
2. a specific code (any spelling; a Win32 error as its HRESULT) or an IIS
   answer with its sc-win32-status;
3. an IIS status, a named event ID, an entry name;
4. a generic HRESULT (E_FAIL): the carrier of a reason, never the reason.

Then close answers: names with typos, free text. A close answer below
`CONFIDENT` is not offered: the answer says the catalogue lacks it. An ID
or code the catalogue lacks is never exact: the answer names it as unknown
and lists the nearest IDs, or asks "did you mean 0x00000410?" for a
diagnostic code typed loosely ("410", "x410", "0x 410").

A bare event ID that several sources share is answered by the most likely
one, which names the others; a failure both connector generations log is
answered once, with the other generation's ID as its counterpart.
"""

from __future__ import annotations

from functools import cached_property

from bot.answer import Answer, Match
from bot.catalogue_index import Index, index_for
from bot.codes import win32_hresult
from bot.knowledge import Catalogue, Entry, default_catalogue
from bot.name_index import EXACT
from bot.normalize import fold
from bot.query import GENERIC_CODES, HttpStatus, read
from bot.text_index import FREE_TEXT_CUTOFF
from bot.words import HOP_FAMILIES

__all__ = ["Answer", "Match", "fold", "lookup"]

CONFIDENT = 56.0  # a close answer below this (free text covering < ~40%) is not an answer
# ... unless it is at least SHARED_FLOOR and shares many rare words with the question
# (idf weight at least SHARED_WEIGHT): a long question about one entry covers little of
# it but shares its rare words; one about what the catalogue lacks shares a few common
# ones ("SCEP", "certificate", "device").
SHARED_FLOOR, SHARED_WEIGHT = 51.0, 10.0
# A free-text answer at least LEAD_FLOOR that leads every rival by LEAD gains up to
# LEAD_BONUS (twice its lead): clearly the one entry the question is about.
LEAD_FLOOR, LEAD, LEAD_BONUS = 50.0, 3.0, 8.0
FREE_TEXT_FLOOR = 40.0 + 40.0 * FREE_TEXT_CUTOFF  # the lowest free-text score offered
# A curated pattern (the editors' identifying text) before an entry's official text
# found in the same line: "GetNDESAccountName: Error 0x80070005" is the installer
# symptom, though E_ACCESSDENIED lists the whole line among its wordings.
CURATED_TIER, PATTERN_TIER, CODE_TIER, NAMED_TIER, GENERIC_TIER = 0, 1, 2, 3, 4
NEAREST_TIER, CLOSE_TIER = 8, 9  # neighbours of an unknown ID; typos and free text
# An IIS status told in a sentence ("the generic NDES page instead of the HTTP 403")
# is context when the question's words find, at least this strongly, an entry
# related to that answer, by words the status's own entry lacks (at least this
# idf weight): the symptom leads and the status follows it.
PROSE_WORDS, PROSE_RELATED_SCORE, PROSE_BEYOND = 6, 60.0, 2.0
BARE_HTTP_SCORE = 65.0  # "500" alone: the IIS answer, below a did-you-mean code (70)
HELP_WORDS = {"help", "aide", "?", "-h", "--help", "usage"}


def lookup(
    query: str, *, limit: int = 5, lang: str = "en", catalogue: Catalogue | None = None
) -> Answer:
    """Rank catalogue entries for `query`; never raises on any text."""
    catalogue = catalogue or default_catalogue()
    index = index_for(catalogue)
    query = query if isinstance(query, str) else str(query)
    stripped = query.strip()
    if not stripped or fold(stripped) in HELP_WORDS:
        return Answer(query=query, matches=(), is_help=True)
    stripped = stripped[:500]  # a pasted log line is enough; a pasted log is not a question
    ranking = _Ranking(catalogue, index, stripped)
    ranking.exact_parts()
    if not ranking.did_you_mean and (not ranking.has_exact() or len(stripped.split()) > 2):
        words = fold(stripped).split()
        if all(w.isdigit() or w in _ID_WORDS for w in words):
            # "event 3007": free text of the number only ("event" alone finds every
            # entry that mentions an event); "event" alone: nothing to look for.
            stripped = " ".join(w for w in words if w.isdigit())
        if stripped:
            ranking.close_parts(stripped)
    return ranking.answer(query, limit)


class _Ranking:
    """One query's candidates, offered by each tier and ranked at the end."""

    def __init__(self, catalogue: Catalogue, index: Index, text: str) -> None:
        self.catalogue, self.index, self.text = catalogue, index, text
        self.scored: dict[str, tuple[Match, int]] = {}  # key -> (match, tier)
        self.unknown: str | None = None
        self.did_you_mean: str | None = None
        self.by_id: set[str] = set()  # keys the query named by ID or code
        self.prose_http: set[str] = set()  # IIS answers of a status told in a sentence

    def offer(self, entry: Entry, score: float, exact: bool, tier: int = CLOSE_TIER, **extra):
        old = self.scored.get(entry.key)
        if old is not None and old[0].shared and "shared" not in extra:
            extra["shared"] = old[0].shared  # free text re-finding "500" keeps its variants
        new = (Match(entry, score, exact, **extra), tier)
        if old is None or (exact, -tier if exact else 0, score) > (
            old[0].exact,
            -old[1] if old[0].exact else 0,
            old[0].score,
        ):
            self.scored[entry.key] = new

    def has_exact(self) -> bool:
        return any(m.exact for m, _ in self.scored.values())

    def exact_parts(self) -> None:
        reading = read(self.text)
        for entry, _size, curated in self.index.found_patterns(self.text):
            # A connector event's own sentence inside a pasted line is the event:
            # named like an ID, below the reason an HRESULT's text gives.
            tier = NAMED_TIER
            if entry.kind in ("hresult", "symptom"):
                tier = CURATED_TIER if curated else PATTERN_TIER
            self.offer(entry, EXACT, True, tier)
        unknown: list[str] = []
        for code in reading.codes:
            entry = self.catalogue.get(code)
            tier = GENERIC_TIER if code in GENERIC_CODES else CODE_TIER
            if entry is not None and entry.kind in ("code", "hresult"):
                self.offer(entry, EXACT, True, tier)
            elif tier == CODE_TIER:
                unknown.append(code)
        win32_digits = set()
        for code, digits in reading.win32:
            entry = self.catalogue.get(code)
            if entry is not None:
                win32_digits.add(digits)
                self.offer(entry, EXACT, True, CODE_TIER)
        for status in reading.http:
            found = self._http(status)
            if found:
                best = self._likeliest(found)
                tier = CODE_TIER if best.win32 is not None else NAMED_TIER
                shared = tuple(e for e in found if e is not best)
                self.offer(best, EXACT, True, tier, shared=shared)
                if status.url is None and best.win32 is None and len(
                    self.text.split()) >= PROSE_WORDS:  # fmt: skip
                    self.prose_http.add(best.key)  # not a log line: no URL, no sc-win32-status
            else:  # "HTTP 502": a status the catalogue lacks is said so, not a neighbour
                unknown.append(f"HTTP {status.id}" if status.sub else f"HTTP {status.status}")
        for ident in reading.events:
            if ident in win32_digits:
                continue  # "Error 12175" was the Win32 error, not an event
            events = [e for e in self.catalogue.with_id(ident) if e.kind == "event"]
            hop = reading.hops.get(ident)  # "CA event 86" is not the device's CertEnroll 86
            if hop and events and not (events := [e for e in events if e.hop in HOP_FAMILIES[hop]]):
                unknown.append(f"{hop.upper() if hop != 'connector' else hop} event {ident}")
                continue
            if events:
                best = self._likeliest(events)
                shared = tuple(e for e in events if e is not best)
                self.offer(best, EXACT, True, NAMED_TIER, shared=shared)
                self.by_id.add(best.key)
            elif (win32 := self._win32(ident)) is not None:
                # No such event, but a Win32 error by that number: a derived spelling
                # of its HRESULT ("12175" is 0x80072F8F, "1722" is 0x800706BA).
                self.offer(win32, EXACT, True, CODE_TIER)
            elif ident in reading.named_events or not (
                self._loose_hex(reading) | self._bare_http(ident)  # both: "403" is either
            ):
                unknown.append(ident)
        if not self.scored and not reading.events and reading.loose_hex:
            self._loose_hex(reading)
        for entry, score, exact in self.index.by_name(self.text):
            self.offer(entry, score, exact, NAMED_TIER)
        if unknown and not self.has_exact() and not self.did_you_mean:
            self.unknown = unknown[0]
            for near, score in self.index.nearest(self.unknown.rsplit(" event ", 1)[-1]):
                self.offer(near, score, False, NEAREST_TIER)

    def close_parts(self, text: str) -> None:
        found = sorted(self.index.free_text(text), key=lambda es: -es[1])
        if found and found[0][1] >= LEAD_FLOOR:
            # One entry well ahead of every other is what a long question is
            # about even when its many words cover little of any entry; a
            # question about something the catalogue lacks spreads over several
            # entries at about the same score. The failure's other connector
            # generation is the same answer, not a rival; nor are the entries
            # it names as related (RA certificates and the policy module's
            # certificate, both expired): the question is about what they share.
            best = found[0][0]
            kin = {self.index.counterpart(best), *self.catalogue.related(best)}
            rivals = [s for e, s in found[1:] if e not in kin]
            lead = found[0][1] - max(rivals[0] if rivals else FREE_TEXT_FLOOR, FREE_TEXT_FLOOR)
            if lead >= LEAD:
                found[0] = (best, found[0][1] + min(LEAD_BONUS, 2 * lead))
        for entry, score in found:
            self.offer(entry, score, False)
        for key in self.prose_http:
            self._follow_related(key, found)

    def _follow_related(self, key: str, found: list[tuple[Entry, float]]) -> None:
        """The IIS answer of a status told in prose follows the strongest symptom
        or code the free text found that is related to it (either way): a close
        match just below it, instead of an exact answer above it, when the question's
        words say more than the status (words only the related entry has: "HTTP
        403 when I browse mscep.dll" is the status's own question). Not an event:
        another log's event (w3wp.exe's crash beside the 503) is what was seen
        with the status, a symptom or a code is what it means."""
        status, _tier = self.scored[key]
        related = self.catalogue.related
        for entry, score in found:  # strongest first
            if score < PROSE_RELATED_SCORE:
                return
            if (
                entry.kind in ("symptom", "hresult", "code")
                and (status.entry in related(entry) or entry in related(status.entry))
                and self.index.text.weight_beyond(self._concepts, entry, status.entry) >= PROSE_BEYOND
            ):
                self.scored[key] = (status.replace(score=score - 0.1, exact=False), CLOSE_TIER)
                return

    def answer(self, query: str, limit: int) -> Answer:
        order = self.index.order
        ranked = sorted(
            self.scored.values(),
            key=lambda mt: (
                not mt[0].exact,
                mt[1] if mt[0].exact else 0,
                -mt[0].score,
                order[mt[0].entry.key],
            ),  # fmt: skip
        )
        # Honest: a weak neighbour is not an answer (an unknown ID lists its
        # nearest IDs, labelled as such by the front ends).
        matches = [m for m, t in ranked if m.exact or m.score >= CONFIDENT or t == NEAREST_TIER
                   or (t == CLOSE_TIER and self._shares_enough(m))]  # fmt: skip
        matches = _pair_generations(matches, self.index, self.by_id)
        related = self.catalogue.related
        return Answer(
            query=query,
            matches=tuple(m.replace(related=tuple(e.label for e in related(m.entry)))
                          for m in matches[:limit]),  # fmt: skip
            unknown_id=self.unknown,
            did_you_mean=self.did_you_mean,
        )

    def _shares_enough(self, match: Match) -> bool:
        return match.score >= SHARED_FLOOR and (
            self.index.text.shared_weight(self._concepts, match.entry) >= SHARED_WEIGHT
        )

    @cached_property
    def _concepts(self) -> frozenset[str]:
        return self.index.text.weighed_concepts(self.text)

    def _http(self, status) -> list[Entry]:
        """The IIS answers a status names, the plain one first: one when the line
        gives its sc-win32-status, else every variant the query did not rule out."""
        if status.win32 is not None:
            found = self.catalogue.get(f"IIS:{status.id}:{status.win32}")
            if found is not None:
                return [found]
        prefix = f"{status.status}."
        found = [e for e in self.catalogue.entries if e.kind == "http" and e.id.startswith(prefix)
                 and (status.sub is None or e.id == status.id)]  # fmt: skip
        return sorted(found, key=lambda e: (e.win32 is not None, e.id != f"{prefix}0"))

    def _win32(self, digits: str) -> Entry | None:
        n = int(digits)
        entry = self.catalogue.get(win32_hresult(n)) if 0 < n < 0x10000 else None
        return entry if entry is not None and entry.kind == "hresult" else None

    def _loose_hex(self, reading) -> bool:
        """ "410" -> "did you mean 0x00000410?" when the catalogue has that code."""
        entry = self.catalogue.get(reading.loose_hex) if reading.loose_hex else None
        if entry is None or entry.kind not in ("code", "hresult"):
            return False
        self.did_you_mean = entry.id
        self.offer(entry, 70.0, False, NEAREST_TIER)
        return True

    def _bare_http(self, ident: str) -> bool:
        """A bare 4xx/5xx that is no event ("500", "403") is likeliest the IIS answer
        of that status: offered as a close match, below "did you mean 0x00000403?"."""
        found = self._http(HttpStatus(int(ident), None)) if ident[:1] in "45" else []
        if len(ident) != 3 or not found:
            return False
        best = self._likeliest(found)
        shared = tuple(e for e in found if e is not best)
        self.offer(best, BARE_HTTP_SCORE, False, NEAREST_TIER, shared=shared)
        return True

    def _likeliest(self, found: list[Entry]) -> Entry:
        """Of the entries one number names (sources sharing an event ID, variants of
        an IIS status), the one the rest of the query points at by the words only it
        has (its source, name, aliases, patterns); without a hint, the first (the
        connector's own event, the plain IIS status)."""
        if len(found) == 1:
            return found[0]
        words = set(fold(self.text).split()) - _GENERIC_WORDS
        own = [_source_words(e) for e in found]
        common = set.intersection(*own)
        hits = [len(words & (mine - common)) for mine in own]
        return found[max(range(len(found)), key=lambda i: (hits[i], -i))]


# What only says "this number is an ID" ("event 9", "Event ID: 9", "HTTP 502"): as
# free text "event" alone would find every entry that mentions an event.
_ID_WORDS = set(
    "event events evt eventid id code codes error errors err hresult diagnostic "
    "http status number no evenement erreur".split()
)
_GENERIC_WORDS = set("event id error microsoft windows log the a of for".split())


def _source_words(entry: Entry) -> set[str]:
    texts = [entry.provider or "", entry.name, *entry.aliases, *entry.patterns,
             *entry.keywords.en, *entry.keywords.fr]  # fmt: skip
    # Numbers are left out: the number the entries share says nothing between them.
    return {w for t in texts for w in fold(t).split() if not w.isdigit()} - _GENERIC_WORDS


def _pair_generations(matches: list[Match], index: Index, by_id: set[str]) -> list[Match]:
    """Answer a failure both connector generations log once, with both IDs.

    Only for answers the query did not pin to one generation by its ID: the
    counterpart is the other generation's event with the same operation and
    outcome, when there is exactly one (bot.catalogue_index.Index.counterpart).
    """
    out: list[Match] = []
    merged: set[str] = set()
    for m in matches:
        if m.entry.key in merged:
            continue
        other = index.counterpart(m.entry)
        if other is not None and m.entry.key not in by_id:
            merged.add(other.key)
            m = Match(m.entry, m.score, m.exact, m.shared, other)
        out.append(m)
    return out
