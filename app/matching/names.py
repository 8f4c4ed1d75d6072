"""Name model: turn a listed or queried name into comparable tokens, and compare two names.

A name becomes a list of :class:`Token`, compared in any order. Each token carries forms from strict to loose:

* ``text``: the normalized Latin spelling (lower case, no diacritics or apostrophes), for exact agreement;
* ``folded``: the spelling family. Consonant digraphs are folded (dh→d, th→t, kh→k, gh→g, q→k, sh→x, v→w, a c
  before e/i is an s), vowels fall in two classes (a/e/i → a, o/u → u; a final i/e/y stays i), y and w are
  vowels unless a vowel follows, and runs of vowels and doubled letters collapse. Falih/Faleh, Qasim/Kassem,
  Husseini/Husaini, Mohammed/Muhammad, Borys/Boris each fold to one string;
* ``skeleton``: the folded form without vowels after the first letter ("flh", "fyd", "hzblh");
* ``coarse``: the skeleton without semivowels, with the consonants Arabic romanizations swap merged (t/d/z/s,
  k/g). Arabic and Persian script write no short vowels, so a word read from them (``abjad``) is compared with
  a Latin word by this outline alone. anyascii drops the alif and reads ض as d; this module romanizes Arabic
  script itself (``ARABIC_LETTERS``), keeping long vowels as the folding expects.

Words that carry little identity (Arabic articles, bin/ibn, titles, legal forms, generic words of organization
names, Slavic patronymics) are dropped or weigh less, so "AL-FAYYADH, Falih" and "Faleh al Fayyad" align on the
two words that matter. Spelling conventions of the field are normalized before any comparison: "Abd al-Rahman",
"Abdul Rahman" and "Abdurrahman" become one word, as do "Nasr Allah" and "Nasrallah", "Saif al-Din" and
"Saifuddin"; an attached article ("Alfayyadh", "Essaadi") is compared with and without.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from anyascii import anyascii
from rapidfuzz.distance import Levenshtein

from app.matching.glossary import normalize_arabic, translate_cjk, translations

# ---------------------------------------------------------------------------------------------------------------
# Word classes

# Stand-alone Arabic article spellings ("al-Fayyadh", "el Masri", "ul Haq"): they never identify anyone.
ARTICLES = frozenset({"al", "el", "ul", "il"})
# Sun-letter assimilated articles ("as-Sadr", "ad-Din", "ash-Shami"): only an article when hyphenated to a word,
# because "as", "an", "at" are also ordinary words.
ASSIMILATED_ARTICLES = frozenset(
    {"ad", "adh", "an", "ar", "as", "ash", "at", "ath", "az", "ud", "ur", "us", "un"}
)
# Patronymic connectors: "bin Laden", "ibn Saud", "ould Abdallah", "binti".
CONNECTORS = {
    "bin": "bin",
    "ibn": "bin",
    "ben": "bin",
    "bint": "bin",
    "binti": "bin",
    "bn": "bin",
    "ould": "bin",
    "uld": "bin",
    "wuld": "bin",
    "walad": "bin",
}
# Kunya "father of": a real part of the name, but a common one.
KUNYA = {"abu": "abu", "abou": "abu", "abo": "abu", "abw": "abu", "bou": "abu", "aboo": "abu"}
# Stand-alone forms that begin a theophoric "servant of ..." name; fused with the next word so that
# "Abd al-Rahman", "Abdul Rahman", "Abdel Rahman", "Abdulrahman" and "Abdurrahman" are one token.
ABD_FORMS = frozenset({"abd", "abdul", "abdel", "abdal", "abdol", "abdoul", "abdur", "abdour", "abdus"})
_ABD_ATTACHED = re.compile(r"^abd(?:oul|ul|el|al|ol|ou|u)([a-z]{2,})$")
_KUNYA_ATTACHED = re.compile(r"^(?:abu|abou)([bcdfghjklmnpqrstvwxz][a-z]{3,})$")
# Second halves that are always written fused with the previous word in the lists' own Latin forms:
# "Nasr Allah" = "Nasrallah", "Salah al-Din" = "Salahuddin", "Hizb Allah" = "Hizballah".
FUSE_WITH_PREVIOUS = frozenset(
    {
        "allah",
        "ullah",
        "din",
        "deen",
        "dine",
        "eddine",
        "eddin",
        "eldin",
        "aldin",
        "uddin",
        "addin",
        "zada",
        "zadeh",
        "zade",
    }
)
# The tail each of those is fused as: "Nor Eldin" is Noureddin, "Akhund Zada" Akhundzada (Persian "son of").
_FUSED_TAIL = {"allah": "allah", "ullah": "allah", "zada": "zada", "zadeh": "zada", "zade": "zada"}
# The same tails as the vowel-less Arabic script gives them, with the vowel the Latin forms write at the seam.
_FUSED_TAIL_LETTERS = {"allah": "alah", "din": "adin", "zada": "zada"}
ABBREVIATED = {"mohd": "muhammad", "muhd": "muhammad", "md": "muhammad", "mhd": "muhammad"}

# Honorifics and ranks: present or absent at the writer's whim.
TITLES = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "miss",
        "dr",
        "prof",
        "sir",
        "hon",
        "rev",
        "sheikh",
        "shaikh",
        "shaykh",
        "sheik",
        "cheikh",
        "haji",
        "hajji",
        "hadji",
        "hajj",
        "mullah",
        "mulla",
        "maulana",
        "mawlana",
        "maulvi",
        "mawlawi",
        "mawlavi",
        "qari",
        "imam",
        "hafiz",
        "gen",
        "general",
        "col",
        "colonel",
        "maj",
        "major",
        "brig",
        "brigadier",
        "lt",
        "lieutenant",
        "capt",
        "captain",
        "adm",
        "admiral",
        "sgt",
        "sergeant",
        "commander",
        "cdr",
        # the honorific of descendants of the Prophet, given or left out: Seyyed Parviz FATTAH / FATTAH, Parviz
        "sayyid",
        "sayyed",
        "seyed",
        "seyyed",
        "seyyid",
        "syed",
    }
)

# Legal forms that only ever name a legal form; dropped from organization names whatever the kind.
LEGAL_FORMS = frozenset(
    {
        "llc",
        "ltd",
        "limited",
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "plc",
        "gmbh",
        "mbh",
        "jsc",
        "ojsc",
        "cjsc",
        "pjsc",
        "pao",
        "oao",
        "zao",
        "ooo",
        "tov",
        "llp",
        "fze",
        "fzco",
        "sasu",
        "fzc",
        "fzllc",
        "pte",
        "pvt",
        "bhd",
        "sdn",
        "psc",
        "wll",
        "sarl",
        "sas",
        "srl",
        "spa",
        "sae",
        "saog",
        "bsc",
        "qsc",
        "kg",
        "kgaa",
        "company",
        "co",
        "cie",
        "companyltd",
        "sal",
        "lp",
        "ao",
        "nv",
        "bv",
        "ag",
        "oy",
        "ab",
        "sa",
        "se",
        "doo",
        "dooel",
        "ad",
        "ead",
        "kft",
        "zrt",
        "sro",
        "as",
        "aps",
        "ou",
        "uab",
        "sia",
        "est",
        "establishment",
        "jscl",
        "jointstock",
    }
)
# The subset that can also be an ordinary word or part of a person's name: only dropped when the name is known
# not to be a person's, otherwise kept with a low weight.
AMBIGUOUS_LEGAL_FORMS = frozenset(
    {
        "co",
        "sa",
        "se",
        "ag",
        "ab",
        "as",
        "ao",
        "nv",
        "bv",
        "oy",
        "ad",
        "est",
        "ou",
        "sia",
        "sal",
        "spa",
        "sas",
        "kg",
        "lp",
        "sro",
        "ead",
        "doo",
        "cie",
    }
)
# Words of legal forms that are spelled out ("joint stock company", "limited liability partnership").
LEGAL_FORM_WORDS = frozenset(
    {
        "joint",
        "stock",
        "liability",
        "closed",
        "open",
        "public",
        "private",
        "partnership",
        "societe",
        "anonyme",
        "sociedad",
        "anonima",
        "gesellschaft",
        "obshchestvo",
        # Russian legal forms spelled out: aktsionernoe obshchestvo (joint-stock company), zakrytoe (closed),
        # otkrytoe (open), publichnoe (public)
        "aktsionernoe",
        "zakrytoe",
        "otkrytoe",
        "publichnoe",
        "s",
    }
)
# Frequent words of organization names that say little on their own.
GENERIC_ORG_WORDS = frozenset(
    {
        "trading",
        "trade",
        "general",
        "international",
        "intl",
        "group",
        "holding",
        "holdings",
        "industries",
        "industrial",
        "industry",
        "services",
        "service",
        "enterprise",
        "enterprises",
        "import",
        "export",
        "commercial",
        "investment",
        "investments",
        "national",
        "global",
        "shipping",
        "logistics",
        "management",
        "development",
        "foundation",
        "association",
        "organization",
        "organisation",
        "center",
        "centre",
        "institute",
        "ministry",
        "department",
        "office",
        "bank",
        "petrochemical",
        "engineering",
        "technology",
        "technologies",
        "solutions",
        "systems",
        "products",
        "production",
        "manufacturing",
        "factory",
        "plant",
        "agency",
        "committee",
        "council",
        "network",
        "media",
        "security",
        "energy",
        "oil",
        "gas",
        "petroleum",
        "construction",
        "consulting",
        "marine",
        "maritime",
        "airlines",
        "aviation",
        "charity",
        "society",
        "brigade",
        "brigades",
        "battalion",
        "front",
        "movement",
        "army",
        "forces",
        "force",
        "party",
        "concern",
        "kontsern",
        # a branch of a movement by the region it holds ("ISIL SINAI PROVINCE", "ISIS WILAYAT KHORASAN")
        "province",
        "wilayat",
        "wilayah",
        # Persian, as the lists transliterate it: organization, company, force, unit, foundation, industries
        "sazman",
        "sazeman",
        "sherkat",
        "nirooye",
        "niruye",
        "niruyeh",
        "vahed",
        "bonyad",
        "sanaye",
        "sanaat",
    }
)
STOPWORDS = frozenset(
    {
        "the",
        "of",
        "and",
        "for",
        "in",
        "on",
        "at",
        "to",
        "de",
        "del",
        "della",
        "di",
        "da",
        "do",
        "dos",
        "das",
        "la",
        "le",
        "les",
        "des",
        "du",
        "et",
        "y",
        "e",
        "und",
        "der",
        "die",
        "van",
        "von",
        "fur",
        "fuer",
        "pour",
        "en",
        "i",
        # Arabic "and", "in", "with", left untranslated in Latin names: "Tawhid wal-Jihad", "fi Bilad al-Sudan"
        "wa",
        "wal",
        "fi",
        "bi",
    }
)

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
# East Slavic patronymics (Romanovich, Ivanovna, Mykolaiovych): lists and documents give or omit them at will.
_PATRONYMIC_RE = re.compile(
    r"^[a-z]{3,}(?:ovich|evich|ovych|evych|ievich|iovych|ovna|evna|ivna|ichna|yevich|yevna)$"
)

PERSON_KINDS = frozenset({"person"})
NON_PERSON_KINDS = frozenset({"organization", "vessel", "aircraft", "other"})

# ---------------------------------------------------------------------------------------------------------------
# Scripts

# Arabic-script letters to a consonantal Latin spelling, read the way the lists romanize them. Long vowels are kept
# as vowels (ا → a, و → w, ي → y: the folding decides whether w/y are consonants), short vowels are not written.
# anyascii maps alif to nothing and ض/ظ ambiguously; the lists' romanizations decide here.
ARABIC_LETTERS = {
    "ا": "a",
    "أ": "a",
    "إ": "a",
    "آ": "a",
    "ٱ": "a",
    "ء": "",
    "ؤ": "",
    "ئ": "",
    "ى": "a",
    "ب": "b",
    "ت": "t",
    "ث": "th",
    "ج": "j",
    "ح": "h",
    "خ": "kh",
    "د": "d",
    "ذ": "dh",
    "ر": "r",
    "ز": "z",
    "س": "s",
    "ش": "sh",
    "ص": "s",
    "ض": "dh",
    "ط": "t",
    "ظ": "z",
    "ع": "",
    "غ": "gh",
    "ف": "f",
    "ق": "q",
    "ك": "k",
    "ل": "l",
    "م": "m",
    "ن": "n",
    "ه": "h",
    "ة": "",
    "و": "w",
    "ي": "y",
    # Persian and Urdu
    "پ": "p",
    "چ": "ch",
    "ژ": "zh",
    "گ": "g",
    "ک": "k",
    "ی": "y",
    "ۀ": "",
    "ہ": "h",
    "ھ": "h",
    "ۃ": "",
    "ٹ": "t",
    "ڈ": "d",
    "ڑ": "r",
    "ں": "n",
    "ے": "y",
    "ې": "y",
    "ێ": "y",
    "ڤ": "v",
    "ڭ": "ng",
    "ـ": "",  # tatweel, a stretching stroke
}
# The same letters written in the alphabet of folded forms (one character per sound, see fold()), so that letters
# written next to each other never read as a digraph (ط + ه is "t" + "h", not "th").
ARABIC_FOLDED = {
    **{k: v for k, v in ARABIC_LETTERS.items() if len(v) <= 1},
    "ث": "t",
    "خ": "k",
    "ذ": "d",
    "ش": "x",
    "ض": "d",
    "غ": "g",
    "ق": "k",
    "چ": "c",
    "ژ": "j",
    "ڤ": "w",
    "ڭ": "n",
}
# Letters whose absence/presence at the start of a word reads as a vowel in romanization (Omar/Umar, Ali, Abd).
ARABIC_INITIAL_VOWELS = frozenset("اأإآٱع")
ARABIC_DIGITS = {chr(0x0660 + i): str(i) for i in range(10)} | {chr(0x06F0 + i): str(i) for i in range(10)}


def _is_arabic(ch: str) -> bool:
    code = ord(ch)
    return 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0x08A0 <= code <= 0x08FF


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF


def _is_hangul(ch: str) -> bool:
    code = ord(ch)
    return 0xAC00 <= code <= 0xD7A3


def _arabic_word(word: str) -> tuple[str, str]:
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


def _split_arabic_article(word: str) -> tuple[bool, str]:
    # "الله" is the word Allah, not an article plus a word.
    if word.startswith("ال") and len(word) > 3 and word not in ("الله", "اللہ"):
        return True, word[2:]
    if word.startswith("لل") and len(word) > 3:  # "li-l": "for the", rare in names but seen in organizations
        return True, word[2:]
    return False, word


# ---------------------------------------------------------------------------------------------------------------
# Folding


_DIGRAPHS = (
    ("sch", "x"),
    ("tch", "c"),
    ("dzh", "j"),
    ("dj", "j"),
    ("sh", "x"),
    ("kh", "k"),
    ("gh", "g"),
    ("dh", "d"),
    ("th", "t"),
    ("ph", "f"),
    ("ck", "k"),
    ("q", "k"),
)
_VOWEL_CLASS = {"a": "a", "e": "a", "i": "a", "o": "u", "u": "u"}
# "ch" is its own sound (Chechen, Chavez); a "c" before e/i/y is an s (Lounici, Cecile), any other c a k.
_C_RE = re.compile(r"(ch)|(c(?=[eiy]))|c")


_SLAVIC_ADJECTIVE_ENDINGS = frozenset({"yi", "yy", "iy", "ij", "ii"})


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """The spelling-family form of one Latin token (see the module docstring)."""
    # v is always a consonant (Ivanov), only then one with w (Javad/Jawad).
    return _fold_letters(_letters_before_folding(text)).replace("v", "w")


@lru_cache(maxsize=200_000)
def _letters_before_folding(text: str) -> str:
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
def _fold_letters(s: str) -> str:
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
                and (s[i - 1] in "ie" or s[j + 1 : j + 2] in ("v", "w"))
            ):
                consonant = False  # Slavic iotated e: Podkopayev/Podkopaev, Matviyenko/Matvienko
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
_SWALLOWS_H = frozenset("kdtzsg")


def coarse_of(folded: str, swallow_h: bool = True) -> str:
    """The consonant outline of a folded word (see _COARSE)."""
    if not folded:
        return ""
    # Latin digraphs swallow an h that Arabic writes as a letter of its own: Lakhal is ل ك ح ل, Fathi ف ت ح ي, Ishaq
    # اسحاق. Only an h right after such a letter is swallowed: in Zahid a vowel stands between.
    kept = (
        "".join(
            ch for i, ch in enumerate(folded) if not (ch == "h" and i > 0 and folded[i - 1] in _SWALLOWS_H)
        )
        if swallow_h
        else folded
    )
    skeleton = skeleton_of(kept)
    rest = "".join(ch for ch in skeleton[1:] if ch not in "yw")
    return (skeleton[0] + rest).translate(_COARSE)


# Long legal-form and generic words by skeleton, to recognize them misspelt.
_LONG_FORM_WORDS = {
    skeleton_of(fold(w)): w for w in sorted(LEGAL_FORMS | GENERIC_ORG_WORDS | LEGAL_FORM_WORDS) if len(w) >= 5
}


# ---------------------------------------------------------------------------------------------------------------
# Tokens


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
        folded = _fold_letters(letters)
        bare = make_token(text + "t", cls, True, letters + "t") if construct else None
    else:
        folded = "".join(fold(p) for p in parts) if parts else fold(text)
        bare = _without_attached_article(text, cls)
    skeleton = skeleton_of(folded)
    # Arabic script writes no short vowels, so an h there may or may not stand right after the letter before it
    # in Latin: its outline is kept both ways (see Token.coarse_alt).
    coarse = coarse_of(folded, swallow_h=not abjad)
    coarse_alt = coarse_of(folded) if abjad else ""
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
_NOT_ATTACHED_ARTICLE = frozenset(
    {
        "albert",
        "alberto",
        "alfred",
        "alfredo",
        "alfonso",
        "alphonse",
        "alvaro",
        "alberta",
        "elbert",
        "elvira",
        "elmer",
        "elsbeth",
        "alwin",
        "elliot",
        "elliott",
        "ellison",
        "allison",
        "allegra",
        "elgin",
        "alden",
        "aldous",
        "alston",
        "alberts",
    }
)


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
    if any(_is_cjk(ch) for ch in text):
        text = translate_cjk(text)
    if "ى" in text and any(ch in _PERSIAN_LETTERS for ch in text):
        text = text.replace("ى", "ی")  # in Persian and Pashto writing it is the ye (حاجى, Haji), not an alif
    words: list[_Word] = []
    # Split into runs of Arabic-script words and everything else, keeping order.
    for chunk in re.split(r"([\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF]+)", text):
        if not chunk:
            continue
        if _is_arabic(chunk[0]):
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
            has_article, bare = _split_arabic_article(chunk)
            if bare in ("الله", "اللہ"):
                words.append(_Word("allah"))
            elif has_article and bare in ("دين", "دین"):  # "Saif al-Din": fused with the previous word below
                words.append(_Word("din"))
            else:
                readable, letters = _arabic_word(bare)
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


def _romanize(chunk: str) -> str:
    if all(ord(ch) < 0x80 for ch in chunk):
        return chunk
    parts = []
    for ch in chunk:
        if _is_cjk(ch):
            # One syllable per character; lists write "XI Jinping", the concatenation pass rejoins given names.
            parts.append(" " + anyascii(ch) + " ")
        elif _is_hangul(ch):
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


def name_variants(text: str, parts: bool = True) -> list[str]:
    """A name as written and, when it holds bracketed parts, the name without them and each part on its own:
    "SEPAH-E QODS (JERUSALEM FORCE)" is also "SEPAH-E QODS" and "JERUSALEM FORCE"; the UN writes several
    aliases in one bracket, separated by semicolons, and brackets within brackets. Without ``parts``, only the
    name as written and without its brackets."""
    if " / " in text:
        # "AL-ITIHAAD AL-ISLAMIYA / AIAI": two names of one entry, written as one
        return [
            text,
            *(v for part in text.split(" / ") if part.strip() for v in name_variants(part.strip(), parts)),
        ]
    if "(" not in text:
        return [text]
    outside = text.replace("(original script)", " ")
    inside: list[str] = []
    while True:  # innermost brackets first
        found = _BRACKETED_RE.findall(outside)
        if not found:
            break
        inside.extend(found)
        outside = _BRACKETED_RE.sub(" ", outside)
    variants = [text]
    outside = " ".join(outside.replace("(", " ").replace(")", " ").split()).strip(" -,;")
    # Without its brackets only when they hold another name: "(HK)" in "HONG PANG GEMS & JEWELLERY (HK) CO.
    # LIMITED" tells the Hong Kong company from its namesake.
    if outside and any(" " in group.strip() for group in inside):
        variants.append(outside)
    if not parts:
        return variants
    for group in inside:
        for part in group.split(";"):
            part = " ".join(part.split()).strip(" -,")
            if len(part) >= 3 and part not in variants:
                variants.append(part)
    return variants


_TRAILING_ACRONYM_RE = re.compile(r"\s*\([A-Za-z0-9][A-Za-z0-9.&-]{1,5}\)\s*$")


@lru_cache(maxsize=200_000)
def parse_name(name: str, kind: str | None = None) -> NameForm:
    """Parse a name as written on a list or in a query. ``kind`` is an Entry kind or None when unknown."""
    kind_class = _kind_class(kind)
    # A trailing acronym in brackets repeats the name: "HAQQANI NETWORK (HQN)", "KHATIBA AL-TAWHID WAL-JIHAD (KTJ)".
    words = _raw_words(_TRAILING_ACRONYM_RE.sub("", name) or name)
    comma = next((i for i, w in enumerate(words) if w.text == ","), -1)
    given_from = 0  # token index where the given names begin
    if comma >= 0:
        words = [w for w in words if w.text != ","]
    tokens: list[Token] = []
    hyphenated_at: set[int] = set()  # tokens of plain words followed by a hyphen
    pending_abd = False
    n = len(words)
    for i, w in enumerate(words):
        if i == comma:
            given_from = len(tokens) + (1 if pending_abd else 0)
        word, abjad = w.text, w.abjad
        has_next = i + 1 < n
        if not abjad:
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
        if not abjad and kind_class != "person" and len(word) >= 5:
            # A misspelt legal form or generic word ("LIMMITED", "INVISTMENT", "AKTSEONERNOE") is still that word.
            word = _LONG_FORM_WORDS.get(skeleton_of(fold(word)), word)
        cls = "title" if w.title and n > 1 else _word_class(word, abjad, kind_class, i, n)
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
    )


# The longest piece of a hyphenated given name read as a syllable of it (Korean Yong-Chol, Chinese Jin-ping).
SYLLABLE_MAX = 5


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


def _word_class(word: str, abjad: bool, kind_class: str, position: int, count: int) -> str:
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
    if kind_class != "org" and count > 2 and _PATRONYMIC_RE.match(word):
        return "patronymic"
    if word in KUNYA and (position < count - 1 or kind_class == "person"):
        return "kunya"  # "AISHA, Abu": a kunya whose name the list has put first is still no name
    if word in TITLES and count > 1:
        return "title"
    if kind_class == "person":
        return "word"
    if word in LEGAL_FORMS:
        if kind_class == "org" or word not in AMBIGUOUS_LEGAL_FORMS:
            return "dropped"
        return "legal"  # an unknown kind: "AS" may be a legal form, or not
    if word in LEGAL_FORM_WORDS and kind_class == "org":
        return "legal"
    if word in STOPWORDS and count > 1:
        return "stopword"
    if kind_class == "org" and word in GENERIC_ORG_WORDS:
        return "generic"
    return "word"


# ---------------------------------------------------------------------------------------------------------------
# Comparing


def token_similarity(a: Token, b: Token) -> float:
    """Similarity of two tokens in [0, 1]: 1 for the same spelling, ~0.95 for the same spelling family."""
    if a is b or a.text == b.text:
        return 1.0
    translated = 0.0
    if _SYNONYMS.get(a.text, a.text) == _SYNONYMS.get(b.text, b.text):
        return TRANSLATION_MATCH
    if a.gloss or b.gloss:
        translated = max(_translation_similarity(a, b), _translation_similarity(b, a))
        if translated >= TRANSLATION_MATCH:
            return translated
    if a.cls in _EXACT_ONLY or b.cls in _EXACT_ONLY:
        return translated  # connectors, stopwords, legal forms count only spelled alike ("bin", "of", "ltd")
    best = max(_token_similarity(a, b), translated)
    # An attached article ("alfayyadh" against "fayyadh") costs a little, the rest compares as usual.
    if a.bare is not None:
        best = max(best, 0.98 * _token_similarity(a.bare, b))
    if b.bare is not None:
        best = max(best, 0.98 * _token_similarity(a, b.bare))
        if a.bare is not None:
            best = max(best, _token_similarity(a.bare, b.bare))
    return best


_COUNTRIES = frozenset(
    {
        "afghanistan",
        "algeria",
        "belarus",
        "burma",
        "china",
        "congo",
        "cuba",
        "egypt",
        "europe",
        "gaza",
        "india",
        "indonesia",
        "iran",
        "iraq",
        "israel",
        "jordan",
        "kenya",
        "korea",
        "kosovo",
        "kuwait",
        "lebanon",
        "libya",
        "mali",
        "mexico",
        "morocco",
        "myanmar",
        "niger",
        "nigeria",
        "pakistan",
        "palestine",
        "philippines",
        "qatar",
        "russia",
        "saudi",
        "somalia",
        "sudan",
        "syria",
        "tunisia",
        "turkey",
        "uae",
        "ukraine",
        "venezuela",
        "yemen",
        "khorasan",
        "sinai",
        "sahel",
        "maghreb",
        "levant",
        "caucasus",
        "africa",
        "asia",
        "kong",
        "hongkong",
        "emirates",
        "dubai",
        "crimea",
    }
)

# Words that name one thing however written: the Islamic State's acronyms; a country and its adjective, which
# organization names use in turn ("IRAN'S REVOLUTIONARY GUARDS", "THE IRANIAN REVOLUTIONARY GUARDS").
_SYNONYMS = {
    "isis": "isil",
    "daesh": "isil",
    "daish": "isil",
    "wilayat": "province",
    "wilayah": "province",
    **{
        adjective: country
        for country, adjectives in {
            "afghanistan": ("afghan",),
            "belarus": ("belarusian",),
            "china": ("chinese",),
            "cuba": ("cuban",),
            "egypt": ("egyptian",),
            "iran": ("iranian",),
            "iraq": ("iraqi",),
            "korea": ("korean",),
            "lebanon": ("lebanese",),
            "libya": ("libyan",),
            "nigeria": ("nigerian",),
            "pakistan": ("pakistani",),
            "palestine": ("palestinian",),
            "russia": ("russian",),
            "somalia": ("somali",),
            "sudan": ("sudanese",),
            "syria": ("syrian",),
            "turkey": ("turkish",),
            "ukraine": ("ukrainian",),
            "venezuela": ("venezuelan",),
            "yemen": ("yemeni",),
        }.items()
        for adjective in adjectives
    },
}
# A word and its translation ("جبهة" and "Front") agree as closely as two spellings of one word.
TRANSLATION_MATCH = 0.95


def _translation_similarity(a: Token, b: Token) -> float:
    best = 0.0
    for word in a.gloss:
        if word.text == b.text:
            return TRANSLATION_MATCH
        if not b.abjad and b.cls not in _EXACT_ONLY:
            best = max(best, TRANSLATION_MATCH * _token_similarity(word, b))
    return best


# First letters that transliterations swap while the rest of the word stays: Qaddafi/Gaddafi (the qaf is a g in
# Libyan and Gulf speech), Gamal/Jamal (Egyptian), Yusuf/Jusuf.
_FIRST_LETTER_SWAPS = frozenset({("q", "g"), ("g", "q"), ("g", "j"), ("j", "g"), ("j", "y"), ("y", "j")})


def _same_word_otherwise(a: str, b: str) -> bool:
    """Spellings fold() keeps apart but that write one word: an English plural (FORCES/FORCE, GUARDS/GUARD), a
    Persian q or gh (both one sound in Persian: Asghar/Asqar, Naghdi/Naqdi), a swapped first letter."""
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
    return a[0] != b[0] and (a[0], b[0]) in _FIRST_LETTER_SWAPS and fold(a[1:]) == fold(b[1:])


def singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


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
    if a.folded != b.folded and _same_word_otherwise(a.text, b.text):
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
        elif ch == letters[i - 1] or (ch == "h" and letters[i - 1] in _SWALLOWS_H):
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
    arabic_slots, latin_slots = _vowel_slots(arabic.folded), _vowel_slots(_letters_before_folding(latin.text))
    if len(arabic_slots) != len(latin_slots):
        return False
    return any(
        "u" in mine and "u" not in theirs for mine, theirs in zip(arabic_slots, latin_slots, strict=True)
    )


_GENERIC_WEIGHT = WEIGHT["generic"]
_EXACT_ONLY = frozenset({"connector", "stopword", "legal"})

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
# A name that agrees on a single informative word out of several scores at most this.
SINGLE_WORD_CAP = 0.62
# A person's name of a single informative word, against another such name, scores at most this.
SINGLE_WORD_NAME_CAP = 0.9


@dataclass(slots=True)
class NameMatch:
    similarity: float
    pairs: list[tuple[str, str, float]] = field(default_factory=list)
    unmatched_query: list[str] = field(default_factory=list)
    unmatched_entry: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


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
    q_tokens = query.tokens
    e_tokens = entry.tokens
    if not q_tokens or not e_tokens or (entry.abjad and not query.abjad):
        # A listed name in Arabic script is there for queries in that script; its consonant outline is too
        # loose a comparison for a Latin query, which the entry's Latin names serve.
        return NameMatch(0.0)
    if cache is None:
        cache = {}
    candidates: list[tuple[float, int, int]] = []
    for i, qt in enumerate(q_tokens):
        row = cache.get(qt)
        if row is None:
            row = cache[qt] = {}
        for j, et in enumerate(e_tokens):
            sim = row.get(et)
            if sim is None:
                sim = row[et] = token_similarity(qt, et)
            if sim >= MIN_PAIR:
                candidates.append((sim, i, j))
    if not candidates and not (3 <= len(q_tokens) + len(e_tokens) <= 4):
        # Nothing aligns; only a short name written as one word on the other side ("Wali Jan", WALIJAN) may.
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
    joined: list[tuple[tuple[int, ...], tuple[int, ...], float]] = []
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
    for q_idx, e_idx, sim in joined:
        weight = sum(q_tokens[i].weight for i in q_idx)
        num += sim * weight
        den += weight
        informative_matched += 1
        joined_q.update(q_idx)
        joined_e.update(e_idx)
    # The words each name has that the other lacks.
    q_left = [t for i, t in enumerate(q_tokens) if i not in q_used and i not in joined_q]
    e_left = [t for j, t in enumerate(e_tokens) if j not in e_used and j not in joined_e]
    q_extra = [_extra_weight(t) for t in q_left]
    e_extra = [_extra_weight(t) for t in e_left]
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
        return NameMatch(similarity)
    pairs = [(q_tokens[i].text, e_tokens[j].text, round(sim, 3)) for i, (j, sim) in sorted(q_used.items())]
    for q_idx, e_idx, sim in joined:
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
PART_WORDS = frozenset(
    {
        "force",
        "forces",
        "air",
        "aerospace",
        "naval",
        "navy",
        "ground",
        "army",
        "corps",
        "guard",
        "guards",
        "province",
        "wilayat",
        "branch",
        "wing",
        "brigade",
        "brigades",
        "battalion",
        "division",
        "unit",
        "command",
        "directorate",
        "department",
        "ministry",
        "committee",
        "council",
        "bureau",
        "agency",
        "section",
        "region",
        "regional",
        "chapter",
        "front",
        "intelligence",
        "police",
        "qods",
        "quds",
        "basij",
        "hk",
        "subsidiary",
        "affiliate",
        "faction",
        "cell",
    }
)


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
STRUCTURE_WORDS = frozenset(
    {
        "group",
        "holding",
        "holdings",
        "concern",
        "kontsern",
        "enterprise",
        "enterprises",
        "organization",
        "organisation",
    }
)


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


JOIN_MAX_PIECE = 4


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
            combined = make_token(
                a1.text + a2.text,
                "word",
                a1.abjad,
                a1.folded + a2.folded if a1.abjad else None,
                () if a1.abjad else (a1.text, a2.text),
            )
            best, best_j = 0.0, -1
            for j in free_b:
                if j in taken_b:
                    continue
                row = cache.get(combined)
                if row is None:
                    row = cache[combined] = {}
                sim = row.get(side_b[j])
                if sim is None:
                    sim = row[side_b[j]] = token_similarity(combined, side_b[j])
                if sim > best:
                    best, best_j = sim, j
            if best >= 0.85:
                taken_a.update((i1, i2))
                taken_b.add(best_j)
                if query_side:
                    joined.append(((i1, i2), (best_j,), best))
                else:
                    joined.append(((best_j,), (i1, i2), best))
    return joined
