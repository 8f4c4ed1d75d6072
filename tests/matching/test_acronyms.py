"""An organization's acronym aligned with the words it abbreviates, and only then."""

from __future__ import annotations

import pytest

from app.matching.compare import compare_names
from app.matching.names import parse_name


def pairs(query: str, listed: str, kind: str = "organization") -> list[tuple[str, str]]:
    match = compare_names(parse_name(query, kind), parse_name(listed, kind))
    return [(q, e) for q, e, _ in match.pairs]


@pytest.mark.parametrize(
    ("query", "listed", "acronym", "words"),
    [
        (
            "NPP GURAMI",
            "NAUCHNO-PROIZVODSTVENNOE PREDPRIYATIE GURAMI",
            "npp",
            "nauchno proizvodstvennoe predpriyatie",
        ),
        (
            "AO TSKB LAZURIT",
            "TSENTRALNOYE KONSTRUKTORSKOYE BYURO LAZURIT",
            "tskb",
            "tsentralnoye konstruktorskoye byuro",
        ),
        (
            "DKO ELEKTRONSCHIK",
            "DOM KOMPONENTOV I OBORUDOVANIYA ELEKTRONSCHIK",
            "dko",
            "dom komponentov i oborudovaniya",
        ),
    ],
)
def test_acronym_meets_its_words(query, listed, acronym, words):
    assert (acronym, words) in pairs(query, listed)
    # and the other way round: the listed name is the acronym
    assert (words, acronym) in pairs(listed, query)


@pytest.mark.parametrize(
    ("query", "listed", "kind"),
    [
        ("NPP GURAMI", "NATIONAL POWER GURAMI", "organization"),  # NP, not NPP
        (
            "NPP GURAMI",
            "NAUCHNO GURAMI PROIZVODSTVENNOE PREDPRIYATIE",
            "organization",
        ),  # not one run of words
        ("AB HASSAN", "ALI BAKR HASSAN", "person"),  # a person's initials are not an acronym
    ],
)
def test_no_acronym_otherwise(query, listed, kind):
    assert not any(" " in e for _, e in pairs(query, listed, kind))
