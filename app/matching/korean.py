"""Korean personal names across romanization systems.

One Korean name reaches the lists in several romanizations: McCune-Reischauer and the DPRK's own system (KIM Yong
Chol, CHO'N Myo'ng-kuk, JON Myong Guk), South Korea's Revised Romanization (Kim Young-cheol, Jeon Myeong-guk) and
older habits (Park, Lee, Choi). They differ regularly: a consonant written voiced or not (Gyu/Kyu, Jun/Chun,
Jo/Cho), a vowel written eo or o (Cheol/Chol), eu or u, oo or u. :func:`korean_words` rewrites the words of a
name that reads as Korean (a Korean surname, every other word one or two Korean syllables) into one comparison
form, so that the spelling rules of app.matching.compare see one name. The surnames and rewrites are data
(``data/words.json``: ``korean_surnames``, ``korean_rewrites``).
"""

from __future__ import annotations

import re

from app.matching.wordlists import WORDS

# surname as written -> its comparison form (Park/Bak/Pak, Lee/Ri/Yi, Choi/Choe)
KOREAN_SURNAMES: dict[str, str] = WORDS["korean_surnames"]
# ordered rewrites of one romanized syllable string into the comparison form
_REWRITES = tuple((re.compile(pattern), rewrite) for pattern, rewrite in WORDS["korean_rewrites"])

# One romanized Korean syllable: an initial consonant, a vowel, a final consonant (each system's spellings).
_INITIAL = "(?:kk|tt|pp|ss|jj|ch|sh|ts|k|g|n|d|t|r|l|m|b|p|s|j|h)?"
_VOWEL = "(?:yae|yeo|wae|ae|ya|eo|ye|yo|yu|eu|ui|oe|wa|wo|we|wi|oo|ee|ou|a|e|i|o|u)"
_FINAL = "(?:ng|k|g|n|t|l|m|p|b)?"
_SYLLABLE = _INITIAL + _VOWEL + _FINAL
_GIVEN_NAME_RE = re.compile(f"(?:{_SYLLABLE}){{1,2}}")
# A Korean name: a surname and a given name of one or two syllables, four words at most in all.
_MAX_WORDS = 4
# Two syllables of six letters at most (Myeong-cheol, Hyeong-jun): a longer given name is not Korean.
_MAX_GIVEN_LETTERS = 12


def korean_words(words: list[str]) -> list[str] | None:
    """The comparison forms of a name's lower-case words when the name reads as Korean, else None."""
    if not 2 <= len(words) <= _MAX_WORDS or not any(w in KOREAN_SURNAMES for w in words):
        return None
    surname_at = next(i for i, w in enumerate(words) if w in KOREAN_SURNAMES)
    others = [w for i, w in enumerate(words) if i != surname_at]
    if (
        not all(_GIVEN_NAME_RE.fullmatch(w) for w in others)
        or sum(len(w) for w in others) > _MAX_GIVEN_LETTERS
    ):
        return None
    return [KOREAN_SURNAMES[w] if i == surname_at else korean_form(w) for i, w in enumerate(words)]


def korean_form(word: str) -> str:
    """A romanized Korean given-name word in the comparison form (Young-Cheol, Yong-Chol: yong, chol)."""
    for pattern, rewrite in _REWRITES:
        word = pattern.sub(rewrite, word)
    return word
