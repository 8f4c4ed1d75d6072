"""Scoring a query against one entry: names, corroboration, contradiction, explanation."""

from __future__ import annotations

import json
import math

import pytest

from app.lists.records import Identifier
from app.matching.features import FEATURES
from app.matching.index import AUTO_LINK_THRESHOLD, DEFAULT_THRESHOLD
from app.matching.query import MatchQuery
from app.matching.score import parse_birth_date, score
from tests.matching.conftest import make_entry


def q(*names: str, **kwargs) -> MatchQuery:
    return MatchQuery(names=list(names), **kwargs)


# -- the Fayyadh case -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Faleh al-Fayyad", "AL-FAYYADH, Falih", "ALFAYYADH, Faleh", "فالح الفياض"])
def test_fayyadh_names_link(fayyadh, name):
    assert score(q(name), fayyadh).score >= DEFAULT_THRESHOLD


def test_arabic_script_query_names_the_listed_name_it_matched(fayyadh):
    result = score(q("فالح الفياض"), fayyadh)
    assert result.explanation["names"]["entry"] in {
        "AL-FAYYADH, Falih",
        "ALFAYYADH, Falih",
        "ALFAYYADH, Faleh",
    }
    assert result.score >= 0.85


@pytest.mark.parametrize(
    "name",
    [
        "AHMAD, Fayyaz",
        "Fayyaz Ahmad",
        "FAYYAD, Subhi Mahmud",
        "FAYYAD, Saleh Mahmud",
        "Omar Mahmood Irhayyim AL-FAYYADH",
    ],
)
def test_fayyadh_lookalikes_stay_below_threshold(fayyadh, name):
    assert score(q(name), fayyadh).score < DEFAULT_THRESHOLD


def test_the_lookalikes_are_not_linked_to_each_other(fayyadh, lookalikes):
    query = q("Faleh al-Fayyad", birth_dates=["1956-03-27"])
    for entry in lookalikes:
        assert score(query, entry).score < DEFAULT_THRESHOLD, entry.name


# -- corroboration and contradiction ----------------------------------------------------------------------------


def test_same_birth_day_adds_and_is_explained(fayyadh):
    plain = score(q("Faleh al-Fayyad"), fayyadh)
    dated = score(q("Faleh al-Fayyad", birth_dates=["1956-03-27"]), fayyadh)
    assert dated.explanation["features"]["birth_date"] > 0
    assert dated.score > plain.score
    assert any("1956-03-27" in c for c in dated.explanation["corroborations"])


def test_birth_year_only_adds_less_than_the_day(fayyadh):
    day = score(q("Faleh al-Fayyad", birth_dates=["1956-03-27"]), fayyadh).explanation["features"][
        "birth_date"
    ]
    year = score(q("Faleh al-Fayyad", birth_dates=["1956"]), fayyadh).explanation["features"]["birth_date"]
    assert 0 < year <= day


def test_birth_range_covering_the_date_corroborates(fayyadh):
    result = score(q("Faleh al-Fayyad", birth_dates=["1950/1960"]), fayyadh)
    assert result.explanation["features"]["birth_date"] > 0


def test_distant_birth_year_contradicts(fayyadh):
    plain = score(q("Faleh al-Fayyad"), fayyadh)
    wrong = score(q("Faleh al-Fayyad", birth_dates=["1970"]), fayyadh)
    assert wrong.explanation["features"]["birth_date"] < -0.1
    assert wrong.score < plain.score - 0.1
    assert wrong.explanation["contradictions"] == ["born 1970, listed 1956-03-27 (14 years apart)"]


def test_a_year_apart_is_a_small_doubt_not_a_contradiction(fayyadh):
    near = score(q("Faleh al-Fayyad", birth_dates=["1957"]), fayyadh).explanation["features"]["birth_date"]
    far = score(q("Faleh al-Fayyad", birth_dates=["1970"]), fayyadh).explanation["features"]["birth_date"]
    assert far < near < 0


def test_any_listed_birth_date_may_agree():
    entry = make_entry("1", "DOE, John", birth_dates=["1960", "1962-05-01"])
    result = score(q("John Doe", birth_dates=["1962-05-01"]), entry)
    assert result.explanation["features"]["birth_date"] > 0


def test_nationality_shared_or_not(fayyadh):
    same = score(q("Faleh al-Fayyad", nationalities=["IQ"]), fayyadh)
    other = score(q("Faleh al-Fayyad", nationalities=["US"]), fayyadh)
    assert same.explanation["features"]["nationality"] > 0 > other.explanation["features"]["nationality"]
    assert other.explanation["contradictions"] == ["nationality US, listed IQ"]


def test_citizenship_counts_as_nationality():
    entry = make_entry("10044", "FAYYAD, Subhi Mahmud", citizenships=["LB", "PY"])
    assert score(q("Subhi Fayyad", nationalities=["PY"]), entry).explanation["features"]["nationality"] > 0


def test_corroboration_cannot_make_a_weak_name_a_link(fayyadh):
    result = score(q("Fayyad", birth_dates=["1956-03-27"], nationalities=["IQ"]), fayyadh)
    assert result.score < AUTO_LINK_THRESHOLD


def test_identifier_match_is_near_certain(fayyadh):
    result = score(q("F. Fayyad", identifiers=[("passport", "D 1019262")]), fayyadh)
    assert result.score >= 0.96
    assert result.identifier_match
    assert result.explanation["features"]["identifier"] > 0
    assert any("D1019262" in c for c in result.explanation["corroborations"])


def test_identifier_of_unknown_type_still_matches(fayyadh):
    assert score(q("Falih Fayyadh", identifiers=[(None, "d1019262")]), fayyadh).identifier_match


def test_identifier_contradiction_lowers(fayyadh):
    plain = score(q("Faleh al-Fayyad"), fayyadh)
    other = score(q("Faleh al-Fayyad", identifiers=[("passport", "A1234567")]), fayyadh)
    assert other.score < plain.score
    assert other.explanation["features"]["identifier"] < 0
    assert other.explanation["contradictions"]


def test_vessel_imo_contradiction_is_strong():
    vessel = make_entry("9", "ARK III", kind="vessel", identifiers=[Identifier("imo", "9123456")])
    plain = score(q("ARK III", kind="vessel"), vessel)
    other = score(q("ARK III", kind="vessel", identifiers=[("imo", "9999999")]), vessel)
    assert plain.score - other.score >= 0.25


# Sister vessels of the OFAC list: FU YUAN YU 7876 and 7877, HYUNDAI MIPO 2655 and 2657 are other hulls.
@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ("FU YUAN YU 7876", "FU YUAN YU 7877"),
        ("FU YUAN YU 7876", "FU YUAN YU 7870"),
        ("HYUNDAI MIPO 2657", "HYUNDAI MIPO 2655"),
        ("YARD NO.2656 HYUNDAI M.D.", "YARD NO.2657 HYUNDAI M.D."),
    ],
)
def test_names_numbered_otherwise_name_other_things(query, listed):
    result = score(q(query, kind="vessel"), make_entry("1", listed, kind="vessel"))
    assert result.score < DEFAULT_THRESHOLD
    assert result.explanation["features"]["numbers"] < 0
    assert any(c.startswith("name numbered") for c in result.explanation["contradictions"])


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ("FU YUAN YU 7876", ("FU YUAN YU 07876",)),  # leading zeros
        ("FU YUAN YU", ("FU YUAN YU 7876",)),  # the query names no number
        ("HYUNDAI MIPO 2657", ("YARD NO.2657 HYUNDAI M.D.", "HYUNDAI MIPO 2655")),  # one listed name has it
        # a reference in brackets is not the name's number
        (
            "SECOND ACADEMY OF NATURAL SCIENCES (KPE.018)",
            ("SECOND ACADEMY OF NATURAL SCIENCES", "CHE 2 CHAYON"),
        ),
    ],
)
def test_numbers_conflict_only_when_no_number_is_shared(query, listed):
    result = score(q(query), make_entry("1", *listed, kind="organization"))
    assert result.explanation["features"]["numbers"] == 0.0
    assert not any(c.startswith("name numbered") for c in result.explanation["contradictions"])
    assert result.score >= DEFAULT_THRESHOLD


def test_kind_mismatch_lowers():
    company = make_entry("1", "FAYYAD TRADING", kind="organization")
    as_person = score(q("Fayyad Trading", kind="person"), company)
    as_company = score(q("Fayyad Trading", kind="organization"), company)
    assert as_company.score > as_person.score
    # in log-odds, where a fact's weight does not depend on how good the names already are: the cap on what
    # record facts take off is 3
    assert as_person.explanation["features"]["kind"] <= -2.0


def test_weak_alias_is_worth_a_bit_less():
    strong = make_entry("1", "OTHER, Name", "AL-FAYYADH, Falih")
    weak = make_entry("2", "OTHER, Name", ("AL-FAYYADH, Falih", "weak"))
    strong_result = score(q("Falih al-Fayyadh"), strong)
    weak_result = score(q("Falih al-Fayyadh"), weak)
    assert (
        weak_result.explanation["features"]["weak_alias"]
        < strong_result.explanation["features"]["weak_alias"]
    )
    assert DEFAULT_THRESHOLD <= weak_result.score <= strong_result.score


def test_query_aliases_are_used(fayyadh):
    result = score(q("Unrelated Person", "Faleh al-Fayyad"), fayyadh)
    assert result.score >= 0.9
    assert result.explanation["names"]["query"] == "Faleh al-Fayyad"


# -- explanation ------------------------------------------------------------------------------------------------


def test_explanation_is_json_and_complete(fayyadh):
    result = score(q("Faleh al-Fayyad", birth_dates=["1970"], nationalities=["IQ"]), fayyadh)
    explanation = json.loads(json.dumps(result.explanation))
    assert set(explanation) >= {"names", "features", "contradictions", "corroborations"}
    names = explanation["names"]
    assert names["query"] == "Faleh al-Fayyad"
    assert names["entry"] in {n.full for n in fayyadh.names}
    assert names["quality"] == "strong"
    assert 0.9 <= names["similarity"] <= 1
    assert {q for q, _, _ in names["tokens"]} == {"faleh", "fayyad"}
    assert all(0.9 <= s <= 1 for _, _, s in names["tokens"])
    features = explanation["features"]
    assert set(features) == {*FEATURES, "identifier", "numbers"}
    assert features["birth_date"] < 0
    # what each feature added, from the model's baseline to the score's log-odds
    model = explanation["model"]
    added = sum(v for k, v in features.items() if k not in ("identifier", "numbers"))
    assert model["baseline"] + added == pytest.approx(model["log_odds"], abs=0.01)
    assert result.score == pytest.approx(1 / (1 + math.exp(-model["log_odds"])), abs=0.001)
    assert explanation["contradictions"] and explanation["corroborations"]


def test_no_names_no_match(fayyadh):
    assert score(q(""), fayyadh).score == 0.0


@pytest.mark.parametrize(
    ("value", "lo", "hi", "precision"),
    [
        ("1956-03-27", (1956, 3, 27), (1956, 3, 27), "day"),
        ("1956-03", (1956, 3, 1), (1956, 3, 31), "month"),
        ("1956", (1956, 1, 1), (1956, 12, 31), "year"),
        ("1950/1955", (1950, 1, 1), (1955, 12, 31), "range"),
    ],
)
def test_birth_date_forms(value, lo, hi, precision):
    span = parse_birth_date(value)
    assert (span.lo, span.hi, span.precision) == (lo, hi, precision)


def test_unreadable_birth_date_is_ignored(fayyadh):
    assert parse_birth_date("circa 1956") is None
    assert (
        score(q("Faleh al-Fayyad", birth_dates=["circa 1956"]), fayyadh).explanation["features"]["birth_date"]
        == 0
    )
