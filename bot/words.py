"""Words of a question and of the catalogue's texts, as the lookup compares them.

- `stem`: a deliberately crude English/French stemmer (fail/failed/failure -> fail);
- `STOPWORDS`: words that say nothing about which entry is meant;
- negation and outcome words: "won't start", "why did X fail" weigh the
  ranking towards failures instead of counting as plain words;
- message templates: an official text with inserts (%1, <server>, {0}) as
  its fixed fragments, found in order inside a pasted line.
"""

from __future__ import annotations

import re

from bot.normalize import fold

_SUFFIXES = ("ances", "ance", "ations", "ation", "ements", "ement", "ures", "ure",
             "ings", "ing", "ees", "ee", "ed", "es", "s", "e")  # fmt: skip


# Words whose stem would be another word's: French "registre" (registry) stemmed is
# "registr", which is English "registration" (the NDES registration authority).
_KEEP_WHOLE = frozenset({"registre", "registres"})


def stem(word: str) -> str:
    """A deliberately crude English/French stemmer: fail/failed/failure -> fail."""
    if word in _KEEP_WHOLE:
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


STOPWORDS = set(
    """a an the is are was were be been do does did why what how when where which who
    my our your its it this that these those to of in on for from with by at as or and
    no can could would should will i we you they me us there here
    le la les un une des du de d l est sont pourquoi quoi quel quelle quels comment
    quand ou et en sur pour par avec dans au aux ce cet cette ces mon ma mes notre
    nos votre vos il elle ils elles on nous vous je j qu que qui n s t y
    their them his her him any some all just also still so but if then than
    am has have had being into onto about over very much more most get got
    leur leurs ses son sa tout tous toute toutes mais si alors plus tres
    please help""".split()
)
# Conversational filler of questions typed as sentences ("I want to update ...",
# "do we need to ...", "it shows ...", "anymore"): rare in the catalogue's
# texts, so as plain words they would weigh like rare technical terms.
STOPWORDS |= set(
    """want wants wanted need needs needed seem seems seemed show shows showed shown
    say says said tell tells told anyone anybody someone somebody anymore anything
    something everything nothing whatever otherwise instead though although
    however since because really actually already even yet ever maybe perhaps
    kindly hi hello thanks thank regards guys everyone idea ideas anybody
    keep keeps kept try tried trying""".split()
)

# Words that name one hop of the chain (after stemming and synonyms): a question
# that names one hop is about that hop. NDES runs on IIS, so the two go together.
HOP_CONCEPTS = {"connector": "connector", "intun connector": "connector", "nde": "ndes",
                "certificat servic": "ca",  # Active Directory Certificate Services (paraphrases)
                "mscep": "ndes", "iis": "ndes", "w3wp": "ndes", "ca": "ca"}  # fmt: skip
HOP_FAMILIES = {"connector": {"connector"}, "ndes": {"ndes", "iis"}, "ca": {"ca"}}
OTHER_HOP_WEIGHT = 0.85  # an entry at another hop than the one the question names
# Words that name a device platform (stemmed): an entry whose names or keywords
# are about one platform is not the answer to a question about another ("Android
# devices get no certificate" is not the iPhone's Registration Authority message).
PLATFORM_CONCEPTS = {"android": "android", "aosp": "android", "ios": "apple", "iphon": "apple",
                     "ipad": "apple", "ipado": "apple", "maco": "apple", "mac": "apple",
                     "appl": "apple"}  # fmt: skip
OTHER_PLATFORM_WEIGHT = 0.8


# --- the index ----------------------------------------------------------------


FAIL, SUCCESS, NEUTRAL = "fail", "success", "neutral"
OUTCOME_WEIGHT = {
    FAIL: {"failure": 1.0, "retry": 0.85, "warning": 0.8, "success": 0.45, "info": 0.8},
    SUCCESS: {"success": 1.0, "info": 0.8, "warning": 0.6, "retry": 0.6, "failure": 0.5},
    NEUTRAL: {"failure": 1.0, "warning": 0.95, "retry": 0.9, "success": 0.85, "info": 0.85},
}


def runs(concepts: list[str]) -> list[tuple[str, ...]]:
    """Every contiguous run of 2-8 concepts of the question."""
    n = len(concepts)
    return [tuple(concepts[i:j]) for i in range(n) for j in range(i + 2, min(n, i + 8) + 1)]


NOT = "not"
# Folded words (fold() splits "won't" into "won" "t"; "can't" is expanded first).
NEGATION_WORDS = set(
    "not never cannot cant wont won doesnt doesn dont don didnt didn isnt isn "
    "wasnt wasn couldnt couldn unable impossible ne pas jamais".split()
)


def stems(text: str) -> list[str]:
    """A text's words as the index compares them, question and catalogue alike:
    folded, stop words dropped, stemmed, every negation one NOT."""
    out = [NOT if w in NEGATION_WORDS else stem(w)
           for w in fold(text).split() if w not in STOPWORDS]  # fmt: skip
    # "ne ... pas" and "won't" are one negation, not two
    return [w for i, w in enumerate(out) if not (w == NOT and NOT in out[max(0, i - 2) : i])]


def polarity(concepts: list[str], negated: bool = False) -> str:
    if negated:  # "won't start", "ne démarre pas": a failure, whatever the verb
        return FAIL
    has_fail = any(c in _FAIL_CONCEPTS for c in concepts)
    has_success = any(c in _SUCCESS_CONCEPTS for c in concepts)
    if has_fail and not has_success:
        return FAIL
    if has_success and not has_fail:
        return SUCCESS
    return NEUTRAL


_FAIL_CONCEPTS = {stem(w) for w in "fail failure failed error echec echoue erreur denied".split()}
_SUCCESS_CONCEPTS = {stem(w) for w in "success successful succeeded reussi reussite".split()}
POLARITY_CONCEPTS = _FAIL_CONCEPTS | _SUCCESS_CONCEPTS

_INSERT = re.compile(r"%\d+!?[\w.]*!?|<[^<>]{1,40}>|\{\d+\}")  # %1, %2!s!, <server>, {0}


def fragments(text: str) -> tuple[str, ...]:
    """A message text as its folded fixed parts, split at the inserts a log fills in."""
    return tuple(f for f in (fold(part) for part in _INSERT.split(text)) if f)


def in_order(folded: str, fragments: tuple[str, ...]) -> bool:
    """Are `fragments` in `folded` (padded with spaces), in order, on word boundaries?"""
    at = 0
    for fragment in fragments:
        found = folded.find(f" {fragment} ", at)
        if found < 0:
            return False
        at = found + len(fragment) + 1
    return True
