"""The shipped model: its file, its thresholds, and the plain data the index keeps for it."""

from __future__ import annotations

import json
import pickle

from app.config import Settings
from app.matching.features import FEATURES, profile_of
from app.matching.index import AUTO_LINK_THRESHOLD, DEFAULT_THRESHOLD, REVIEW_THRESHOLD, MatchIndex
from app.matching.model import MODEL_FILE, load_model
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
