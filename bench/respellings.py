"""Rule-generated respellings of listed names: the REGRESSION set of bench/matching_pairs.py, never a headline.

These rules are the transliteration habits the matcher itself encodes (article forms, vowel and consonant
variants, abd/bin/abu forms, word order), so a matcher scores well on them by construction: the set only tells
whether a change broke something that used to work. Moved here unchanged from the old bench/matching.py.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from anyascii import anyascii

from app.lists.records import Entry


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", anyascii(text).lower().replace("'", "")))


def _sub_token(pattern: str, repl: str | Callable, text: str, rng: random.Random) -> str | None:
    matches = list(re.finditer(pattern, text))
    if not matches:
        return None
    m = rng.choice(matches)
    value = repl(m) if callable(repl) else m.expand(repl)
    return text[: m.start()] + value + text[m.end() :]


def _swap_vowel(text: str, rng: random.Random) -> str | None:
    swaps = {
        "u": "o",
        "o": "u",
        "i": "e",
        "e": "i",
        "a": "e",
        "U": "O",
        "O": "U",
        "I": "E",
        "E": "I",
        "A": "E",
    }
    # a vowel inside a word (not the first letter): transliterations disagree on short vowels
    return _sub_token(r"(?<=[A-Za-z])[aeiouAEIOU](?=[A-Za-z])", lambda m: swaps[m.group(0)], text, rng)


RESPELLINGS: list[tuple[str, Callable[[str, random.Random], str | None]]] = [
    (
        "al- to el-",
        lambda t, r: _sub_token(
            r"\b([Aa])([Ll])-", lambda m: ("E" if m.group(1) == "A" else "e") + m.group(2) + "-", t, r
        ),
    ),
    ("al- to al ", lambda t, r: _sub_token(r"\b([Aa][Ll])-", r"\1 ", t, r)),
    ("al- attached", lambda t, r: _sub_token(r"\b([Aa][Ll])[- ](?=[A-Za-z]{3})", r"\1", t, r)),
    ("al- dropped", lambda t, r: _sub_token(r"\b[Aa][Ll][- ](?=[A-Za-z]{3})", "", t, r)),
    (
        "article added",
        lambda t, r: (
            _sub_token(r"^([A-Z][A-Za-z]{3,})(?=,)", r"AL-\1", t, r)
            if not re.match(r"^(AL|EL)[- ]", t, re.I)
            else None
        ),
    ),
    ("vowel swap", _swap_vowel),
    ("dh to d", lambda t, r: _sub_token(r"(?<=[A-Za-z])([Dd])[Hh]", r"\1", t, r)),
    (
        "final d to dh",
        lambda t, r: _sub_token(
            r"(?<=[AaIiEe])([Dd])\b", lambda m: m.group(1) + ("H" if m.group(1) == "D" else "h"), t, r
        ),
    ),
    (
        "q to k",
        lambda t, r: _sub_token(r"[Qq](?=[AaIiUu])", lambda m: "K" if m.group(0) == "Q" else "k", t, r),
    ),
    ("ou to u", lambda t, r: _sub_token(r"([Oo])([Uu])", lambda m: m.group(2), t, r)),
    (
        "u to ou",
        lambda t, r: _sub_token(
            r"(?<=[BCDFGHJKLMNPRSTVZbcdfghjklmnprstvz])([Uu])(?=[A-Za-z])",
            lambda m: ("O" if m.group(1) == "U" else "o") + m.group(1),
            t,
            r,
        ),
    ),
    (
        "i to ee",
        lambda t, r: _sub_token(
            r"(?<=[A-Za-z])([Ii])(?=[BCDFGHJKLMNPRSTVZbcdfghjklmnprstvz])",
            lambda m: "EE" if m.group(1) == "I" else "ee",
            t,
            r,
        ),
    ),
    ("undouble", lambda t, r: _sub_token(r"([BCDFGHJKLMNPRSTVZbcdfghjklmnprstvz])\1", r"\1", t, r)),
    (
        "double",
        lambda t, r: _sub_token(r"(?<=[AEIOUaeiou])([BDFLMNRSTZbdflmnrstz])(?=[AEIOUaeiou])", r"\1\1", t, r),
    ),
    (
        "abd al- to abdul",
        lambda t, r: _sub_token(
            r"\b([Aa][Bb][Dd])[- ]?[AaEe][Ll][- ]",
            lambda m: m.group(1) + ("UL " if m.group(1).isupper() else "ul "),
            t,
            r,
        ),
    ),
    (
        "abdul to abd al-",
        lambda t, r: _sub_token(
            r"\b([Aa][Bb][Dd])[UuEe][Ll][- ]?",
            lambda m: m.group(1) + (" AL-" if m.group(1).isupper() else " al-"),
            t,
            r,
        ),
    ),
    (
        "bin to ibn",
        lambda t, r: _sub_token(
            r"\b[Bb][Ii][Nn]\b", lambda m: "IBN" if m.group(0).isupper() else "ibn", t, r
        ),
    ),
    (
        "abu to abou",
        lambda t, r: _sub_token(
            r"\b([Aa][Bb])([Uu])\b", lambda m: m.group(1) + ("OU" if m.group(2) == "U" else "ou"), t, r
        ),
    ),
    ("apostrophe dropped", lambda t, r: _sub_token(r"'", "", t, r)),
    (
        "ay to ai",
        lambda t, r: _sub_token(
            r"(?<=[Aa])([Yy])(?=[BCDFGHJKLMNPRSTVZbcdfghjklmnprstvz]|\b)",
            lambda m: "I" if m.group(1) == "Y" else "i",
            t,
            r,
        ),
    ),
    (
        "muhammad family",
        lambda t, r: _sub_token(
            r"\b(MUHAMMAD|MOHAMMED|MOHAMED|MOHAMMAD|Muhammad|Mohammed|Mohamed"
            r"|Mohammad)\b",
            lambda m: r.choice(
                [
                    v
                    for v in ("Mohammed", "Muhammad", "Mohamed", "Mohammad")
                    if v.lower() != m.group(0).lower()
                ]
            ),
            t,
            r,
        ),
    ),
    (
        "hussein family",
        lambda t, r: _sub_token(
            r"\b(HUSSEIN|HUSAYN|HUSSAIN|HUSAIN|Hussein|Husayn|Hussain|Husain)\b",
            lambda m: r.choice(
                [v for v in ("Hussein", "Husayn", "Husain") if v.lower() != m.group(0).lower()]
            ),
            t,
            r,
        ),
    ),
]


def _reorder(text: str) -> str:
    if "," in text:
        surname, _, given = text.partition(",")
        return f"{given.strip()} {surname.strip()}".strip()
    return text


# Legal forms and acronyms are not transliterated: the rules leave these words alone.
_PROTECTED = re.compile(
    r"(?i:\b(?:llc|ltd|ltda|ooo|oao|zao|pao|ao|jsc|ojsc|pjsc|cjsc|co|inc|corp|plc|sa|sal|sas|srl|spa|llp|lp|fze|"
    r"fzco|gmbh|kg|ag|bv|nv|oy|ab|as|pte|pvt|bhd|sdn|company|limited|corporation|incorporated|liability|joint|"
    r"stock)\b)|\([^)]*\)|\b(?:[A-Za-z]\.){2,}"
)


def _apply_protected(rule, text: str, rng: random.Random) -> str | None:
    """Apply a rule to the words of a name that are not legal forms or acronyms."""
    spans = [m.span() for m in _PROTECTED.finditer(text)]
    if not spans:
        return rule(text, rng)
    masked = list(text)
    for start, end in spans:
        for i in range(start, end):
            masked[i] = "\x00"
    result = rule("".join(masked), rng)
    if result is None or len(result) != len(text) and "\x00" not in result:
        return None
    # Put the protected words back (the rules never touch the placeholder characters).
    pieces = iter(text[start:end] for start, end in spans)
    return re.sub("\x00+", lambda _m: next(pieces), result)


def respellings(
    loaded: dict[str, list[Entry]], rng: random.Random, per_source: dict[str, int]
) -> list[tuple[str, Entry, str]]:
    """(source, entry, respelled primary name) for up to ``per_source[source]`` entries of each source."""
    out = []
    for source, count in per_source.items():
        entries = [e for e in loaded.get(source, []) if e.names and e.kind in ("person", "organization")]
        rng.shuffle(entries)
        made = 0
        for entry in entries:
            if made >= count:
                break
            primary = entry.names[0].full
            if not primary.isascii():
                continue
            known = {_norm(n.full) for n in entry.names}
            applicable = [
                (label, rule)
                for label, rule in RESPELLINGS
                if _apply_protected(rule, primary, random.Random(0))
            ]
            if not applicable:
                continue
            rng.shuffle(applicable)
            text = primary
            for _label, rule in applicable[: rng.choice((1, 2, 2))]:
                text = _apply_protected(rule, text, rng) or text
            if rng.random() < 0.5:
                text = _reorder(text)
            if _norm(text) in known or sorted(_norm(text).split()) in [sorted(k.split()) for k in known]:
                continue
            out.append((source, entry, text))
            made += 1
    return out
