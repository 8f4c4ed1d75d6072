"""The labelled matching queries of bench/matching_pairs.py: built the same way every time, split by entry, and
never asking for a name the corpus already holds.

Built here from the small publications only (UN and OFAC non-SDN): the SDN and UK files take longer to read and
go through the same code (the UK-UN links are checked by bench/matching.py, which counts them).
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from bench import matching_pairs as pairs
from tests.matching.conftest import sample_data_dir

SMALL = frozenset({"un_2018", "un_2026", "cons_2020", "cons_2025"})


@pytest.fixture(scope="module")
def small_eval() -> pairs.EvalData:
    base = sample_data_dir()
    missing = [rel for name, (_, rel) in pairs.FILES.items() if name in SMALL and not (base / rel).exists()]
    if missing:
        pytest.skip(f"sample list files missing: {', '.join(missing)}")
    return pairs.load_eval(None, base, only=SMALL)


def test_every_set_of_the_small_publications_has_queries(small_eval: pairs.EvalData) -> None:
    sizes = Counter(q.set for q in small_eval.queries)
    for name in ("same_entry", "gained", "cross_script", "hard_negative", "pep_negative"):
        assert sizes[name] > 20, (name, sizes)
    assert {q.split for q in small_eval.queries} == {"train", "dev", "test"}


def test_the_builder_gives_the_same_queries_every_time(small_eval: pairs.EvalData) -> None:
    corpora, drafts, _ = pairs.build(sample_data_dir(), SMALL)
    assert pairs.query_set_hash(drafts) == small_eval.query_set_hash
    assert [(d.set, d.name, d.expected, d.corpus) for d in drafts] == [
        (q.set, q.query.names[0], q.expected, q.corpus) for q in small_eval.queries
    ]
    assert {c: [k for k, _ in items] for c, items in corpora.items()} == {
        c: [k for k, _ in items] for c, items in small_eval.corpora.items()
    }


def test_the_split_is_by_entry_and_read_from_the_frozen_file(small_eval: pairs.EvalData) -> None:
    split_of: dict[str, set[str]] = {}
    for q in small_eval.queries:
        split_of.setdefault(q.entry_key, set()).add(q.split)
    assert all(len(splits) == 1 for splits in split_of.values())

    frozen = json.loads(pairs.SPLIT_FILE.read_text(encoding="utf-8"))["split"]
    assigned = [key for split in pairs.SPLITS for key in frozen[split]]
    assert len(assigned) == len(set(assigned)), "a key in two splits of the file"
    file_split = {key: split for split in pairs.SPLITS for key in frozen[split]}
    for q in small_eval.queries:
        assert q.split == file_split.get(q.entry_key, pairs.hashed_split(q.entry_key)), q.id
    shares = Counter(file_split.values())
    assert 0.55 < shares["train"] / len(file_split) < 0.65
    assert 0.15 < shares["test"] / len(file_split) < 0.25


def test_no_query_is_a_name_its_corpus_entry_holds(small_eval: pairs.EvalData) -> None:
    entries = {name: dict(items) for name, items in small_eval.corpora.items()}
    for q in small_eval.queries:
        corpus = entries[q.corpus]
        name = q.query.names[0]
        if q.expected is not None:
            assert q.expected in corpus, q.id
            held = corpus[q.expected].names
            if q.set == "cross_script":  # against the Latin names only
                assert all(pairs.is_latin(n.full) for n in held) and not pairs.is_latin(name), q.id
            elif q.set != "regression":
                assert pairs.spelling_key(name) not in {pairs.spelling_key(n.full) for n in held}, q.id
        elif q.set == "hard_negative":
            assert q.origin not in corpus, q.id  # its own entry is withheld whole
            assert q.confuser in corpus, q.id
            words = pairs.namesake_key(name)
            bearers = [k for k, e in corpus.items() if words in {pairs.namesake_key(n.full) for n in e.names}]
            assert not bearers, (q.id, bearers)


def test_the_answers_in_the_held_out_corpora_keep_other_names(small_eval: pairs.EvalData) -> None:
    corpus = dict(small_eval.corpora["un_2026_holdout"])
    held_out = [q for q in small_eval.queries if q.corpus == "un_2026_holdout" and q.expected is not None]
    assert held_out
    assert all(corpus[q.expected].names for q in held_out)


def test_missing_sample_data_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("SANCTRACK_SAMPLE_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(pairs.SampleDataMissing, match="SANCTRACK_SAMPLE_DATA"):
        pairs.data_dir()
