"""The index: retrieval by blocking keys, incremental updates, reads during a rebuild."""

from __future__ import annotations

import random
import threading
import time

import pytest

from app.lists.records import Identifier
from app.matching.compare import SHARED_WORD_PAIRS
from app.matching.features import matched_rarity, profile_of
from app.matching.index import DEFAULT_THRESHOLD, MatchIndex
from app.matching.names import parse_name
from app.matching.query import MatchQuery
from app.matching.score import score
from tests.matching.conftest import make_entry

FAYYADH = ("ofac_sdn", "30242")


def keys(results) -> list:
    return [key for key, _, _ in results]


def test_finds_the_entry_and_not_the_lookalikes(small_index):
    results = small_index.search(MatchQuery(names=["Faleh al-Fayyad"]))
    assert keys(results) == [FAYYADH]


def test_arabic_script_query(small_index):
    assert keys(small_index.search(MatchQuery(names=["فالح الفياض"])))[:1] == [FAYYADH]


def test_lookalike_queries_find_their_own_entry_only(small_index):
    assert keys(small_index.search(MatchQuery(names=["AHMAD, Fayyaz"]))) == [("ofac_sdn", "24304")]
    assert FAYYADH not in keys(small_index.search(MatchQuery(names=["FAYYAD, Subhi Mahmud"])))


def test_results_are_best_first_and_respect_limit_and_threshold(small_index):
    results = small_index.search(MatchQuery(names=["Fayyad Mahmud"]), limit=3, threshold=0.01)
    assert 2 <= len(results) <= 3
    scores = [r.score for _, _, r in results]
    assert scores == sorted(scores, reverse=True)
    assert all(s >= 0.01 for s in scores)
    assert small_index.search(MatchQuery(names=["Fayyad Mahmud"]), threshold=0.999) == []


def test_search_scores_equal_standalone_scores(small_index, fayyadh):
    query = MatchQuery(names=["Falih Fayyadh"], birth_dates=["1956"], nationalities=["IQ"])
    (key, entry, result), *_ = small_index.search(query)
    assert key == FAYYADH
    assert result.score == score(query, fayyadh).score
    assert result.explanation["names"]["tokens"]


def test_add_replace_remove(small_index, fayyadh):
    query = MatchQuery(names=["Faleh al-Fayyad"])
    renamed = make_entry("30242", "SOMEONE, Else")
    small_index.add(FAYYADH, renamed)  # same key: replaced
    assert len(small_index) == 6
    assert FAYYADH not in keys(small_index.search(query))
    small_index.add(FAYYADH, fayyadh)
    assert keys(small_index.search(query)) == [FAYYADH]
    assert small_index.remove(FAYYADH) is True
    assert small_index.remove(FAYYADH) is False
    assert FAYYADH not in small_index
    assert small_index.search(query) == []
    assert small_index.get(FAYYADH) is None


def test_removed_entries_leave_no_keys_behind(fayyadh):
    index = MatchIndex()
    index.add("a", fayyadh)
    assert index.stats()["keys"] > 0
    index.remove("a")
    assert index.stats() == {"entries": 0, "names": 0, "keys": 0, "postings": 0}


def test_slots_are_reused_after_removal(fayyadh, lookalikes):
    index = MatchIndex()
    for n in range(50):
        index.add(n, fayyadh)
        index.remove(n)
    index.add("kept", lookalikes[0])
    assert index.stats()["names"] == len(lookalikes[0].names)
    assert index._state.name_forms.__len__() <= len(fayyadh.names) + len(lookalikes[0].names)


def test_identifier_finds_the_entry_whatever_the_name(small_index):
    results = small_index.search(MatchQuery(names=["Unknown Person"], identifiers=[("passport", "D1019262")]))
    assert keys(results) == [FAYYADH]
    assert results[0][2].identifier_match


def test_candidates_are_capped_and_ordered():
    index = MatchIndex()
    for n in range(300):
        index.add(n, make_entry(str(n), f"KHAN, Mohammed {n}"))
    index.add("rare", make_entry("rare", "KHAN, Mohammed Qurbanzada"))
    found = index.candidates(MatchQuery(names=["Mohammed Qurbanzada Khan"]), cap=20)
    assert len(found) == 20
    assert found[0][0] == "rare"


def test_common_words_do_not_flood_the_scoring():
    index = MatchIndex()
    for n in range(3000):
        index.add(n, make_entry(str(n), f"MUHAMMAD, Ali {n:05d}x"))
    index.add("target", make_entry("target", "MUHAMMAD, Ali Zarqawi"))
    started = time.perf_counter()
    results = index.search(MatchQuery(names=["Ali Zarqawi Muhammad"]))
    elapsed = time.perf_counter() - started
    assert keys(results)[0] == "target"
    assert elapsed < 0.5


def test_incremental_update_is_cheap():
    index = MatchIndex((n, make_entry(str(n), f"PERSON{n}, Name{n % 97} Other{n % 13}")) for n in range(5000))
    started = time.perf_counter()
    for n in range(20):
        index.remove(n)
        index.add(n, make_entry(str(n), f"CHANGED{n}, Name Other"))
    per_change = (time.perf_counter() - started) / 20
    assert per_change < 0.01
    assert keys(index.search(MatchQuery(names=["Name Other Changed7"])))[0] == 7


def test_reads_during_writes_and_rebuild_do_not_fail(fayyadh, lookalikes):
    index = MatchIndex([(FAYYADH, fayyadh)])
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        query = MatchQuery(names=["Faleh al-Fayyad"])
        while not stop.is_set():
            try:
                found = keys(index.search(query))
                assert found in ([FAYYADH], [])
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                return

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    rng = random.Random(7)
    for round_ in range(100):
        for n, entry in enumerate(lookalikes):
            index.add(("x", round_, n), entry)
        for n in range(len(lookalikes)):
            index.remove(("x", round_, n))
        if round_ % 10 == 0:
            index.rebuild([(FAYYADH, fayyadh), *((("y", rng.random()), e) for e in lookalikes)])
    stop.set()
    for t in threads:
        t.join()
    assert not errors, errors[0]
    assert keys(index.search(MatchQuery(names=["Faleh al-Fayyad"]))) == [FAYYADH]


def test_rebuild_replaces_everything(small_index, fayyadh):
    small_index.rebuild([("only", fayyadh)])
    assert len(small_index) == 1
    assert small_index.keys() == ["only"]


def test_query_without_usable_names_returns_nothing(small_index):
    assert small_index.search(MatchQuery(names=["", "  ", "---"])) == []


def test_organizations_and_vessels():
    index = MatchIndex()
    index.add(
        "kh",
        make_entry(
            "11462", "KATA'IB HIZBALLAH", "KATA'IB HEZBOLLAH", "HIZBALLAH BRIGADES", kind="organization"
        ),
    )
    index.add("h", make_entry("4697", "HIZBALLAH", "PARTY OF GOD", kind="organization"))
    index.add("v", make_entry("9", "ARK III", kind="vessel", identifiers=[Identifier("imo", "9123456")]))
    assert keys(index.search(MatchQuery(names=["Kataib Hezbollah"], kind="organization")))[0] == "kh"
    hits = keys(index.search(MatchQuery(names=["Hezbollah"], kind="organization")))
    assert hits[0] == "h"
    assert "kh" not in hits  # a brigade of the name is another organization
    assert keys(index.search(MatchQuery(names=["Ark 3"], identifiers=[("imo", "IMO 9123456")]))) == ["v"]


@pytest.mark.parametrize("threshold", [DEFAULT_THRESHOLD])
def test_default_threshold_is_within_bounds(threshold):
    assert 0.3 < threshold < 1.0


def test_a_plural_finds_the_singular():
    # "PEOPLE'S UNION" (UK 13186) is indexed as "people union"; a query writes the plural. Too many other names
    # share "union" for it to bring them all in, and the plural is another entry's word: only the singular finds
    # the entry.
    entries = [make_entry("13186", "PEOPLE'S UNION", kind="organization", source="uk")]
    entries += [make_entry(str(n), f"UNION NUMBER {n}", kind="organization") for n in range(60)]
    entries.append(
        make_entry("7120", "REVOLUTIONARY PEOPLES' LIBERATION PARTY", kind="organization", source="uk")
    )
    index = MatchIndex(((e.source, e.list_id), e) for e in entries)
    found = index.search(MatchQuery(names=["PEOPLES UNNION"], kind="organization"))
    assert [key for key, _, _ in found][:1] == [("uk", "13186")]


ORDER_QUERIES = [
    "Faleh al-Fayyad",
    "فالح الفياض",
    "Falih الفياض",
    "AHMAD, Fayyaz",
    "FAYYAD, Subhi Mahmud",
    "Fay Yad Mahmud",
    "Fayyad Mahmud",
]


def _results(index: MatchIndex, texts: list[str]) -> dict[str, list]:
    return {
        text: [
            (key, result.score, result.explanation)
            for key, _, result in index.search(MatchQuery(names=[text]), threshold=0.01)
        ]
        for text in texts
    }


def test_results_do_not_depend_on_the_searches_before(small_index, monkeypatch):
    """Word-pair similarities are kept from search to search (compare.SHARED_WORD_PAIRS): a search must score
    alike whichever searches filled the table before it, and whether or not the table was emptied meanwhile."""
    alone = {}
    for text in ORDER_QUERIES:
        SHARED_WORD_PAIRS.clear()
        alone.update(_results(small_index, [text]))
    SHARED_WORD_PAIRS.clear()
    forward = _results(small_index, ORDER_QUERIES)
    assert SHARED_WORD_PAIRS.rows, "searches share their word pairs"
    backward = _results(small_index, ORDER_QUERIES[::-1])
    monkeypatch.setattr(SHARED_WORD_PAIRS, "limit", 10)
    emptied = _results(small_index, ORDER_QUERIES)
    assert any(alone.values())
    assert forward == alone
    assert backward == alone
    assert emptied == alone


def _held() -> int:
    return sum(len(row) for row in SHARED_WORD_PAIRS.rows.values())


def test_shared_word_pairs_are_bounded(small_index, monkeypatch):
    queries = [MatchQuery(names=[text]) for text in ORDER_QUERIES]
    most_new = 0
    for query in queries:  # how many pairs one search adds at most (to an empty table)
        SHARED_WORD_PAIRS.clear()
        small_index.search(query)
        most_new = max(most_new, _held())
    SHARED_WORD_PAIRS.clear()
    for query in queries:
        small_index.search(query)
    unbounded = _held()
    SHARED_WORD_PAIRS.clear()
    monkeypatch.setattr(SHARED_WORD_PAIRS, "limit", 10)
    most_held = 0
    for query in queries:
        small_index.search(query)
        most_held = max(most_held, _held())
    # emptied when a search begins past the limit: at most the limit and one search's new pairs
    assert most_held <= 10 + most_new < unbounded


def test_a_latin_name_reads_no_word_pair_with_a_name_in_arabic_script():
    """A Latin name is not compared word by word with a listed name in Arabic script, so the shared rows may hold
    such a pair only from another comparison (a query mixing scripts): the word-rarity feature must not read it,
    or a search's features would depend on the searches before it."""
    latin = profile_of(parse_name("Mary Smith", "person"))
    arabic = profile_of(parse_name("زبير القصاب", "person"))
    rows = {t: dict.fromkeys(arabic.tokens, 0.95) for t in latin.tokens}
    assert matched_rarity(latin, arabic, rows) == 0.0
    # the same rows are read between two names in one script
    other = profile_of(parse_name("Zubayr Qassab", "person"))
    rows = {t: dict.fromkeys(other.tokens, 0.95) for t in latin.tokens}
    assert matched_rarity(latin, other, rows) > 0.0
