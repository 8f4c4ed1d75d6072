"""How bench/matching.py counts results: the answer is a hit, a namesake or another list's entry is not counted,
any other entry of the answer's list is a false alert, and every result for a negative query is one."""

from __future__ import annotations

from app.matching.query import MatchQuery
from bench.matching import HEADLINE_SETS, Outcome, false_auto_links, measure, reliability
from bench.matching_pairs import EvalQuery


def query(set_name: str, expected: tuple[str, str] | None, namesakes=frozenset()) -> EvalQuery:
    match_query = MatchQuery(names=["Some Name"], kind="person")
    return EvalQuery(
        id=f"{set_name}|{expected}",
        set=set_name,
        split="test",
        entry_key=f"{expected}",
        query=match_query,
        with_attrs=match_query,
        expected=expected,
        corpus="un_2026",
        namesakes=frozenset(namesakes),
    )


POSITIVE = Outcome(
    query("same_entry", ("un_sc", "A"), {("un_sc", "N")}),
    [(("uk", "X"), 0.99), (("un_sc", "A"), 0.9), (("un_sc", "N"), 0.85), (("un_sc", "B"), 0.82)],
)
MISSED = Outcome(query("gained", ("un_sc", "C")), [(("un_sc", "D"), 0.6)])
NEGATIVE = Outcome(query("pep_negative", None), [(("ofac_sdn", "Z"), 0.97)])
QUIET = Outcome(query("hard_negative", None), [])
OUTCOMES = [POSITIVE, MISSED, NEGATIVE, QUIET]


def test_hits_false_alerts_and_what_is_not_counted() -> None:
    m = measure(OUTCOMES, 0.8, HEADLINE_SETS)
    assert (m.tp, m.found, m.positives) == (1, 1, 2)
    assert m.fp == 2  # ("un_sc", "B") for the positive, ("ofac_sdn", "Z") for the negative
    assert (m.negatives, m.negative_alerts, m.negatives_alerted) == (2, 1, 1)
    assert m.recall == 0.5
    assert m.precision == 1 / 3
    assert m.false_suggestions_per_100 == 50.0

    higher = measure(OUTCOMES, 0.95, HEADLINE_SETS)
    assert (higher.found, higher.fp) == (0, 1)

    lower = measure(OUTCOMES, 0.5, HEADLINE_SETS)
    assert (lower.found, lower.fp) == (1, 3)  # the missed query's wrong entry now alerts


def test_sets_outside_the_selection_are_not_counted() -> None:
    regression = Outcome(query("regression", ("un_sc", "R")), [(("un_sc", "S"), 0.99)])
    assert measure([regression], 0.8, HEADLINE_SETS).positives == 0
    assert measure([regression], 0.8, {"regression"}).fp == 1


def test_false_auto_links_and_reliability() -> None:
    assert [(s, k) for s, _, k in false_auto_links(OUTCOMES, 0.95)] == [(0.97, ("ofac_sdn", "Z"))]
    bins = {floor: (n, correct) for floor, n, correct, _ in reliability(OUTCOMES, HEADLINE_SETS)}
    # 0.9: the answer, and the negative's 0.97; 0.8: ("un_sc", "B"); 0.6: the missed query's wrong entry
    assert bins == {0.9: (2, 1), 0.8: (1, 0), 0.6: (1, 0)}
