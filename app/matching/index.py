"""An in-memory index of listed entries that finds the few names worth scoring for a query.

Every token of every listed name yields blocking keys (see :meth:`app.matching.tokens.Token.keys`): its exact
spelling, its spelling family and its consonant skeleton. Postings map a key to the names that have it. The
skeleton posting of a token is (nearly) a superset of its other postings, so it is the token's "hit set".

A query keeps as candidates the names that share hits with it on at least two of its words (set intersections,
done in C), plus every name hit by a rare word alone (a misspelt other word must not hide "Lukashenka"). When
there are more than ``cap`` candidates they are ranked by overlap, each shared word weighing by its rarity
(a shared "fayyadh" says more than a shared "muhammad"). Only the candidates are scored, name by name; entries
whose best name comes close to the threshold are then scored in full with :func:`app.matching.score.evaluate`,
so the scores returned are those of :func:`app.matching.score.score`, with one piece of knowledge only the index
has: which words few listed names share (a person's listed name held whole in a longer query on such a word, say
"JADHRAN, Ibrahim" in "Ibrahim Saeed Salim Jadhran", stays a match).

Identifiers are indexed too: a query carrying an identifier finds the entry that lists it whatever the names.

Writers (``add``, ``remove``, ``rebuild``) serialize on a lock. Readers never lock: they take the current state
once and only use posting sets through C-level operations (intersection, union, membership), which run whole
under the GIL; a name or entry removed meanwhile reads as an empty slot and is skipped. ``rebuild`` builds a
whole new state aside and swaps it in with one assignment.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import ge, itemgetter, le, sub
from pathlib import Path
from typing import Any

from app.lists.records import Entry
from app.matching.compare import alignment
from app.matching.features import profile_of
from app.matching.lookup import open_lookup, write_lookup
from app.matching.model import model_thresholds
from app.matching.names import NameForm
from app.matching.normalize import fold, singular, skeleton_of
from app.matching.persist import dump_state, load_state
from app.matching.query import MatchQuery
from app.matching.score import (
    EntryNames,
    MatchResult,
    NamePair,
    evaluate_at_least,
    evaluate_pair,
    normalize_identifier,
)
from app.matching.tokens import WEIGHT, Token, make_token

# Thresholds on the calibrated probability, chosen on the dev split by bench/train_matcher.py and stored with
# the model (app/matching/data/model.json): a match at best F1; a suggestion for review at the lowest score
# that keeps false suggestions at most 1 per 100 queries naming nobody listed; an automatic link where no wrong
# answer scored on any split.
# (read without checking the file's features against the code's: bench/train_matcher.py imports this module while
# it trains a model of other features)
REVIEW_THRESHOLD, DEFAULT_THRESHOLD, AUTO_LINK_THRESHOLD = model_thresholds()

CANDIDATE_CAP = 200  # names scored at most per query
ABJAD_CANDIDATE_CAP = 1000  # the same for a query in Arabic script only
RARE_WORD_NAMES = 40  # a word found in at most this many names brings all of them in on its own
RARE_WORD_SHARE = 0.001  # ... and in at most this share of all names, to tell a person by
# Entries scored in full: those whose best candidate name aligns at least this well with a query name
# (compare_names), and at least the SHORTLIST_MIN best aligned. bench/train_matcher.py reports how many positive
# train queries the shortlist keeps.
SHORTLIST_ALIGNMENT = 0.45
SHORTLIST_MIN = 4
# Aligning a pair of names is the costly step of a search: only the candidate names sharing the most
# (rarity-weighted) keys with the query are aligned, at most this many.
SHORTLIST_ALIGN_NAMES = 20
# Misspelt words: a word's consonant skeleton of at least NEAR_MIN_SKELETON letters is also indexed with each of its
# letters left out ("d" keys), so that a letter doubled, dropped, swapped or replaced (BELAVENTSEV/BELAVENCEV,
# KELMENDI/KELJMENDI, HUBARYEV/GUBAREV) still finds the name. A query word looks its near spellings up only through
# keys at most NEAR_POSTING_MAX names share; a name found so counts for less in the ranking than one sharing the
# word's own spelling or skeleton.
NEAR_MIN_SKELETON = 3
NEAR_POSTING_MAX = 2000
# Long words written longer or shorter on the other side (TELECOM / TELECOMMUNICATIONS, KRONSTADT /
# KRONSHTADTSKYY, GHAFARIAN / GHAFFARIANANBERAN) share no skeleton nor a near one, but their first consonants:
# a word of at least PREFIX_MIN_SKELETON consonants is also indexed by its first PREFIX_LENGTH ("p" keys), looked
# up only where at most PREFIX_POSTING_MAX names share them, and counted like a near spelling.
PREFIX_MIN_SKELETON = 4
PREFIX_LENGTH = 3
PREFIX_POSTING_MAX = 400
# An organization's name of two words or more is also indexed by its initials ("a" keys): MMZ is MYTISHCHINSKI
# MASHINOSTROITELNY ZAVOD, BM BANK the BANK OF MOSCOW. A query word of ACRONYM_MIN to ACRONYM_MAX letters looks
# them up, and a query name's initials look up a listed word spelled so (OTI for ORGANISATION FOR TECHNOLOGICAL
# INDUSTRIES).
ACRONYM_MIN = 2
ACRONYM_MAX = 6
# A query whose words find fewer names than this together (one common word and one misspelt or unknown) is given
# the names that share most with it on single words, up to this many, as a search engine always answers its
# best; a word shared by more than FILL_POOL_MAX names is too common to choose among.
FILL_MIN = 40
FILL_POOL_MAX = 3000


@dataclass(slots=True)
class _Slot:
    key: Hashable
    entry: Entry
    names: EntryNames
    name_ids: tuple[int, ...]
    identifiers: tuple[str, ...]


@dataclass(slots=True)
class _State:
    slot_of: dict[Hashable, int] = field(default_factory=dict)
    slots: list[_Slot | None] = field(default_factory=list)
    free_slots: list[int] = field(default_factory=list)
    # Names, by name id: the parsed form, its quality factor and its entry's slot (-1 once removed).
    name_forms: list[NameForm | None] = field(default_factory=list)
    name_quality: list[float] = field(default_factory=list)
    name_slot: list[int] = field(default_factory=list)
    # ... its number of words and of informative words (NameForm.informative): what the ranking reads of every
    # candidate name, kept apart from the form so that ranking hundreds of names reads none of them. A removed
    # name keeps its numbers: it is in no posting, so nothing reads them.
    name_words: list[int] = field(default_factory=list)
    name_informative: list[int] = field(default_factory=list)
    free_names: list[int] = field(default_factory=list)
    postings: dict[str, set[int]] = field(default_factory=dict)  # blocking key → name ids
    id_postings: dict[str, set[int]] = field(default_factory=dict)  # identifier → slots
    name_count: int = 0

    def insert(self, key: Hashable, entry: Entry) -> None:
        names = EntryNames.of(entry)
        slot_index = self.free_slots.pop() if self.free_slots else len(self.slots)
        name_ids = []
        for form, quality in zip(names.forms, names.qualities, strict=True):
            nid = self.free_names.pop() if self.free_names else len(self.name_forms)
            if nid == len(self.name_forms):
                self.name_forms.append(form)
                self.name_quality.append(quality)
                self.name_slot.append(slot_index)
                self.name_words.append(len(form.tokens))
                self.name_informative.append(form.informative)
            else:
                self.name_forms[nid] = form
                self.name_quality[nid] = quality
                self.name_slot[nid] = slot_index
                self.name_words[nid] = len(form.tokens)
                self.name_informative[nid] = form.informative
            for k in name_keys(form):
                posting = self.postings.get(k)
                if posting is None:
                    self.postings[k] = {nid}
                else:
                    posting.add(nid)
            name_ids.append(nid)
        identifiers = tuple(
            {v for v in (normalize_identifier(i.value) for i in entry.identifiers) if len(v) >= 4}
        )
        for value in identifiers:
            self.id_postings.setdefault(value, set()).add(slot_index)
        slot = _Slot(key, entry, names, tuple(name_ids), identifiers)
        if slot_index == len(self.slots):
            self.slots.append(slot)
        else:
            self.slots[slot_index] = slot
        self.slot_of[key] = slot_index
        self.name_count += len(name_ids)

    def delete(self, key: Hashable) -> bool:
        slot_index = self.slot_of.pop(key, None)
        if slot_index is None:
            return False
        slot = self.slots[slot_index]
        assert slot is not None
        self.slots[slot_index] = None
        for nid in slot.name_ids:
            form = self.name_forms[nid]
            self.name_slot[nid] = -1
            self.name_forms[nid] = None
            if form is not None:
                for k in name_keys(form):
                    posting = self.postings.get(k)
                    if posting is not None:
                        posting.discard(nid)
                        if not posting:
                            del self.postings[k]
            self.free_names.append(nid)
        for value in slot.identifiers:
            posting = self.id_postings.get(value)
            if posting is not None:
                posting.discard(slot_index)
                if not posting:
                    del self.id_postings[value]
        self.name_count -= len(slot.name_ids)
        self.free_slots.append(slot_index)
        return True


class MatchIndex:
    """Listed entries by a caller-chosen hashable key (the service uses ``(source, list_id)``)."""

    def __init__(self, items: Iterable[tuple[Hashable, Entry]] = ()) -> None:
        self._lock = threading.Lock()
        self._state = _State()
        items = list(items)
        if items:
            self.rebuild(items)

    # -- writing -------------------------------------------------------------------------------------------------

    def add(self, entry_key: Hashable, entry: Entry) -> None:
        """Add an entry, or replace the one under the same key."""
        with self._lock:
            self._state.delete(entry_key)
            self._state.insert(entry_key, entry)

    def remove(self, entry_key: Hashable) -> bool:
        """Remove an entry; False if the key was not indexed."""
        with self._lock:
            return self._state.delete(entry_key)

    def rebuild(self, items: Iterable[tuple[Hashable, Entry]]) -> None:
        """Replace the whole content: built aside, then swapped in, so searches meanwhile see the old content."""
        state = _State()
        for key, entry in items:
            state.delete(key)
            state.insert(key, entry)
        with self._lock:
            self._state = state

    # -- saving --------------------------------------------------------------------------------------------------

    def dump(self, path: Path, meta: dict[str, Any] | None = None) -> None:
        """Save the index to ``path`` (atomically; see app.matching.persist), with ``meta`` kept beside it."""
        with self._lock:  # no writer may change the state while it is pickled
            dump_state(self._state, path, meta)

    @classmethod
    def load(cls, path: Path, yield_share: float = 0.0) -> tuple[MatchIndex, dict[str, Any]]:
        """The index saved at ``path`` and its ``meta``; ``persist.StaleIndexFile`` when it cannot be trusted.
        ``yield_share``: see :func:`app.matching.persist.load_state`."""
        index = cls()
        index._state, meta = load_state(path, _State, yield_share)
        return index, meta

    def dump_lookup(self, path: Path, meta: dict[str, Any] | None = None) -> None:
        """Save the index as a lookup file (see app.matching.lookup): opened for one search, it reads only what the
        search needs."""
        with self._lock:
            write_lookup(self._state, path, meta)

    @classmethod
    def open_lookup(cls, path: Path) -> tuple[MatchIndex, dict[str, Any]]:
        """The index in the lookup file at ``path``, read on demand and read-only, and its ``meta``;
        ``persist.StaleIndexFile`` when it cannot be trusted."""
        index = cls()
        index._state, meta = open_lookup(path, _State)
        return index, meta

    # -- reading -------------------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._state.slot_of)

    def __contains__(self, entry_key: object) -> bool:
        return entry_key in self._state.slot_of

    def get(self, entry_key: Hashable) -> Entry | None:
        state = self._state
        index = state.slot_of.get(entry_key)
        slot = state.slots[index] if index is not None else None
        return slot.entry if slot else None

    def keys(self) -> list[Hashable]:
        return list(self._state.slot_of)

    def stats(self) -> dict[str, int]:
        state = self._state
        return {
            "entries": len(state.slot_of),
            "names": state.name_count,
            "keys": len(state.postings),
            "postings": sum(len(p) for p in state.postings.values()),
        }

    def candidates(
        self, query: MatchQuery, cap: int = CANDIDATE_CAP, broad: bool = False
    ) -> list[tuple[Hashable, Entry]]:
        """The entries whose names share the most (rarity-weighted) keys with the query, best first, at most
        ``cap``. This is the retrieval step alone, for callers that score candidates another way; ``broad`` also
        brings in names sharing a single common word, as a full-text search engine would, to fill ``cap``.
        """
        # Reads hold the lock that writes take: a search meanwhile an entry is added would iterate sets that change
        # under it. Searches are pure Python, so the GIL runs them one at a time anyway.
        with self._lock:
            return self._candidates(query, cap, broad)

    def _candidates(self, query: MatchQuery, cap: int, broad: bool) -> list[tuple[Hashable, Entry]]:
        state = self._state
        seen: dict[int, None] = {}
        for nid in _candidate_names(state, query.name_forms(), cap * 4 if broad else cap, broad, ranked=True):
            if len(seen) >= cap:
                break
            slot_index = state.name_slot[nid]
            if slot_index >= 0:
                seen.setdefault(slot_index)
        for slot_index in _identifier_slots(state, query):
            seen.setdefault(slot_index)
        out = []
        for slot_index in seen:
            slot = state.slots[slot_index]
            if slot is not None:
                out.append((slot.key, slot.entry))
        return out

    def search(
        self,
        query: MatchQuery,
        limit: int = 10,
        threshold: float = DEFAULT_THRESHOLD,
        cap: int = CANDIDATE_CAP,
    ) -> list[tuple[Hashable, Entry, MatchResult]]:
        """Entries scoring at least ``threshold`` against the query, best first, at most ``limit``."""
        with self._lock:  # see candidates()
            return self._search(query, limit, threshold, cap)

    def shortlist(self, query: MatchQuery, cap: int = CANDIDATE_CAP) -> Shortlist:
        """The entries worth scoring in full for ``query``: the candidates whose best name aligns at least
        ``SHORTLIST_ALIGNMENT`` with a query name, the ``SHORTLIST_MIN`` best aligned whatever their alignment, and
        those sharing an identifier. ``search`` scores these; ``bench/train_matcher.py`` learns from them."""
        with self._lock:  # see candidates()
            return self._shortlist(query, cap)

    def _shortlist(self, query: MatchQuery, cap: int) -> Shortlist:
        state = self._state
        forms = query.name_forms()
        cache: dict = {}
        postings = state.postings
        # A word is rare when few names share it, in absolute terms and for the index's size (in an index of a
        # few dozen names every word is "rare", and none tells anyone apart).
        rare_at_most = min(RARE_WORD_NAMES, int(state.name_count * RARE_WORD_SHARE))

        def rare(token: Token) -> bool:
            return len(postings.get(token.hit_key(), ())) <= rare_at_most

        # Best name alignment per entry among the candidate names.
        best: dict[int, float] = {}
        covered: set[int] = set()
        ranked = _candidate_names(state, forms, cap, ranked=True, covered=covered)
        # The names sharing most with the query, and those held whole in it ("... OBSHCHESTVO CITY" for a query
        # whose other word is a misspelt legal form), whatever their rank among names sharing a common word.
        aligned = ranked[:SHORTLIST_ALIGN_NAMES]
        aligned += [nid for nid in ranked[SHORTLIST_ALIGN_NAMES:] if nid in covered][:SHORTLIST_ALIGN_NAMES]
        for nid in aligned:
            form = state.name_forms[nid]
            slot_index = state.name_slot[nid]
            if form is None or slot_index < 0:
                continue
            current = best.get(slot_index, 0.0)
            for q_form in forms:
                sim = alignment(q_form, form, cache, rare)
                if sim > current:
                    current = sim
            best[slot_index] = current
        ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))
        chosen = dict.fromkeys(
            slot_index
            for n, (slot_index, sim) in enumerate(ranked)
            if sim >= SHORTLIST_ALIGNMENT or n < SHORTLIST_MIN
        )
        chosen.update(dict.fromkeys(_identifier_slots(state, query)))
        items = []
        for slot_index in chosen:
            slot = state.slots[slot_index]
            if slot is not None:
                items.append((slot_index, slot.key, slot.entry, slot.names))
        return Shortlist(forms, items, cache, rare)

    def _search(
        self, query: MatchQuery, limit: int, threshold: float, cap: int
    ) -> list[tuple[Hashable, Entry, MatchResult]]:
        short = self._shortlist(query, cap)
        forms, cache, rare = short.forms, short.cache, short.rare
        hits: list[tuple[float, int, Hashable, Entry, EntryNames, NamePair | None]] = []
        profiles = [profile_of(f) for f in forms]
        for slot_index, key, entry, names in short.items:
            scored = evaluate_at_least(query, forms, entry, names, threshold, cache, rare, profiles)
            if scored is None:
                continue  # certainly below the threshold
            pair, result = scored
            if result.score >= threshold:
                hits.append((result.score, slot_index, key, entry, names, pair))
        hits.sort(key=lambda h: (-h[0], h[1]))
        return [
            (key, entry, evaluate_pair(query, forms, entry, names, pair, cache, explain=True, rare=rare))
            for _, _, key, entry, names, pair in hits[:limit]
        ]


@dataclass(slots=True)
class Shortlist:
    """What :meth:`MatchIndex.shortlist` found: the query's parsed names, the entries to score (slot, key, entry,
    parsed names), the word-similarity cache to share while scoring them, and which words are rare."""

    forms: list[NameForm]
    items: list[tuple[int, Hashable, Entry, EntryNames]]
    cache: dict
    rare: Callable[[Token], bool]


def _deletions(skeleton: str) -> list[str]:
    return [skeleton[:i] + skeleton[i + 1 :] for i in range(len(skeleton))]


def name_keys(form: NameForm) -> set[str]:
    """A listed name's blocking keys: its words' (see :meth:`NameForm.blocking_keys`), their skeletons with one
    letter left out (see NEAR_MIN_SKELETON) and their first consonants (PREFIX_MIN_SKELETON), two neighbouring
    words written as one (GREEN WAVE is found by GREENWAVE, GHOLAM ALI by GHOLAMALI), an organization's initials
    (ACRONYM_MIN)."""
    keys = form.blocking_keys()
    heavy = [t for t in form.tokens if not t.abjad and t.weight >= WEIGHT["generic"]]
    for token in heavy:
        if len(token.skeleton) >= NEAR_MIN_SKELETON:
            keys.update("d" + v for v in _deletions(token.skeleton))
        if len(token.skeleton) >= PREFIX_MIN_SKELETON:
            keys.add("p" + token.skeleton[:PREFIX_LENGTH])
    for a, b in zip(heavy, heavy[1:], strict=False):
        keys.update(make_token(a.text + b.text, "word", parts=(a.text, b.text)).own_keys())
    initials = _initials(form)
    if initials:
        keys.add("a" + initials)
    return keys


def _initials(form: NameForm) -> str:
    """The initials of an organization's name of two words or more (legal forms, stopwords left out), else ""."""
    if form.kind == "person" or form.abjad:
        return ""
    words = [t.text for t in form.tokens if t.weight >= WEIGHT["generic"] and t.text[0].isalpha()]
    if not ACRONYM_MIN <= len(words) <= ACRONYM_MAX:
        return ""
    return "".join(w[0] for w in words)


# Initials a Russian acronym writes with two letters: ЦКБ (Tsentralnoye Konstruktorskoye Byuro) is TSKB.
_DIGRAPH_INITIALS = ("ts", "sh", "kh", "ch", "zh")
# A run of words inside a name is looked up by its initials from this many letters (two letters name too much).
RUN_ACRONYM_MIN = 3


def _run_initials(form: NameForm) -> list[str]:
    """The initials of each run of an organization name's words that an acronym may stand for in a listed name
    ("VSEROSSIYSKIY NAUCHNO-ISSLEDOVATELSKIY INSTITUT SIGNAL" is VNII SIGNAL), also with Russian two-letter
    initials (TSKB); the whole name's are _initials'."""
    out: list[str] = []
    if form.kind == "person" or form.abjad:
        return out
    whole = _initials(form)
    words = [t.text for t in form.tokens if t.weight >= WEIGHT["generic"] and t.text[0].isalpha()]
    for start in range(len(words)):
        for end in range(start + ACRONYM_MIN, min(start + ACRONYM_MAX, len(words)) + 1):
            run = words[start:end]
            for initials in (
                "".join(w[0] for w in run),
                "".join(w[:2] if w[:2] in _DIGRAPH_INITIALS else w[0] for w in run),
            ):
                if len(initials) >= RUN_ACRONYM_MIN and initials != whole and initials not in out:
                    out.append(initials)
    return out


def _near_hits(postings: dict[str, set[int]], skeleton: str) -> set[int]:
    """The names holding a word one letter away from this skeleton (see NEAR_MIN_SKELETON)."""
    variants = _deletions(skeleton)
    keys = ["d" + skeleton, *["s" + v for v in variants], *["d" + v for v in variants]]
    # one union of every posting small enough (in C), not one new set per key
    return set().union(*[p for p in map(postings.get, keys) if p and len(p) <= NEAR_POSTING_MAX])


def _identifier_slots(state: _State, query: MatchQuery) -> list[int]:
    out: list[int] = []
    for _, value in query.identifiers:
        posting = state.id_postings.get(normalize_identifier(value or ""))
        if posting:
            out.extend(posting)
    return out


def _hit_set(postings: dict[str, set[int]], token: Token) -> tuple[set[int], set[int]]:
    """The names sharing this token's skeleton (or spelling family), and those sharing its exact spelling."""
    broad: set[int] | None = None
    exact: set[int] | None = None
    for variant in token.alternatives():
        keys = variant.own_keys()
        # the skeleton when it has one, else the spelling family; a word read from Arabic script by each of its
        # outlines
        for key in keys if variant.abjad else keys[-1:]:
            wide = postings.get(key)
            if wide:
                broad = wide if broad is None else broad | wide
        # A word read from Arabic script has no exact Latin spelling; its consonant skeleton is the closest thing
        # (قاعدة and "Qaida" share "kd", which thousands of names share more loosely).
        tight = postings.get("t" + variant.text if not variant.abjad else "s" + variant.skeleton)
        if tight:
            exact = tight if exact is None else exact | tight
        if not variant.abjad and len(variant.text) >= 5 and variant.text.endswith("s"):
            # An English plural finds the singular ("PEOPLES UNION", PEOPLE'S UNION); comparing, they are one word.
            found = postings.get("s" + skeleton_of(fold(singular(variant.text))))
            if found:
                broad = found if broad is None else broad | found
    return broad or set(), exact or set()


def _joined_pairs(forms: list[NameForm]) -> list[Token]:
    """Adjacent words of the query written as one, as the other name may write them: "Wali Jan" is WALIJAN,
    "Ali Ma Ishu" ALI MAYCHOU. Only to find names by; the comparison joins words itself."""
    out = []
    for form in forms:
        words = form.tokens
        for a, b in zip(words, words[1:], strict=False):
            if a.abjad != b.abjad or a.weight < WEIGHT["generic"] or b.weight < WEIGHT["generic"]:
                continue
            if a.abjad:
                out.append(make_token(a.text + b.text, "word", True, a.folded + b.folded))
            else:
                out.append(make_token(a.text + b.text, "word", parts=(a.text, b.text)))
    return out


_GROUP_SUM = itemgetter(0)


class _GapPenalty(dict[int, float]):
    """What a name of so many words loses in the ranking against a query of ``query_length`` words: 0.05 a word
    of difference (computed once per word count, read in C)."""

    def __init__(self, query_length: int) -> None:
        super().__init__()
        self.query_length = query_length

    def __missing__(self, words: int) -> float:
        value = self[words] = 0.05 * abs(words - self.query_length)
        return value


def _fewest_off_length(
    keys: list[int], words: list[int], k: int, penalty: _GapPenalty
) -> tuple[list[int], list[int]]:
    """Of one group's names (one overlap sum), those whose length is among the k closest to the query's, ties
    included: each name left out scores below at least k kept ones (penalties differ by 0.05 at least, far more
    than the rounding of sums of a few rarities), so it could not be among the k best (a group of thousands of
    names sharing one common word is ranked without scoring each)."""
    taken = 0
    cut = 0.0
    for n, found in sorted(Counter(words).items(), key=lambda item: penalty[item[0]]):
        taken += found
        cut = penalty[n]
        if taken >= k:
            break
    keep = list(map(le, map(penalty.__getitem__, words), repeat(cut)))
    return list(compress(keys, keep)), list(compress(words, keep))


def _candidate_names(
    state: _State,
    forms: list[NameForm],
    cap: int,
    broad: bool = False,
    ranked: bool = False,
    covered: set[int] | None = None,
) -> list[int]:
    """Name ids worth scoring, at most ``cap``; in order of overlap when ``ranked`` (or when there were more).
    ``covered`` (with ``ranked``) receives names each of whose informative words the query has: all such among
    those returned (and maybe others)."""
    postings = state.postings
    total = max(state.name_count, 1)
    tokens: list[Token] = []
    seen: set[int] = set()
    for form in forms:
        light_only = all(t.weight < WEIGHT["generic"] for t in form.tokens)
        for token in form.tokens:
            if (token.weight >= WEIGHT["generic"] or light_only) and id(token) not in seen:
                seen.add(id(token))
                tokens.append(token)
    abjad = bool(tokens) and all(t.abjad for t in tokens)
    if abjad:
        # A word read from Arabic script is known by its consonant outline alone, which many Latin words share:
        # look further before ranking.
        cap = max(cap, ABJAD_CANDIDATE_CAP)
    # Per query word: its rarity, the rarity of its exact spelling, the names it finds (spelling family or
    # skeleton), those sharing its exact spelling, and those holding a word one letter away or beginning alike
    # (see NEAR_MIN_SKELETON, PREFIX_MIN_SKELETON), which count for less.
    info: list[tuple[float, float, set[int], set[int], set[int]]] = []

    def rarity_of(weight: float, found: set[int]) -> float:
        return weight * math.log(1.0 + total / max(len(found), 1))

    for token in [*tokens, *_joined_pairs(forms)]:
        hits, exact = _hit_set(postings, token)
        # near is this loop's own set (hits and exact may be postings themselves): it is changed in place
        near: set[int] = set()
        if not token.abjad and token.weight >= WEIGHT["generic"]:
            if len(token.skeleton) >= NEAR_MIN_SKELETON:
                near = _near_hits(postings, token.skeleton)
            if len(token.skeleton) >= PREFIX_MIN_SKELETON:
                prefix = postings.get("p" + token.skeleton[:PREFIX_LENGTH])
                if prefix and len(prefix) <= PREFIX_POSTING_MAX:
                    near |= prefix
            if ACRONYM_MIN <= len(token.text) <= ACRONYM_MAX:
                acronym = postings.get("a" + token.text)
                if acronym:
                    hits, exact = hits | acronym, exact | acronym
            # in place when that walks the smaller set (a common word's hits are thousands of names)
            if len(hits) < len(near):
                near -= hits
            else:
                near = near - hits
        if hits or near:
            info.append((rarity_of(token.weight, hits), rarity_of(token.weight, exact), hits, exact, near))
    # the whole name's initials, then those of runs of its words, which count only where an acronym names few
    # (initials many names bear as a word are a word: SAM, BAR)
    acronyms = [(_initials(form), True) for form in forms]
    acronyms += [(initials, False) for initials in dict.fromkeys(i for f in forms for i in _run_initials(f))]
    for initials, whole in acronyms:
        acronym = postings.get("t" + initials) if initials else None
        if acronym and (whole or len(acronym) <= RARE_WORD_NAMES):
            info.append((rarity_of(1.0, acronym), rarity_of(1.0, acronym), acronym, acronym, set()))
    if not info:
        return []
    candidates: set[int] = set()
    if len(info) == 1:
        _, _, hits, exact, near = info[0]
        candidates = set(exact) if len(hits) > cap and exact and not broad and not abjad else hits | near
    else:
        # Names two query words find (each by its hits or its near spellings): intersected part by part, each
        # intersection walking the smaller set, rather than as unions (copies of the thousands of names a common
        # word finds, for the few another word finds).
        parts = [(hits, near) if near else (hits,) for _, _, hits, _, near in info]
        for a in range(len(parts)):
            for b in range(a + 1, len(parts)):
                for mine in parts[a]:
                    for theirs in parts[b]:
                        candidates |= mine & theirs
        for _, _, hits, exact, near in info:
            if len(hits) <= RARE_WORD_NAMES:
                candidates |= hits
                if len(near) <= RARE_WORD_NAMES:
                    candidates |= near
            elif len(exact) <= RARE_WORD_NAMES:
                # a word spelled so by few names (GATEWICK, GORANOV) whose skeleton many share
                candidates |= exact
    query_length = max(len(form.tokens) for form in forms)
    name_words, name_informative = state.name_words, state.name_informative
    penalty = _GapPenalty(query_length)

    def best(nids: set[int], k: int, covered: set[int] | None = None) -> list[tuple[float, int]]:
        """The ``k`` highest (overlap, name id) of these names, best first. A name's overlap is the rarity of each
        query word it shares, in full for the exact spelling, less for the skeleton, least for a near spelling,
        less 0.05 a word of difference from the query's length (names of the query's length first among equals:
        "Muhammad al-Muhammad" among thousands of names with a Muhammad).

        Set operations do the walk: the names are split by which query words find them and how (in the order of
        ``info``, so that each group's sum is the very sum each of its names would get), and groups are taken from
        the highest sum down, until a group's sum (which the length can only lower) falls below the k-th overlap
        found: of the thousands of names a common word finds, few are looked at one by one. ``covered`` receives
        the names looked at each of whose informative words a query word finds (all such among those returned)."""
        groups: list[tuple[float, int, set[int]]] = [(0.0, 0, nids)]  # (sum, query words finding them, names)
        for rarity, exact_rarity, hits, exact, near in info:
            # The word's three ways of finding a name, among these names once: each group (a part of nids) is then
            # split by intersections with these smaller sets, and a group the word finds none of is kept as it is.
            by_exact = nids & exact
            by_hits = (nids & hits) - by_exact
            by_near = (nids & near).difference(hits, exact) if near else near
            found_any = by_exact.union(by_hits, by_near)
            split: list[tuple[float, int, set[int]]] = []
            for group in groups:
                value, count, members = group
                if members.isdisjoint(found_any):
                    split.append(group)
                    continue
                found = members & by_exact
                rest = members & by_hits
                further = members & by_near
                if found:
                    split.append((value + exact_rarity, count + 1, found))
                if rest:
                    split.append((value + 0.7 * rarity, count + 1, rest))
                if further:
                    split.append((value + 0.5 * rarity, count + 1, further))
                if len(found) + len(rest) + len(further) < len(members):
                    split.append((value, count, members - found_any))
            groups = split
        groups.sort(key=_GROUP_SUM, reverse=True)
        out: list[tuple[float, int]] = []
        for value, count, members in groups:
            if len(out) >= k and value < out[-1][0]:
                break
            keys = list(members)
            words = list(map(name_words.__getitem__, keys))
            if len(keys) > k:
                keys, words = _fewest_off_length(keys, words, k, penalty)
            # value - 0.05 * |words - query words| for each name, iterated in C
            out.extend(zip(map(sub, repeat(value), map(penalty.__getitem__, words)), keys, strict=True))
            if covered is not None:
                covered.update(
                    compress(keys, map(ge, repeat(count), map(name_informative.__getitem__, keys)))
                )
            if len(out) >= k:
                # the k best, best first (names are distinct, so this is heapq.nlargest's list); the k-th is out[-1]
                out.sort(reverse=True)
                del out[k:]
        out.sort(reverse=True)
        return out

    if len(candidates) < FILL_MIN and not broad and not abjad:
        pool: set[int] = set()
        for _, _, hits, exact, near in info:
            if len(hits) + len(near) <= FILL_POOL_MAX:
                pool |= hits
                pool |= near
            elif len(exact) <= FILL_POOL_MAX:
                pool |= exact
        pool -= candidates
        if pool:
            candidates |= {nid for _, nid in best(pool, FILL_MIN - len(candidates))}
    if broad and len(candidates) < cap:
        for _, _, hits, _, _ in info:
            candidates |= hits
    elif len(candidates) <= cap and not ranked:
        return list(candidates)
    return [nid for _, nid in best(candidates, cap, covered)]
