"""The shipped model: its file, its thresholds, and the plain data the index keeps for it."""

from __future__ import annotations

import json
import pickle
import random

import pytest

from app.config import Settings
from app.matching.compare import compare_names
from app.matching.features import (
    FEATURES,
    NAME_FEATURES,
    matched_rarity,
    measured_with,
    name_features,
    profile_of,
)
from app.matching.index import AUTO_LINK_THRESHOLD, DEFAULT_THRESHOLD, REVIEW_THRESHOLD, MatchIndex
from app.matching.model import (
    MODEL_FILE,
    ModelFileError,
    TreeModel,
    load_model,
    model_from_json,
    model_thresholds,
)
from app.matching.names import parse_name
from app.matching.query import MatchQuery
from tests.matching.conftest import make_entry


def test_the_model_file_says_where_it_came_from():
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    assert data["features"] == list(FEATURES)
    trained = data["trained"]
    assert trained["date"] and trained["split_file_query_set_hash"]
    assert trained["by"] == "bench/train_matcher.py"


def test_thresholds_are_ordered_probabilities():
    model = load_model()
    assert 0 < model.review_threshold <= model.match_threshold <= model.auto_link_threshold <= 1
    assert (
        model.review_threshold,
        model.match_threshold,
        model.auto_link_threshold,
    ) == (REVIEW_THRESHOLD, DEFAULT_THRESHOLD, AUTO_LINK_THRESHOLD)


def test_thresholds_read_alone_from_a_model_of_other_features(tmp_path):
    # The trainer imports the index while the code's features differ from the file's: the thresholds still read,
    # and a file cut short or without them is refused with the file named.
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    other = tmp_path / "other.json"
    other.write_text(json.dumps({**data, "features": ["something_else"]}), encoding="utf-8")
    assert model_thresholds(other) == (REVIEW_THRESHOLD, DEFAULT_THRESHOLD, AUTO_LINK_THRESHOLD)
    with pytest.raises(ModelFileError):
        load_model(other)
    cut = tmp_path / "cut.json"
    cut.write_text(MODEL_FILE.read_text(encoding="utf-8")[:5000], encoding="utf-8")
    without = tmp_path / "without.json"
    without.write_text(json.dumps({k: v for k, v in data.items() if k != "thresholds"}), encoding="utf-8")
    for broken in (cut, without, tmp_path / "missing.json"):
        with pytest.raises(ModelFileError, match=broken.name):
            model_thresholds(broken)


def test_service_settings_default_to_the_model_thresholds():
    settings = Settings()
    model = load_model()
    assert settings.review_threshold == model.review_threshold
    assert settings.match_threshold == model.match_threshold
    assert settings.auto_link_threshold == model.auto_link_threshold


def test_more_agreement_scores_higher():
    entry = make_entry("1", "AL-FAYYADH, Falih", birth_dates=["1956-03-27"])
    index = MatchIndex([("x", entry)])
    scores = [
        index.search(MatchQuery(names=[name]), threshold=0.0)[0][2].score
        for name in ("Falih Fayyadh", "Falih Fayyad Hamid", "Faris Fayyad Hamid")
    ]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] - scores[-1] > 0.3


def test_name_profiles_and_the_index_state_pickle():
    profile = profile_of(parse_name("PUBLICHNOE AKTSIONERNOE OBSHCHESTVO SBERBANK ROSSII", "organization"))
    assert profile.org_classes == {"JSC"}
    assert pickle.loads(pickle.dumps(profile)) == profile
    index = MatchIndex([("x", make_entry("1", "IVANOVA, Yekaterina"))])
    state = pickle.loads(pickle.dumps(index._state))
    assert state.slots[0].names.profiles[0].symbols  # rigour's name symbols (Yekaterina = Kateryna) are kept


def test_matched_rarity_counts_the_words_the_comparison_joined():
    """AL-GHAYSI and AL-QAYSI are one name to the comparison (q for gh) but neither close in spelling nor of one
    outline: the rarity of the listed words the query has must count QAYSI once the comparison's word pairs are
    given, as a search gives them."""
    query = parse_name("AL-GHAYSI, Nayif", "person")
    listed = parse_name("AL-QAYSI, Nayif Salih Salim", "person")
    q, e = profile_of(query), profile_of(listed)
    word_pairs: dict = {}
    compare_names(query, listed, word_pairs, explain=False)
    qaysi = e.rarities[e.words.split().index("qaysi")]
    assert qaysi > 0.5
    assert matched_rarity(q, e, word_pairs) == pytest.approx(matched_rarity(q, e) + qaysi)


def _tree_model_file() -> dict:
    """Two trees by hand, and weights for the record features: the format bench/train_matcher.py writes."""
    return {
        "kind": "trees",
        "features": list(FEATURES),
        "selection": [1.0] + [0.0] * (len(NAME_FEATURES) - 1),
        "init": -2.0,
        "trees": [
            [0, 0.8, [1, 0.5, -1.0, 0.2, -0.4], 1.5, 0.55],  # alignment, then token sort
            [4, 0.6, -0.3, 0.6, 0.15],  # weakest word
        ],
        "record_weights": [1.1, 0.8, 1.5],
        "calibration": {"slope": 0.9, "intercept": 0.1},
        "thresholds": {"review": 0.4, "match": 0.45, "auto_link": 0.99},
    }


def _walk(tree, values):
    while isinstance(tree, list):
        tree = tree[2] if values[tree[0]] <= tree[1] else tree[3]
    return tree


def test_tree_explanations_add_up_to_the_score():
    data = _tree_model_file()
    model = model_from_json(data)
    assert isinstance(model, TreeModel)
    n_name, n_record = len(NAME_FEATURES), len(FEATURES) - len(NAME_FEATURES)
    for values in (
        [0.9, 0.3] + [0.7] * (n_name - 2) + [0.0] * n_record,  # no fact known
        [0.5, 0.9] + [0.2] * (n_name - 2) + [1.0] + [-1.0] * (n_record - 1),
    ):
        raw = data["init"] + sum(_walk(t, values) for t in data["trees"])
        raw += sum(w * x for w, x in zip(data["record_weights"], values[n_name:], strict=True))
        calibrated = 0.9 * raw + 0.1
        assert model.baseline + model.log_odds(values) == pytest.approx(calibrated)
        assert model.baseline + sum(model.contributions(values)) == pytest.approx(calibrated)


def test_a_fact_not_known_adds_nothing_to_a_tree_model():
    model = model_from_json(_tree_model_file())
    values = [0.9] * len(NAME_FEATURES) + [0.0] * (len(FEATURES) - len(NAME_FEATURES))
    assert model.at_reference(values, len(NAME_FEATURES))
    assert all(c == 0.0 for c in model.contributions(values)[len(NAME_FEATURES) :])
    values[FEATURES.index("birth_date")] = -0.5
    assert model.contributions(values)[FEATURES.index("birth_date")] == pytest.approx(0.9 * 1.1 * -0.5)


def test_a_tree_over_a_record_feature_is_refused():
    data = _tree_model_file()
    data["trees"].append([0, 0.5, [FEATURES.index("nationality"), 0.0, 0.1, 0.2, 0.15], 0.3, 0.2])
    with pytest.raises(ModelFileError):
        model_from_json(data)


def _split_points(trees) -> dict[int, list[float]]:
    """Per name feature, values on both sides of every threshold the trees split it at."""
    points: dict[int, set[float]] = {}
    stack = list(trees)
    while stack:
        node = stack.pop()
        if type(node) is tuple:
            feature, threshold = int(node[0]), float(node[1])
            points.setdefault(feature, set()).update((threshold - 1e-6, threshold, threshold + 1e-6))
            stack += [node[2], node[3]]
    return {f: sorted(v) for f, v in points.items()}


def test_the_search_ceiling_is_never_below_a_row_it_stands_for():
    """A search stops scoring an entry whose ceiling (the trees' highest leaves over the name features not measured
    yet) is below the threshold: the ceiling must be at least the log-odds of every row agreeing with it on the
    measured features, or an answer would be dropped."""
    model = load_model()
    assert isinstance(model, TreeModel)
    known = measured_with(model.selected)
    assert known != frozenset(range(len(NAME_FEATURES)))  # something is left to bound
    ceiling = model.name_ceiling(known)
    points = _split_points(model.name_trees)
    rng = random.Random(12)
    no_record = [0.0] * (len(FEATURES) - len(NAME_FEATURES))
    for _ in range(2000):
        row = [rng.choice(points.get(i, [0.0])) for i in range(len(NAME_FEATURES))]
        bound = ceiling(row)
        highest = max(
            model.log_odds(
                [
                    row[i] if i in known else rng.choice(points.get(i, [0.0]))
                    for i in range(len(NAME_FEATURES))
                ]
                + no_record
            )
            for _ in range(10)
        )
        assert highest <= bound + 1e-9
        # and the bound is reached by some row: the ceiling of a fully measured row is its own log-odds
    full = model.name_ceiling(frozenset(range(len(NAME_FEATURES))))
    row = [rng.choice(points.get(i, [0.0])) for i in range(len(NAME_FEATURES))]
    assert full(row) == pytest.approx(model.log_odds(row + no_record))


def test_features_measured_with_a_selection_are_those_measured_in_full():
    """A search chooses an entry's pair by the features its selection weighs and bounds the rest by the trees'
    ceiling: every feature ``measured_with`` names must come out of name_features as it does measured in full, or
    the ceiling would be read with a wrong value."""
    pairs = [
        ("Falih Fayyadh", "AL FAYYADH, Falih Faisal Fahad", "person"),
        ("فالح الفياض", "AL-FAYYADH, Falih", "person"),
        ("JSC Kontsern Avtomatika", "AKTSIONERNOE OBSHCHESTVO KONTSERN AVTOMATIKA", "organization"),
        ("Kim Young-Cheol", "KIM, Yong Chol", "person"),
        ("Ivan Petrov", "PETROV, John", "person"),
    ]
    n = len(NAME_FEATURES)
    for query, listed, kind in pairs:
        q, e = profile_of(parse_name(query, kind)), profile_of(parse_name(listed, kind))
        full = name_features(q, e, 0.5, False)
        assert len(full) == n
        for wanted in (
            frozenset(),
            load_model().selected,
            frozenset(range(0, n, 2)),
            frozenset({4}),
            frozenset({5}),
        ):
            partial = name_features(q, e, 0.5, False, wanted)
            measured = measured_with(wanted)
            assert wanted <= measured
            assert [partial[i] for i in sorted(measured)] == [full[i] for i in sorted(measured)], (
                query,
                wanted,
            )
