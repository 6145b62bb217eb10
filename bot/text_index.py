"""The free-text index of the catalogue: questions ranked by their words.

The question's words reduced to concepts (stems plus the synonym groups of
knowledge/synonyms.toml), scored like BM25 against each entry's name,
keywords, aliases and descriptions, with a bonus for the longest run of
question words found in an entry's own text, then weighed by outcome words
so "why did X fail" puts the failure above its success twin. Built on the
first free-text question (bot.catalogue_index).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import cached_property

from rapidfuzz import fuzz, process

from bot.catalogue_cache import derived
from bot.knowledge import Catalogue, Entry
from bot.normalize import fold, split_name
from bot.words import (
    HOP_CONCEPTS,
    HOP_FAMILIES,
    NEGATION_WORDS,
    OTHER_HOP_WEIGHT,
    OTHER_PLATFORM_WEIGHT,
    OUTCOME_WEIGHT,
    PLATFORM_CONCEPTS,
    POLARITY_CONCEPTS,
    polarity,
    runs,
    stem,
    stems,
)

FREE_TEXT_CUTOFF = 0.22  # share of the question's weight an entry must cover
TYPO_CUTOFF = 84.0  # a question word this close to a known word is that word
PHRASE_BONUS = 0.5  # weight of the longest run of question words found in an entry's own text
# A question longer than LONG_QUESTION concepts tells its context too (versions, what
# was tried): no entry covers all of it, so the share to cover shrinks, gently.
LONG_QUESTION, LONG_QUESTION_EASE = 8, 0.3
NAMED_FIELD = 2.0  # a concept this heavy in an entry's document is in its names or keywords


def _restore(plain: tuple) -> tuple[list[Counter], list[set[tuple[str, ...]]]]:
    docs, phrases = plain
    if len(docs) != len(phrases):
        raise ValueError("not a text index")
    return [Counter(d) for d in docs], [set(p) for p in phrases]


class TextIndex:
    """Concepts, their BM25 postings and phrase runs, for one catalogue."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.entries = catalogue.entries

    # concepts

    @cached_property
    def concept(self) -> dict[tuple[str, ...], str]:
        """Stemmed phrase -> concept name (the synonym group's first term)."""
        mapping: dict[tuple[str, ...], str] = {}
        for group in self.catalogue.synonyms:
            head = " ".join(stem(w) for w in fold(group[0]).split())
            for term in group:
                # A term is read like a question ("can't reach" is not + reach,
                # "autorité de certification" loses its "de"), or a term with a
                # stop word or a negation in it could never be met.
                words = tuple(stems(term))
                if words:
                    mapping.setdefault(words, head)
        self.max_phrase = max((len(k) for k in mapping), default=1)
        return mapping

    def concepts(self, text: str, correct_typos: bool = False) -> list[str]:
        concept = self.concept
        words = stems(text)
        out: list[str] = []
        i = 0
        while i < len(words):
            for size in range(min(self.max_phrase, len(words) - i), 0, -1):
                head = concept.get(tuple(words[i : i + size]))
                if head:
                    out.append(head)
                    i += size
                    break
            else:
                word = words[i]
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
                word, self._by_initial.get(word[:2], ()), scorer=fuzz.ratio,
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
            out.setdefault(word[:2], []).append(word)
        return out

    @cached_property
    def _corrections(self) -> dict[str, str]:
        return {}

    @cached_property
    def _text_index(self) -> tuple[list[Counter], list[set[tuple[str, ...]]]]:
        # ~130 ms to build, ~7 ms to load: kept beside the catalogue's cache.
        return derived(self.catalogue, "text_index", self._build, _restore)

    def _build(self) -> tuple[tuple[dict, ...], tuple[set[tuple[str, ...]], ...]]:
        docs = tuple(dict(self._document(e)) for e in self.entries)
        return docs, tuple(self._phrases(e) for e in self.entries)

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
        possible *= min(1.0, LONG_QUESTION / (len(scored) + foreign)) ** LONG_QUESTION_EASE
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
        hop_words = {c for c in concepts if c in HOP_CONCEPTS}
        named_hops = {HOP_CONCEPTS[c] for c in hop_words}
        family = HOP_FAMILIES[named_hops.pop()] if len(named_hops) == 1 else None
        platforms = {PLATFORM_CONCEPTS[c] for c in concepts if c in PLATFORM_CONCEPTS}
        entry_platforms = self.platforms if platforms else {}
        results = []
        for i, score in scores.items():
            entry = self.entries[i]
            coverage = score / possible + PHRASE_BONUS * longest.get(i, 0) / len(concepts)
            coverage *= weights.get(entry.outcome, 1.0)
            # "The CA is offline" names the CA, but the connector's code for an
            # unreachable CA (its name and keywords say "CA") is as much the answer.
            if family and entry.hop and entry.hop not in family and not any(
                self.docs[i].get(c, 0.0) >= NAMED_FIELD for c in hop_words
            ):
                coverage *= OTHER_HOP_WEIGHT
            if (only := entry_platforms.get(i)) and not only & platforms:
                coverage *= OTHER_PLATFORM_WEIGHT
            if coverage >= FREE_TEXT_CUTOFF:
                results.append((entry, min(90.0, 40.0 + 40.0 * coverage)))
        return results

    @cached_property
    def platforms(self) -> dict[int, set[str]]:
        """entry index -> the device platforms its names or keywords are about."""
        out: dict[int, set[str]] = {}
        for i, doc in enumerate(self.docs):
            named = {p for c, p in PLATFORM_CONCEPTS.items() if doc.get(c, 0.0) >= NAMED_FIELD}
            if named:
                out[i] = named
        return out

    def weighed_concepts(self, query: str) -> frozenset[str]:
        """The question's concepts that weigh in free text (outcome words aside)."""
        return frozenset(self.concepts(query, correct_typos=True)) - POLARITY_CONCEPTS

    def shared_weight(self, concepts: frozenset[str], entry: Entry) -> float:
        """The idf weight of the question's `concepts` that `entry`'s document has:
        how much, not what share, the two have in common."""
        doc = self.docs[self._position[entry.key]]
        return sum(self.idf[c] for c in concepts if c in doc)

    def weight_beyond(self, concepts: frozenset[str], entry: Entry, other: Entry) -> float:
        """The idf weight of the question's `concepts` that `entry`'s document has
        and `other`'s lacks: what `entry` explains that `other` does not."""
        docs = self.docs
        mine, theirs = docs[self._position[entry.key]], docs[self._position[other.key]]
        return sum(self.idf[c] for c in concepts if c in mine and c not in theirs)

    @cached_property
    def _position(self) -> dict[str, int]:
        return {e.key: i for i, e in enumerate(self.entries)}
