"""The name symbols of a person's name (Wikidata given-name and surname items), without rigour's tagger.

rigour finds that Volodymyr and Vladimir, or Yekaterina and Kateryna, are one name by tagging each with the
Wikidata items its person-names corpus gives them. Its tagger is an automaton built from that whole corpus on the
first call in a process: 10 s of CPU that holds the GIL, paid by every API process, worker and CLI call. The same
mapping ships here as a table (``data/person_name_symbols.zip``, written from rigour's corpus by
``bench/name_symbols_table.py``), cut in shards so that one name reads a few kilobytes of it, and
:func:`person_name_spans` applies it as the tagger does: every run of words that is a phrase of the table gives
its symbols to those words. ``tests/matching/test_name_symbols.py`` checks on real listed names that the result
is the tagger's.
"""

from __future__ import annotations

import threading
import zipfile
import zlib
from bisect import bisect_left
from collections.abc import Sequence
from pathlib import Path

TABLE_PATH = Path(__file__).parent / "data" / "person_name_symbols.zip"
SHARDS = 64
# The longest phrase of the table, in words (bench/name_symbols_table.py prints it).
MAX_PHRASE_WORDS = 10


def shard_of(phrase: str) -> str:
    """The member of the table that holds ``phrase``."""
    return f"{zlib.crc32(phrase.encode('utf-8')) % SHARDS:02d}.tsv"


class PersonNameSymbols:
    """Phrase → symbol ids, read shard by shard on demand (each shard's lines kept sorted, searched by bisection)."""

    def __init__(self, path: Path = TABLE_PATH) -> None:
        self._path = path
        self._archive: zipfile.ZipFile | None = None
        self._shards: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def _lines(self, member: str) -> list[str]:
        lines = self._shards.get(member)
        if lines is None:
            with self._lock:
                if self._archive is None:
                    self._archive = zipfile.ZipFile(self._path)
                lines = self._archive.read(member).decode("utf-8").split("\n")
            self._shards[member] = lines
        return lines

    def symbols(self, phrase: str) -> tuple[str, ...]:
        """The symbol ids of a phrase written as the tagger normalizes it (casefolded words, one space apart)."""
        lines = self._lines(shard_of(phrase))
        # A line is "phrase<TAB>ids": the tab sorts below every character a phrase holds, so the lines are in the
        # order of their phrases and the first line at or after "phrase<TAB>" is the phrase's if it is there.
        key = phrase + "\t"
        at = bisect_left(lines, key)
        if at < len(lines) and lines[at].startswith(key):
            return tuple(lines[at][len(key) :].split(" "))
        return ()


_TABLE = PersonNameSymbols()


def person_name_symbols(phrase: str) -> tuple[str, ...]:
    """The symbol ids of one phrase (casefolded words, one space apart) in the shipped table."""
    return _TABLE.symbols(phrase)


def person_name_spans(
    forms: Sequence[str], table: PersonNameSymbols = _TABLE
) -> list[tuple[str, tuple[int, ...]]]:
    """(symbol id, the positions of the words it covers) for a name's words, as rigour's person tagger gives them.

    The tagger finds every phrase of its table in the name's words, overlapping ones too, and then hands each
    (phrase, symbol) to the name, which gives the symbol to the first words, in order, that spell the phrase
    (not always the run that was found: ``Name.apply_phrase``), once more for each further such set of words.
    """
    spans: list[tuple[str, tuple[int, ...]]] = []
    for start in range(len(forms)):
        for end in range(start + 1, min(len(forms), start + MAX_PHRASE_WORDS) + 1):
            words = forms[start:end]
            phrase = " ".join(words)
            ids = table.symbols(phrase)
            if not ids:
                continue
            covered = _phrase_parts(forms, words)
            for symbol in ids:
                spans.extend((symbol, positions) for positions in covered)
    # One span per (symbol, words) as the tagger keeps them: a phrase found twice is applied once.
    return list(dict.fromkeys(spans))


def _phrase_parts(forms: Sequence[str], words: Sequence[str]) -> list[tuple[int, ...]]:
    found: list[tuple[int, ...]] = []
    matching: list[int] = []
    for position, form in enumerate(forms):
        if form == words[len(matching)]:
            matching.append(position)
        if len(matching) == len(words):
            found.append(tuple(matching))
            matching = []
    return found
