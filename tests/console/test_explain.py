"""The "Why this matched" bars: each feature's contribution, labelled, agreements as agreements, nothing for a feature that
did not apply (issue 13, item 7). The browser test (tests/browser/test_console_fixes.py) looks at the page."""

from __future__ import annotations

from app.console.explain import explain


def _lines(raw: dict) -> list[tuple[str, str, str | None, str | None]]:  # type: ignore[type-arg]
    return [(f.name, f.signed, f.verdict, f.detail) for f in explain(raw).features]


def test_contributions_are_labelled_and_facts_that_agree_say_so() -> None:
    raw = {
        "features": {"name": 0.9705, "birth_date": 0.04, "nationality": 0.03, "kind": 0.0, "identifier": 0.0},
        "corroborations": ["born 1974, listed 1974 (same year)", "nationality IQ on both"],
        "contradictions": [],
    }
    assert _lines(raw) == [
        ("Name", "+0.97", None, None),
        ("Date of birth", "+0.04", "agrees", "born 1974, listed 1974 (same year)"),
        ("Nationality", "+0.03", "agrees", "nationality IQ on both"),
    ]  # no "Kind 0%", no "Identifier 0%": both sides are persons, neither gave an identifier
    x = explain(raw)
    assert x.units == "score points"
    assert x.other_corroborations == []  # each said once, beside its feature


def test_a_disagreement_is_shown_as_one_with_what_it_took_away() -> None:
    raw = {
        "features": {"name": 0.9, "birth_date": -0.15, "kind": -0.25, "nationality": 0.0},
        "corroborations": [],
        "contradictions": [
            "born 1956, listed 1960 (4 years apart)",
            "a person queried, a organization listed",
        ],
    }
    assert _lines(raw) == [
        ("Name", "+0.90", None, None),
        ("Kind", "−0.25", "disagrees", "a person queried, a organization listed"),
        ("Date of birth", "−0.15", "disagrees", "born 1956, listed 1960 (4 years apart)"),
    ]


def test_a_learned_models_features_render_the_same_way() -> None:
    """Log-odds contributions of many name features and centred record features: a record feature moves the
    log-odds a little even when one side gave no such fact; it is not shown then."""
    raw = {
        "features": {
            "name_alignment": 2.4,
            "name_token_set": 0.61,
            "name_phonetic_query": 0.001,
            "weak_alias": -0.8,
            "birth_date": 0.12,
            "nationality": 0.9,
            "kind": 0.02,
            "a_feature_of_tomorrow": 0.3,
        },
        "corroborations": ["nationality IQ on both"],
        "contradictions": [],
        "model": {"baseline": -3.1, "log_odds": 0.1},
    }
    names = [(name, signed, verdict) for name, signed, verdict, _ in _lines(raw)]
    assert names == [
        ("Name: words aligned", "+2.40", None),
        ("Nationality", "+0.90", "agrees"),
        ("Name: a weak alias", "−0.80", None),
        ("Name: one name within the other", "+0.61", None),
        ("A feature of tomorrow", "+0.30", None),  # unknown to the console: shown, by its own name
    ]
    assert explain(raw).units == "log-odds"
    shares = [f.share for f in explain(raw).features]
    assert shares[0] == 1.0 and 0 < shares[-1] < 1


def test_names_numbered_otherwise_say_so() -> None:
    """Sister vessels (FU YUAN YU 7876 / 7877): the numbers' penalty is shown with the sentence that explains it."""
    raw = {
        "features": {"name_alignment": 1.2, "numbers": -4.0, "identifier": 0.0},
        "corroborations": [],
        "contradictions": ["name numbered 7876, listed names numbered 7877"],
    }
    assert ("Name: numbers", "−4.0", "disagrees", "name numbered 7876, listed names numbered 7877") in [
        (name, signed[:4], verdict, detail) for name, signed, verdict, detail in _lines(raw)
    ]
