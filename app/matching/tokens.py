"""Tokens: one word of a name, in the forms it is compared by (parsing names into tokens: :mod:`app.matching.names`;
comparing them: :mod:`app.matching.compare`).

A token carries forms from strict to loose:

* ``text``: the normalized Latin spelling (lower case, no diacritics or apostrophes), for exact agreement;
* ``folded``: the spelling family. Consonant digraphs are folded (dh→d, th→t, kh→k, gh→g, q→k, sh→x, v→w, a c
  before e/i is an s), vowels fall in two classes (a/e/i → a, o/u → u; a final i/e/y stays i), y and w are
  vowels unless a vowel follows, and runs of vowels and doubled letters collapse. Falih/Faleh, Qasim/Kassem,
  Husseini/Husaini, Mohammed/Muhammad, Borys/Boris each fold to one string;
* ``skeleton``: the folded form without vowels after the first letter ("flh", "fyd", "hzblh");
* ``coarse``: the skeleton without semivowels, with the consonants Arabic romanizations swap merged (t/d/z/s,
  k/g). Arabic and Persian script write no short vowels, so a word read from them (``abjad``) is compared with
  a Latin word by this outline alone. The letter rules are in :mod:`app.matching.normalize`.

Tokens are interned (:func:`make_token` is cached): equal words share one object. The word lists are data:
``app/matching/data/words.json``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from app.matching.name_symbols import person_name_symbols
from app.matching.normalize import coarse_of, fold, fold_letters, singular, skeleton_of
from app.matching.wordlists import WORDS

# Weights of token classes in a name score (an ordinary word weighs 1).
WEIGHT = {
    "word": 1.0,
    "patronymic": 0.5,
    "kunya": 0.5,
    "initial": 0.3,
    "generic": 0.35,
    "connector": 0.15,
    "title": 0.1,
    "stopword": 0.1,
    "legal": 0.3,
}

# Word classes that compare only spelled alike (or by translation): connectors, stopwords, legal forms ("bin", "of",
# "ltd"); see app.matching.compare.token_similarity.
EXACT_ONLY_CLASSES = frozenset({"connector", "stopword", "legal"})
# First letters that transliterations swap while the rest of the word stays: Qaddafi/Gaddafi (the qaf is a g in
# Libyan and Gulf speech), Gamal/Jamal (Egyptian), Yusuf/Jusuf (compared in app.matching.compare).
FIRST_LETTER_SWAPS = frozenset({("q", "g"), ("g", "q"), ("g", "j"), ("j", "g"), ("j", "y"), ("y", "j")})
_SWAPPED_FIRST = frozenset(a for a, _ in FIRST_LETTER_SWAPS)
# One sound that transliterations write with letters fold() keeps apart, as rewrites applied to both words before
# folding (compared in app.matching.compare): the Serbo-Croatian đ as dj or d (Djordjevic/Dordevic), a Russian
# word-initial е as ye or e (Yelena/Elena), the Arabic ض and ذ between vowels as d or z (Rida/Reza, Ramadan/Ramazan;
# not Hamza/Hamda, whose z is a ز), a final h after a vowel, which some write for the ta marbuta and the final
# vowel and some do not (Salameh/Salame, Fatimah/Fatima), Belarusian dz and a final ou where Russian has d and ov
# (Dzmitry/Dmitry, Radzkou/Radkov), a y between a consonant and a vowel as i (Serdyukov/Serdiukov: ю is yu in Russian
# romanizations, iu in Ukraine's; Maryam/Mariam), a kh as an h (Russian writes х for the Arabic ح as for خ: Akhmed/Ahmed,
# Khasan/Hasan; Turkish writes h for both: Halid/Khalid), a Russian feminine -skaya where Ukrainian and Polish have
# -ska (Radomskaya/Radomska; not the masculine -sky: another person), the Arabic ي or ئ between two vowels written y
# or left out (نايف Nayif/Naif, فائز Fayez/Faiz, قائد Qayed/Qaid, كيا Kiya/Kia, فوزية Fawziya/Fawzia), a و after a
# vowel written ou as French does, where English writes w (داود Daoud/Dawud, سعود Saoud), the ش written ch as French
# does, first or last in a word (Chaar/Shaar, Chibli/Shibli, Allouch/Allush; in words of five letters or more not
# ending in ng, so that the Chinese syllables Chen/Shen, Chang/Shang stay apart; not the English ch inside a word,
# as in Michael, nor that of sch and tch).
SPELLING_ALTERNATIONS = tuple((re.compile(pattern), rewrite) for pattern, rewrite in WORDS["alternations"])
_SYNONYM_WORDS = frozenset(WORDS["synonyms"])


@dataclass(frozen=True, eq=False, slots=True)
class Token:
    """One word of a name. Identity-compared: tokens are interned, so equal words share one object."""

    text: str
    folded: str
    skeleton: str
    coarse: str  # the consonant outline compared with words read from Arabic script (see coarse_of)
    # Read from Arabic script, which does not write short vowels: the outline where an h right after a letter of
    # the k or d class is the second half of a Latin digraph (لكحل, LAKHAL), where ``coarse`` keeps it (صحراوي,
    # SAHRAOUI). Empty when the same.
    coarse_alt: str = ""
    cls: str = "word"  # word, kunya, initial, generic, connector, title, stopword, legal
    abjad: bool = False  # read from a script without short vowels: only the consonant outline is reliable
    # The same word without an attached article ("alfayyadh" → "fayyadh"), compared as an alternative.
    bare: Token | None = None
    weight: float = 1.0  # WEIGHT[cls], kept on the token because it is read in every comparison
    # A word of an organization name in Arabic script: the English words it translates to (see glossary.py).
    gloss: tuple[Token, ...] = ()
    # What app.matching.compare needs to tell, cheaply, that this word cannot agree with another (see
    # _sieve_of); None for the words it always compares in full.
    sieve: tuple | None = None
    # The spelling family of the word rewritten by each of SPELLING_ALTERNATIONS and then by all of them (None where
    # a rewrite leaves it as it is); None when none changes it or the word was read from Arabic script. Kept on the
    # token: app.matching.compare reads it for every pair of words that share no spelling family.
    alternates: tuple[str | None, ...] | None = None

    def own_keys(self) -> tuple[str, ...]:
        """Blocking keys of this spelling: exact spelling ("t"), consonant skeleton ("s", or the spelling family
        "f" when the skeleton has a single letter) and consonant outline ("c", for queries in Arabic script)."""
        if self.abjad:
            return ("c" + self.coarse, "c" + self.coarse_alt) if self.coarse_alt else ("c" + self.coarse,)
        # the spelling family only where the skeleton is too short to find the word by ("Ali", "Abu")
        keys = ["t" + self.text, "s" + self.skeleton if len(self.skeleton) >= 2 else "f" + self.folded]
        if len(self.coarse) >= 2:
            keys.append("c" + self.coarse)
        return tuple(keys)

    def keys(self) -> tuple[str, ...]:
        """Blocking keys for the index: this spelling's and those of its alternatives (the word without an
        attached article, its translations)."""
        if self.bare is None and not self.gloss:
            return self.own_keys()
        keys = self.own_keys() + (self.bare.own_keys() if self.bare is not None else ())
        for other in self.gloss:
            keys += other.own_keys()
        return keys

    def alternatives(self) -> tuple[Token, ...]:
        """This token and the other forms it is compared by: the bare word, the translations."""
        if self.bare is None and not self.gloss:
            return (self,)
        return (self, *((self.bare,) if self.bare is not None else ()), *self.gloss)

    def hit_key(self) -> str:
        """The broadest key that still says "the same word": the skeleton, or for Arabic script the outline."""
        if self.abjad or len(self.skeleton) < 2:
            return "c" + self.coarse if self.abjad else "f" + self.folded
        return "s" + self.skeleton


# Russian, Ukrainian and Belarusian forms of one given name that rigour's corpus keeps apart and no spelling rule
# joins (Mykola/Nikolai, Petro/Pyotr, Fedir/Fyodor): each form's items include its group's.
_GIVEN_NAME_FORMS = {form: f"forms:{group[0]}" for group in WORDS["given_name_forms"] for form in group}


# The one-word names of countries and regions in the languages rigour knows, by territory code (SCHWEIZ, SUISSE
# and SWITZERLAND are "ch"): rigour.territories' mapping as a table, written by bench/territory_words_table.py, as
# rigour builds its own on the first look-up in a process (1.4 s).
TERRITORY_WORDS_FILE = Path(__file__).resolve().parent / "data" / "territory_words.json"
_TERRITORY_WORDS: dict[str, str] = json.loads(TERRITORY_WORDS_FILE.read_text(encoding="utf-8"))["words"]


def territory(word: str) -> str | None:
    """The territory a word names, in any language rigour knows, or None."""
    return _TERRITORY_WORDS.get(word)


@lru_cache(maxsize=300_000)
def name_symbols(word: str) -> frozenset[str]:
    """The Wikidata name items rigour's person-names corpus gives one word (Uladzimir and Vladimir share one), and
    its group of given-name forms; for a patronymic, those of the father's name it is made from, kept apart
    ("father:"), so that MYKOLAYOVYCH meets NIKOLAEVICH but not NIKOLAI."""
    if not word.isalpha():
        return frozenset()
    return _given_name_symbols(word) | _father_name_symbols(word)


def _given_name_symbols(word: str) -> frozenset[str]:
    items = frozenset(person_name_symbols(word))
    group = _GIVEN_NAME_FORMS.get(word)
    return items | {group} if group else items


# An East Slavic patronymic is the father's given name and a suffix (NIKOLA-EVICH, MYKOLAY-OVYCH, HENADZ-IEVICH,
# ULADZIMIR-AVICH), the name's last vowel dropped or changed: the name is one of the stem's endings.
_PATRONYMIC_SUFFIXES = tuple(WORDS["patronymics"]["suffixes"])
_FATHER_NAME_ENDINGS = tuple(WORDS["patronymics"]["father_name_endings"])


def _father_name_symbols(word: str) -> frozenset[str]:
    found: set[str] = set()
    for suffix in _PATRONYMIC_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            for ending in _FATHER_NAME_ENDINGS:
                found.update("father:" + item for item in _given_name_symbols(stem + ending))
    return frozenset(found)


@lru_cache(maxsize=300_000)
def make_token(
    text: str,
    cls: str = "word",
    abjad: bool = False,
    letters: str | None = None,
    parts: tuple[str, ...] = (),
    gloss: tuple[str, ...] = (),
    construct: bool = False,
) -> Token:
    """A token. For a word read from Arabic script, ``letters`` is its spelling in the folded alphabet. A word
    fused from several (Abd + Rahman, Saif + Din) gives its ``parts``, folded one by one so that letters meeting
    at the seam never read as a digraph (abd|haq is not "abdhaq" with a dh). A word ending in a ta marbuta
    (``construct``) is also compared with the t it takes before a following noun: عصبة is "Asbat" in ASBAT AL-ANSAR."""
    if abjad:
        letters = letters if letters is not None else text
        folded = fold_letters(letters)
        bare = make_token(text + "t", cls, True, letters + "t") if construct else None
    else:
        folded = "".join(fold(p) for p in parts) if parts else fold(text)
        bare = _without_attached_article(text, cls)
    skeleton = skeleton_of(folded)
    # Arabic script writes no short vowels, so an h there may or may not stand right after the letter before it
    # in Latin: its outline is kept both ways (see Token.coarse_alt).
    coarse = coarse_of(folded, swallow_h=not abjad)
    coarse_alt = coarse_of(folded) if abjad else ""
    alternates = None if abjad else alternates_of(text)
    return Token(
        text=text,
        folded=folded,
        skeleton=skeleton,
        coarse=coarse,
        coarse_alt=coarse_alt if coarse_alt != coarse else "",
        cls=cls,
        abjad=abjad,
        bare=bare,
        weight=WEIGHT[cls],
        gloss=tuple(make_token(word) for word in gloss),
        sieve=None if abjad or gloss else _sieve_of(text, folded, skeleton, cls, alternates),
        alternates=alternates,
    )


def alternates_of(text: str) -> tuple[str | None, ...] | None:
    """See Token.alternates."""
    out: list[str | None] = []
    rewritten_all = text
    for pattern, rewrite in SPELLING_ALTERNATIONS:
        rewritten = pattern.sub(rewrite, text)
        out.append(fold(rewritten) if rewritten != text else None)
        rewritten_all = pattern.sub(rewrite, rewritten_all)
    out.append(fold(rewritten_all) if rewritten_all != text else None)
    return tuple(out) if any(x is not None for x in out) else None


def _letter_mask(word: str) -> int:
    """The letters a word uses, as bits (a-z one each; letters sharing a bit only loosen compare._may_agree's
    bound)."""
    mask = 0
    for ch in word:
        mask |= 1 << (ord(ch) & 31)
    return mask


# A company's generic word cut short, as registries and lists write it: its first letters (TECH, IND, SERV, DEV) or
# a contraction keeping its first and last letters and some consonants between (SHPG, MGMT, BNK, HLDG).
ABBREVIATION_MIN = 3
_ABBREVIATION_VOWELS = frozenset("aeiouy")


def abbreviates(short: str, long: str) -> bool:
    """Whether ``short`` is ``long`` cut short: a prefix of it three letters shorter at least, or a contraction
    (first and last letters kept, no vowel after the first)."""
    n = len(short)
    if n < ABBREVIATION_MIN or n >= len(long) or short[0] != long[0]:
        return False
    if len(long) - n >= 3 and long.startswith(short):
        return True
    if short[-1] != long[-1] or not _ABBREVIATION_VOWELS.isdisjoint(short[1:]):
        return False
    letters = iter(long)
    return all(ch in letters for ch in short)


def _generic_forms() -> dict[str, tuple[str, ...]]:
    """The generic words of organization names and their plurals, by first letter."""
    forms: dict[str, set[str]] = {}
    for word in WORDS["generic_org_words"]:
        plurals = (word + "s", word + "es", word[:-1] + "ies" if word.endswith("y") else word)
        forms.setdefault(word[0], set()).update((word, *plurals))
    return {letter: tuple(sorted(words)) for letter, words in forms.items()}


_GENERIC_FORMS = _generic_forms()


def _abbreviation_keys(text: str, cls: str) -> set[str]:
    """Sieve keys shared by a generic word and every word that abbreviates one (see abbreviates); a word that
    abbreviates none has none, so that two words of a name that merely begin alike are not compared for it."""
    if len(text) < ABBREVIATION_MIN:
        return set()
    if cls != "generic" and not any(abbreviates(text, g) for g in _GENERIC_FORMS.get(text[0], ())):
        return set()
    keys = {"abbr:" + text[:ABBREVIATION_MIN]}
    if cls == "generic" or _ABBREVIATION_VOWELS.isdisjoint(text[1:]):
        keys.add("abbr:" + text[0] + "-" + text[-1])
    return keys


def _sieve_of(
    text: str, folded: str, skeleton: str, cls: str, alternates: tuple[str | None, ...] | None
) -> tuple | None:
    """For a plain Latin word (no translation, not an initial nor a word compared only as spelled, not one of the
    synonyms; the word without an attached article has its own): what app.matching.compare._may_agree reads of it.
    Two words share a key when one of the comparison's special rules may join them (one spelling family up to h/g,
    one singular, q for gh, a first letter swapped, a spelling alternation, one skeleton, one name item, one
    territory, a generic word and its cut); the letter sets and lengths bound the edit distances of the rest."""
    if cls == "initial" or cls in EXACT_ONLY_CLASSES or text in _SYNONYM_WORDS or not folded:
        return None
    keys = {folded.replace("h", "g"), singular(text)}
    # a word joined from two (folded piece by piece) is also its whole spelling's family, which the other word's
    # spelling alternations are compared with (compare._alternation_agrees)
    keys.add(fold(text).replace("h", "g"))
    if "gh" in text or "q" in text:
        keys.add(fold(text.replace("gh", "q")))
    if text[0] in _SWAPPED_FIRST:
        keys.add(fold(text[1:]))
    if alternates is not None:
        keys.update(x.replace("h", "g") for x in alternates if x is not None)
    if len(skeleton) >= 3:
        keys.add(skeleton)
    keys.update(name_symbols(text))
    keys.update(_abbreviation_keys(text, cls))
    place = territory(text)
    if place is not None:
        keys.add("territory:" + place)
    folded_mask, text_mask, skeleton_mask = _letter_mask(folded), _letter_mask(text), _letter_mask(skeleton)
    # each mask with its complement, which the bound intersects with the other word's
    return (
        frozenset(keys),
        folded_mask,
        ~folded_mask,
        len(folded),
        text_mask,
        ~text_mask,
        len(text),
        skeleton_mask,
        ~skeleton_mask,
        len(skeleton),
    )


def _without_attached_article(text: str, cls: str) -> Token | None:
    """The word without an article written on to it ("alfayyadh", "Essaadi"), compared as an alternative."""
    if cls != "word" or len(text) < 6:
        return None
    if (
        text[:2] in ("al", "el")
        and text not in _NOT_ATTACHED_ARTICLE
        and not text.startswith(("alex", "aleks", "alejandr", "alessandr"))
    ):
        return make_token(text[2:], cls)
    if text[0] in "ae" and text[1] == text[2] and text[1] not in "aeiouy":
        # An assimilated article written on: Essaadi (as-Sa'adi), Eddarhi, Azzawi
        return make_token(text[2:], cls)
    return None


# Western given names that begin with "al"/"el" but carry no Arabic article.
_NOT_ATTACHED_ARTICLE = frozenset(WORDS["not_attached_article"])
