"""Pair features of the learned score: what two names (and two records) share, as numbers.

Each name is profiled once (:func:`profile_of`; the index keeps the profiles of listed names) into plain data that
pickles: its words (an East Slavic patronymic left out: lists give or omit them at will), their spelling families
(:func:`app.matching.names.fold`), their metaphone keys, the name symbols `rigour`'s person-names corpus gives its
words (a Wikidata name item shared by Aleksandr, Alexander and Александр, by Serhiy and Serhii, by يوسف and Yusuf;
read from :mod:`app.matching.name_symbols`; the corpus keeps Oleksandr and Aleksandr apart) and its organization
classes (OOO, LLC and "limited liability company" are one class; AO, PAO, "aktsionernoe obshchestvo" and "joint
stock company" another). A pair of profiles then gives :data:`NAME_FEATURES`: the hand-built alignment of
:func:`app.matching.names.compare_names`, what the maintained libraries measure (rapidfuzz edit distances and
token set/sort ratios, rigour's symbols and phonetic keys) and how rare the listed words are that the query has
(how many listed names bear each word: ``data/word_frequency.json``, written by ``bench/train_matcher.py
--word-frequency``): ALI HASSAN met tells little, GHAFFARIANANBERAN met tells much. The model
(:mod:`app.matching.model`) weighs them; ``bench/train_matcher.py`` learns the weights.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler
from rapidfuzz.process import extractOne
from rigour.names import NamePartTag, NameTypeTag, analyze_names
from rigour.text import metaphone

from app.matching.name_symbols import person_name_spans
from app.matching.names import NameForm, numbers_outside_brackets
from app.matching.tokens import WEIGHT, Token

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
    "matched_rarity",  # how rare the listed words the query has are, together (ALI HASSAN tells little)
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
    # those words' tokens: the keys of a search's word-pair similarities (compared by identity, so not in ==)
    tokens: tuple[Token, ...] = field(compare=False)
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
    # Kept so that the pair features, computed for every pair a search weighs, redo none of this per pair:
    joined_folded: str  # the spelling families joined in their order
    # per word, its rarity among listed names (all 1.0 when read from Arabic script)
    rarities: tuple[float, ...]
    outline_keys: frozenset[str]  # the outlines, and each long one less its first letter (see matched_rarity)
    numbers: frozenset[str]  # see numbers_outside_brackets and app.matching.score._number_conflict


@lru_cache(maxsize=100_000)
def profile_of(form: NameForm) -> NameProfile:
    """The profile of a parsed name (forms are interned by :func:`app.matching.names.parse_name`)."""
    # A Slavic patronymic is given or left out at will (PETROV, Aleksandr Ivanovich / Oleksandr Petrov): it does not
    # count among the words two names are compared by.
    heavy = [t for t in form.tokens if t.weight >= WEIGHT["generic"] and t.cls != "patronymic"] or list(
        form.tokens
    )
    optional = {t.text for t in form.tokens if t.cls == "patronymic"}
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
        part_symbols = [
            frozenset(by_part.get(p.index, ()))
            for p in name.parts
            if p.tag not in _LIGHT and p.form not in optional
        ]
        break
    outlines = tuple(t.coarse for t in heavy)
    return NameProfile(
        words=" ".join(t.text for t in heavy),
        tokens=tuple(heavy),
        folded=folded,
        outlines=outlines,
        sorted_folded=" ".join(sorted(folded)),
        phonetic_words=phonetic_words,
        phonetic=frozenset(phonetic_words),
        part_symbols=tuple(part_symbols),
        symbols=frozenset().union(*part_symbols) if part_symbols else frozenset(),
        org_classes=frozenset(org_classes),
        abjad=form.abjad,
        word_count=len(heavy),
        joined_folded=" ".join(folded),
        # a name read from Arabic script is compared by outlines, whose rarity is not counted: all count as rare
        rarities=(1.0,) * len(folded) if form.abjad else tuple(word_rarity(w) for w in folded),
        outline_keys=frozenset(o[1:] if len(o) > 3 else o for o in outlines) | frozenset(outlines),
        numbers=numbers_outside_brackets(form.original),
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
    best = [extractOne(word, b, scorer=JaroWinkler.similarity)[1] for word in a]
    return min(best), sum(best) / len(best)


_ALL_NAME_FEATURES = frozenset(range(len(NAME_FEATURES)))
# Indexes of the name features measured only when wanted (see name_features).
_TOKEN_SORT, _TOKEN_SET, _JARO_WINKLER, _WEAKEST, _MEAN = map(
    NAME_FEATURES.index,
    ("name_token_sort", "name_token_set", "name_jaro_winkler", "name_word_weakest", "name_word_mean"),
)
_PHONETIC_QUERY, _PHONETIC_LISTED, _SYMBOLS_QUERY, _SYMBOLS_LISTED, _MATCHED_RARITY = map(
    NAME_FEATURES.index,
    (
        "name_phonetic_query",
        "name_phonetic_listed",
        "name_symbols_query",
        "name_symbols_listed",
        "matched_rarity",
    ),
)

# The name features name_features measures whatever is wanted (cheap, read off the profiles).
_ALWAYS_MEASURED = frozenset(
    map(
        NAME_FEATURES.index,
        ("name_alignment", "org_class", "word_count_gap", "single_word", "weak_alias", "cross_script"),
    )
)


@cache
def measured_with(wanted: frozenset[int]) -> frozenset[int]:
    """The name features :func:`name_features` measures when these are wanted (remembered: a search asks for
    the model's selection with every entry it shortlists, and the model compiles its ceiling per answer)."""
    both = {_WEAKEST, _MEAN}
    return _ALWAYS_MEASURED | wanted | (both if wanted & both else frozenset())


def name_features(
    query: NameProfile,
    listed: NameProfile,
    alignment: float,
    weak: bool,
    wanted: frozenset[int] = _ALL_NAME_FEATURES,
    word_pairs: dict | None = None,
) -> tuple[float, ...]:
    """The values of :data:`NAME_FEATURES` for one pair; ``alignment`` is compare_names' similarity and
    ``word_pairs`` the word-pair similarities it found (its cache: {query token: {listed token: similarity}}).
    Only the features whose indexes are ``wanted`` are measured (and those measured with them: the weakest word
    and the mean are measured together), the others read 0.0: choosing an entry's name by a selection that weighs
    some features not at all, a search measures those for the chosen pair alone."""
    if query.org_classes and listed.org_classes:
        org_class = 1.0 if query.org_classes & listed.org_classes else -1.0
    else:
        org_class = 0.0
    if _WEAKEST in wanted or _MEAN in wanted:
        weakest, mean = _word_agreement(query, listed)
    else:
        weakest = mean = 0.0
    return (
        alignment,
        fuzz.token_sort_ratio(query.words, listed.words) / 100.0 if _TOKEN_SORT in wanted else 0.0,
        fuzz.token_set_ratio(query.joined_folded, listed.joined_folded) / 100.0
        if _TOKEN_SET in wanted
        else 0.0,
        JaroWinkler.similarity(query.sorted_folded, listed.sorted_folded) if _JARO_WINKLER in wanted else 0.0,
        weakest,
        mean,
        _phonetic_share(query, listed) if _PHONETIC_QUERY in wanted else 0.0,
        _phonetic_share(listed, query) if _PHONETIC_LISTED in wanted else 0.0,
        _symbol_share(query, listed) if _SYMBOLS_QUERY in wanted else 0.0,
        _symbol_share(listed, query) if _SYMBOLS_LISTED in wanted else 0.0,
        org_class,
        float(min(abs(query.word_count - listed.word_count), 3)),
        1.0 if min(query.word_count, listed.word_count) <= 1 else 0.0,
        1.0 if weak else 0.0,
        1.0 if query.abjad != listed.abjad else 0.0,
        matched_rarity(query, listed, word_pairs) if _MATCHED_RARITY in wanted else 0.0,
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


def matched_rarity(query: NameProfile, listed: NameProfile, word_pairs: dict | None = None) -> float:
    """How much the listed words the query has tell, together: the sum of their rarities (at most 3). A listed
    word the query has is one with a like there: a close spelling (Jaro-Winkler at least WORD_ALIKE), the same
    consonant outline, a leading letter aside (OLEKSANDR / ALEKSANDR, KATERYNA / YEKATERINA), or a word the
    name comparison found alike (``word_pairs``, its similarities: AL-GHAYSI / AL-QAYSI by a spelling rule,
    NUSRAH / النصرة through the glossary). Other measures of the words either side lacks (their share, their
    rarity, numbers that differ) were tried beside it and added nothing on dev (bench/README.md, "Boosted trees
    and word coverage")."""
    if query.abjad or listed.abjad:
        q_words, l_words = query.outlines, listed.outlines
    else:
        q_words, l_words = query.folded, listed.folded
    if not q_words or not l_words:
        return 0.0
    keys = query.outline_keys
    # A Latin name is not compared word by word with a listed name in Arabic script (compare._compare): the rows,
    # shared by every search, may hold such a pair from another comparison, which this one must not read.
    rows: list[dict] | None = None if word_pairs and not (listed.abjad and not query.abjad) else []
    total = 0.0
    for token, word, outline, rarity in zip(
        listed.tokens, l_words, listed.outlines, listed.rarities, strict=True
    ):
        # (no score_cutoff: rapidfuzz's cut-off rounds differently at the boundary, and 0.8500000000000001 counts)
        if (len(outline) >= 3 and (outline in keys or outline[1:] in keys)) or extractOne(
            word, q_words, scorer=JaroWinkler.similarity
        )[1] >= WORD_ALIKE:
            total += rarity
            continue
        if rows is None:  # the query words' rows of similarities, looked up once a listed word needs them
            rows = [word_pairs[t] for t in query.tokens if t in word_pairs]
        for row in rows:
            if row.get(token, 0.0) >= WORD_ALIKE:
                total += rarity
                break
    return min(total, 3.0)
