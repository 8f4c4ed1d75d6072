"""Labelled matching queries built only from real publications, with a frozen train / dev / test split by entry.

This module is the contract between the evaluation (``bench/matching.py``) and whoever trains or tunes a matcher::

    from bench.matching_pairs import load_eval

    data = load_eval("train")        # or "dev", "test", None (every split)
    data.corpora                     # dict[corpus name, list[((source, list_id), Entry)]]: what to index
    for q in data.queries:           # list[EvalQuery]
        q.id, q.set, q.split         # stable id; set name (see SETS); "train" | "dev" | "test"
        q.query                      # MatchQuery: names and kind only
        q.with_attrs                 # the same with the birth dates and nationalities the source gives
        q.expected                   # (source, list_id) of the answer in q.corpus, or None for a negative
        q.corpus                     # the corpus (a key of data.corpora) the query is run against
        q.namesakes                  # entries of the corpus no name query can tell from the answer: not scored
        q.confuser                   # for a hard negative: the entry nearest to it (a real negative pair)
        q.closeness                  # rapidfuzz token_set_ratio of the query against the answer's other names
        q.origin                     # the listed entry the query name was read from (None for PEP people)

Everything is read from ``$SANCTRACK_SAMPLE_DATA`` (default ``../shared/data``) with the service's own parsers;
nothing is generated except the REGRESSION set. ``load_eval`` raises :class:`SampleDataMissing` without the data.
Building takes about 20 s; it is cached per process.

Sets (``SETS``; the headline figures use ``HEADLINE_SETS`` only):

* ``same_entry``: one name of a listed entry (primary or alias, strong or weak; UN original-script names too) is
  held out of the corpus (with every name of the entry written with the same words) and is the query; the answer
  is that entry. Entries of the newest SDN (2023-12-28), non-SDN (2025-12-18), UN (2026-02-27) and UK OFSI
  (2025-04-14) publications, each publication its own corpus (``*_holdout``). One query per entry.
* ``gained``: names an entry gained between two publications, run against the older one: SDN 2019-01 →
  2023-12-28, UN 2018-06-21 → 2025-11-29/2026-02-27, non-SDN 2020-03-17 → 2025-10-22/12-18.
* ``linked_uk_un``: the UK OFSI entries that name their UN reference (``(UN Ref):CFi.010``): each UK name that
  the UN entry does not hold (by its words), run against the UN 2026-02-27 list; the answer is the UN entry.
* ``cross_script``: UN original-script names (Arabic, Cyrillic, Chinese...) against the UN list with every
  non-Latin name withheld.
* ``*_other``: the queries of the three sets above whose Latin-script name shares little with any name the
  answer still has (token_set_ratio < 60: nicknames, new company names, noms de guerre). Reported, not headline:
  no name matcher can be asked to find those.
* ``hard_negative``: about one entry in ten of each ``*_holdout`` corpus is withheld whole; its name nearest to
  another entry of the corpus (token_sort_ratio >= 70) is a query that must find nothing. Left out as ambiguous:
  an entry another entry of the publication bears one of the names of (the same words, legal forms aside: lists
  hold same-name different people, and the same company twice), an entry listed twice (an equal full birth date
  and names sharing their words: UK's Andrei Veniaminovich YARIN under two regimes), and one whose near entries
  (>= 85) share a birth year with it.

Namesakes of a positive query (never counted as false alerts) are the entries ambiguous with its answer in the same
sense, read from the publication as published.
* ``pep_negative``: members of the US Congress (``negatives/us_congress_pep_part1.jsonl``), on no list, run
  against ``all`` (the newest publication of every source and the EU excerpts).
* ``regression``: rule-generated respellings (``bench/respellings.py``) of primary names, against ``all``. They
  encode the same habits as the matcher's rules: a regression check, never a headline figure.

Persons' one-word names (weak nicknames like "CAESAR") are never queries, in any script but Chinese, Japanese
and Korean (written without spaces): nobody screens a single word.
Queries of one entry never repeat the same words (case, punctuation and word order aside).

The split is by entry: every query whose answer (or, for a negative, whose own entry) is one listed entry is in
one split. A UK entry that names its UN reference counts as the UN entry (its names are the UN person's). PEP
people are split by their record id. The assignment was drawn once (seeded shuffle of the sorted keys,
60/20/20) and written to ``bench/data/matching_split.json`` with a hash of the query set; it is read from there
ever since (the test split is frozen). A key missing from the file (a new entry) is assigned by hashing it.
``python -m bench.matching_pairs`` prints the sets per split and says whether the query set still hashes the same.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from anyascii import anyascii
from rapidfuzz import fuzz, process

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.lists.parsers import parse  # noqa: E402
from app.lists.records import Entry  # noqa: E402
from app.matching.query import MatchQuery  # noqa: E402
from bench.respellings import respellings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SPLIT_FILE = ROOT / "bench" / "data" / "matching_split.json"
LEGAL_FORM_WORDS_FILE = ROOT / "bench" / "data" / "legal_form_words.txt"

SEED = 20261205
SPLITS = ("train", "dev", "test")
SPLIT_SHARES = (0.6, 0.2, 0.2)
CLOSE_ENOUGH = 60  # token_set_ratio below which a same-person name is an "other" query (not headline)
HARD_NEGATIVE_PERCENT = 10  # share of each holdout corpus's entries withheld whole for hard negatives
HARD_NEGATIVE_NEAR = 70  # token_sort_ratio of the nearest other entry's name, at least
SAME_PERSON_NEAR = 85  # a near entry this close sharing a birth year: maybe the same person, left out
DUPLICATE_NAMES = (
    80  # token_set_ratio of two entries' names that, with an equal full birth date, is one person
)
COMMON_WORD_NAMES = 3000  # words in more names than this do not bring candidates to the nearest-name search
REGRESSION_PER_SOURCE = {"ofac_sdn": 300, "un_sc": 150, "uk": 150, "ofac_cons": 50, "eu_fsf": 5}
REGRESSION_SEED = 20240520

HEADLINE_SETS = ("same_entry", "gained", "linked_uk_un", "cross_script", "hard_negative", "pep_negative")
OTHER_SETS = ("same_entry_other", "gained_other", "linked_uk_un_other")
REGRESSION_SETS = ("regression",)
SETS = HEADLINE_SETS + OTHER_SETS + REGRESSION_SETS
NEGATIVE_SETS = ("hard_negative", "pep_negative")

Key = tuple[str, str]

# Publications read (relative to the sample data folder).
FILES = {
    "sdn_2019": ("ofac_sdn", "ofac_sdn/2019-01"),
    "sdn_2023": ("ofac_sdn", "ofac_sdn/2023-12-28"),
    "cons_2020": ("ofac_cons", "ofac_cons/consolidated_2020-03-17.xml"),
    "cons_2025_10": ("ofac_cons", "ofac_cons/consolidated_2025-10-22.xml"),
    "cons_2025": ("ofac_cons", "ofac_cons/consolidated_2025-12-18.xml"),
    "un_2018": ("un_sc", "un/consolidated_2018-06-21.xml"),
    "un_2025": ("un_sc", "un/consolidated_2025-11-29.xml"),
    "un_2026": ("un_sc", "un/consolidated_2026-02-27.xml"),
    "uk_2025": ("uk", "uk/ofsi_conlist_2025-04-14.xlsx"),
}
EU_GLOB = "eu/fsf_*.xml"
PEP_FILE = "negatives/us_congress_pep_part1.jsonl"

UN_REFERENCE = re.compile(r"\(UN Ref\)\s*:?\s*([A-Z]{2}[IE]\.\d{3})", re.IGNORECASE)


class SampleDataMissing(RuntimeError):
    """The real publications are not where SANCTRACK_SAMPLE_DATA says."""


@dataclass(frozen=True, eq=False)
class EvalQuery:
    id: str
    set: str
    split: str
    entry_key: str  # the split key: "source:list_id" of the entry the query belongs to, or "pep:RECORD_ID"
    query: MatchQuery
    with_attrs: MatchQuery
    expected: Key | None
    corpus: str
    namesakes: frozenset[Key] = frozenset()
    confuser: Key | None = None
    closeness: float | None = None
    origin: Key | None = None  # the listed entry the query name was read from (None for PEP people)


@dataclass
class EvalData:
    corpora: dict[str, list[tuple[Key, Entry]]]
    queries: list[EvalQuery]
    query_set_hash: str  # of every query of every split, as built now
    frozen_query_set_hash: str | None  # as written in the split file (None without one)
    notes: list[str] = field(default_factory=list)

    @property
    def frozen(self) -> bool:
        """Whether the queries are those the split file was written for."""
        return self.query_set_hash == self.frozen_query_set_hash

    def by_set(self) -> dict[str, list[EvalQuery]]:
        out: dict[str, list[EvalQuery]] = {}
        for q in self.queries:
            out.setdefault(q.set, []).append(q)
        return out


# ---------------------------------------------------------------------------------------------------------------
# Names


@cache
def fold(text: str) -> str:
    """Lower-case ASCII words (any script through anyascii), apostrophes dropped."""
    text = anyascii(text).lower().replace("'", "").replace("’", "").replace("&", " and ")
    return " ".join(re.findall(r"[a-z0-9]+", text))


def spelling_key(text: str) -> tuple[str, ...]:
    """Two names with the same key are the same name written differently in case, punctuation or word order."""
    return tuple(sorted(fold(text).split()))


@cache
def legal_form_words() -> frozenset[str]:
    lines = LEGAL_FORM_WORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


def namesake_key(text: str) -> tuple[str, ...]:
    """The words that tell one entry from another by name alone (legal forms and articles aside)."""
    words = legal_form_words()
    return tuple(w for w in spelling_key(text) if w not in words) or spelling_key(text)


def is_latin(text: str) -> bool:
    return all(ord(c) < 0x250 or not c.isalpha() for c in text)


def unspaced_script(text: str) -> bool:
    """Written without spaces between a person's names (Chinese, Japanese): one word is a full name."""
    return any(0x3040 <= ord(c) <= 0x9FFF or 0xAC00 <= ord(c) <= 0xD7AF for c in text)


def usable(name: str, kind: str) -> bool:
    """Whether a name is something a person would screen: a person's one word ("CAESAR", "Хусан") is not."""
    words = fold(name).split()
    if not words or len("".join(words)) < 3:
        return False
    return not (kind == "person" and len(name.split()) < 2 and not unspaced_script(name))


def closeness(name: str, others: Iterable[str]) -> float:
    folded = fold(name)
    return max((fuzz.token_set_ratio(folded, fold(o)) for o in others), default=0.0)


def _bucket(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % 100


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:10]


# ---------------------------------------------------------------------------------------------------------------
# Reading the publications


def data_dir() -> Path:
    path = Path(os.environ.get("SANCTRACK_SAMPLE_DATA", ROOT / ".." / "shared" / "data"))
    if not path.is_absolute():
        path = (ROOT / path).resolve()
    if not path.is_dir():
        raise SampleDataMissing(f"sample data folder not found at {path}; set SANCTRACK_SAMPLE_DATA")
    return path


def read_publications(
    base: Path, only: frozenset[str] | None = None
) -> tuple[dict[str, list[Entry]], list[str]]:
    """The publications of ``FILES`` (those named in ``only``, when given) and the EU excerpts, parsed."""
    pubs: dict[str, list[Entry]] = {}
    notes: list[str] = []
    for name, (source, rel) in FILES.items():
        if only is not None and name not in only:
            continue
        path = base / rel
        if not path.exists():
            notes.append(f"{rel} absent: the sets built from it are missing")
            continue
        pubs[name] = parse(source, path).entries
    eu: dict[str, Entry] = {}
    for path in sorted(base.glob(EU_GLOB)):
        for entry in parse("eu_fsf", path).entries:
            eu[entry.list_id] = entry
    pubs["eu"] = list(eu.values())
    return pubs, notes


def _attrs(query: MatchQuery, entry: Entry) -> MatchQuery:
    return replace(
        query,
        birth_dates=list(entry.birth_dates),
        nationalities=sorted({*entry.nationalities, *entry.citizenships}),
    )


def _years(entry: Entry) -> set[str]:
    return {part[:4] for value in entry.birth_dates for part in value.split("/") if part[:4].isdigit()}


# ---------------------------------------------------------------------------------------------------------------
# Building the queries (each returned as a draft: the split is set afterwards)


@dataclass
class _Draft:
    set: str
    key: str  # split key
    name: str
    kind: str
    attrs_from: Entry | None
    expected: Key | None
    corpus: str
    confuser: Key | None = None
    closeness: float | None = None
    origin: Key | None = None
    namesakes: frozenset[Key] = frozenset()
    birth_dates: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)


class _Splitter:
    """Maps an entry to its split key: a UK entry naming its UN reference is the UN entry."""

    def __init__(self, uk_entries: list[Entry]) -> None:
        self.uk_to_un: dict[str, str] = {}
        for entry in uk_entries:
            found = UN_REFERENCE.search(entry.remarks or "")
            if found:
                ref = found.group(1)
                self.uk_to_un[entry.list_id] = ref[:2].upper() + ref[2].lower() + ref[3:]

    def key(self, source: str, list_id: str) -> str:
        if source == "uk" and list_id in self.uk_to_un:
            return f"un_sc:{self.uk_to_un[list_id]}"
        return f"{source}:{list_id}"


def _variant_set(base_set: str, name: str, near: float) -> str:
    return base_set if not is_latin(name) or near >= CLOSE_ENOUGH else f"{base_set}_other"


class _NearestNames:
    """The names of a corpus, to find the nearest other entry's name to a name (rapidfuzz, word blocking)."""

    def __init__(self, items: list[tuple[Key, Entry]]) -> None:
        self.folded: list[str] = []
        self.owner: list[int] = []
        self.items = items
        postings: dict[str, list[int]] = defaultdict(list)
        for i, (_, entry) in enumerate(items):
            for name in entry.names:
                folded = fold(name.full)
                nid = len(self.folded)
                self.folded.append(folded)
                self.owner.append(i)
                for word in set(folded.split()):
                    if len(word) >= 3:
                        postings[word].append(nid)
        self.postings = {w: ids for w, ids in postings.items() if len(ids) <= COMMON_WORD_NAMES}

    def near(self, name: str, at_least: float) -> list[tuple[float, Key, Entry]]:
        """Other entries with a name at least this close (token_sort_ratio), closest first, one row per entry."""
        folded = fold(name)
        ids = sorted({nid for w in set(folded.split()) for nid in self.postings.get(w, ())})
        choices = {nid: self.folded[nid] for nid in ids}
        best: dict[int, float] = {}
        for _, score, nid in process.extract(
            folded, choices, scorer=fuzz.token_sort_ratio, score_cutoff=at_least, limit=None
        ):
            owner = self.owner[nid]
            best[owner] = max(best.get(owner, 0.0), score)
        ranked = sorted(best.items(), key=lambda x: (-x[1], x[0]))
        return [(score, self.items[i][0], self.items[i][1]) for i, score in ranked]


class _Ambiguity:
    """Which entries of a publication no name query can tell from a given one: those bearing one of its names
    (the same words, legal forms aside; lists hold same-name different people, and the same company twice), and
    the same person listed twice (an equal full date of birth and names sharing their words: token_set_ratio
    >= DUPLICATE_NAMES, e.g. UK's "Andrei Veniaminovich YARIN" under two regimes). Read from the publication as
    published, before any name was held out."""

    def __init__(self, items: Iterable[tuple[Key, Entry]]) -> None:
        self.entry_of: dict[Key, Entry] = {}
        self.owners: dict[tuple[str, ...], set[Key]] = defaultdict(set)
        self.born: dict[str, set[Key]] = defaultdict(set)
        for key, entry in items:
            self.entry_of[key] = entry
            for name in entry.names:
                self.owners[namesake_key(name.full)].add(key)
            for date in entry.birth_dates:
                if len(date) == 10:
                    self.born[date].add(key)

    def namesakes(self, key: Key, names: Iterable[str]) -> set[Key]:
        return {k for name in names for k in self.owners.get(namesake_key(name), ()) if k != key}

    def duplicates(self, key: Key, entry: Entry) -> set[Key]:
        out = set()
        mine = [fold(n.full) for n in entry.names]
        for date in entry.birth_dates:
            for other in self.born.get(date, ()):
                if other == key or other in out:
                    continue
                theirs = [fold(n.full) for n in self.entry_of[other].names]
                if any(fuzz.token_set_ratio(a, b) >= DUPLICATE_NAMES for a in mine for b in theirs):
                    out.add(other)
        return out

    def of(self, key: Key, names: Iterable[str] = ()) -> set[Key]:
        """Entries ambiguous with this one (by its names, the given ones and its duplicates)."""
        entry = self.entry_of.get(key)
        if entry is None:
            return self.namesakes(key, names)
        return self.namesakes(key, [*names, *(n.full for n in entry.names)]) | self.duplicates(key, entry)


def holdout(
    corpus: str, source: str, entries: list[Entry], splitter: _Splitter
) -> tuple[list[tuple[Key, Entry]], list[_Draft]]:
    """The corpus with one name of most entries held out, and about one entry in ten withheld whole."""
    kept: list[tuple[Key, Entry]] = []
    withheld: list[Entry] = []
    drafts: list[_Draft] = []
    for entry in entries:
        key = (source, entry.list_id)
        if _bucket(f"withheld|{source}:{entry.list_id}") < HARD_NEGATIVE_PERCENT:
            withheld.append(entry)
            continue
        by_key: dict[tuple[str, ...], list[str]] = {}
        for name in entry.names:
            by_key.setdefault(spelling_key(name.full), []).append(name.full)
        by_key.pop((), None)
        usable_keys = [k for k, names in by_key.items() if usable(names[0], entry.kind)]
        if len(by_key) < 2 or not usable_keys:
            kept.append((key, entry))
            continue
        chosen = min(usable_keys, key=lambda k: _short_hash(f"{source}:{entry.list_id}|{' '.join(k)}"))
        name = by_key[chosen][0]
        remaining = [n for n in entry.names if spelling_key(n.full) != chosen]
        kept.append((key, replace(entry, names=remaining)))
        near = closeness(name, (n.full for n in remaining))
        drafts.append(
            _Draft(
                _variant_set("same_entry", name, near),
                splitter.key(source, entry.list_id),
                name,
                entry.kind,
                entry,
                key,
                corpus,
                origin=key,
                closeness=near,
            )
        )
    ambiguity = _Ambiguity(((source, e.list_id), e) for e in entries)
    drafts += hard_negatives(corpus, source, kept, withheld, splitter, ambiguity)
    return kept, drafts


def hard_negatives(
    corpus: str,
    source: str,
    kept: list[tuple[Key, Entry]],
    withheld: list[Entry],
    splitter: _Splitter,
    ambiguity: _Ambiguity,
) -> list[_Draft]:
    nearest = _NearestNames(kept)
    drafts = []
    for entry in withheld:
        if ambiguity.of((source, entry.list_id)):
            continue  # another entry bears one of its names, or is the same person: never a negative
        best: tuple[float, str, Key] | None = None
        for name in dict.fromkeys(n.full for n in entry.names):
            if not usable(name, entry.kind):
                continue
            near = nearest.near(name, HARD_NEGATIVE_NEAR)
            if not near:
                continue
            if any(score >= SAME_PERSON_NEAR and _years(entry) & _years(other) for score, _, other in near):
                best = None  # maybe the same person listed twice: the whole entry is left out
                break
            if best is None or near[0][0] > best[0]:
                best = (near[0][0], name, near[0][1])
        if best is None:
            continue
        score, name, confuser = best
        drafts.append(
            _Draft(
                "hard_negative",
                splitter.key(source, entry.list_id),
                name,
                entry.kind,
                entry,
                None,
                corpus,
                origin=(source, entry.list_id),
                confuser=confuser,
                closeness=score,
            )
        )
    return drafts


def gained(
    corpus: str, source: str, old: list[Entry], new: Iterable[Entry], splitter: _Splitter
) -> list[_Draft]:
    """Names an entry has in the newer publication and had in no spelling in the older one."""
    old_by_id = {e.list_id: e for e in old}
    drafts = []
    for entry in new:
        before = old_by_id.get(entry.list_id)
        if before is None:
            continue
        known = {spelling_key(n.full) for n in before.names}
        for name in dict.fromkeys(n.full for n in entry.names):
            key = spelling_key(name)
            if key in known or not usable(name, entry.kind):
                continue
            known.add(key)  # one query per new name, whatever its spellings
            near = closeness(name, (n.full for n in before.names))
            drafts.append(
                _Draft(
                    _variant_set("gained", name, near),
                    splitter.key(source, entry.list_id),
                    name,
                    entry.kind,
                    entry,
                    (source, entry.list_id),
                    corpus,
                    origin=(source, entry.list_id),
                    closeness=near,
                )
            )
    return drafts


def linked_uk_un(corpus: str, uk: list[Entry], un: list[Entry], splitter: _Splitter) -> list[_Draft]:
    """UK names of the people the UK list says are a given UN entry, that the UN entry does not hold."""
    un_by_id = {e.list_id: e for e in un}
    drafts = []
    for entry in uk:
        ref = splitter.uk_to_un.get(entry.list_id)
        target = un_by_id.get(ref or "")
        if target is None:
            continue
        known = {spelling_key(n.full) for n in target.names}
        for name in dict.fromkeys(n.full for n in entry.names):
            key = spelling_key(name)
            if key in known or not usable(name, target.kind):
                continue
            known.add(key)
            near = closeness(name, (n.full for n in target.names))
            drafts.append(
                _Draft(
                    _variant_set("linked_uk_un", name, near),
                    f"un_sc:{target.list_id}",
                    name,
                    target.kind,
                    entry,  # the UK entry's own birth dates and nationalities: an independent record
                    ("un_sc", target.list_id),
                    corpus,
                    origin=("uk", entry.list_id),
                    closeness=near,
                )
            )
    return drafts


def latin_only(entries: list[Entry]) -> list[tuple[Key, Entry]]:
    return [
        (("un_sc", e.list_id), replace(e, names=[n for n in e.names if is_latin(n.full)]))
        for e in entries
        if any(is_latin(n.full) for n in e.names)
    ]


def cross_script(corpus: str, un: list[Entry], splitter: _Splitter) -> list[_Draft]:
    drafts = []
    for entry in un:
        if not any(is_latin(n.full) for n in entry.names):
            continue
        seen: set[tuple[str, ...]] = set()
        for name in entry.names:
            key = spelling_key(name.full)
            if is_latin(name.full) or key in seen or not usable(name.full, entry.kind):
                continue
            seen.add(key)
            drafts.append(
                _Draft(
                    "cross_script",
                    splitter.key("un_sc", entry.list_id),
                    name.full,
                    entry.kind,
                    entry,
                    ("un_sc", entry.list_id),
                    corpus,
                    origin=("un_sc", entry.list_id),
                )
            )
    return drafts


def pep_negatives(path: Path, corpus: str) -> list[_Draft]:
    drafts = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        names = [n["NAME_FULL"] for n in record.get("NAMES", []) if n.get("NAME_FULL")]
        if not names:
            continue
        dates = [d["DATE_OF_BIRTH"][:10] for d in record.get("DATES", []) if d.get("DATE_OF_BIRTH")]
        countries = sorted(
            {c["NATIONALITY"].upper() for c in record.get("COUNTRIES", []) if c.get("NATIONALITY")}
        )
        drafts.append(
            _Draft(
                "pep_negative",
                f"pep:{record['RECORD_ID']}",
                names[0],
                "person",
                None,
                None,
                corpus,
                birth_dates=dates,
                nationalities=countries,
            )
        )
    return drafts


def regression(corpus: str, items: list[tuple[Key, Entry]], splitter: _Splitter) -> list[_Draft]:
    by_source: dict[str, list[Entry]] = defaultdict(list)
    for (source, _), entry in items:
        by_source[source].append(entry)
    drafts = []
    for source, entry, text in respellings(by_source, random.Random(REGRESSION_SEED), REGRESSION_PER_SOURCE):
        drafts.append(
            _Draft(
                "regression",
                splitter.key(source, entry.list_id),
                text,
                entry.kind,
                entry,
                (source, entry.list_id),
                corpus,
                origin=(source, entry.list_id),
            )
        )
    return drafts


# ---------------------------------------------------------------------------------------------------------------
# The split


def query_set_hash(drafts: Iterable[_Draft]) -> str:
    lines = sorted(f"{d.set}\t{d.key}\t{d.corpus}\t{d.expected}\t{d.name}" for d in drafts)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def draw_split(keys: Iterable[str]) -> dict[str, str]:
    """The one-time assignment: a seeded shuffle of the sorted keys, cut 60/20/20."""
    ordered = sorted(set(keys))
    random.Random(SEED).shuffle(ordered)
    out: dict[str, str] = {}
    start = 0
    for i, (split, share) in enumerate(zip(SPLITS, SPLIT_SHARES, strict=True)):
        end = len(ordered) if i == len(SPLITS) - 1 else start + round(share * len(ordered))
        out.update(dict.fromkeys(ordered[start:end], split))
        start = end
    return out


def hashed_split(key: str) -> str:
    """The split of a key the file does not know (an entry published after it was written)."""
    bucket = _bucket(f"split|{SEED}|{key}")
    edge = 0.0
    for split, share in zip(SPLITS, SPLIT_SHARES, strict=True):
        edge += share * 100
        if bucket < edge:
            return split
    return SPLITS[-1]


def read_split_file(path: Path = SPLIT_FILE) -> tuple[dict[str, str], str | None]:
    if not path.exists():
        return {}, None
    data = json.loads(path.read_text(encoding="utf-8"))
    assignment = {key: split for split in SPLITS for key in data["split"][split]}
    return assignment, data["query_set_hash"]


def write_split_file(drafts: list[_Draft], path: Path = SPLIT_FILE, keep_assignment: bool = False) -> None:
    """Write the split: drawn afresh, or (``keep_assignment``) the file's own, keys it lacks added by hashing."""
    if keep_assignment:
        assignment, _ = read_split_file(path)
        for d in drafts:
            assignment.setdefault(d.key, hashed_split(d.key))
    else:
        assignment = draw_split(d.key for d in drafts)
    counts = Counter(d.set for d in drafts)
    data = {
        "about": "Entry key -> split for bench/matching_pairs.py, drawn once and frozen: read it, never redraw it.",
        "seed": SEED,
        "shares": dict(zip(SPLITS, SPLIT_SHARES, strict=True)),
        "query_set_hash": query_set_hash(drafts),
        "queries_per_set": dict(sorted(counts.items())),
        "split": {split: sorted(k for k, s in assignment.items() if s == split) for split in SPLITS},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------------------------------------------
# Building everything


def build(
    base: Path, only: frozenset[str] | None = None
) -> tuple[dict[str, list[tuple[Key, Entry]]], list[_Draft], list[str]]:
    pubs, notes = read_publications(base, only)
    splitter = _Splitter(pubs.get("uk_2025", []))
    corpora: dict[str, list[tuple[Key, Entry]]] = {}
    originals: dict[str, list[tuple[Key, Entry]]] = {}  # each corpus as published, before names were held out
    drafts: list[_Draft] = []
    for corpus, pub, source in (
        ("sdn_2023_holdout", "sdn_2023", "ofac_sdn"),
        ("cons_2025_holdout", "cons_2025", "ofac_cons"),
        ("un_2026_holdout", "un_2026", "un_sc"),
        ("uk_2025_holdout", "uk_2025", "uk"),
    ):
        if pub in pubs:
            corpora[corpus], made = holdout(corpus, source, pubs[pub], splitter)
            originals[corpus] = [((source, e.list_id), e) for e in pubs[pub]]
            drafts += made
    for corpus, source, old, news in (
        ("sdn_2019", "ofac_sdn", "sdn_2019", ("sdn_2023",)),
        ("un_2018", "un_sc", "un_2018", ("un_2025", "un_2026")),
        ("cons_2020", "ofac_cons", "cons_2020", ("cons_2025_10", "cons_2025")),
    ):
        if old not in pubs or not any(n in pubs for n in news):
            continue
        newest: dict[str, Entry] = {}
        for pub in news:  # oldest first: the newest version of each entry wins
            newest.update((e.list_id, e) for e in pubs.get(pub, []))
        corpora[corpus] = originals[corpus] = [((source, e.list_id), e) for e in pubs[old]]
        drafts += gained(corpus, source, pubs[old], newest.values(), splitter)
    if "un_2026" in pubs:
        corpora["un_2026"] = [(("un_sc", e.list_id), e) for e in pubs["un_2026"]]
        corpora["un_2026_latin"] = latin_only(pubs["un_2026"])
        originals["un_2026"] = originals["un_2026_latin"] = corpora["un_2026"]
        drafts += cross_script("un_2026_latin", pubs["un_2026"], splitter)
        if "uk_2025" in pubs:
            drafts += linked_uk_un("un_2026", pubs["uk_2025"], pubs["un_2026"], splitter)
    sources_newest = {"ofac_sdn": "sdn_2023", "ofac_cons": "cons_2025", "un_sc": "un_2026", "uk": "uk_2025"}
    corpora["all"] = [
        ((source, e.list_id), e) for source, pub in sources_newest.items() for e in pubs.get(pub, [])
    ] + [(("eu_fsf", e.list_id), e) for e in pubs["eu"]]
    originals["all"] = corpora["all"]
    drafts += regression("all", corpora["all"], splitter)
    pep = base / PEP_FILE
    if pep.exists():
        drafts += pep_negatives(pep, "all")
    else:
        notes.append(f"{PEP_FILE} absent: no pep_negative set")
    ambiguity = {name: _Ambiguity(items) for name, items in originals.items()}
    for d in drafts:
        if d.expected is not None:
            d.namesakes = frozenset(ambiguity[d.corpus].of(d.expected, [d.name]))
    return corpora, drafts, notes


@cache
def _load_all(base: Path, split_file: Path, only: frozenset[str] | None) -> EvalData:
    corpora, drafts, notes = build(base, only)
    assignment, frozen_hash = read_split_file(split_file)
    if not assignment:
        assignment = draw_split(d.key for d in drafts)
        notes.append(f"{split_file} absent: the split was drawn in memory")
    queries = []
    per_id: Counter[str] = Counter()
    for d in drafts:
        base_id = f"{d.set}|{d.key}|{_short_hash(d.name)}"
        per_id[base_id] += 1
        query = MatchQuery(names=[d.name], kind=d.kind)
        if d.attrs_from is not None:
            with_attrs = _attrs(query, d.attrs_from)
        else:
            with_attrs = replace(query, birth_dates=d.birth_dates, nationalities=d.nationalities)
        queries.append(
            EvalQuery(
                id=base_id if per_id[base_id] == 1 else f"{base_id}|{per_id[base_id]}",
                set=d.set,
                split=assignment.get(d.key) or hashed_split(d.key),
                entry_key=d.key,
                query=query,
                with_attrs=with_attrs,
                expected=d.expected,
                corpus=d.corpus,
                namesakes=d.namesakes,
                confuser=d.confuser,
                closeness=d.closeness,
                origin=d.origin,
            )
        )
    return EvalData(corpora, queries, query_set_hash(drafts), frozen_hash, notes)


def load_eval(
    split: str | None = None,
    base: Path | None = None,
    split_file: Path = SPLIT_FILE,
    only: frozenset[str] | None = None,
) -> EvalData:
    """The corpora and the labelled queries of one split ("train", "dev", "test"), or of all when None.

    The corpora are the same whatever the split (queries of every split run against them). ``only`` restricts
    the publications read to some keys of ``FILES`` (for fast tests); the sets built from the others are then
    missing. Cached per process.
    """
    if split is not None and split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; one of {', '.join(SPLITS)} or None")
    data = _load_all((base or data_dir()).resolve(), split_file, only)
    if split is None:
        return data
    return replace(data, queries=[q for q in data.queries if q.split == split])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Build the labelled matching queries from the real publications and show them per split.",
        epilog="example: .venv/bin/python -m bench.matching_pairs            # counts per set and split\n"
        "         .venv/bin/python -m bench.matching_pairs --show gained  # a few queries of one set",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--write-split", action="store_true", help="draw the split and write it (once, ever)")
    parser.add_argument("--force", action="store_true", help="with --write-split: overwrite an existing file")
    parser.add_argument(
        "--record-queries",
        action="store_true",
        help="after a deliberate change of the queries: record their hash, keeping every entry's split",
    )
    parser.add_argument("--show", metavar="SET", help="print 20 queries of this set")
    args = parser.parse_args(argv)
    try:
        base = data_dir()
    except SampleDataMissing as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.record_queries:
        _, drafts, _ = build(base)
        write_split_file(drafts, keep_assignment=True)
        print(f"recorded the query set in {SPLIT_FILE}; no entry changed split")
        return 0
    if args.write_split:
        if SPLIT_FILE.exists() and not args.force:
            print(
                f"{SPLIT_FILE} exists: the split is frozen (--force to redraw it, which unfreezes the test split)"
            )
            return 1
        _, drafts, _ = build(base)
        write_split_file(drafts)
        print(f"wrote {SPLIT_FILE}")
        return 0
    data = load_eval(None, base)
    for note in data.notes:
        print(note)
    print(f"query set hash {data.query_set_hash[:16]}; split file's {str(data.frozen_query_set_hash)[:16]}")
    print(
        "the query set is the one the split was written for" if data.frozen else "THE QUERY SET HAS CHANGED"
    )
    counts = Counter((q.set, q.split) for q in data.queries)
    print(f"\n{'set':<20}" + "".join(f"{s:>8}" for s in SPLITS) + f"{'all':>8}")
    for name in SETS:
        row = [counts[(name, s)] for s in SPLITS]
        print(f"{name:<20}" + "".join(f"{n:>8}" for n in row) + f"{sum(row):>8}")
    print("\ncorpora: " + ", ".join(f"{k} {len(v)}" for k, v in data.corpora.items()))
    if args.show:
        for q in [q for q in data.queries if q.set == args.show][:20]:
            print(
                f"{q.id}  {q.query.names[0]!r} -> {q.expected} in {q.corpus} ({q.split}, close {q.closeness})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
