"""Comparing two parsed names: align their words in any order and score the alignment.

Word pairs agree by spelling, spelling family, skeleton, outline (for words read from Arabic script), translation
or a small edit distance; words one name lacks cost by their class (a title or legal form little, a given name
more). The result, :func:`compare_names`'s similarity, is the hand-built ``name_alignment`` feature of the learned
score (:mod:`app.matching.features`); the tables it reads are in ``app/matching/data/words.json``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from app.matching.names import NON_PERSON_KINDS, PERSON_KINDS, NameForm, number_value
from app.matching.normalize import SWALLOWS_H, fold, letters_before_folding, singular
from app.matching.tokens import (
    EXACT_ONLY_CLASSES,
    FIRST_LETTER_SWAPS,
    WEIGHT,
    Token,
    abbreviates,
    make_token,
    name_symbols,
    territory,
)
from app.matching.wordlists import WORDS

# ---------------------------------------------------------------------------------------------------------------
# Comparing


def token_similarity(a: Token, b: Token) -> float:
    """Similarity of two tokens in [0, 1]: 1 for the same spelling, ~0.95 for the same spelling family."""
    if a is b or a.text == b.text:
        return 1.0
    if a.text.isdecimal() or b.text.isdecimal():
        # A number is the same number or another: 7876 and 7877 are two vessels, not one misspelt.
        return (
            1.0
            if a.text.isdecimal() and b.text.isdecimal() and number_value(a.text) == number_value(b.text)
            else 0.0
        )
    translated = 0.0
    if _SYNONYMS.get(a.text, a.text) == _SYNONYMS.get(b.text, b.text):
        return TRANSLATION_MATCH
    place = territory(a.text)
    if place is not None and place == territory(b.text):
        return TRANSLATION_MATCH  # one country in two languages: SCHWEIZ, SWITZERLAND
    if (b.cls == "generic" and a.cls in _ABBREVIATING_CLASSES and abbreviates(a.text, b.text)) or (
        a.cls == "generic" and b.cls in _ABBREVIATING_CLASSES and abbreviates(b.text, a.text)
    ):
        return ABBREVIATION_MATCH  # a company's generic word cut short: SHPG, MGMT, TECH
    if a.gloss or b.gloss:
        translated = max(_translation_similarity(a, b), _translation_similarity(b, a))
        if translated >= TRANSLATION_MATCH:
            return translated
    if a.cls in EXACT_ONLY_CLASSES or b.cls in EXACT_ONLY_CLASSES:
        return translated  # connectors, stopwords, legal forms count only spelled alike ("bin", "of", "ltd")
    best = max(_token_similarity(a, b), translated)
    if (
        best < SYMBOL_MATCH
        and not a.abjad
        and not b.abjad
        and not name_symbols(a.text).isdisjoint(name_symbols(b.text))
    ):
        # one name in two languages, as rigour's person-names corpus has it: Uladzimir/Vladimir
        best = SYMBOL_MATCH
    # An attached article ("alfayyadh" against "fayyadh") costs a little, the rest compares as usual.
    if a.bare is not None:
        best = max(best, 0.98 * _token_similarity(a.bare, b))
    if b.bare is not None:
        best = max(best, 0.98 * _token_similarity(a, b.bare))
        if a.bare is not None:
            best = max(best, _token_similarity(a.bare, b.bare))
    return best


_COUNTRIES = frozenset(WORDS["countries"])

# Words that name one thing however written: the Islamic State's acronyms; a country and its adjective, which
# organization names use in turn ("IRAN'S REVOLUTIONARY GUARDS", "THE IRANIAN REVOLUTIONARY GUARDS").
_SYNONYMS = WORDS["synonyms"]
# A word and its translation ("جبهة" and "Front") agree as closely as two spellings of one word.
TRANSLATION_MATCH = 0.95
# A generic word of a company's name and a word cut from it (see tokens.abbreviates) agree a little less than two
# spellings of one word: the cut may stand for another word.
ABBREVIATION_MATCH = 0.9
_ABBREVIATING_CLASSES = frozenset({"word", "generic"})
# Two words that rigour's person-names corpus gives one name item (Uladzimir, Vladimir) agree a little less.
SYMBOL_MATCH = 0.85


def _translation_similarity(a: Token, b: Token) -> float:
    best = 0.0
    for word in a.gloss:
        if word.text == b.text:
            return TRANSLATION_MATCH
        if not b.abjad and b.cls not in EXACT_ONLY_CLASSES:
            best = max(best, TRANSLATION_MATCH * _token_similarity(word, b))
    return best


def _same_word_otherwise(a: str, b: str) -> bool:
    """Spellings fold() keeps apart but that write one word: an English plural (FORCES/FORCE, GUARDS/GUARD), a
    Persian q or gh (both one sound in Persian: Asghar/Asqar, Naghdi/Naqdi), a swapped first letter (the spelling
    alternations are told by _alternation_agrees)."""
    if (
        len(a) >= 4
        and len(b) >= 4
        and a[:3] == b[:3]
        and -2 <= len(a) - len(b) <= 2
        and singular(a) == singular(b)
    ):
        return True
    if (("gh" in a and "q" in b) or ("q" in a and "gh" in b)) and fold(a.replace("gh", "q")) == fold(
        b.replace("gh", "q")
    ):
        return True
    return a[0] != b[0] and (a[0], b[0]) in FIRST_LETTER_SWAPS and fold(a[1:]) == fold(b[1:])


def _alternation_agrees(a: Token, b: Token) -> bool:
    """Whether a spelling alternation, or all of them together, makes two words one spelling family
    (tokens.SPELLING_ALTERNATIONS: Djordjevic/Dordevic, Yelena/Elena, Rida/Reza, Radzkou/Radkov)."""
    xa, xb = a.alternates, b.alternates
    if xa is None and xb is None:
        return False
    plain_a, plain_b = fold(a.text), fold(b.text)
    for i in range(len(xa if xa is not None else xb)):
        x = xa[i] if xa is not None else None
        y = xb[i] if xb is not None else None
        if (x is not None or y is not None) and (plain_a if x is None else x) == (
            plain_b if y is None else y
        ):
            return True
    return False


def _token_similarity(a: Token, b: Token) -> float:
    if a.text == b.text:
        return 1.0
    if a.cls == "initial" or b.cls == "initial":
        return 0.9 if a.text[0] == b.text[0] else 0.0
    if a.abjad or b.abjad:
        latin = b if a.abjad else a
        if not latin.abjad and not any(v in latin.folded for v in "aui"):
            # A Latin word without a vowel is an acronym ("KCST", "RIHS"): its letters are not a consonant outline.
            return 0.0
        # Only the consonant outline is comparable; short outlines agree by chance more often.
        if a.coarse == b.coarse or (a.coarse_alt or b.coarse_alt) in (a.coarse, b.coarse):
            outline = _OUTLINE_MATCH[min(len(latin.coarse), 3)]
            return LONG_VOWEL_MISMATCH * outline if _long_u_unwritten(a, b) else outline
        if a.coarse.rstrip("h") == b.coarse.rstrip("h"):
            return 0.88  # a final h the other script does not write: Mullah/ملا, Fatimah/فاطمة
        arabic, latin = (a, b) if a.abjad else (b, a)
        if "j" in arabic.coarse and not latin.abjad and arabic.coarse.replace("j", "k") == latin.coarse:
            # Egyptian speech says ج as a hard g: رجب is RAGAB, جمال GAMAL
            return EGYPTIAN_G_MATCH * _OUTLINE_MATCH[min(len(a.coarse), 3)]
        if len(a.coarse) >= 3 and a.coarse.replace("h", "") == b.coarse.replace("h", ""):
            # an h the Latin spelling writes elsewhere or not at all: چوہدری is CHAUDHRY
            return 0.8 * _OUTLINE_MATCH[3]
        # One consonant apart in a long outline only: in four letters one other consonant is another name
        # (محمدی, Mohammadi, is not AHMADI).
        sim = Levenshtein.normalized_similarity(a.coarse, b.coarse)
        return 0.8 * sim if sim >= 0.8 else 0.0
    text_sim = Levenshtein.normalized_similarity(a.text, b.text)
    if a.folded != b.folded and (_same_word_otherwise(a.text, b.text) or _alternation_agrees(a, b)):
        return 0.85 + 0.15 * text_sim * text_sim
    if a.folded == b.folded or (
        # Ukrainian writes h where Russian writes g: Serhiy/Sergey, Ihor/Igor, Hubareva/Gubareva (but a "gh" is
        # its own sound: Ghassan is not Hassan).
        "h" in a.folded + b.folded
        and a.folded.replace("h", "g") == b.folded.replace("h", "g")
        and "gh" not in a.text
        and "gh" not in b.text
    ):
        # One spelling family (Falih/Faleh, Qasim/Kassem); the more the letters differ, the less certain.
        return 0.85 + 0.15 * text_sim * text_sim
    folded_sim = Levenshtein.normalized_similarity(a.folded, b.folded)
    if a.skeleton == b.skeleton and len(a.skeleton) >= 3:
        # Same consonants, other vowels: Hassan/Hussein are two names; the more consonants agree, the likelier
        # one name (Hizballah/Hezbollah, Lukashenko/Lukashenka).
        return 0.62 + 0.03 * min(len(a.skeleton) - 3, 3) + 0.3 * folded_sim * folded_sim
    if len(a.skeleton) < 3 or len(b.skeleton) < 3:
        # In short words the vowels are most of the word (Mario, Mayra).
        sim = 0.75 * folded_sim + 0.25 * text_sim
    else:
        # Consonants carry a name's identity more than vowels do (Fayyaz is not Fayyad).
        skeleton_sim = Levenshtein.normalized_similarity(a.skeleton, b.skeleton)
        sim = 0.45 * folded_sim + 0.15 * text_sim + 0.4 * skeleton_sim
    # "Abd" fused with a divine name: the name proper begins after it (Abd al-Khaliq is not Abd al-Malik).
    head = 3 if a.skeleton.startswith("abd") and b.skeleton.startswith("abd") else 0
    first_a, first_b = a.skeleton[head : head + 1], b.skeleton[head : head + 1]
    # One letter whose sound the next vowel changes is one first letter: Cazarez/Cezarez.
    same_c = a.text[0] == b.text[0] == "c"
    if (
        first_a != first_b
        and _FIRST_LETTER_CLASS.get(first_a, first_a) != _FIRST_LETTER_CLASS.get(first_b, first_b)
        and not same_c
    ):
        # Transliterations rarely change a name's first sound: Faleh and Saleh are two names.
        sim *= 0.75
    # What folding does not explain is a real difference: only near-identical words stay close.
    sim = 0.9 - 2.0 * (0.9 - sim) if sim < 0.9 else sim
    return sim if sim >= 0.5 else 0.0


def _may_agree(a: Token, b: Token, bounds: tuple[float, float, float] | None = None) -> bool:
    """False only when ``token_similarity(a, b)`` is certainly below MIN_PAIR, told without computing it: most
    word pairs a search meets share nothing (MUHAMMAD / HASSAN). Either word without a sieve (see tokens._sieve_of)
    is compared in full. A word with an attached article ("alfayyadh") is compared with and without it (the
    bare word at 0.98, which only lowers): each such pair is sieved. ``bounds``: those of another minimum than
    MIN_PAIR (_JOIN_BOUNDS)."""
    sa = a.sieve
    sb = b.sieve
    if sa is None or sb is None:
        return True
    if _sieves_agree(sa, sb, bounds):
        return True
    if a.bare is None and b.bare is None:
        return False
    for x in (a, a.bare) if a.bare is not None else (a,):
        for y in (b, b.bare) if b.bare is not None else (b,):
            if x is a and y is b:
                continue
            if x.sieve is None or y.sieve is None or _sieves_agree(x.sieve, y.sieve, bounds):
                return True
    return False


def _sieves_agree(sa: tuple, sb: tuple, bounds: tuple[float, float, float] | None = None) -> bool:
    """Whether two plain Latin words may reach MIN_PAIR in ``_token_similarity``: two words one of its special
    rules may join share a key (same spelling family up to h/g, same singular, q for gh, first letters swapped,
    same skeleton). The other pairs take its general formula, which reaches MIN_PAIR only from a weighted
    similarity of 0.75 (before stretching; the first letter's factor only lowers it). Each normalized edit
    distance in it is at least the length difference, and at least the number of letters one word has that the
    other lacks, over the longer length: each similarity is bounded from above so. ``bounds``: the weighted
    similarity to reach and the lowest spelling-family similarity that may (short words, long words); by default
    those of MIN_PAIR."""
    keys_a, folded_a, not_folded_a, lf_a, text_a, not_text_a, lt_a, skeleton_a, not_skeleton_a, ls_a = sa
    keys_b, folded_b, not_folded_b, lf_b, text_b, not_text_b, lt_b, skeleton_b, not_skeleton_b, ls_b = sb
    if not keys_a.isdisjoint(keys_b):
        return True
    general_min, short_f_min, long_f_min = _PAIR_BOUNDS if bounds is None else bounds
    # the lower bound of the spelling families' edit distance: letters one lacks, length difference (the same bound
    # is written out below for the words as written and their skeletons rather than called: this runs for every
    # word pair a search weighs, where a call costs more than the bound)
    d = (folded_a & not_folded_b).bit_count()
    x = (folded_b & not_folded_a).bit_count()
    if x > d:
        d = x
    x = lf_a - lf_b
    if x > d:
        d = x
    elif -x > d:
        d = -x
    f = 1.0 - d / (lf_a if lf_a > lf_b else lf_b)
    short = ls_a < 3 or ls_b < 3
    # with the other similarities at 1 at most: 0.75 f + 0.25 < 0.75, or 0.45 f + 0.15 + 0.4 < 0.75
    if f < (short_f_min if short else long_f_min):
        return False
    d = (text_a & not_text_b).bit_count()
    x = (text_b & not_text_a).bit_count()
    if x > d:
        d = x
    x = lt_a - lt_b
    if x > d:
        d = x
    elif -x > d:
        d = -x
    t = 1.0 - d / (lt_a if lt_a > lt_b else lt_b)
    if short:
        return 0.75 * f + 0.25 * t >= general_min
    d = (skeleton_a & not_skeleton_b).bit_count()
    x = (skeleton_b & not_skeleton_a).bit_count()
    if x > d:
        d = x
    x = ls_a - ls_b
    if x > d:
        d = x
    elif -x > d:
        d = -x
    s = 1.0 - d / (ls_a if ls_a > ls_b else ls_b)
    return 0.45 * f + 0.15 * t + 0.4 * s >= general_min


_OUTLINE_MATCH = (0.0, 0.8, 0.9, 0.93)
EGYPTIAN_G_MATCH = 0.95
# A long vowel that Arabic script writes and the Latin word has not: محمود (Mahmud) is not Mohammed.
LONG_VOWEL_MISMATCH = 0.6


_SLOT_VOWELS = {"a": "a", "e": "a", "i": "a", "y": "a", "o": "u", "u": "u", "w": "u", "v": "u"}


def _vowel_slots(letters: str) -> list[str]:
    """The vowels after each consonant of a word's consonant outline (see coarse_of): slot k holds what follows
    its k-th consonant (u for o, u and w; a for the others), the first slot what follows the leading letter."""
    slots: list[str] = []
    for i, ch in enumerate(letters):
        if i == 0:
            slots.append("")
            continue
        if ch in _SLOT_VOWELS:
            slots[-1] += _SLOT_VOWELS[ch]  # a semivowel is no consonant of the outline either
        elif ch == letters[i - 1] or (ch == "h" and letters[i - 1] in SWALLOWS_H):
            continue  # a doubled letter; an h swallowed as in coarse_of
        else:
            slots.append("")
    return slots


def _long_u_unwritten(a: Token, b: Token) -> bool:
    """Whether a word read from Arabic script has a long u (a و read as a vowel) where the Latin word, of the same
    outline, has no o, u or w."""
    arabic, latin = (a, b) if a.abjad else (b, a)
    if latin.abjad or "u" not in arabic.folded[1:]:
        return False
    arabic_slots, latin_slots = _vowel_slots(arabic.folded), _vowel_slots(letters_before_folding(latin.text))
    if len(arabic_slots) != len(latin_slots):
        return False
    return any(
        "u" in mine and "u" not in theirs for mine, theirs in zip(arabic_slots, latin_slots, strict=True)
    )


_GENERIC_WEIGHT = WEIGHT["generic"]

# First sounds that transliterations swap: Gamal/Jamal, Gim/Kim, Tsoi/Coi/Zoi, Yusuf/Jusuf.
# Qaddafi/Gaddafi/Kadhafi: the qaf is a g in Libyan and Gulf speech, so g, j, k (and q, folded to k) are one class.
_FIRST_LETTER_CLASS = {"g": "k", "j": "k", "k": "k", "z": "z", "s": "s", "y": "k", "t": "t", "d": "t"}

# Words of one name that the other lacks. When only one side has such words, one name is a shorter form of the
# other (lists give more or fewer given names and patronymics than a brief): each costs OMISSION_COST of its
# weight. When both sides have words the other lacks, the names disagree: each costs CONFLICT_COST.
OMISSION_COST_QUERY = 0.5
OMISSION_COST_ENTRY = 0.4
CONFLICT_COST = 0.8
# An organization's extra word is more often what tells it from its parent or namesake ("ISLAMIC STATE ... -
# KHORASAN" is a branch of ISIL) than a person's extra given name is.
ORG_OMISSION_FACTOR = 1.25
# What the words one name adds to the other cost at most, when the shorter name is all in the longer one and shares
# a rare word with it (see compare_names).
RARE_CONTAINED_OMISSION = 0.5
# An organization's name held in a longer one is the same organization only when few words are added: "LASHKAR E
# JHANGVI AL-ALAMI" is LASHKAR E JHANGVI, "IRGC ELECTRONIC WARFARE AND CYBER DEFENSE ORGANIZATION" one of its parts.
ORG_CONTAINED_MAX_EXTRA = 2
# A name whose first given name stands where the other has a later one (see _lead_shifted) is discounted so.
LEAD_SHIFT_FACTOR = 0.85
# Pairs below this similarity are not aligned at all.
MIN_PAIR = 0.6
# The weighted similarity of _token_similarity's general formula that stretches to MIN_PAIR (0.9 - 2 (0.9 - x) =
# 0.6), less a margin for rounding: _may_agree lets every pair at or above it through.
_GENERAL_MIN = (0.9 + MIN_PAIR) / 2 - 1e-9
_SHORT_F_MIN = (_GENERAL_MIN - 0.25) / 0.75
_LONG_F_MIN = (_GENERAL_MIN - 0.55) / 0.45
_PAIR_BOUNDS = (_GENERAL_MIN, _SHORT_F_MIN, _LONG_F_MIN)
# A name that agrees on a single informative word out of several scores at most this.
SINGLE_WORD_CAP = 0.62
# A person's name of a single informative word, against another such name, scores at most this.
SINGLE_WORD_NAME_CAP = 0.9


class SharedWordPairs:
    """Word-pair similarities kept from search to search: {word: {listed word: similarity}}, and the rows of
    joined words keyed (_JOINED, word). A pair's similarity depends on the two words alone (tokens are interned,
    and a row of joined words holds only what _join_unmatched computes), while the words of names recur from one
    search to the next (MUHAMMAD, ALI, BANK, TRADING): a search reads a row another one filled instead of comparing
    the same two words again. A search's own cache holds the rows it used. The table is emptied once it holds
    ``limit`` pairs (about 50 bytes each, measured: some 25 MB at the limit), which bounds its memory whatever the
    searches."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.rows: dict[Hashable, dict[Token, float]] = {}
        self.pairs = 0  # pairs computed into the rows since the table was last emptied (_compare counts them)

    def row(self, word: Hashable) -> dict[Token, float]:
        if self.pairs >= self.limit:
            self.clear()  # searches under way keep the rows they hold; only the table forgets them
        found = self.rows.get(word)
        if found is None:
            found = self.rows[word] = {}
        return found

    def clear(self) -> None:
        self.rows = {}
        self.pairs = 0


SHARED_WORD_PAIRS = SharedWordPairs(limit=500_000)


@dataclass(slots=True)
class NameMatch:
    similarity: float
    pairs: list[tuple[str, str, float]] = field(default_factory=list)
    unmatched_query: list[str] = field(default_factory=list)
    unmatched_entry: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def alignment(
    query: NameForm, entry: NameForm, cache: dict, rare: Callable[[Token], bool] | None = None
) -> float:
    """:func:`compare_names`' similarity, remembered in ``cache`` for the pair (a search compares a query's names
    with a listed name while shortlisting, then again while scoring)."""
    key = (id(query), id(entry))
    found = cache.get(key)
    if found is None:
        found = cache[key] = _compare(query, entry, cache, False, rare)
    return found


def compare_names(
    query: NameForm,
    entry: NameForm,
    cache: dict | None = None,
    explain: bool = True,
    rare: Callable[[Token], bool] | None = None,
) -> NameMatch:
    """Align the tokens of two names in any order and score the alignment.

    ``cache`` memoizes token similarities across many comparisons for the same query: {query token: {entry
    token: similarity}} (tokens hash by identity).
    """
    found = _compare(query, entry, cache, explain, rare)
    return found if isinstance(found, NameMatch) else NameMatch(found)


def _compare(
    query: NameForm,
    entry: NameForm,
    cache: dict | None,
    explain: bool,
    rare: Callable[[Token], bool] | None,
) -> NameMatch | float:
    """:func:`compare_names`; without ``explain``, the similarity alone (a search wants thousands of them)."""
    q_tokens = query.tokens
    e_tokens = entry.tokens
    if not q_tokens or not e_tokens or (entry.abjad and not query.abjad):
        # A listed name in Arabic script is there for queries in that script; its consonant outline is too
        # loose a comparison for a Latin query, which the entry's Latin names serve.
        return NameMatch(0.0) if explain else 0.0
    if cache is None:
        cache = {}
    candidates: list[tuple[float, int, int]] = []
    computed = 0
    for i, qt in enumerate(q_tokens):
        row = cache.get(qt)
        if row is None:
            row = cache[qt] = SHARED_WORD_PAIRS.row(qt)
        q_sieve = qt.sieve
        q_bare = qt.bare
        for j, et in enumerate(e_tokens):
            sim = row.get(et)
            if sim is None:
                # _may_agree, its first test written out: it runs for every new pair of words a search meets, and
                # most pairs fail it with no attached article to try again without
                e_sieve = et.sieve
                if (
                    q_sieve is None
                    or e_sieve is None
                    or _sieves_agree(q_sieve, e_sieve)
                    or ((q_bare is not None or et.bare is not None) and _may_agree(qt, et))
                ):
                    sim = token_similarity(qt, et)
                else:
                    # a pair that cannot reach MIN_PAIR is remembered as 0: no reader of the cache looks below it
                    sim = 0.0
                row[et] = sim
                computed += 1
            if sim >= MIN_PAIR:
                candidates.append((sim, i, j))
    if computed:
        SHARED_WORD_PAIRS.pairs += computed
    if not candidates and not (3 <= len(q_tokens) + len(e_tokens) <= 4):
        # Nothing aligns; only a short name written as one word on the other side ("Wali Jan", WALIJAN) may.
        if not explain:
            return 0.0
        return NameMatch(0.0, [], [t.text for t in q_tokens], [t.text for t in e_tokens])
    q_used: dict[int, tuple[int, float]] = {}
    e_used: set[int] = set()
    if len(candidates) > 1:
        candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    for sim, i, j in candidates:
        if i in q_used or j in e_used:
            continue
        q_used[i] = (j, sim)
        e_used.add(j)
    # words of one side aligned with several of the other: (query indexes, entry indexes, similarity, weight)
    joined: list[tuple[tuple[int, ...], tuple[int, ...], float, float]] = []
    if (
        len(q_tokens) - len(q_used) + len(e_tokens) - len(e_used) >= 3
        and len(q_used) < len(q_tokens)
        and (len(e_used) < len(e_tokens))
        and any(
            t.abjad or len(t.text) <= JOIN_MAX_PIECE
            for side, used in ((q_tokens, q_used), (e_tokens, e_used))
            for k, t in enumerate(side)
            if k not in used
        )
    ):
        joined = _join_unmatched(q_tokens, e_tokens, q_used, e_used, cache)
    if (
        entry.kind in NON_PERSON_KINDS
        and query.kind not in PERSON_KINDS
        # an acronym and at least two words it abbreviates are left
        and len(q_tokens) - len(q_used) + len(e_tokens) - len(e_used) >= 3
    ):
        joined += _acronyms(q_tokens, e_tokens, q_used, e_used, joined)
    if not q_used and not joined and not explain:
        return 0.0  # nothing agrees: what follows would divide 0 by the words' costs

    num = 0.0
    den = 0.0
    informative_matched = 0
    for i, (j, sim) in q_used.items():
        # A query word matching a generic word of the entry ("Trading") is still a full agreement.
        qw = q_tokens[i].weight
        ew = e_tokens[j].weight
        weight = qw if qw >= ew else ew
        num += sim * weight
        den += weight
        if weight >= 1.0:
            informative_matched += 1
    joined_q: set[int] = set()
    joined_e: set[int] = set()
    for q_idx, e_idx, sim, weight in joined:
        num += sim * weight
        den += weight
        informative_matched += 1
        joined_q.update(q_idx)
        joined_e.update(e_idx)
    # The words each name has that the other lacks.
    q_left = [t for i, t in enumerate(q_tokens) if i not in q_used and i not in joined_q]
    e_left = [t for j, t in enumerate(e_tokens) if j not in e_used and j not in joined_e]
    # _extra_weight of each, written out (thousands of names a search)
    q_extra = [t.weight * LEGAL_OMISSION_FACTOR if t.cls == "legal" else t.weight for t in q_left]
    e_extra = [t.weight * LEGAL_OMISSION_FACTOR if t.cls == "legal" else t.weight for t in e_left]
    # "Abu Muhammad" is not "Muhammad", nor "Hizballah Brigades" "Hizballah": kunya and generic words count as
    # words the other name lacks.
    q_informative = sum(1 for w in q_extra if w >= _GENERIC_WEIGHT)
    e_informative = sum(1 for w in e_extra if w >= _GENERIC_WEIGHT)
    extra_informative = q_informative + e_informative
    if (
        q_informative
        and e_informative
        and not _one_description_for_another(q_used, e_tokens, q_left + e_left)
    ):
        den += CONFLICT_COST * (sum(q_extra) + sum(e_extra))
    else:
        scale = (
            ORG_OMISSION_FACTOR if query.kind in NON_PERSON_KINDS and entry.kind in NON_PERSON_KINDS else 1.0
        )
        omitted = scale * (OMISSION_COST_QUERY * sum(q_extra) + OMISSION_COST_ENTRY * sum(e_extra))
        if scale != 1.0:
            omitted += PART_EXTRA_COST * sum(t.weight for t in q_left + e_left if _names_a_part(t))
        if (
            rare is not None
            and (
                scale == 1.0
                or (
                    extra_informative <= ORG_CONTAINED_MAX_EXTRA
                    and not any(_names_a_part(t) for t in q_left + e_left)
                )
            )
            and omitted > RARE_CONTAINED_OMISSION
            and informative_matched >= 2
            and any(
                sim >= 0.85 and e_tokens[j].weight >= 1.0 and rare(e_tokens[j]) for j, sim in q_used.values()
            )
        ):
            # One name holds the other whole, on a word few listed names share ("JADHRAN, Ibrahim" in "Ibrahim
            # Saeed Salim Jadhran"): the extra words are more detail, not another person. With common words only
            # ("Muhammad Ali" in "Muhammad Ali Hassan") they still cost in full.
            omitted = RARE_CONTAINED_OMISSION
        den += omitted
    for pair in entry.syllable_pairs:
        # Half of a hyphenated given name met, the other half missing: another given name ("Young" is not
        # "Young-Cheol"), so the missing half costs as a disagreement does.
        if (pair[0] in e_used) != (pair[1] in e_used) and not joined_e.intersection(pair):
            missing = pair[1] if pair[0] in e_used else pair[0]
            den += (CONFLICT_COST - OMISSION_COST_ENTRY) * e_tokens[missing].weight
    similarity = num / den if den else 0.0
    if (
        informative_matched <= 1
        and extra_informative
        and similarity > SINGLE_WORD_CAP
        and not _only_structure_added(q_left, e_left)
    ):
        similarity = SINGLE_WORD_CAP
    if (
        similarity > SINGLE_WORD_NAME_CAP
        and query.kind not in NON_PERSON_KINDS
        and entry.kind not in NON_PERSON_KINDS
        and sum(1 for t in q_tokens if t.weight >= 1.0) == 1
        and sum(1 for t in e_tokens if t.weight >= 1.0) == 1
    ):
        # One word against one word is a given name or a nickname, shared by many ("Abdur Rehman", "Faiz"): worth
        # a review, never an automatic link.
        similarity = SINGLE_WORD_NAME_CAP
    shifted = _lead_shifted(query, entry, q_used)
    if shifted:
        similarity *= LEAD_SHIFT_FACTOR
    if not explain:
        return similarity
    pairs = [(q_tokens[i].text, e_tokens[j].text, round(sim, 3)) for i, (j, sim) in sorted(q_used.items())]
    for q_idx, e_idx, sim, _ in joined:
        pairs.append(
            (
                " ".join(q_tokens[i].text for i in q_idx),
                " ".join(e_tokens[j].text for j in e_idx),
                round(sim, 3),
            )
        )
    return NameMatch(
        similarity=similarity,
        pairs=pairs,
        unmatched_query=[t.text for i, t in enumerate(q_tokens) if i not in q_used and i not in joined_q],
        unmatched_entry=[t.text for j, t in enumerate(e_tokens) if j not in e_used and j not in joined_e],
        notes=[
            "the first given name of one name is missing from the other, whose own first given name sits "
            "further in: a relative's name (father/son)?"
        ]
        if shifted
        else [],
    )


# Words that make an organization's name the name of one of its parts or branches: "IRGC AIR FORCE" is not the
# IRGC, "ISIL KHORASAN PROVINCE" is not ISIL, "HONG PANG GEMS (HK)" not its namesake elsewhere.
PART_WORDS = frozenset(WORDS["part_words"])


# What a word naming a part of an organization (see PART_WORDS) costs on top of an ordinary omission, by weight.
PART_EXTRA_COST = 0.6


def _names_a_part(token: Token) -> bool:
    """Whether a word an organization name adds tells a part of it (a branch, a unit, a place): see PART_WORDS.
    A word read from Arabic script is judged by its translations."""
    return any(
        _SYNONYMS.get(t.text, t.text) in PART_WORDS or _SYNONYMS.get(t.text, t.text) in _COUNTRIES
        for t in (token, *token.gloss)
    )


def _one_description_for_another(q_used: dict[int, tuple[int, float]], e_tokens, left: list[Token]) -> bool:
    """Whether two organization names differ only in generic words ("SAZMAN-E MOGHAVEMAT-E BASIJ", "NIRUYEH
    MOGHAVEMAT BASIJ": organization, force) while at least two words of their own, not countries, agree."""
    own = sum(
        1 for j, _ in q_used.values() if e_tokens[j].weight >= 1.0 and e_tokens[j].text not in _COUNTRIES
    )
    return own >= 2 and all(t.cls == "generic" or t.weight < _GENERIC_WEIGHT for t in left)


def _only_structure_added(q_left: list[Token], e_left: list[Token]) -> bool:
    """Whether the words one organization name adds to the other only say how it is organized ("GAZ GROUP",
    "GAZ"): see STRUCTURE_WORDS."""
    q_added = [t for t in q_left if t.weight >= _GENERIC_WEIGHT]
    e_added = [t for t in e_left if t.weight >= _GENERIC_WEIGHT]
    if bool(q_added) == bool(e_added):
        return False
    return all(t.text in STRUCTURE_WORDS for t in q_added or e_added)


# Generic words that say how a business is organized, not what it does: "GAZ GROUP" is GAZ, where "PARS
# PETROCHEMICAL SHIPPING" is a subsidiary of PARS PETROCHEMICAL.
STRUCTURE_WORDS = frozenset(WORDS["structure_words"])


# A legal form spelled out on one side only ("JOINT STOCK COMPANY CONCERN KALASHNIKOV", "KALASHNIKOV CONCERN") says
# how the company is registered, not which company it is: lists add and drop it at will.
LEGAL_OMISSION_FACTOR = 0.25


def _extra_weight(token: Token) -> float:
    return token.weight * LEGAL_OMISSION_FACTOR if token.cls == "legal" else token.weight


def _lead_shifted(query: NameForm, entry: NameForm, q_used: dict[int, tuple[int, float]]) -> bool:
    """One name's first given name is unmatched while the other's matches a later word of it: "Barzan Ibrahim
    Hasan" against "Mohammad Barzan Ibrahim Hasan" is the father against the son."""
    ql, el = query.lead, entry.lead
    if ql < 0 or el < 0:
        return False
    q_lead = q_used.get(ql)
    e_lead_from = next((i for i, (j, _) in q_used.items() if j == el), None)
    if q_lead is None and e_lead_from is not None and e_lead_from != ql:
        return True
    return e_lead_from is None and q_lead is not None and q_lead[0] != el


# Two words join when one of them has at most this many letters: a Chinese syllable written apart or together
# (CHANG GUANG / CHANGGUANG), a short word run into the next (DESIGN AND DEVELOPMENT / DESIGNANDDEVELOPMENT).
JOIN_MAX_PIECE = 6
# Two words join one of the other side from this similarity on. _may_agree's bounds for it (as _PAIR_BOUNDS for
# MIN_PAIR; the bare word's 0.98 only lowers): nearly every word a joined pair is tried against is far from it.
JOIN_MIN = 0.85
_JOIN_GENERAL_MIN = (0.9 + JOIN_MIN) / 2 - 1e-9
_JOINED = "joined"  # the cache's rows of joined words are keyed (_JOINED, token)
_JOIN_BOUNDS = (_JOIN_GENERAL_MIN, (_JOIN_GENERAL_MIN - 0.25) / 0.75, (_JOIN_GENERAL_MIN - 0.55) / 0.45)


def _join_unmatched(q_tokens, e_tokens, q_used, e_used, cache):
    """Compare two adjacent unmatched words of one side, written together, with an unmatched word of the other:
    "Hizb Allah"/"Hizballah", "Xi Jin Ping"/"Xi Jinping", "Mir Ahmad"/"Mirahmad"."""
    joined = []
    free_q = [i for i in range(len(q_tokens)) if i not in q_used]
    free_e = [j for j in range(len(e_tokens)) if j not in e_used]
    taken_q: set[int] = set()
    taken_e: set[int] = set()
    for side_a, side_b, free_a, free_b, query_side in (
        (q_tokens, e_tokens, free_q, free_e, True),
        (e_tokens, q_tokens, free_e, free_q, False),
    ):
        taken_a = taken_q if query_side else taken_e
        taken_b = taken_e if query_side else taken_q
        for k in range(len(free_a) - 1):
            i1, i2 = free_a[k], free_a[k + 1]
            if i2 != i1 + 1 or i1 in taken_a or i2 in taken_a:
                continue
            a1, a2 = side_a[i1], side_a[i2]
            if a1.abjad != a2.abjad or a1.weight < _GENERIC_WEIGHT or a2.weight < _GENERIC_WEIGHT:
                continue
            if (
                not a1.abjad
                and len(a1.text) > JOIN_MAX_PIECE
                and len(a2.text) > JOIN_MAX_PIECE
                and not any(side_b[j].abjad for j in free_b)
            ):
                # Latin writers split a name into short pieces ("Hizb Allah", "Xi Jin Ping"), not long ones; Arabic
                # script writes compounds as one word (خدايرحيم, KHUDAI RAHIM).
                continue
            # Called as the index calls it for the same two words (name_keys, _joined_pairs): make_token's cache
            # keys on how it is called, and a token the index already made costs a look-up, not a parse.
            if a1.abjad:
                combined = make_token(a1.text + a2.text, "word", True, a1.folded + a2.folded)
            else:
                combined = make_token(a1.text + a2.text, "word", parts=(a1.text, a2.text))
            best, best_j = 0.0, -1
            # The joined word's similarities, 0 where certainly below JOIN_MIN (never the word joined): a row of
            # its own, apart from the rows of single words, which hold every similarity from MIN_PAIR on.
            row = cache.get((_JOINED, combined))
            if row is None:
                row = cache[(_JOINED, combined)] = SHARED_WORD_PAIRS.row((_JOINED, combined))
            for j in free_b:
                if j in taken_b:
                    continue
                word = side_b[j]
                sim = row.get(word)
                if sim is None:
                    sim = row[word] = (
                        token_similarity(combined, word) if _may_agree(combined, word, _JOIN_BOUNDS) else 0.0
                    )
                    SHARED_WORD_PAIRS.pairs += 1
                if sim > best:
                    best, best_j = sim, j
            if best >= JOIN_MIN:
                taken_a.update((i1, i2))
                taken_b.add(best_j)
                if query_side:
                    joined.append(((i1, i2), (best_j,), best, a1.weight + a2.weight))
                else:
                    joined.append(((best_j,), (i1, i2), best, side_b[best_j].weight))
    return joined


# An organization's acronym against the words it abbreviates (NPP GURAMI / NAUCHNO-PROIZVODSTVENNOE PREDPRIYATIE
# GURAMI, AO TSKB LAZURIT / TSENTRALNOYE KONSTRUKTORSKOYE BYURO LAZURIT) agrees a little less than one spelling.
ACRONYM_MATCH = 0.9
ACRONYM_LETTERS = (2, 6)


def _acronyms(q_tokens, e_tokens, q_used, e_used, joined):
    """Align an unmatched short word of one organization name with a run of unmatched words of the other whose
    initials spell it. A word gives the acronym its first letter or its first two (TS of TSENTRALNOYE, as the
    Cyrillic Ц is one letter); a stopword may give nothing (DKO: DOM KOMPONENTOV I OBORUDOVANIYA)."""
    q_taken = set(q_used).union(*(q for q, _, _, _ in joined))
    e_taken = set(e_used).union(*(e for _, e, _, _ in joined))
    found = []
    for side_a, side_b, taken_a, taken_b, query_side in (
        (q_tokens, e_tokens, q_taken, e_taken, True),
        (e_tokens, q_tokens, e_taken, q_taken, False),
    ):
        for i, short in enumerate(side_a):
            text = short.text
            if (
                i in taken_a
                or short.abjad
                or short.cls != "word"
                or not ACRONYM_LETTERS[0] <= len(text) <= ACRONYM_LETTERS[1]
            ):
                continue
            run = _spelled_run(text, side_b, taken_b)
            if run:
                taken_a.add(i)
                taken_b.update(run)
                if query_side:
                    found.append(((i,), run, ACRONYM_MATCH, short.weight))
                else:
                    found.append((run, (i,), ACRONYM_MATCH, short.weight))
    return found


def _spelled_run(acronym: str, tokens, taken: set[int]) -> tuple[int, ...]:
    """The first run of at least two consecutive free Latin words, among ``tokens``, whose initials spell
    ``acronym``; () when none does."""
    for start in range(len(tokens)):
        if tokens[start].text[0] != acronym[0]:
            continue  # the run's first word gives the acronym its first letter
        end = start
        while end < len(tokens) and end not in taken and not tokens[end].abjad:
            end += 1
        for stop in range(end, start + 1, -1):
            words = tokens[start:stop]
            if words[0].cls in _SKIPPABLE or words[-1].cls in _SKIPPABLE:
                continue
            if _spells(acronym, 0, words, 0):
                return tuple(range(start, stop))
    return ()


# Words an acronym may leave out: "i" (and), "of", "s" (with).
_SKIPPABLE = frozenset({"stopword", "connector"})


def _spells(acronym: str, at: int, words, w: int) -> bool:
    if w == len(words):
        return at == len(acronym)
    word = words[w].text
    if words[w].cls in _SKIPPABLE and _spells(acronym, at, words, w + 1):
        return True
    for length in (1, 2):
        if (
            len(word) > length
            and acronym.startswith(word[:length], at)
            and _spells(acronym, at + length, words, w + 1)
        ):
            return True
    return False
