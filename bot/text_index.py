"""The free-text and name index of the catalogue: what lookup ranks with.

Built once per catalogue. IDs, names and patterns are indexed at once
(cheap); the free-text structures are built on the first question, so
`intune-bot lookup 20502` never pays for them.

- names: an entry name or alias, any case or spacing (exact), or with typos
  (rapidfuzz ratio on squashed names), or shortened by one word;
- patterns: message texts that identify an entry, found inside a question
  or a pasted log line, in bot.normalize.fold form (inserts such as %1 filled by anything);
- free text: the question's words reduced to concepts (stems plus the
  synonym groups of knowledge/synonyms.toml), scored like BM25 against each
  entry's name, keywords, aliases and descriptions, then weighed by outcome
  words so "why did X fail" puts the failure above its success twin.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import cached_property

from rapidfuzz import fuzz, process

from bot.knowledge import Catalogue, Entry
from bot.normalize import fold, split_name, squash
from bot.words import (
    HOP_CONCEPTS,
    HOP_FAMILIES,
    NEGATION_WORDS,
    NOT,
    OTHER_HOP_WEIGHT,
    OUTCOME_WEIGHT,
    POLARITY_CONCEPTS,
    STOPWORDS,
    fragments,
    in_order,
    polarity,
    runs,
    stem,
)

EXACT = 100.0
FUZZY_NAME_CUTOFF = 82.0  # rapidfuzz ratio on squashed names; below this a name is not "meant"
FREE_TEXT_CUTOFF = 0.22  # share of the question's weight an entry must cover
TYPO_CUTOFF = 84.0  # a question word this close to a known word is that word
NEAR = 0x40  # how far an unknown ID or code may be from the entries offered instead
PHRASE_BONUS = 0.5  # weight of the longest run of question words found in an entry's own text
IMPLICIT_PATTERN_WORDS = 5  # an official text this long, found whole in a query, names its entry
MIN_PATTERN_WORDS = 3  # the loader's floor for curated patterns (bot.entry_schema)

_IDENTIFIER = re.compile(r"\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9_]+|[a-z][A-Z][A-Za-z0-9_]*)\b")


class Index:
    """Everything the ranking needs, built once per catalogue."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.entries = catalogue.entries
        self.order = {e.key: i for i, e in enumerate(self.entries)}

    # names (built on the first question that could name one, not for "20502")

    @cached_property
    def names(self) -> dict[str, Entry]:
        names: dict[str, Entry] = {}
        for entry in self.entries:
            for name in (entry.name, *entry.aliases):
                key = squash(name)
                if key and key not in names and not key.isdigit():
                    names[key] = entry
        return names

    @cached_property
    def variants(self) -> dict[str, Entry]:
        """Names as people shorten them: "crpverify failure" for CRPVerifyMetric_Failure.
        Each name minus one of its words is a fuzzy candidate (never an exact one)."""
        variants: dict[str, Entry] = {}
        for entry in self.entries:
            words = split_name(entry.name).split()
            if len(words) >= 3:
                for i in range(len(words)):
                    key = squash(" ".join(words[:i] + words[i + 1 :]))
                    if key not in self.names:
                        variants.setdefault(key, entry)
        return variants

    @cached_property
    def name_keys(self) -> list[str]:
        return list(self.names)

    @cached_property
    def variant_keys(self) -> list[str]:
        return list(self.variants)

    # concepts

    @cached_property
    def concept(self) -> dict[tuple[str, ...], str]:
        """Stemmed phrase -> concept name (the synonym group's first term)."""
        mapping: dict[tuple[str, ...], str] = {}
        for group in self.catalogue.synonyms:
            head = " ".join(stem(w) for w in fold(group[0]).split())
            for term in group:
                words = tuple(stem(w) for w in fold(term).split())
                if words:
                    mapping.setdefault(words, head)
        self.max_phrase = max((len(k) for k in mapping), default=1)
        return mapping

    def concepts(self, text: str, correct_typos: bool = False) -> list[str]:
        concept = self.concept
        stems = [NOT if w in NEGATION_WORDS else stem(w)
                 for w in fold(text).split() if w not in STOPWORDS]  # fmt: skip
        # "ne ... pas" and "won't" are one negation, not two
        stems = [
            w for i, w in enumerate(stems) if not (w == NOT and NOT in stems[max(0, i - 2) : i])
        ]
        out: list[str] = []
        i = 0
        while i < len(stems):
            for size in range(min(self.max_phrase, len(stems) - i), 0, -1):
                head = concept.get(tuple(stems[i : i + size]))
                if head:
                    out.append(head)
                    i += size
                    break
            else:
                word = stems[i]
                # Typos are corrected only for words no synonym group knows,
                # so a real word ("émission") is never "corrected" into another.
                if correct_typos:
                    word = self._correct(word)
                    word = concept.get((word,), word)
                out.append(word)
                i += 1
        return out

    def _correct(self, word: str) -> str:
        if len(word) < 4 or word in self.idf or word.isdigit():
            return word
        known = self._corrections.get(word)
        if known is None:
            best = process.extractOne(
                word, self._by_initial.get(word[0], ()), scorer=fuzz.ratio,
                score_cutoff=TYPO_CUTOFF,
            )  # fmt: skip
            known = best[0] if best else word
            if len(self._corrections) < 20_000:  # people reuse words; hostile input may not
                self._corrections[word] = known
        return known

    @cached_property
    def _by_initial(self) -> dict[str, list[str]]:
        """The vocabulary by first letter: a typo keeps the word's first letter
        ("enrolment" -> "enrollment"); any word may otherwise become any other
        ("prevents" -> French "peuvent")."""
        out: dict[str, list[str]] = {}
        for word in self.vocabulary:
            out.setdefault(word[0], []).append(word)
        return out

    @cached_property
    def _corrections(self) -> dict[str, str]:
        return {}

    @cached_property
    def _text_index(self) -> tuple[list[Counter], list[set[tuple[str, ...]]]]:
        docs = [self._document(e) for e in self.entries]
        phrases = [self._phrases(e) for e in self.entries]
        return docs, phrases

    @property
    def docs(self) -> list[Counter]:
        return self._text_index[0]

    @property
    def phrases(self) -> list[set[tuple[str, ...]]]:
        return self._text_index[1]

    @cached_property
    def idf(self) -> dict[str, float]:
        n = len(self.docs)
        df = Counter(term for doc in self.docs for term in doc)
        return {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}

    @cached_property
    def vocabulary(self) -> list[str]:
        words = set(self.idf)
        words.update(w for key in self.concept for w in key)
        return sorted(words)

    @cached_property
    def _foreign_weight(self) -> float:
        """What an unknown word weighs: half the rarest known word's full weight."""
        return 0.5 * 3.0 * max(self.idf.values(), default=1.0)

    @cached_property
    def avg_len(self) -> float:
        return sum(sum(d.values()) for d in self.docs) / max(len(self.docs), 1)

    def _fields(self, entry: Entry) -> list[tuple[float, list[str]]]:
        return [
            (3.0, [split_name(entry.name), *map(split_name, entry.aliases)]),
            (2.0, [*entry.keywords.en, *entry.keywords.fr, *entry.patterns]),
            (1.0, [entry.operation.replace("_", " ")]),
            (0.6, [entry.description.en, entry.description.fr, *entry.other_wordings]),
        ]

    def _document(self, entry: Entry) -> Counter:
        """Weighted bag of concepts: names count most, long descriptions least."""
        doc: Counter = Counter()
        for weight, texts in self._fields(entry):
            seen: set[str] = set()
            for text in texts:
                for c in self.concepts(text):
                    if c not in seen:  # a field counts a concept once
                        seen.add(c)
                        doc[c] += weight
        return doc

    def _phrases(self, entry: Entry) -> set[tuple[str, ...]]:
        """Every contiguous run (2+ concepts) of every name, keyword and sentence."""
        runs: set[tuple[str, ...]] = set()
        for _, texts in self._fields(entry):
            for text in texts:
                for sentence in re.split(r"[.;:!?]\s", text):
                    seq = self.concepts(sentence)
                    for i in range(len(seq)):
                        for j in range(i + 2, min(len(seq), i + 8) + 1):
                            runs.add(tuple(seq[i:j]))
        return runs

    # generations

    @cached_property
    def _counterparts(self) -> dict[str, Entry]:
        """Legacy <-> current connector events that log the same failure: the one
        pair with the same operation and outcome (20102 PkcsCertIssue_Failure and
        1052 PkcsIssuedFailure), derived, never typed."""
        by_step: dict[tuple[str, str], dict[str, list[Entry]]] = {}
        for e in self.entries:
            if e.kind == "event" and e.generation in ("legacy", "current"):
                step = by_step.setdefault((e.operation, e.outcome), {})
                step.setdefault(e.generation, []).append(e)
        pairs: dict[str, Entry] = {}
        for gens in by_step.values():
            legacy, current = gens.get("legacy", []), gens.get("current", [])
            if len(legacy) == 1 and len(current) == 1:
                pairs[legacy[0].key], pairs[current[0].key] = current[0], legacy[0]
        return pairs

    def counterpart(self, entry: Entry) -> Entry | None:
        return self._counterparts.get(entry.key)

    # patterns

    @cached_property
    def patterns(self) -> list[tuple[tuple[str, ...], Entry, bool]]:
        """(folded fragments, entry, curated?) for every identifying message text.

        Curated `patterns` of the data, plus an entry's own official texts
        (description, its first sentence, other wordings) when they are long
        enough to mean one thing: "Access is denied" is everywhere, "The RPC
        server is unavailable" is one HRESULT. A message-table template
        ("cannot submit the certificate request (%1). %2") matches whatever
        fills its inserts: its fragments must appear in order.
        """
        out: list[tuple[tuple[str, ...], Entry, bool]] = []
        for entry in self.entries:
            seen: set[tuple[str, ...]] = set()
            for text in entry.patterns:
                seen.add(key := fragments(text))
                out.append((key, entry, True))
            official = [entry.description.en, *entry.other_wordings]
            official += [re.split(r"(?<=[.!?])\s", entry.description.en, maxsplit=1)[0]]
            for text in official:
                key = fragments(text)
                words = sum(len(f.split()) for f in key)
                if key and key not in seen and words >= IMPLICIT_PATTERN_WORDS:
                    seen.add(key)
                    out.append((key, entry, False))
        return out

    def found_patterns(self, query: str) -> list[tuple[Entry, int, bool]]:
        """Entries whose identifying text is inside `query`: (entry, words, curated)."""
        folded = f" {fold(query)} "
        if folded.count(" ") <= MIN_PATTERN_WORDS:  # shorter than any pattern ("20502")
            return []
        best: dict[str, tuple[Entry, int, bool]] = {}
        for key, entry, curated in self.patterns:
            if in_order(folded, key):
                size = sum(len(f.split()) for f in key)
                old = best.get(entry.key)
                if old is None or (curated, size) > (old[2], old[1]):
                    best[entry.key] = (entry, size, curated)
        return list(best.values())

    # tiers

    def by_name(self, query: str) -> list[tuple[Entry, float, bool]]:
        whole = squash(query)
        keys = {whole}
        # Inside a sentence only identifier-looking words (CRPVerifyMetric_Failure)
        # are names; otherwise "succès" would be taken for the code named Success.
        keys.update(squash(tok) for tok in _IDENTIFIER.findall(query))
        keys.discard("")
        if all(k.isdigit() for k in keys):
            return []  # no name is all digits, and a number is never a typo of one
        found = [(self.names[k], EXACT, True) for k in keys if k in self.names]
        if found:
            return found
        out = []
        for key in keys:
            if len(key) < 6:
                continue
            pools = [(self.names, self.name_keys, 0.95)]
            if key == whole:  # a shortened name is typed alone, not inside a sentence
                pools.append((self.variants, self.variant_keys, 0.93))
            for pool, keys_, weight in pools:
                for name, score, _ in process.extract(
                    key, keys_, scorer=fuzz.ratio, score_cutoff=FUZZY_NAME_CUTOFF, limit=3
                ):
                    out.append((pool[name], score * weight, False))
        return out

    @cached_property
    def postings(self) -> dict[str, list[tuple[int, float]]]:
        """concept -> [(entry index, its BM25 contribution)], so a question
        only touches the entries that share one of its concepts."""
        post: dict[str, list[tuple[int, float]]] = {}
        for i, doc in enumerate(self.docs):
            length = sum(doc.values())
            for c, tf in doc.items():
                # BM25 saturation, so one concept repeated in every field
                # cannot outweigh two different concepts.
                norm = tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / self.avg_len))
                post.setdefault(c, []).append((i, self.idf[c] * min(norm, 3.0)))
        return post

    @cached_property
    def run_owners(self) -> dict[tuple[str, ...], list[int]]:
        owners: dict[tuple[str, ...], list[int]] = {}
        for i, entry_runs in enumerate(self.phrases):
            for run in entry_runs:
                owners.setdefault(run, []).append(i)
        return owners

    def free_text(self, query: str) -> list[tuple[Entry, float]]:
        everything = self.concepts(query, correct_typos=True)
        concepts = [c for c in everything if c in self.idf]
        if not concepts:
            return []
        # A word the catalogue has never seen ("BitLocker") is part of the
        # question too: it lowers every entry's coverage, so a question about
        # something else does not ride on its one shared word ("key").
        foreign = len({c for c in everything if c not in self.idf and not c.isdigit()})
        negated = any(w in NEGATION_WORDS for w in fold(query).split())
        leaning = polarity(concepts, negated=negated)
        # Outcome words weigh the ranking below; as plain words they would make
        # the generic "Success" code the answer to every "did X succeed".
        scored = set(c for c in concepts if c not in POLARITY_CONCEPTS)
        if not scored:
            return []  # "errors" alone says nothing about which one
        possible = sum(self.idf[c] * 3.0 for c in scored) + foreign * self._foreign_weight
        scores: dict[int, float] = {}
        for c in scored:
            for i, contribution in self.postings.get(c, ()):
                scores[i] = scores.get(i, 0.0) + contribution
        # Words in the entry's own order ("RPC server is unavailable") say more
        # than the same words scattered: credit the longest shared run.
        longest: dict[int, int] = {}
        for run in runs(concepts):
            for i in self.run_owners.get(run, ()):
                if len(run) > longest.get(i, 0):
                    longest[i] = len(run)
        weights = OUTCOME_WEIGHT[leaning]
        named_hops = {HOP_CONCEPTS[c] for c in concepts if c in HOP_CONCEPTS}
        family = HOP_FAMILIES[named_hops.pop()] if len(named_hops) == 1 else None
        results = []
        for i, score in scores.items():
            entry = self.entries[i]
            coverage = score / possible + PHRASE_BONUS * longest.get(i, 0) / len(concepts)
            coverage *= weights.get(entry.outcome, 1.0)
            if family and entry.hop and entry.hop not in family:
                coverage *= OTHER_HOP_WEIGHT
            if coverage >= FREE_TEXT_CUTOFF:
                results.append((entry, min(90.0, 40.0 + 40.0 * coverage)))
        return results

    def nearest(self, ident: str) -> list[tuple[Entry, float]]:
        """Entries numerically closest to an unknown ID or code, same kind."""
        if ident.startswith("0x"):
            value = int(ident, 16)
            pool = [e for e in self.entries if e.kind in ("code", "hresult")]
            dist = {e.id: abs(int(e.id, 16) - value) for e in pool}
        else:
            value = int(ident)
            pool = [e for e in self.entries if e.kind == "event"]
            dist = {e.id: abs(int(e.id) - value) for e in pool}
        # Only neighbours worth a look: 20503 -> 20502, 0x412 -> 0x411; 99999 -> nothing.
        close = sorted((e for e in pool if dist[e.id] <= NEAR), key=lambda e: dist[e.id])
        return [(e, 30.0 - i) for i, e in enumerate(close[:3])]


_INDEXES: dict[int, tuple[Catalogue, Index]] = {}


def index_for(catalogue: Catalogue) -> Index:
    # Keyed by identity: hashing a frozen catalogue would walk every entry per query.
    cached = _INDEXES.get(id(catalogue))
    if cached is None or cached[0] is not catalogue:
        cached = _INDEXES[id(catalogue)] = (catalogue, Index(catalogue))
    return cached[1]
