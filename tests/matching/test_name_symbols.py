"""A person's name symbols come from the shipped table (app/matching/name_symbols.py) and equal rigour's tagger's."""

from __future__ import annotations

import pytest
from rigour.names import NameTypeTag, analyze_names

from app.lists.records import Entry
from app.matching.features import profile_of
from app.matching.name_symbols import person_name_spans
from app.matching.names import parse_name

pytestmark = pytest.mark.xdist_group("real_index")  # shares the parsed real lists with the other index tests


def _tagger_symbols(original: str, optional: frozenset[str] = frozenset()) -> list[frozenset[str]]:
    """Per word that carries identity (not a legal form, a stopword or one of the ``optional`` words, a patronymic
    the profile leaves out), the NAME symbols rigour's own person tagger gives it (the reference)."""
    light = ("LEGAL", "STOP")
    for name in analyze_names(NameTypeTag.PER, [original]):
        by_part: dict[int, set[str]] = {}
        for span in name.spans:
            if str(span.symbol.category).endswith("NAME"):
                for part in span.parts:
                    by_part.setdefault(part.index, set()).add(span.symbol.id)
        return [
            frozenset(by_part.get(p.index, ()))
            for p in name.parts
            if str(p.tag).rpartition(".")[2] not in light and p.form not in optional
        ]
    return []


def test_spellings_and_scripts_of_one_name_share_a_symbol() -> None:
    # What rigour's corpus holds as one name (it keeps Oleksandr and Aleksandr apart: the spelling features match
    # those).
    pairs = [
        ("Aleksandr", "Alexander"),
        ("Serhiy", "Serhii"),
        ("Jamal", "Gamal"),
        ("Александр", "Aleksandr"),
        ("يوسف", "Yusuf"),
    ]
    for one, other in pairs:
        a = profile_of(parse_name(f"{one} Petrenko", "person"))
        b = profile_of(parse_name(f"{other} Petrenko", "person"))
        assert a.part_symbols[0] & b.part_symbols[0], (one, other)
    unknown = profile_of(parse_name("Zzyxqa Petrenko", "person"))
    assert not unknown.part_symbols[0], "ZZYXQA is in no group of rigour's corpus"


def test_a_phrase_of_two_words_covers_both() -> None:
    spans = dict.fromkeys(
        symbol for symbol, words in person_name_spans(["abdul", "rahman", "yasin"]) if words == (0, 1)
    )
    assert spans, "ABDUL RAHMAN is one name in rigour's corpus"
    assert person_name_spans(["zzxq", "qqzx"]) == []


def test_the_table_gives_what_rigours_tagger_gives_on_real_listed_names(
    real_lists: dict[str, list[Entry]],
) -> None:
    originals = sorted(
        {
            name.full
            for entries in real_lists.values()
            for entry in entries
            if entry.kind == "person"
            for name in entry.names
        }
    )
    # Every name in a script other than Latin, and one Latin name in five: a few thousand names, seconds of work.
    sample = [n for i, n in enumerate(originals) if not n.isascii() or i % 5 == 0]
    assert len(sample) > 3000
    differing = []
    for original in sample:
        form = parse_name(original, "person")
        patronymics = frozenset(t.text for t in form.tokens if t.cls == "patronymic")
        if list(profile_of(form).part_symbols) != _tagger_symbols(form.original, patronymics):
            differing.append(original)
    assert not differing, (
        f"{len(differing)} names differ from rigour's tagger, e.g. {differing[:5]}: rerun bench/name_symbols_table.py"
    )
