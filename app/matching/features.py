"""Pair features of the learned score: what two names (and two records) share, as numbers.

Each name is profiled once (:func:`profile_of`; the index keeps the profiles of listed names) into plain data that
pickles: its words, their spelling families (:func:`app.matching.names.fold`), their metaphone keys, the name
symbols `rigour`'s person-names corpus gives its words (a Wikidata name item shared by Aleksandr, Alexander and
Александр, by Serhiy and Serhii, by يوسف and Yusuf; read from :mod:`app.matching.name_symbols`; the corpus keeps
Oleksandr and Aleksandr apart) and its organization classes (OOO, LLC and "limited liability company" are one
class; AO, PAO, "aktsionernoe obshchestvo" and "joint stock company" another). A pair of profiles then gives
:data:`NAME_FEATURES`: the hand-built alignment of :func:`app.matching.names.compare_names` and what the
maintained libraries measure (rapidfuzz edit distances and token set/sort ratios, rigour's symbols and phonetic
keys). Candidates not shipped yet (:data:`COVERAGE_FEATURES`): which words of each name have no like in the
other and how rare the words are that agree or do not (how many listed names bear each word:
``data/word_frequency.json``, written by ``bench/train_matcher.py --word-frequency``): two names of a list that
differ by one word (NPP PRIMA / NPP GAMMA, RAGHAD / RANA SADDAM HUSSEIN) share their common words, and the rare
one is the one that tells them apart. The model (:mod:`app.matching.model`) weighs them; ``bench/train_matcher.py``
learns the weights.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler
from rigour.names import NamePartTag, NameTypeTag, analyze_names
from rigour.text import metaphone

from app.matching.name_symbols import person_name_spans
from app.matching.names import WEIGHT, NameForm

# The features of one (query name, listed name) pair, in the order the model's weights are stored.
NAME_FEATURES = (
    "name_alignment",  # compare_names: words aligned in any order by spelling family, skeleton, outline
    "name_token_sort",  # rapidfuzz token_sort_ratio of the words as written
    "name_token_set",  # rapidfuzz token_set_ratio of the spelling families (one name held in the other)
    "name_jaro_winkler",  # Jaro-Winkler of the sorted spelling families
    "name_word_weakest",  # of the shorter name's words, the one whose best Jaro-Winkler in the other name is lowest
    "name_word_mean",  # the mean of those best Jaro-Winkler similarities
    "name_phonetic_query",  # share of the query's words whose metaphone key the listed name has
    "name_phonetic_listed",  # share of the listed name's words whose metaphone key the query has
    "name_symbols_query",  # share of the query's words with a rigour name symbol the listed name has
    "name_symbols_listed",  # share of the listed name's words with a rigour name symbol the query has
    "org_class",  # +1 the same legal form class on both sides, -1 two different ones, 0 otherwise
    "word_count_gap",  # how many more words the longer name has
    "single_word",  # one side is a single word
    "weak_alias",  # the listed name is a weak alias (a nickname, a fragment)
    "cross_script",  # one name was read from Arabic script and the other not
)
# Candidate name features (issue 12, not in the shipped model: bench/README.md, "Boosted trees and word coverage").
# Appending them to NAME_FEATURES and ``*word_coverage(query, listed)`` to name_features' values is all a model
# trained with them needs; bench/train_matcher.py computes them for cached rows.
COVERAGE_FEATURES = (
    "listed_unmatched",  # share of the listed name's words with no like in the query (what a namesake differs by)
    "query_unmatched",  # share of the query's words with no like in the listed name
    "listed_unmatched_rarity",  # the same share weighted by how rare each listed word is among listed names
    "query_unmatched_rarity",  # the query's share weighted so
    "unmatched_rarest",  # how rare the rarest word is that has no like on the other side (PRIMA / GAMMA)
    "matched_rarity",  # how rare the listed words the query has are, together (ALI HASSAN tells little)
    "number_conflict",  # both names hold numbers, and not the same ones (LONG XING 628 / LONG XING 622)
)
# The features of the two records beside their names.
RECORD_FEATURES = ("birth_date", "nationality", "kind")
FEATURES = NAME_FEATURES + RECORD_FEATURES

_TYPE_TAG = {
    "person": NameTypeTag.PER,
    "organization": NameTypeTag.ORG,
    "other": NameTypeTag.ORG,
    "vessel": NameTypeTag.OBJ,
    "aircraft": NameTypeTag.OBJ,
}
_LIGHT = frozenset({NamePartTag.LEGAL, NamePartTag.STOP})


@dataclass(frozen=True, slots=True)
class NameProfile:
    """One name, reduced to what the pair features read (plain data: the index pickles it)."""

    words: str  # the words that carry identity, as written (normalized), space-separated
    folded: tuple[str, ...]  # their spelling families
    outlines: tuple[str, ...]  # their consonant outlines (what a word read from Arabic script is compared by)
    sorted_folded: str  # the spelling families sorted and joined
    phonetic_words: tuple[str, ...]  # metaphone keys of the words (of Latin letters)
    phonetic: frozenset[str]
    part_symbols: tuple[frozenset[str], ...]  # per rigour word, the name symbols covering it
    symbols: frozenset[str]
    org_classes: frozenset[str]
    abjad: bool
    word_count: int


@lru_cache(maxsize=100_000)
def profile_of(form: NameForm) -> NameProfile:
    """The profile of a parsed name (forms are interned by :func:`app.matching.names.parse_name`)."""
    heavy = [t for t in form.tokens if t.weight >= WEIGHT["generic"]] or list(form.tokens)
    folded = tuple(t.folded for t in heavy)
    phonetic_words = tuple(k for k in (metaphone(t.text) for t in heavy if not t.abjad) if k)
    part_symbols: list[frozenset[str]] = []
    org_classes: set[str] = set()
    tag = _TYPE_TAG.get(form.kind or "", NameTypeTag.PER)
    person = tag == NameTypeTag.PER
    # A person's name symbols come from the table of app.matching.name_symbols, not from rigour's person tagger,
    # whose automaton costs 10 s per process to build; the organization tagger is cheap and also gives classes.
    for name in analyze_names(tag, [form.original], symbols=not person):
        by_part: dict[int, set[str]] = {}
        if person:
            parts = name.parts
            for symbol, positions in person_name_spans([p.form for p in parts]):
                for position in positions:
                    by_part.setdefault(parts[position].index, set()).add(symbol)
        for span in name.spans:
            category = str(span.symbol.category).rpartition(".")[2]
            if category == "ORG_CLASS":
                org_classes.add(span.symbol.id)
            elif category == "NAME":
                for part in span.parts:
                    by_part.setdefault(part.index, set()).add(span.symbol.id)
        part_symbols = [frozenset(by_part.get(p.index, ())) for p in name.parts if p.tag not in _LIGHT]
        break
    return NameProfile(
        words=" ".join(t.text for t in heavy),
        folded=folded,
        outlines=tuple(t.coarse for t in heavy),
        sorted_folded=" ".join(sorted(folded)),
        phonetic_words=phonetic_words,
        phonetic=frozenset(phonetic_words),
        part_symbols=tuple(part_symbols),
        symbols=frozenset().union(*part_symbols) if part_symbols else frozenset(),
        org_classes=frozenset(org_classes),
        abjad=form.abjad,
        word_count=len(heavy),
    )


def _phonetic_share(a: NameProfile, b: NameProfile) -> float:
    if not a.phonetic_words:
        return 0.0
    return sum(1 for k in a.phonetic_words if k in b.phonetic) / len(a.phonetic_words)


def _symbol_share(a: NameProfile, b: NameProfile) -> float:
    if not a.part_symbols:
        return 0.0
    return sum(1 for s in a.part_symbols if s & b.symbols) / len(a.part_symbols)


def _word_agreement(query: NameProfile, listed: NameProfile) -> tuple[float, float]:
    """How well each word of the shorter name finds its like in the other: the weakest and the mean of their best
    Jaro-Winkler similarities (by outline when one name was read from Arabic script)."""
    if query.abjad or listed.abjad:
        a, b = query.outlines, listed.outlines
    else:
        a, b = query.folded, listed.folded
    if len(a) > len(b):
        a, b = b, a
    if not a or not b:
        return 0.0, 0.0
    best = [max(JaroWinkler.similarity(word, other) for other in b) for word in a]
    return min(best), sum(best) / len(best)


def name_features(
    query: NameProfile,
    listed: NameProfile,
    alignment: float,
    weak: bool,
) -> tuple[float, ...]:
    """The values of :data:`NAME_FEATURES` for one pair; ``alignment`` is compare_names' similarity."""
    if query.org_classes and listed.org_classes:
        org_class = 1.0 if query.org_classes & listed.org_classes else -1.0
    else:
        org_class = 0.0
    return (
        alignment,
        fuzz.token_sort_ratio(query.words, listed.words) / 100.0,
        fuzz.token_set_ratio(" ".join(query.folded), " ".join(listed.folded)) / 100.0,
        JaroWinkler.similarity(query.sorted_folded, listed.sorted_folded),
        *_word_agreement(query, listed),
        _phonetic_share(query, listed),
        _phonetic_share(listed, query),
        _symbol_share(query, listed),
        _symbol_share(listed, query),
        org_class,
        float(min(abs(query.word_count - listed.word_count), 3)),
        1.0 if min(query.word_count, listed.word_count) <= 1 else 0.0,
        1.0 if weak else 0.0,
        1.0 if query.abjad != listed.abjad else 0.0,
    )


# Two words are alike when their best Jaro-Winkler similarity reaches this (by spelling family, or by outline when
# one name was read from Arabic script): SERGEY / SERGEI, HUSSEIN / HUSSAIN are, ALI / AHMED are not.
WORD_ALIKE = 0.85
WORD_FREQUENCY_FILE = Path(__file__).resolve().parent / "data" / "word_frequency.json"


@cache
def _word_frequency() -> tuple[int, dict[str, int]]:
    """How many listed names (of every list of the sample data) bear each spelling family; families fewer than a
    few names bear are left out of the file (rare ones)."""
    data = json.loads(WORD_FREQUENCY_FILE.read_text(encoding="utf-8"))
    return int(data["names"]), data["names_with_word"]


def word_rarity(folded: str) -> float:
    """Inverse name frequency of a spelling family, in [0, 1]: 1 for a word few listed names bear."""
    names, with_word = _word_frequency()
    return math.log(names / (1 + with_word.get(folded, 0))) / math.log(names)


def _alike(
    words: tuple[str, ...],
    others: tuple[str, ...],
    outlines: tuple[str, ...],
    other_outlines: tuple[str, ...],
) -> list[bool]:
    """Per word, whether the other name has its like: a close spelling, or the same consonant outline, a leading
    letter aside (OLEKSANDR / ALEKSANDR, KATERYNA / YEKATERINA)."""
    bare = {o[1:] if len(o) > 3 else o for o in other_outlines} | set(other_outlines)
    return [
        any(JaroWinkler.similarity(w, o) >= WORD_ALIKE for o in others)
        or (len(outline) >= 3 and (outline in bare or outline[1:] in bare))
        for w, outline in zip(words, outlines, strict=True)
    ]


def _rarities(profile: NameProfile, words: tuple[str, ...]) -> list[float]:
    # a name read from Arabic script is compared by outlines, whose rarity is not counted: all count as rare
    if profile.abjad or len(profile.folded) != len(words):
        return [1.0] * len(words)
    return [word_rarity(w) for w in profile.folded]


def word_coverage(query: NameProfile, listed: NameProfile) -> tuple[float, ...]:
    """The values of :data:`COVERAGE_FEATURES`: which words of each name have no like in the other, how rare
    those are and the words the query has, whether numbers disagree."""
    if query.abjad or listed.abjad:
        q_words, l_words = query.outlines, listed.outlines
    else:
        q_words, l_words = query.folded, listed.folded
    numbers = _numbers(query), _numbers(listed)
    number_conflict = 1.0 if numbers[0] and numbers[1] and numbers[0] != numbers[1] else 0.0
    if not q_words or not l_words:
        return 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, number_conflict
    listed_found = _alike(l_words, q_words, listed.outlines, query.outlines)
    query_found = _alike(q_words, l_words, query.outlines, listed.outlines)
    listed_rarity = _rarities(listed, l_words)
    query_rarity = _rarities(query, q_words)
    listed_missing = [r for r, found in zip(listed_rarity, listed_found, strict=True) if not found]
    query_missing = [r for r, found in zip(query_rarity, query_found, strict=True) if not found]
    return (
        listed_found.count(False) / len(l_words),
        query_found.count(False) / len(q_words),
        sum(listed_missing) / (sum(listed_rarity) or 1.0),
        sum(query_missing) / (sum(query_rarity) or 1.0),
        max(listed_missing + query_missing, default=0.0),
        min(sum(r for r, found in zip(listed_rarity, listed_found, strict=True) if found), 3.0),
        number_conflict,
    )


def _numbers(profile: NameProfile) -> frozenset[str]:
    return frozenset(w for w in profile.folded if w.isdigit())


def name_features_after(query: NameProfile, listed: NameProfile, start: int) -> tuple[float, ...]:
    """The name features from index ``start`` on that the profiles alone give (for rows built before they were
    added: ``bench/train_matcher.py``): those of :data:`COVERAGE_FEATURES` that NAME_FEATURES holds."""
    first = (
        NAME_FEATURES.index(COVERAGE_FEATURES[0])
        if COVERAGE_FEATURES[0] in NAME_FEATURES
        else len(NAME_FEATURES)
    )
    if start < first:
        raise ValueError(f"name features before {NAME_FEATURES[first]} need the alignment")
    return word_coverage(query, listed)[start - first : len(NAME_FEATURES) - first]
