"""An organization's acronym aligned with the words it abbreviates, and only then."""

from __future__ import annotations

import pytest

from app.matching.compare import compare_names
from app.matching.index import REVIEW_THRESHOLD, MatchIndex
from app.matching.names import parse_name
from app.matching.query import MatchQuery
from tests.matching.conftest import make_entry


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


@pytest.mark.parametrize(
    ("decoy", "listed", "query"),
    [
        (
            "VSEROSSIYSKIY NAUCHNO-ISSLEDOVATELSKIY INSTITUT",
            "VNII SIGNAL",
            "OAO VSEROSSIYSKIY NAUCHNO-ISSLEDOVATELSKIY INSTITUT SIGNAL",
        ),
        (
            "TSENTRALNOYE KONSTRUKTORSKOYE BYURO",
            "AO TSKB LAZURIT",
            "AKTSIONERNOYE OBSHCHESTVO TSENTRALNOYE KONSTRUKTORSKOYE BYURO LAZURIT",
        ),
    ],
)
def test_a_name_spelled_out_finds_its_acronym_among_many_alike(decoy, listed, query):
    """Forty listed institutes share the query's spelled-out words; the one listed by its acronym (VNII for
    Vserossiyskiy Nauchno-Issledovatelskiy Institut, TSKB for Tsentralnoye Konstruktorskoye Byuro) must still be
    shortlisted and suggested, not lost below the names sharing more words."""
    entries = [
        make_entry(f"d{n}", f"{decoy} {word}", kind="organization") for n, word in enumerate(DECOY_WORDS)
    ]
    index = MatchIndex((e.list_id, e) for e in [*entries, make_entry("answer", listed, kind="organization")])
    hits = index.search(MatchQuery(names=[query], kind="organization"), threshold=REVIEW_THRESHOLD)
    assert "answer" in [key for key, _, _ in hits]


# The words that tell the other institutes apart (made up for the test: only their number matters).
DECOY_WORDS = [
    "ALMAZ",
    "AGAT",
    "ALTAIR",
    "AVIATIKA",
    "BERKUT",
    "BURAN",
    "DELFIN",
    "DIAMANT",
    "ELEKTRON",
    "ENERGIYA",
    "FAKEL",
    "GRANIT",
    "IMPULS",
    "KOMETA",
    "KRISTALL",
    "KVANT",
    "LUCH",
    "MAYAK",
    "METEOR",
    "MORION",
    "NEVA",
    "OKEAN",
    "OMEGA",
    "ORION",
    "PLANETA",
    "POISK",
    "POLYUS",
    "PROGRESS",
    "RADUGA",
    "RUBIN",
    "SAPFIR",
    "SATURN",
    "SIRIUS",
    "SOKOL",
    "SPEKTR",
    "STRELA",
    "TITAN",
    "TOPAZ",
    "URAN",
    "VEGA",
    "VEKTOR",
    "VOLNA",
    "VOSTOK",
]
