"""The matcher's shortcuts change its speed, never its results: the word-pair sieve of compare.py only drops pairs
that could not align, and a search gives the scores that scoring each entry on its own gives."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from app.lists.records import Entry, Name
from app.matching.compare import (
    _JOIN_BOUNDS,
    JOIN_MIN,
    MIN_PAIR,
    _may_agree,
    compare_names,
    token_similarity,
)
from app.matching.index import MatchIndex
from app.matching.names import parse_name
from app.matching.query import MatchQuery
from app.matching.score import score
from app.matching.tokens import make_token

# Words of listed names, and the spellings the comparison's special rules join (plurals, q/gh, first letters
# swapped, h/g, attached articles, initials, stopwords).
_WORDS = """
muhammad mohammed mohamed hassan hussein husain ali alī ahmad ahmed ahmadi mahmud mahmoud abdulrahman abdurrahman
fayyadh fayyad faleh falih saleh qasim kassem qaddafi gaddafi kadhafi gamal jamal yusuf jusuf youssef asghar asqar
naghdi naqdi serhiy sergey ihor igor hubareva gubareva lukashenko lukashenka hizballah hezbollah hizbollah forces
force guards guard companies company bank banka oleksandr aleksandr alexander kateryna yekaterina ivanova petrov
petrova kim yong chol jong un xi jinping rosneft rostec kalashnikov concern trading general industrial petroleum
shipping alfayyadh essaadi al bin of the and ltd llc jsc a b m ibrahim ebrahim barzan jadhran saeed said sayed
mirahmad ahmadzai khan khaan zada zadeh rahman rehman gholam golam reza rida naqvi nakvi tehran teheran isil isis
"""
WORDS = _WORDS.split()


def _respell(word: str, rng: random.Random) -> str:
    letters = list(word)
    k = rng.randrange(len(letters))
    move = rng.randrange(4)
    if move == 0 and len(letters) > 2:
        del letters[k]
    elif move == 1:
        letters.insert(k, rng.choice("aeiouhgqkjyzs"))
    elif move == 2:
        letters[k] = rng.choice("aeiouhgqkjyzsdt")
    elif k + 1 < len(letters):
        letters[k], letters[k + 1] = letters[k + 1], letters[k]
    return "".join(letters)


def _tokens(words: list[str]):
    out = []
    for word in words:
        for kind in (None, "person", "organization"):
            out.extend(parse_name(word, kind).tokens)
        out.append(make_token(word))
    return out


def test_the_sieve_drops_only_pairs_below_min_pair():
    rng = random.Random(12)
    words = WORDS + [_respell(w, rng) for w in WORDS for _ in range(3)]
    tokens = list({id(t): t for t in _tokens(words)}.values())
    dropped = 0
    for a in tokens:
        for b in tokens:
            if not _may_agree(a, b):
                dropped += 1
                assert token_similarity(a, b) < MIN_PAIR, (a.text, b.text)
    # it is there to spare most pairs the comparison
    assert dropped > len(tokens) ** 2 / 2


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcdeghijklmnoqrstuwyz", min_size=1, max_size=12), st.sampled_from(WORDS))
def test_the_sieve_drops_no_pair_that_aligns(word, listed):
    for a in _tokens([word]):
        for b in _tokens([listed, _respell(listed, random.Random(word))]):
            if not _may_agree(a, b):
                assert token_similarity(a, b) < MIN_PAIR
            if not _may_agree(b, a):
                assert token_similarity(b, a) < MIN_PAIR


def _joined(words: list[str]):
    """Two words written as one, as compare._join_unmatched makes them."""
    return [make_token(a + b, "word", parts=(a, b)) for a, b in zip(words, words[1:], strict=False)]


def test_the_join_sieve_drops_only_pairs_below_join_min():
    rng = random.Random(13)
    words = WORDS + [_respell(w, rng) for w in WORDS for _ in range(2)]
    tokens = list({id(t): t for t in _tokens(words)}.values())
    # the joined pairs of the word list, and those of words that, joined, spell a listed word ("hizb" "allah")
    pieces = ["hizb", "allah", "xi", "jin", "ping", "mir", "ahmad", "abdul", "rahman", "kim", "jong", "un"]
    joined = list({id(t): t for t in _joined(words) + _joined(pieces)}.values())
    # and the joined words misspelt, which only the general formula brings near
    tokens += _tokens([_respell(t.text, rng) for t in joined for _ in range(2)])
    dropped = 0
    for a in joined:
        for b in tokens:
            if not _may_agree(a, b, _JOIN_BOUNDS):
                dropped += 1
                assert token_similarity(a, b) < JOIN_MIN, (a.text, b.text)
    assert dropped > len(joined) * len(tokens) / 2


def test_a_joined_word_meets_the_other_words_alternations_by_its_whole_spelling():
    # SAEED|D folds piece by piece to "sadd", whole to "sad"; SYEED's y-as-i alternation is "sad" (hypothesis's find)
    joined, other = make_token("saeedd", "word", parts=("saeed", "d")), make_token("syeed")
    assert token_similarity(joined, other) >= JOIN_MIN
    assert _may_agree(joined, other, _JOIN_BOUNDS)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abcdeghijklmnoqrstuwyz", min_size=1, max_size=6), st.sampled_from(WORDS))
def test_the_join_sieve_drops_no_pair_that_joins(piece, listed):
    rng = random.Random(piece)
    for a in _joined([piece, listed]) + _joined([listed, piece]) + _joined([listed[:3], listed[3:] or piece]):
        for b in _tokens([listed, _respell(listed, rng), piece + listed]):
            if not _may_agree(a, b, _JOIN_BOUNDS):
                assert token_similarity(a, b) < JOIN_MIN, (a.text, b.text)


def _entry(list_id: str, *names: str, kind: str = "person") -> Entry:
    return Entry(source="test", list_id=list_id, kind=kind, names=[Name(full=n) for n in names])


def test_a_search_scores_as_scoring_each_entry_alone():
    entries = [
        _entry("1", "AL-FAYYADH, Falih", "Faleh al Fayyad"),
        _entry("2", "SALEH, Falih Hassan"),
        _entry("3", "LUKASHENKA, Alyaksandr", "Alexander Lukashenko"),
        _entry("4", "HIZBALLAH", "HEZBOLLAH", "PARTY OF GOD", kind="organization"),
        _entry("5", "MUHAMMAD, Ali Hassan"),
        _entry("6", "KALASHNIKOV CONCERN", "JOINT STOCK COMPANY CONCERN KALASHNIKOV", kind="organization"),
    ]
    index = MatchIndex((e.list_id, e) for e in entries)
    by_id = {e.list_id: e for e in entries}
    for names in (["Faleh Fayyadh"], ["Hizbollah"], ["Ali Hassan Mohammed"], ["Kalashnikov"], ["Lukashenko"]):
        query = MatchQuery(names=names)
        for key, _, result in index.search(query, threshold=0.0):
            alone = score(query, by_id[key])
            assert abs(alone.score - result.score) < 1e-9, (names, key)
            assert alone.explanation == result.explanation


def test_compare_names_is_the_same_with_a_shared_cache():
    cache: dict = {}
    query = parse_name("Faleh al-Fayyadh Hassan")
    for listed in ("AL-FAYYADH, Falih", "SALEH, Falih", "HASSAN, Fayyad", "Hassan Faleh Fayyadh al Saleh"):
        form = parse_name(listed, "person")
        shared = compare_names(query, form, cache)
        alone = compare_names(query, form, {})
        assert shared == alone
