"""Letters: Arabic script read the way the lists romanize it, and the spelling families of Latin words.

``fold`` gives a word's spelling family (consonant digraphs folded, vowels in two classes, doubled letters and
vowel runs collapsed: Falih/Faleh, Qasim/Kassem, Mohammed/Muhammad fold to one string), ``skeleton_of`` its
consonants, ``coarse_of`` the outline a word read from Arabic script (which writes no short vowels) is compared by.
See :mod:`app.matching.names` for how words become tokens.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from anyascii import anyascii

from app.matching.wordlists import WORDS

# ---------------------------------------------------------------------------------------------------------------
# Scripts

# Arabic-script letters to a consonantal Latin spelling, read the way the lists romanize them. Long vowels are kept
# as vowels (ا → a, و → w, ي → y: the folding decides whether w/y are consonants), short vowels are not written.
# anyascii maps alif to nothing and ض/ظ ambiguously; the lists' romanizations decide here.
ARABIC_LETTERS = WORDS["arabic_letters"]
# The same letters written in the alphabet of folded forms (one character per sound, see fold()), so that letters
# written next to each other never read as a digraph (ط + ه is "t" + "h", not "th").
ARABIC_FOLDED = WORDS["arabic_folded"]
# Letters whose absence/presence at the start of a word reads as a vowel in romanization (Omar/Umar, Ali, Abd).
ARABIC_INITIAL_VOWELS = frozenset("اأإآٱع")
ARABIC_DIGITS = {chr(0x0660 + i): str(i) for i in range(10)} | {chr(0x06F0 + i): str(i) for i in range(10)}


def is_arabic(ch: str) -> bool:
    code = ord(ch)
    return 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0x08A0 <= code <= 0x08FF


def is_cjk(ch: str) -> bool:
    code = ord(ch)
    return 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF


def is_hangul(ch: str) -> bool:
    code = ord(ch)
    return 0xAC00 <= code <= 0xD7A3


def arabic_word(word: str) -> tuple[str, str]:
    """Romanize one Arabic-script word (article handled by the caller): a readable consonantal spelling, and the
    same in the alphabet of folded forms."""
    readable: list[str] = []
    letters: list[str] = []
    for i, ch in enumerate(word):
        if i == 0 and ch in ARABIC_INITIAL_VOWELS:
            readable.append("a")
            letters.append("a")
        elif ch in ARABIC_LETTERS:
            readable.append(ARABIC_LETTERS[ch])
            letters.append(ARABIC_FOLDED[ch])
        elif ch in ARABIC_DIGITS:
            readable.append(ARABIC_DIGITS[ch])
            letters.append(ARABIC_DIGITS[ch])
        elif unicodedata.category(ch) == "Mn":  # harakat and shadda: optional marks, not in most writing
            continue
        else:
            other = anyascii(ch).lower()
            readable.append(other)
            letters.append(other)
    return "".join(readable), "".join(letters)


def split_arabic_article(word: str) -> tuple[bool, str]:
    # "الله" is the word Allah, not an article plus a word.
    if word.startswith("ال") and len(word) > 3 and word not in ("الله", "اللہ"):
        return True, word[2:]
    if word.startswith("لل") and len(word) > 3:  # "li-l": "for the", rare in names but seen in organizations
        return True, word[2:]
    return False, word


# ---------------------------------------------------------------------------------------------------------------
# Folding


_DIGRAPHS = tuple(tuple(pair) for pair in WORDS["digraphs"])
_VOWEL_CLASS = {"a": "a", "e": "a", "i": "a", "o": "u", "u": "u"}
# "ch" is its own sound (Chechen, Chavez); a "c" before e/i/y is an s (Lounici, Cecile), any other c a k.
_C_RE = re.compile(r"(ch)|(c(?=[eiy]))|c")


_SLAVIC_ADJECTIVE_ENDINGS = frozenset({"yi", "yy", "iy", "ij", "ii"})


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """The spelling-family form of one Latin token (see the module docstring)."""
    # v is always a consonant (Ivanov), only then one with w (Javad/Jawad).
    return fold_letters(letters_before_folding(text)).replace("v", "w")


def singular(word: str) -> str:
    """An English plural's singular (FORCES/FORCE, COMPANIES/COMPANY); other words as they are."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@lru_cache(maxsize=200_000)
def letters_before_folding(text: str) -> str:
    """A Latin word with fold()'s digraphs and letter rules applied, its vowels still as written."""
    s = text.replace("x", "ks")
    if len(s) >= 5 and s[-2:] in _SLAVIC_ADJECTIVE_ENDINGS:
        s = s[:-2] + "i"  # Dykyi/Dykyy/Dikiy/Dikij: one ending, transliterated four ways
    if s.startswith("zh"):  # Zhukov, Zhang; inside a word it is as often z + h (Azhar, Mazhar)
        s = "j" + s[2:]
    if "c" in s:
        # "C" keeps a "ch" from the digraphs below
        s = _C_RE.sub(lambda m: "C" if m.group(1) else ("s" if m.group(2) else "k"), s)
    for old, new in _DIGRAPHS:
        if old in s:
            s = s.replace(old, new)
    return s.replace("C", "c")


@lru_cache(maxsize=200_000)
def fold_letters(s: str) -> str:
    """Vowel classes, y/w as vowels unless a vowel follows, vowel runs and doubled letters collapsed."""
    out: list[str] = []
    n = len(s)
    for i, ch in enumerate(s):
        if ch in _VOWEL_CLASS:
            out.append(_VOWEL_CLASS[ch])
        elif ch in "yw":
            # A consonant at the start or before a vowel ("Yasin", "Fayyad", "Jawad"), a vowel otherwise
            # ("Husayni", "Abw", "Sergey").
            j = i + 1
            while j < n and s[j] == ch:
                j += 1
            following = s[j] if j < n else ""
            consonant = i == 0 or following in _VOWEL_CLASS or (ch == "w" and following == "y")
            if (
                consonant
                and ch == "y"
                and following == "e"
                and i > 0
                and (s[i - 1] in "ie" or s[j + 1 : j + 2] in ("v", "w") or (j + 1 == n and s[i - 1] in "aou"))
            ):
                # Slavic iotated e: Podkopayev/Podkopaev, Matviyenko/Matvienko, a final -oye/-oe (AKTSIONERNOYE)
                consonant = False
            out.append(ch if consonant else ("a" if ch == "y" else "u"))
        else:
            out.append(ch)
    final_i = bool(out) and out[-1] in "au" and s[-1] in "eiy"
    folded: list[str] = []
    for ch in out:
        if folded and (folded[-1] == ch or (ch in "au" and folded[-1] in "au")):
            # A run of vowels is one vowel: Husain/Hussein/Husayn, Arkadii/Arkady, Moussa/Musa.
            if ch == "a":
                folded[-1] = "a"
            continue
        folded.append(ch)
    if final_i:
        # A final i/e/y stays apart from a final a: Rami is not Rima, Ali is not Alia.
        folded[-1] = "i"
    return "".join(folded)


def skeleton_of(folded: str) -> str:
    """Consonants of a folded token; a leading vowel stays as one marker so Omar/Umar/عمر agree."""
    if not folded:
        return ""
    head = "a" if folded[0] in "aui" else folded[0]
    return head + "".join(ch for ch in folded[1:] if ch not in "aui")


# Letters a romanization of Arabic script may render one for another: ث is th, s or t; ذ dh, z or d; ض d, dh or
# z; ظ z, dh or th; ق q, k or g. The semivowels y/w may be long vowels or consonants. Comparing a token read from
# Arabic script with a Latin one, only this coarse consonant outline is trusted.
# A French "ch" is a ش (Alouche, Akkacha).
_COARSE = str.maketrans({"t": "d", "z": "d", "s": "d", "g": "k", "x": "d", "c": "d"})
# Letters of the k and d classes, after which an h is half of a Latin digraph.
SWALLOWS_H = frozenset("kdtzsg")


def coarse_of(folded: str, swallow_h: bool = True) -> str:
    """The consonant outline of a folded word (see _COARSE)."""
    if not folded:
        return ""
    # Latin digraphs swallow an h that Arabic writes as a letter of its own: Lakhal is ل ك ح ل, Fathi ف ت ح ي, Ishaq
    # اسحاق. Only an h right after such a letter is swallowed: in Zahid a vowel stands between.
    kept = (
        "".join(
            ch for i, ch in enumerate(folded) if not (ch == "h" and i > 0 and folded[i - 1] in SWALLOWS_H)
        )
        if swallow_h
        else folded
    )
    skeleton = skeleton_of(kept)
    rest = "".join(ch for ch in skeleton[1:] if ch not in "yw")
    return (skeleton[0] + rest).translate(_COARSE)
