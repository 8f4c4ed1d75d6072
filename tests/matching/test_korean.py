"""Korean names across romanization systems: which names are read as Korean, and what they become."""

from __future__ import annotations

import pytest

from app.matching.korean import korean_words


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["kim", "young", "cheol"], ["kim", "yong", "chol"]),  # Revised Romanization
        (["kim", "yong", "chol"], ["kim", "yong", "chol"]),  # the DPRK's
        (["jon", "myong", "guk"], ["chon", "myong", "kuk"]),
        (["chon", "myong", "kuk"], ["chon", "myong", "kuk"]),  # McCune-Reischauer, breves dropped
        (["park", "geun", "hye"], ["pak", "kun", "hye"]),
        (["lee", "jae", "yong"], ["li", "chae", "yong"]),
    ],
)
def test_one_form_across_romanizations(words, expected):
    assert korean_words(words) == expected


@pytest.mark.parametrize(
    "words",
    [
        ["mohammed", "han"],  # a word of more than two syllables beside a Korean surname
        ["sergey", "min"],
        ["ali", "hassan", "kim", "yusuf"],
        ["kim"],  # a surname alone
        ["wang", "jun"],  # no Korean surname
    ],
)
def test_other_names_are_left_as_written(words):
    assert korean_words(words) is None
