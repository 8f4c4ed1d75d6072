"""The people and organizations a text names: proper names found by their shape, told apart by word lists.

A pure function of the text and the word lists in ``data/`` (see its README): no database here. What it finds
comes in two grades. *Names* look like a person's or an organization's name on their own (capitalized words with
the particles names carry, titles stripped, organizations told by their words). *Spans* might be names but could
as well be something else (a capitalized phrase with a common word in it, a run of words in Arabic script, which
has no capitals); the service keeps a span only when the lists hold it (the matching index as a gazetteer).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).with_name("data")
# At most this many tokens in a name: longer capitalized runs are titles of works or headings.
MAX_PERSON_TOKENS = 6
MAX_ORGANIZATION_TOKENS = 9
MAX_ARABIC_SPAN_TOKENS = 4
CONNECTORS = frozenset({"of", "the", "and", "for", "&"})
POSSESSIVE = re.compile(r"['’]s$")
# A word: letters with inner apostrophes and hyphens, an opening ‘ or ʿ kept (‘Aziz: the ayn of a transliteration).
TOKEN = re.compile(r"(?:[A-Z]\.){2,}|&|[‘ʿ]?[^\W\d_](?:[\w'’]|-(?=[^\W_]))*")
AYN = "‘ʿ"
ARABIC_LETTER = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
# Where a sentence ends: after . ! ? (and a closing quote or bracket), before a capital or an opening mark.
SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9\u0600-\u06ff])")
NOT_AN_END = frozenset({"u.s", "dr", "mr", "mrs", "ms", "gen", "col", "lt", "st", "e.g", "i.e", "vs", "no", "jr", "sr"})  # fmt: skip
LINE_END_PUNCTUATION = '.!?:;,)"”’'


def _key(word: str) -> str:
    return unicodedata.normalize("NFC", word).replace("’", "'").lower().rstrip(".")


@lru_cache
def word_list(name: str) -> frozenset[str]:
    """A data file's entries, normalized (lower case, ’ as ', no final full stop)."""
    entries = set()
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            entries.add(" ".join(_key(word) for word in line.split()))
    return frozenset(entries)


@dataclass
class Token:
    text: str
    start: int
    end: int

    @property
    def key(self) -> str:
        return _key(POSSESSIVE.sub("", self.text))


@dataclass
class Occurrence:
    start: int
    end: int
    text: str
    sentence: str


@dataclass
class Found:
    """One person or organization (or, with ``sure`` False, a span worth asking the lists about)."""

    kind: str | None  # person, organization, or None when only the lists can tell
    names: list[str]
    occurrences: list[Occurrence]
    sure: bool = True

    @property
    def first(self) -> Occurrence:
        return self.occurrences[0]


@dataclass
class Sentence:
    start: int
    text: str
    heading: bool = False


@dataclass
class _Chunk:
    tokens: list[Token]
    sentence: Sentence
    sentence_initial: bool
    titled: bool = False  # a person's title was stripped from its front ("President Trump")
    aliases: list[str] = field(default_factory=list)

    @property
    def start(self) -> int:
        return self.tokens[0].start

    @property
    def end(self) -> int:
        last = self.tokens[-1]
        return last.end - (len(last.text) - len(POSSESSIVE.sub("", last.text)))

    def written(self, text: str) -> str:
        return text[self.start : self.end]


# ---- sentences ---------------------------------------------------------------------------------------------------


def sentences(text: str) -> list[Sentence]:
    """The text's sentences with their offsets; a heading (a short line of capitalized words) is one of its own.

    A paragraph that stops mid-sentence and goes on in lower case after a blank line (a page break in the source)
    is joined to the next one.
    """
    paragraphs: list[tuple[int, int]] = []
    for match in re.finditer(r"[^\n]+", text):
        start, end = match.span()
        if paragraphs:
            previous_start, previous_end = paragraphs[-1]
            previous = text[previous_start:previous_end].rstrip()
            if previous and previous[-1] not in LINE_END_PUNCTUATION and text[start].islower():
                paragraphs[-1] = (previous_start, end)
                continue
        paragraphs.append((start, end))
    found: list[Sentence] = []
    for start, end in paragraphs:
        paragraph = text[start:end]
        if _is_heading(paragraph):
            found.append(Sentence(start, paragraph, heading=True))
            continue
        cursor = 0
        for boundary in SENTENCE_END.finditer(paragraph):
            before = paragraph[cursor : boundary.start()].rstrip('.!?"”’)]')
            last_word = before.rsplit(None, 1)[-1].lower() if before.split() else ""
            initial = (
                len(before.split()[-1]) == 1 and before.split()[-1].isupper() if before.split() else False
            )
            if (
                last_word.rstrip(".") in NOT_AN_END
                or initial
                or re.fullmatch(r"(?:[a-z]\.)+[a-z]?", last_word)
            ):
                continue
            found.append(Sentence(start + cursor, paragraph[cursor : boundary.start()].strip()))
            cursor = boundary.end()
        found.append(Sentence(start + cursor, paragraph[cursor:].strip()))
    return [s for s in found if s.text]


def _is_heading(line: str) -> bool:
    stripped = line.strip()
    words = [w for w in TOKEN.findall(stripped) if w not in CONNECTORS]
    if not words or len(words) > 14 or stripped[-1] in ".!?;,":
        return False
    capitalized = sum(1 for w in words if w[0].isupper())
    return capitalized / len(words) >= 0.7


# ---- proper names ------------------------------------------------------------------------------------------------


def _is_capitalized(token: str) -> bool:
    """A word that can be part of a name: capitalized, or a particle joined to a capitalized word (al-Fayyad)."""
    token = token.lstrip(AYN)
    if not token or (token.isupper() and len(token) > 1):  # an acronym or a shouted heading: not a name word
        return False
    parts = token.split("-")
    particles = word_list("particles.txt")
    for number, part in enumerate(parts):
        if not part:
            return False
        if part[0].isupper():
            continue
        if number < len(parts) - 1 and _key(part) in particles:
            continue
        return False
    return token[0].isupper() or _key(parts[0]) in particles


def find(text: str) -> list[Found]:
    """Every person and organization the text names, in order of first appearance, plus spans for the lists."""
    lowercase_words = {_key(w) for w in TOKEN.findall(text) if w[0].islower() and not _is_capitalized(w)}
    common = word_list("common_words.txt") | lowercase_words
    chunks: list[_Chunk] = []
    spans: list[Found] = []
    for sentence in sentences(text):
        tokens = [
            Token(m.group(), sentence.start + m.start(), sentence.start + m.end())
            for m in TOKEN.finditer(sentence.text)
        ]
        if ARABIC_LETTER.search(sentence.text):
            spans += _arabic_spans(tokens, sentence)
        sentence_chunks = _chunks(text, tokens, sentence)
        if sentence.heading:
            sentence_chunks = [c for c in sentence_chunks if _is_byline(c, sentence, text, common)]
        chunks += _merge_aliases(text, sentence_chunks)
        if not sentence.heading:
            spans += _acronyms(tokens, sentence, text, common)
    found: list[Found] = []
    for chunk in chunks:
        kind, sure = _classify(chunk, common)
        if kind is None and not sure:
            continue
        occurrence = Occurrence(chunk.start, chunk.end, chunk.written(text), chunk.sentence.text)
        names = [chunk.written(text), *chunk.aliases]
        found.append(Found(kind=kind, names=names, occurrences=[occurrence], sure=sure and kind is not None))
    return _group(found, spans)


def _acronyms(
    tokens: list[Token], sentence: Sentence, text: str, common: frozenset[str] | set[str]
) -> list[Found]:
    """Words in capitals (IRGC, AQI, CJTF-OIR): an alias given earlier, or a name only the lists can vouch for."""
    out = []
    for token in tokens:
        word = token.text
        letters = word.replace("-", "")
        if len(letters) < 3 or not letters.isupper() or not letters.isalnum() or token.key in common:
            continue
        if token.key in word_list("places.txt") or token.key in word_list("stop_phrases.txt"):
            continue
        # An acronym in brackets right after a name is that name's alias (_merge_aliases took it already).
        if text[token.start - 1 : token.start] == "(" and text[token.end : token.end + 1] == ")":
            continue
        occurrence = Occurrence(token.start, token.end, word, sentence.text)
        out.append(Found(kind=None, names=[word], occurrences=[occurrence], sure=False))
    return out


def _is_byline(chunk: _Chunk, sentence: Sentence, text: str, common: frozenset[str] | set[str]) -> bool:
    """A heading line that is only a person's name (an author's byline) is read; other headings are not."""
    whole = chunk.written(text).strip() == sentence.text.strip().removeprefix("by ").strip()
    keys = [t.key for t in chunk.tokens if t.key not in word_list("particles.txt")]
    return whole and 2 <= len(keys) <= 4 and not any(k in common for k in keys)


def _chunks(text: str, tokens: list[Token], sentence: Sentence) -> list[_Chunk]:
    """Runs of capitalized words (with particles, and connectors between capitalized words) side by side."""
    particles = word_list("particles.txt")
    chunks: list[_Chunk] = []
    index = 0

    def adjacent(left: Token, right: Token) -> bool:
        gap = text[left.end : right.start]
        # A middle initial ("Steven T. Mnuchin") keeps its full stop inside the name.
        initial = len(left.text) == 1 and left.text.isupper() and gap.startswith(".")
        return (gap[1:] if initial else gap).strip() == "" and not POSSESSIVE.search(left.text)

    def name_word(position: int) -> bool:
        token = tokens[position]
        if _is_capitalized(token.text):
            return True
        # "Osama bin Laden", "Ursula von der Leyen": a particle written alone counts inside a name, between a
        # capitalized word and another name word ("as President Trump" does not start with one).
        return (
            token.key in particles
            and position > 0
            and adjacent(tokens[position - 1], token)
            and (_is_capitalized(tokens[position - 1].text) or tokens[position - 1].key in particles)
            and position + 1 < len(tokens)
            and adjacent(token, tokens[position + 1])
            and _is_capitalized(tokens[position + 1].text)
        )

    while index < len(tokens):
        if not name_word(index) or tokens[index].key in CONNECTORS:
            index += 1
            continue
        end = index
        while end + 1 < len(tokens) and adjacent(tokens[end], tokens[end + 1]):
            following = end + 1
            if name_word(following) and tokens[following].key not in CONNECTORS:
                end = following
                continue
            # A connector joins only capitalized words: "Ministry of Interior", "Speaker of Parliament".
            look = following
            while look < len(tokens) and tokens[look].key in CONNECTORS and look - following < 2:
                look += 1
            if (
                look < len(tokens)
                and look > following
                and adjacent(tokens[look - 1], tokens[look])
                and name_word(look)
                and tokens[look].key not in CONNECTORS
            ):
                end = look
                continue
            break
        initial = text[sentence.start : tokens[index].start].strip(" *_\"“'‘([-•") == ""
        chunks.append(_Chunk(tokens[index : end + 1], sentence, initial))
        index = end + 1
    return [piece for chunk in chunks for piece in _refine(chunk)]


def _strip_title(tokens: list[Token]) -> tuple[list[Token], bool]:
    """Drop titles and roles (the longest that fits, repeatedly) and nationality words from the front."""
    titles, demonyms = word_list("titles.txt"), word_list("demonyms.txt")
    stripped = False
    changed = True
    while changed and tokens:
        changed = False
        for length in range(min(4, len(tokens)), 0, -1):
            phrase = " ".join(t.key for t in tokens[:length])
            if phrase in titles:
                tokens, stripped, changed = tokens[length:], True, True
                break
            if phrase in demonyms or (length == 1 and phrase == "the"):
                tokens, changed = tokens[length:], True
                break
    return tokens, stripped


def _refine(chunk: _Chunk) -> list[_Chunk]:
    """Strip titles; remove stop phrases; split at connectors unless an organization's name holds them."""
    tokens, titled = _strip_title(chunk.tokens)
    if not tokens:
        return []
    initial = chunk.sentence_initial and tokens[0] is chunk.tokens[0]
    keys = [t.key for t in tokens]
    for phrase in sorted(word_list("stop_phrases.txt"), key=len, reverse=True):
        words = phrase.split()
        for position in range(len(keys) - len(words) + 1):
            if keys[position : position + len(words)] == words:
                before = _Chunk(tokens[:position], chunk.sentence, initial)
                after = _Chunk(tokens[position + len(words) :], chunk.sentence, False)
                return [piece for part in (before, after) if part.tokens for piece in _refine(part)]
    while tokens and tokens[-1].key in CONNECTORS:
        tokens = tokens[:-1]
    if not any(t.key in CONNECTORS for t in tokens):
        return [_Chunk(tokens, chunk.sentence, initial, titled)]
    # Split at the connectors, then join again only where an organization's name goes on through one: "Ministry
    # of Interior", "Bank of America" (the organization's word comes before "of"); never across "and".
    pieces: list[list[Token]] = [[]]
    joins: list[str] = []
    for token in tokens:
        if token.key in CONNECTORS:
            if pieces[-1]:
                pieces.append([])
                joins.append(token.key)
            elif joins:
                joins[-1] += " " + token.key
        else:
            pieces[-1].append(token)
    joined: list[list[Token]] = [pieces[0]]
    for join, piece in zip(joins, pieces[1:], strict=False):
        if not piece:
            continue
        if "and" not in join.split() and _organization_words(joined[-1]):
            start, end = joined[-1][0].start, piece[-1].end
            joined[-1] = [t for t in tokens if start <= t.start and t.end <= end]
        else:
            joined.append(piece)
    return [
        _Chunk(piece, chunk.sentence, initial and number == 0, titled and number == 0)
        for number, piece in enumerate(joined)
        if piece
    ]


def _organization_words(tokens: list[Token]) -> bool:
    words = word_list("organization_words.txt")
    return any(part in words for t in tokens for part in [t.key, *t.key.split("-")])


def _merge_aliases(text: str, chunks: list[_Chunk]) -> list[_Chunk]:
    """ "A (birth name B)", "A, also known as B,": B is another name of A, not a second mention."""
    cues = word_list("alias_cues.txt")
    merged: list[_Chunk] = []
    for chunk in chunks:
        if merged:
            previous = merged[-1]
            between = " ".join(_key(w) for w in text[previous.end : chunk.start].split())
            opening = between.lstrip("(,").strip()
            if between[:1] in "(," and opening in cues and text[chunk.end : chunk.end + 1] in "),;":
                previous.aliases.append(chunk.written(text))
                continue
        acronym = re.match(r"\s*\(([A-Z][A-Z0-9&-]{1,15})\)", text[chunk.end : chunk.end + 20])
        if acronym and _organization_words(chunk.tokens):
            chunk.aliases.append(acronym.group(1))
        merged.append(chunk)
    return merged


def _classify(chunk: _Chunk, common: frozenset[str] | set[str]) -> tuple[str | None, bool]:
    """(kind, sure): an organization, a person, a span only the lists can vouch for (None, True), or nothing."""
    tokens = chunk.tokens
    particles = word_list("particles.txt")
    places, place_words = word_list("places.txt"), word_list("place_words.txt")
    demonyms = word_list("demonyms.txt")
    keys = [t.key for t in tokens]
    if chunk.sentence_initial and keys and keys[0] in common and not chunk.titled:
        tokens, keys = tokens[1:], keys[1:]
        chunk.tokens = tokens
    if not tokens:
        return None, False
    phrase = " ".join(keys)
    if keys[-1] in place_words or phrase in places or all(k in places or k in demonyms for k in keys):
        return None, False
    if _organization_words(tokens):
        # "Kataib Hezbollah" is all organization words and a name; "Militia" or "Army" alone is not one.
        if len(tokens) <= MAX_ORGANIZATION_TOKENS and (
            len(tokens) > 1 or not _organization_words(tokens[:1])
        ):
            return "organization", True
        return None, False
    naming = [k for k in keys if k not in particles]
    if len(tokens) > MAX_PERSON_TOKENS:
        return None, False
    if any(k in places or k in demonyms for k in naming):
        return None, len(naming) >= 2  # "Baghdad Operations" is a place's phrase; the lists may still hold it
    if len(naming) >= 2 and not any(k in common for k in naming):
        return "person", True
    if len(naming) == 1 and chunk.titled and naming[0] not in common:
        return "person", True
    if len(naming) == 1:
        return None, True  # a lone word: kept only to be told apart from others (Esper, Badr) by _group
    return None, True


def fold(name: str) -> str:
    """The form two spellings of one name share here: no case, no particles or articles, letters only."""
    words = [_key(w) for w in re.split(r"[\s-]+", name)]
    kept = [w for w in words if w not in word_list("particles.txt") and w != "the"]
    folded = "".join(re.sub(r"[^\w]", "", w) for w in kept)
    return folded.removesuffix("s")


def _group(found: list[Found], spans: list[Found]) -> list[Found]:
    """One mention per person or organization: the same name again, an alias of it, or a lone word standing for
    it (a surname for a person, a first word for an organization, an acronym given as its alias) add occurrences
    to it. Spans that are none of these follow, for the lists to vouch for."""
    grouped: list[Found] = []
    by_key: dict[str, Found] = {}
    lone: list[Found] = []
    for item in found:
        lone_word = item.kind is None or (item.kind == "person" and len(item.names[0].split()) == 1)
        if lone_word and len(re.split(r"[\s-]+", item.names[0])) == 1:
            lone.append(item)
            continue
        keys = [fold(n) for n in item.names]
        target = next((by_key[k] for k in keys if k in by_key), None)
        if target is None:
            grouped.append(item)
            target = item
        else:
            target.occurrences += item.occurrences
            for name in item.names:
                if fold(name) not in {fold(n) for n in target.names}:
                    target.names.append(name)
            if target.kind is None:
                target.kind = item.kind
            target.sure = target.sure or item.sure
        for key in keys:
            by_key.setdefault(key, target)
    unsure: dict[str, Found] = {}
    for item in [*lone, *spans]:
        word = fold(item.names[0])
        owner = by_key.get(word) or next(
            (
                g
                for g in grouped
                if g.kind == "person"
                and fold(g.names[0].split()[-1]) == word
                or g.kind == "organization"
                and fold(g.names[0].split()[0]) == word
            ),
            None,
        )
        if owner is not None:
            owner.occurrences += item.occurrences
        elif item.kind == "person":
            grouped.append(item)  # a titled lone name: "President Trump"
        elif not item.sure and word in unsure:
            unsure[word].occurrences += item.occurrences
        elif not item.sure and word:
            unsure[word] = item  # an acronym, a run of Arabic words: the lists may know it
        # otherwise a lone capitalized word: too common a shape to be a name on its own
    for item in [*grouped, *unsure.values()]:
        item.occurrences.sort(key=lambda o: o.start)
    return sorted(grouped, key=lambda g: g.first.start) + list(unsure.values())


# ---- spans in Arabic script --------------------------------------------------------------------------------------


def _arabic_spans(tokens: list[Token], sentence: Sentence) -> list[Found]:
    """Runs of 2-4 words in Arabic script (which has no capitals): each asked of the lists, the longest kept."""
    spans: list[Found] = []
    common = word_list("arabic_common_words.txt")
    arabic = [t for t in tokens if ARABIC_LETTER.match(t.text)]
    for first in range(len(arabic)):
        for length in range(MAX_ARABIC_SPAN_TOKENS, 1, -1):
            run = arabic[first : first + length]
            if len(run) < length or any(_key(t.text) in common for t in run):
                continue
            written = sentence.text[run[0].start - sentence.start : run[-1].end - sentence.start]
            if not all(ARABIC_LETTER.match(w) or w.isspace() for w in re.split(r"(\s+)", written) if w):
                continue
            occurrence = Occurrence(run[0].start, run[-1].end, written, sentence.text)
            spans.append(Found(kind=None, names=[written], occurrences=[occurrence], sure=False))
    return spans
