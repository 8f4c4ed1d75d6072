"""Parsing names: turn a listed or queried name into tokens (the token and its forms: :mod:`app.matching.tokens`;
comparing them: :mod:`app.matching.compare`).

A name becomes a list of :class:`~app.matching.tokens.Token`, compared in any order. Arabic and Persian script
are romanized here (``ARABIC_LETTERS``; anyascii drops the alif and reads ض as d), keeping long vowels as the
folding expects; other scripts go through anyascii, Chinese through its glossary, Korean through
:mod:`app.matching.korean`.

Words that carry little identity (Arabic articles, bin/ibn, titles, legal forms, generic words of organization
names, Slavic patronymics) are dropped or weigh less, so "AL-FAYYADH, Falih" and "Faleh al Fayyad" align on the
two words that matter. Spelling conventions of the field are normalized before any comparison: "Abd al-Rahman",
"Abdul Rahman" and "Abdurrahman" become one word, as do "Nasr Allah" and "Nasrallah", "Saif al-Din" and
"Saifuddin"; an attached article ("Alfayyadh", "Essaadi") is compared with and without. An organization's legal
form, however written, is first reduced to its class by rigour (AKTSIONERNOE OBSHCHESTVO, AO and JOINT STOCK
COMPANY are all "jsc"). The word lists are data: ``app/matching/data/words.json``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache

from anyascii import anyascii
from rapidfuzz import fuzz
from rapidfuzz.process import extractOne
from rigour.names import extract_org_types

from app.matching.glossary import normalize_arabic, translate_cjk, translations
from app.matching.korean import korean_words
from app.matching.normalize import (
    arabic_word,
    fold,
    is_arabic,
    is_cjk,
    is_hangul,
    singular,
    split_arabic_article,
)
from app.matching.tokens import WEIGHT, Token, make_token
from app.matching.wordlists import WORDS

# ---------------------------------------------------------------------------------------------------------------
# Word classes

# Stand-alone Arabic article spellings ("al-Fayyadh", "el Masri", "ul Haq"): they never identify anyone.
ARTICLES = frozenset({"al", "el", "ul", "il"})
# Sun-letter assimilated articles ("as-Sadr", "ad-Din", "ash-Shami"): only an article when hyphenated to a word,
# because "as", "an", "at" are also ordinary words.
ASSIMILATED_ARTICLES = frozenset(WORDS["assimilated_articles"])
# Patronymic connectors: "bin Laden", "ibn Saud", "ould Abdallah", "binti".
CONNECTORS = WORDS["connectors"]
# Kunya "father of": a real part of the name, but a common one.
KUNYA = {"abu": "abu", "abou": "abu", "abo": "abu", "abw": "abu", "bou": "abu", "aboo": "abu"}
# Stand-alone forms that begin a theophoric "servant of ..." name; fused with the next word so that
# "Abd al-Rahman", "Abdul Rahman", "Abdel Rahman", "Abdulrahman" and "Abdurrahman" are one token.
ABD_FORMS = frozenset({"abd", "abdul", "abdel", "abdal", "abdol", "abdoul", "abdur", "abdour", "abdus"})
_ABD_ATTACHED = re.compile(r"^abd(?:oul|ul|el|al|ol|ou|u)([a-z]{2,})$")
_KUNYA_ATTACHED = re.compile(r"^(?:abu|abou)([bcdfghjklmnpqrstvwxz][a-z]{3,})$")
# Second halves that are always written fused with the previous word in the lists' own Latin forms:
# "Nasr Allah" = "Nasrallah", "Salah al-Din" = "Salahuddin", "Hizb Allah" = "Hizballah".
FUSE_WITH_PREVIOUS = frozenset(WORDS["fuse_with_previous"])
# The tail each of those is fused as: "Nor Eldin" is Noureddin, "Akhund Zada" Akhundzada (Persian "son of").
_FUSED_TAIL = {"allah": "allah", "ullah": "allah", "zada": "zada", "zadeh": "zada", "zade": "zada"}
# The same tails as the vowel-less Arabic script gives them, with the vowel the Latin forms write at the seam.
_FUSED_TAIL_LETTERS = {"allah": "alah", "din": "adin", "zada": "zada"}
# Names written short: MOHD and MD for Muhammad, the Burmese MG for Maung.
ABBREVIATED = WORDS["abbreviated_names"]

# Honorifics and ranks: present or absent at the writer's whim.
TITLES = frozenset(WORDS["titles"])

# Legal forms that only ever name a legal form; dropped from organization names whatever the kind.
LEGAL_FORMS = frozenset(WORDS["legal_forms"])
# The subset that can also be an ordinary word or part of a person's name: only dropped when the name is known
# not to be a person's, otherwise kept with a low weight.
AMBIGUOUS_LEGAL_FORMS = frozenset(WORDS["ambiguous_legal_forms"])
# Words of legal forms that are spelled out ("joint stock company", "limited liability partnership").
LEGAL_FORM_WORDS = frozenset(WORDS["legal_form_words"])
# Frequent words of organization names that say little on their own.
GENERIC_ORG_WORDS = frozenset(WORDS["generic_org_words"])
STOPWORDS = frozenset(WORDS["stopwords"])

# East Slavic patronymics (Romanovich, Ivanovna, Mykolaiovych): lists and documents give or omit them at will.
_PATRONYMIC_RE = re.compile(
    r"^[a-z]{3,}(?:ovich|evich|ovych|evych|ievich|iovych|avich|ovna|evna|ivna|avna|ichna|yevich|yevna)$"
)

PERSON_KINDS = frozenset({"person"})
NON_PERSON_KINDS = frozenset({"organization", "vessel", "aircraft", "other"})


# Long legal-form and generic words by spelling family, to recognize them misspelt (LIMMITED, INVISTMENT).
_LONG_FORM_WORDS = {
    fold(w): w for w in sorted(LEGAL_FORMS | GENERIC_ORG_WORDS | LEGAL_FORM_WORDS) if len(w) >= 5
}
# Words of their own that fold as such a word: OTKRITIE / OTKRYTIE (the bank, "opening") folds as OTKRYTOE ("open").
_NOT_FORM_SPELLINGS = frozenset(WORDS["not_form_spellings"])


@dataclass(frozen=True, slots=True)
class NameForm:
    """A parsed name: its original text and its tokens in written order."""

    original: str
    tokens: tuple[Token, ...]
    kind: str | None = None
    abjad: bool = False  # some words were read from Arabic script
    # Index of the first given name of a person's name ("Falih" in "AL-FAYYADH, Falih", "Barzan" in "BARZAN
    # IBRAHIM HASAN"), -1 when not known or not a person's name.
    lead: int = -1
    # Pairs of token indexes written as one hyphenated given name of short syllables ("Yong-Chol", "Jin-ping"):
    # one half of it is not a given name of its own.
    syllable_pairs: tuple[tuple[int, int], ...] = ()
    # How many of its words are informative (a generic word or heavier; all of them when none is), counted once
    # here for the index's ranking (app.matching.index).
    informative: int = 0

    def blocking_keys(self) -> set[str]:
        keys: set[str] = set()
        for token in self.tokens:
            if token.weight >= WEIGHT["generic"]:
                keys.update(token.keys())
        if not keys:  # a name made only of light words ("THE COMPANY") still needs to be found
            for token in self.tokens:
                keys.update(token.keys())
        return keys


_APOSTROPHES = "'`´ʻʼʽʾʿ’‘′"
_APOSTROPHE_RE = re.compile("[" + re.escape(_APOSTROPHES) + "]")
_ABBREVIATION_RE = re.compile(r"\b(?:[a-z]\.){2,}")
_POSSESSIVE_RE = re.compile("([a-z]{3,})[" + re.escape(_APOSTROPHES) + "]s\\b")
_WORD_RE = re.compile(r"[a-z0-9]+|-|,")


@dataclass(slots=True)
class _Word:
    text: str  # lower-case Latin (for Arabic script, a readable consonantal romanization)
    letters: str | None = None  # Arabic script only: the spelling in the folded alphabet
    hyphen: bool = False  # a hyphen follows ("al-", "Sepah-e")
    gloss: tuple[str, ...] = ()  # Arabic script only: its translation, if it is a word of organization names
    construct: bool = False  # Arabic script only: it ends in a ta marbuta
    title: bool = False  # Arabic script only: a title (حاجی, شيخ), not a name

    @property
    def abjad(self) -> bool:
        return self.letters is not None


# The Islamic State's long name, in the forms the lists write it, is its acronym: "ISLAMIC STATE OF IRAQ AND
# ASH-SHAM - SINAI PROVINCE" is "ISIL SINAI PROVINCE", an alias of the same branch, and "... - KHORASAN" is not
# ISIL itself. Read word by word, the six common words of the long name outweigh the one that tells a branch.
_ISIL_LONG_NAME_RE = re.compile(
    r"\b(?:the\s+)?islamic\s+state\s+(?:of|in)\s+(?:the\s+)?iraq\s+and\s+(?:the\s+)?"
    r"(?:(?:al|ash|as|esh|es)[\s-]+)?(?:levant|syria|sham|shaam)\b"
    r"|الدولة\s+ال[إا]سلامية\s+ف[يى]\s+العراق\s+و\s*الشام"
    # since 2014 it calls itself the Islamic State alone ("ISLAMIC STATE'S KHORASAN PROVINCE"); the Islamic State of
    # Iraq was an earlier name of al-Qaida in Iraq
    r"|\bislamic\s+state(?:['’]s)?\b(?!\s+(?:of|in)\b)",
    re.IGNORECASE,
)


# Letters of Persian and Pashto writing that Arabic does not use.
_PERSIAN_LETTERS = frozenset("یکگپچژ")
# Titles as Arabic and Persian script write them (in the spelling normalize_arabic leaves): Haji, Sheikh, Mullah,
# Mawlawi, Qari, Mufti, Doctor.
ARABIC_TITLES = frozenset({"حاجي", "حاج", "شيخ", "ملا", "مولوي", "قاري", "مفتي", "دكتور", "داكتر"})


def _raw_words(text: str) -> list[_Word]:
    """Split a name into words in written order, romanizing as needed."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u200c", "").replace("\u200d", "")  # Persian zero-width non-joiner inside words
    text = _ISIL_LONG_NAME_RE.sub(" ISIL ", text)
    if any(is_cjk(ch) for ch in text):
        text = translate_cjk(text)
    if "ى" in text and any(ch in _PERSIAN_LETTERS for ch in text):
        text = text.replace("ى", "ی")  # in Persian and Pashto writing it is the ye (حاجى, Haji), not an alif
    words: list[_Word] = []
    # Split into runs of Arabic-script words and everything else, keeping order.
    for chunk in re.split(r"([\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF]+)", text):
        if not chunk:
            continue
        if is_arabic(chunk[0]):
            if chunk.startswith("وال") and len(chunk) > 5:  # "wa-l-": "and the", as in العراق والشام
                words.append(_Word("w", "w", gloss=translations("و")))
                chunk = chunk[1:]
            if chunk == "ال":
                continue  # an article written apart: جمات ال احرار
            if chunk in ("زاده", "زادہ") and words and words[-1].abjad:
                words.append(_Word("zada"))  # Persian "son of", fused with the previous word below
                continue
            for kunya in ("ابوال", "أبوال"):  # "Abu al-" written as one word: أبواليزيد
                if chunk.startswith(kunya) and len(chunk) > len(kunya) + 1:
                    words.append(_Word("abw", "abw"))
                    chunk = chunk[len(kunya) - 2 :]
            if chunk.startswith("بال") and len(chunk) > 5:  # "bi-l-": "with the", الموقعون بالدم
                words.append(_Word("b", "b", gloss=translations("ب")))
                chunk = chunk[1:]
            has_article, bare = split_arabic_article(chunk)
            if bare in ("الله", "اللہ"):
                words.append(_Word("allah"))
            elif has_article and bare in ("دين", "دین"):  # "Saif al-Din": fused with the previous word below
                words.append(_Word("din"))
            else:
                readable, letters = arabic_word(bare)
                if readable:
                    words.append(
                        _Word(
                            readable,
                            letters,
                            gloss=translations(bare) or translations(chunk),
                            construct=bare.endswith("ة"),
                            title=normalize_arabic(chunk) in ARABIC_TITLES,
                        )
                    )
            continue
        words.extend(_latin_words(_romanize(chunk)))
    return words


# A Cyrillic word typed with some Latin letters drawn alike ("Cухов", "Pуслан", "Xомяков" on the lists) is read as
# the Cyrillic word it shows: its C is an S, its P an R, its X a KH.
_CYRILLIC_HOMOGLYPHS = str.maketrans(WORDS["cyrillic_homoglyphs"])
_CYRILLIC_WORD_RE = re.compile(r"\w*[\u0400-\u04FF]\w*")


def _romanize(chunk: str) -> str:
    if all(ord(ch) < 0x80 for ch in chunk):
        return chunk
    chunk = _CYRILLIC_WORD_RE.sub(lambda m: m.group(0).translate(_CYRILLIC_HOMOGLYPHS), chunk)
    parts = []
    for ch in chunk:
        if is_cjk(ch):
            # One syllable per character; lists write "XI Jinping", the concatenation pass rejoins given names.
            parts.append(" " + anyascii(ch) + " ")
        elif is_hangul(ch):
            syllable = anyascii(ch).lower()
            # Revised Romanization (anyascii) → the McCune-Reischauer-like spellings of the lists:
            # Gim/Kim, Jeong/Jong, Eun/Un.
            syllable = syllable.replace("eo", "o").replace("eu", "u")
            if syllable.startswith("g"):
                syllable = "k" + syllable[1:]
            parts.append(" " + syllable + " ")
        elif ch in "жЖ":
            if parts and parts[-1] in ("D", "d"):
                parts[-1] = ""  # дж is how Russian writes a j: Джихад is Jihad
            parts.append("dzh")  # ж is always one sound; a Latin "zh" inside a word may be z + h
        else:
            parts.append(anyascii(ch))
    return "".join(parts)


def _latin_words(text: str) -> list[_Word]:
    text = text.lower()
    # An English possessive is not part of the word: "ISLAMIC STATE'S KHORASAN PROVINCE". (Two letters before
    # it are a transliterated word: "Ra's al-Khaimah".)
    text = _POSSESSIVE_RE.sub(r"\1", text)
    text = _APOSTROPHE_RE.sub("", text)
    text = _ABBREVIATION_RE.sub(lambda m: m.group(0).replace(".", ""), text)
    pieces = _WORD_RE.findall(text)
    words: list[_Word] = []
    for i, piece in enumerate(pieces):
        if piece == "-":
            continue
        if piece == ",":
            if words and words[-1].text != ",":
                words.append(_Word(","))  # "SURNAME, Given": where the given names begin
            continue
        words.append(_Word(piece, None, i + 1 < len(pieces) and pieces[i + 1] == "-"))
    return words


def _kind_class(kind: str | None) -> str:
    if kind in PERSON_KINDS:
        return "person"
    if kind in NON_PERSON_KINDS:
        return "org"
    return "unknown"


_BRACKETED_RE = re.compile(r"\(([^()]*)\)")
_ORIGINAL_SCRIPT_RE = re.compile(r"\(\s*original script\s*:\s*", re.IGNORECASE)


_NUMBER_RE = re.compile(r"\d+")


def _split_brackets(text: str) -> tuple[str, list[str]]:
    """The text with its bracketed parts blanked out, and those parts (innermost brackets first)."""
    inside: list[str] = []
    while True:
        found = _BRACKETED_RE.findall(text)
        if not found:
            return text, inside
        inside.extend(found)
        text = _BRACKETED_RE.sub(" ", text)


def number_value(digits: str) -> str:
    """A number written in decimal digits (of any script: \\d, str.isdecimal), as one writing of it: leading zeros
    left out, 07876 is 7876."""
    return str(int(digits))


def numbers_outside_brackets(text: str) -> frozenset[str]:
    """The numbers a name is written with (see number_value), but those in brackets: "FU YUAN YU 7876" is
    numbered 7876, "SECOND ACADEMY OF NATURAL SCIENCES (KPE.018)" not at all (a reference, not the name)."""
    return frozenset(map(number_value, _NUMBER_RE.findall(_split_brackets(text)[0])))


def name_variants(text: str, parts: bool = True) -> list[str]:
    """A name as written and, when it holds bracketed parts, the name without them and each part on its own:
    "SEPAH-E QODS (JERUSALEM FORCE)" is also "SEPAH-E QODS" and "JERUSALEM FORCE"; the UN writes several
    aliases in one bracket, separated by semicolons, and brackets within brackets; a bracket marked "original
    script" holds the name in its own script, so the name as written is not one. Without ``parts``, only the name
    as written and without its brackets."""
    if " / " in text:
        # "AL-ITIHAAD AL-ISLAMIYA / AIAI": two names of one entry, written as one
        return [
            text,
            *(v for part in text.split(" / ") if part.strip() for v in name_variants(part.strip(), parts)),
        ]
    if "(" not in text:
        return [text]
    # The UN writes an alias's original script after it: "Amir Khazmat (original script: Амир Хазмат)". The name
    # is then the alias and its original, never the two read as one name.
    original_script = _ORIGINAL_SCRIPT_RE.search(text) is not None
    text = _ORIGINAL_SCRIPT_RE.sub("(", text)
    outside, inside = _split_brackets(text.replace("(original script)", " "))
    outside = " ".join(outside.replace("(", " ").replace(")", " ").split()).strip(" -,;")
    variants = [] if original_script and outside else [text]
    # Without its brackets only when they hold another name: "(HK)" in "HONG PANG GEMS & JEWELLERY (HK) CO.
    # LIMITED" tells the Hong Kong company from its namesake.
    if outside and (original_script or any(" " in group.strip() for group in inside)):
        variants.append(outside)
    if not parts:
        return variants
    for group in inside:
        for part in group.split(";"):
            part = " ".join(part.split()).strip(" -,")
            if len(part) >= 3 and part not in variants:
                variants.append(part)
    return variants


# The shortest legal form, as written, that rigour's table rewrites (see parse_name).
ORG_TYPE_MIN_LENGTH = 6
# Legal forms rigour's table lacks, rewritten to its codes the same way: a Russian state corporation
# (goskorporatsiya: ROSTEC, ROSATOM) is a state-owned enterprise.
_ORG_TYPE_PHRASES = WORDS["org_type_phrases"]
_ORG_TYPE_PHRASE_RE = re.compile(
    r"(?<!\w)("
    + "|".join(re.escape(p) for p in sorted(_ORG_TYPE_PHRASES, key=len, reverse=True))
    + r")(?!\w)",
    re.IGNORECASE,
)
# The words of a legal form written out that rigour's table knows spelled one way only, and how close another
# spelling must be to be taken for one of them: OBSCHESTVO S OGRANICHENNOY OTVETSVENNOSTYU is an OOO.
_PHRASE_WORDS = tuple(WORDS["legal_form_phrase_words"])
_PHRASE_WORD_MIN_RATIO = 85
_PHRASE_WORD_RE = re.compile(r"\b[A-Za-z]{8,}\b")


def _respelt_phrase_word(match: re.Match) -> str:
    word = match.group(0)
    lower = word.lower()
    found = extractOne(lower, _PHRASE_WORDS, scorer=fuzz.ratio, score_cutoff=_PHRASE_WORD_MIN_RATIO)
    return found[0] if found is not None and found[0] != lower else word


_TRAILING_ACRONYM_RE = re.compile(r"\s*\([A-Za-z0-9][A-Za-z0-9.&-]{1,5}\)\s*$")


@lru_cache(maxsize=200_000)
def parse_name(name: str, kind: str | None = None) -> NameForm:
    """Parse a name as written on a list or in a query. ``kind`` is an Entry kind or None when unknown."""
    kind_class = _kind_class(kind)
    # A trailing acronym in brackets repeats the name: "HAQQANI NETWORK (HQN)", "KHATIBA AL-TAWHID WAL-JIHAD (KTJ)".
    text = _TRAILING_ACRONYM_RE.sub("", name) or name
    if kind_class == "org":
        # A legal form written out (AKTSIONERNOE OBSHCHESTVO, JOINT STOCK COMPANY, GESELLSCHAFT MIT BESCHRAENKTER
        # HAFTUNG) becomes the word of its class (jsc, llc, lp...), from rigour's table of organization types in
        # many languages. Short forms stay with LEGAL_FORMS: rigour's table also holds words like "IN". The phrases
        # rigour lacks go first: rigour would take SIRKETI of ANONIM SIRKETI alone.
        text = _PHRASE_WORD_RE.sub(_respelt_phrase_word, text)
        text = _ORG_TYPE_PHRASE_RE.sub(lambda m: _ORG_TYPE_PHRASES[m.group(1).lower()], text)
        for found, code in extract_org_types(text, generic=True):
            if len(found) >= ORG_TYPE_MIN_LENGTH:
                text = re.sub(rf"(?<!\w){re.escape(found)}(?!\w)", code, text)
    words = _raw_words(text)
    comma = next((i for i, w in enumerate(words) if w.text == ","), -1)
    given_from = 0  # token index where the given names begin
    if comma >= 0:
        words = [w for w in words if w.text != ","]
    korean = None
    if kind_class != "org" and not any(w.abjad for w in words):
        korean = korean_words([w.text for w in words])
        if korean is not None:
            # one comparison form across romanization systems; its syllables are no articles ("Il-Gyu")
            words = [replace(w, text=form) for w, form in zip(words, korean, strict=True)]
    patronymic_at = _patronymic_position(words, comma) if kind_class != "org" else -1
    tokens: list[Token] = []
    hyphenated_at: set[int] = set()  # tokens of plain words followed by a hyphen
    pending_abd = False
    n = len(words)
    for i, w in enumerate(words):
        if i == comma:
            given_from = len(tokens) + (1 if pending_abd else 0)
        word, abjad = w.text, w.abjad
        has_next = i + 1 < n
        if not abjad and korean is None:
            if has_next and (
                (word in ARTICLES and (w.hyphen or word != "il"))
                or (w.hyphen and word in ASSIMILATED_ARTICLES)
            ):
                continue  # "il" written apart is a Korean syllable (Pu Il) more often than an article
            if word in ("e", "i") and not w.hyphen and i > 0 and words[i - 1].hyphen:
                continue  # Persian ezafe "Sepah-e Qods"
            word = ABBREVIATED.get(word, word)
        # "servant of": fuse with the next word
        if pending_abd:
            pending_abd = False
            tokens.append(_abd_token(word, w.letters))
            continue
        if word in ABD_FORMS and has_next:
            pending_abd = True
            continue
        attached = _ABD_ATTACHED.match(word)
        if attached and word not in ABD_FORMS:
            letters_match = _ABD_ATTACHED.match(w.letters) if abjad else None
            letters = letters_match.group(1) if letters_match else w.letters
            tokens.append(_abd_token(attached.group(1), letters))
            continue
        kunya = _KUNYA_ATTACHED.match(word) if not abjad and kind_class != "org" else None
        if kunya:  # "Abubakar", "Abouzeid": the kunya written on
            tokens.append(make_token("abu", "kunya"))
            tokens.append(
                make_token(kunya.group(1), _word_class(kunya.group(1), False, kind_class, i, n + 1))
            )
            continue
        if word in FUSE_WITH_PREVIOUS and tokens and tokens[-1].cls == "word":
            previous = tokens.pop()
            tail = _FUSED_TAIL.get(word, "din")
            # a vowel at the seam, as the Latin forms write one (Sa'd al-Din: Saduddin, not Sadin)
            letters = (previous.folded + _FUSED_TAIL_LETTERS[tail]) if previous.abjad else None
            parts = () if previous.abjad else (previous.text, tail)
            tokens.append(make_token(previous.text + tail, "word", previous.abjad, letters, parts))
            continue
        if w.gloss and kind_class != "person":
            cls = _gloss_class(w.gloss)
            if cls != "dropped":
                tokens.append(make_token(word, cls, True, w.letters, gloss=w.gloss, construct=w.construct))
            continue
        if not abjad and kind_class != "person" and len(word) >= 5 and word not in _NOT_FORM_SPELLINGS:
            # A misspelt legal form or generic word ("LIMMITED", "INVISTMENT", "AKTSEONERNOE") is still that word.
            word = _LONG_FORM_WORDS.get(fold(word), word)
        cls = "title" if w.title and n > 1 else _word_class(word, abjad, kind_class, i, n, patronymic_at)
        if cls == "stopword" and len(word) == 1 and i > 0 and words[i - 1].hyphen:
            cls = "word"  # a letter hyphenated to a name is part of it: ISIS-K is not ISIS
        if cls == "dropped":
            continue
        if cls == "kunya":
            tokens.append(make_token("abu", cls))
        elif cls == "connector":
            tokens.append(make_token("bin", cls))
        else:
            if w.hyphen and not abjad and cls == "word":
                hyphenated_at.add(len(tokens))
            tokens.append(make_token(word, cls, abjad, w.letters, construct=w.construct))
    if pending_abd:  # "Abd" as the last word: keep it as written
        tokens.append(make_token("abd", "word"))
    if not tokens or all(t.weight < WEIGHT["word"] for t in tokens):
        # Nothing but light words ("GENERAL TRADING CO", "AO"): they are the name, weigh them fully.
        tokens = [make_token(w.text, "word", w.abjad, w.letters) for w in words]
    lead = -1
    if kind_class != "org" and len(tokens) >= 2:
        lead = next(
            (k for k in range(min(given_from, len(tokens) - 1), len(tokens)) if tokens[k].cls == "word"), -1
        )
    syllable_pairs = ()
    if kind_class != "org" and hyphenated_at:
        syllable_pairs = tuple(
            (k, k + 1)
            for k in sorted(hyphenated_at)
            if k + 1 < len(tokens)
            and tokens[k + 1].cls == "word"
            and max(len(tokens[k].text), len(tokens[k + 1].text)) <= SYLLABLE_MAX
        )
    return NameForm(
        original=name,
        tokens=tuple(tokens),
        kind=kind,
        abjad=any(t.abjad for t in tokens),
        lead=lead,
        syllable_pairs=syllable_pairs,
        informative=sum(1 for t in tokens if t.weight >= WEIGHT["generic"]) or len(tokens),
    )


# The longest piece of a hyphenated given name read as a syllable of it (Korean Yong-Chol, Chinese Jin-ping).
SYLLABLE_MAX = 5


def _patronymic_position(words: list[_Word], comma: int) -> int:
    """Where the name's East Slavic patronymic is, or -1. A name of three words or more has at most one, after a
    given name: never its first word, nor before the comma of "SURNAME, Given Patronymic"; a surname may end alike
    (RUSAKEVICH, Uladzimir Vasilievich; Vladimir Vasilievich Rusakevich; Roman Arkadyevich ABRAMOVICH)."""
    if len(words) <= 2:
        return -1
    first = comma + 1 if comma >= 0 else 1
    return next((i for i in range(first, len(words)) if _PATRONYMIC_RE.match(words[i].text)), -1)


def _gloss_class(gloss: tuple[str, ...]) -> str:
    """A translated word weighs as its translation does: "front" is a generic word, "Libyan" is not."""
    classes = {_word_class(word, False, "org", 1, 3) for word in gloss}
    for cls in ("word", "generic", "stopword"):
        if cls in classes:
            return cls
    return "dropped"


def _abd_token(word: str, letters: str | None) -> Token:
    if letters is None:
        fused = _fuse_abd("abd", word)
        return make_token(fused, "word", parts=("abd", fused[3:]))
    return make_token(_fuse_abd("abd", word), "word", True, _fuse_abd("abd", letters))


def _fuse_abd(head: str, word: str) -> str:
    # "al-Rahman" after "Abd", or an assimilated "rrahman" from "Abdurrahman"
    for article in ("al", "el", "ul"):
        if word.startswith(article) and len(word) > len(article) + 2 and word != "allah":
            word = word[len(article) :]
            break
    if word == "allah":
        word = "lah"
    elif len(word) > 2 and word[0] == word[1]:
        word = word[1:]
    return head + word


def _word_class(
    word: str, abjad: bool, kind_class: str, position: int, count: int, patronymic_at: int = -1
) -> str:
    if abjad:
        if word in KUNYA:
            return "kunya"
        if word in ("bn", "wld"):  # بن, ولد (ould)
            return "connector"
        return "word"
    if len(word) == 1 and word.isalpha():
        return "initial" if kind_class != "org" else "stopword"
    if word in CONNECTORS and 0 < position < count - 1:
        return "connector"
    if patronymic_at == position and _PATRONYMIC_RE.match(word):
        return "patronymic"
    if word in KUNYA and (position < count - 1 or kind_class == "person"):
        return "kunya"  # "AISHA, Abu": a kunya whose name the list has put first is still no name
    if word in TITLES and count > 1 and not (kind_class == "org" and word in GENERIC_ORG_WORDS):
        return "title"
    if kind_class == "person":
        return "word"
    # an organization's plural is its singular's class: GROUP OF COMPANIES, INDUSTRIES, HOLDINGS
    plain = singular(word) if kind_class == "org" and len(word) > 4 else word
    if word in LEGAL_FORMS or plain in LEGAL_FORMS:
        if kind_class == "org" or word not in AMBIGUOUS_LEGAL_FORMS:
            return "dropped"
        return "legal"  # an unknown kind: "AS" may be a legal form, or not
    if kind_class == "org" and (word in LEGAL_FORM_WORDS or plain in LEGAL_FORM_WORDS):
        return "legal"
    if word in STOPWORDS and count > 1:
        return "stopword"
    if kind_class == "org" and (word in GENERIC_ORG_WORDS or plain in GENERIC_ORG_WORDS):
        return "generic"
    return "word"
