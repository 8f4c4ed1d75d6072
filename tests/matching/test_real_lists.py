"""The matcher on the real published lists (skipped when the sample data or the parsers are missing)."""

from __future__ import annotations

import json
import random
import re
from dataclasses import replace

import pytest

from app.lists.records import Entry
from app.matching.index import DEFAULT_THRESHOLD, MatchIndex
from app.matching.query import MatchQuery
from app.matching.score import score
from tests.matching.conftest import sample_data_dir

FAYYADH = ("ofac_sdn", "30242")
# The session's real index is built once, in the worker that runs this group (tests/matching/test_lookup.py too).
pytestmark = pytest.mark.xdist_group("real_index")


def top(index: MatchIndex, name: str, **kwargs) -> list:
    return [key for key, _, _ in index.search(MatchQuery(names=[name], **kwargs))]


def test_the_real_fayyadh_entry(real_lists):
    entry = next(e for e in real_lists["ofac_sdn"] if e.list_id == "30242")
    assert entry.name == "AL-FAYYADH, Falih"
    assert entry.birth_dates == ["1956-03-27"]


@pytest.mark.parametrize("name", ["Faleh al-Fayyad", "Falih Fayadh", "ALFAYYADH Falih", "فالح الفياض"])
def test_fayyadh_is_found_first(real_index, name):
    assert top(real_index, name)[:1] == [FAYYADH]


@pytest.mark.parametrize(
    ("name", "own"),
    [
        ("AHMAD, Fayyaz", ("ofac_sdn", "24304")),
        ("FAYYAD, Subhi Mahmud", ("ofac_sdn", "10044")),
        ("FAYYAD, Saleh Mahmud", ("ofac_sdn", "10045")),
    ],
)
def test_fayyadh_lookalikes_find_themselves_not_him(real_index, name, own):
    found = top(real_index, name)
    assert own in found
    assert FAYYADH not in found


def test_the_isil_member_is_not_the_pmf_chairman(real_index):
    found = top(real_index, "Omar Mahmood Irhayyim AL-FAYYADH")
    assert FAYYADH not in found
    assert ("un_sc", "QDi.412") in found


def test_fayyad_alone_is_not_enough_to_alert(real_index):
    assert FAYYADH not in top(real_index, "Fayyad")


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("Kataib Hezbollah", "organization", ("ofac_sdn", "11462")),
        ("Kata'ib Hizballah", None, ("ofac_sdn", "11462")),
        ("Abu Mahdi al-Muhandis", "person", ("ofac_sdn", "11461")),
        ("أبو مهدي المهندس", None, ("ofac_sdn", "11461")),
        ("Qais al-Khazali", "person", ("ofac_sdn", "28004")),
        ("Laith al-Khazali", "person", ("ofac_sdn", "28005")),
        ("Asaib Ahl al-Haq", "organization", ("ofac_sdn", "28283")),
        ("عصائب أهل الحق", None, ("ofac_sdn", "28283")),
    ],
)
def test_iraq_designations(real_index, name, kind, expected):
    assert expected in top(real_index, name, kind=kind)[:3]


def test_the_khazali_brothers_are_not_confused(real_index):
    assert ("ofac_sdn", "28005") not in top(real_index, "Qais al-Khazali", kind="person")
    assert ("ofac_sdn", "28004") not in top(real_index, "Laith al-Khazali", kind="person")


_LEGAL = re.compile(
    r"(?i)^(?:llc|ltd|ooo|oao|zao|pao|ao|jsc|ojsc|pjsc|cjsc|co|inc|corp|plc|sa|gmbh|company|"
    r"limited|corporation|joint|stock|public|closed|open|liability)$"
)


def _respell(name: str, rng: random.Random) -> str:
    """Another way a brief may write a listed name: given names first, lower case, and one word transliterated
    otherwise (an article, a vowel, a consonant); legal forms are left alone."""
    if "," in name:
        surname, _, given = name.partition(",")
        name = f"{given.strip()} {surname.strip()}"
    words = name.lower().split()
    variants = [
        (r"^al-", "el-"),
        (r"ou", "u"),
        (r"(?<=[a-z])i(?=[a-z])", "e"),
        (r"(?<=[a-z])u(?=[a-z])", "o"),
        (r"dh", "d"),
        (r"q(?=[aiu])", "k"),
        (r"([bdfklmnrst])\1", r"\1"),
    ]
    order = [i for i, w in enumerate(words) if len(w) > 3 and not _LEGAL.match(w.strip(".,()"))]
    rng.shuffle(order)
    rng.shuffle(variants)
    for i in order:
        for pattern, repl in variants:
            changed = re.sub(pattern, repl, words[i], count=1)
            if changed != words[i]:
                words[i] = changed
                return " ".join(words)
    return " ".join(words)


@pytest.mark.parametrize("source", ["ofac_sdn", "un_sc", "uk", "ofac_cons"])
def test_respelled_listed_names_are_found(real_lists, real_index, source):
    rng = random.Random(f"respell-{source}")
    entries = [
        e
        for e in real_lists[source]
        if e.names
        and e.name.isascii()
        and e.kind in ("person", "organization")
        and len(re.findall(r"[A-Za-z]{2,}", e.name)) >= 2
    ]
    sample = rng.sample(entries, min(120, len(entries)))
    missed = []
    for entry in sample:
        query = MatchQuery(names=[_respell(entry.name, rng)], kind=entry.kind)
        found = [key for key, _, _ in real_index.search(query, limit=20)]
        # the same name may be listed twice (under two regimes): any entry bearing it will do
        if (source, entry.list_id) not in found and not any(
            real_index.get(k) is not None and real_index.get(k).name == entry.name for k in found
        ):
            missed.append((query.names[0], entry.name))
    assert len(missed) <= 0.03 * len(sample), missed[:10]


def test_un_original_script_names_find_the_latin_entry(real_lists):
    """Arabic-script names against the UN list with every non-Latin name withheld."""
    latin_only = MatchIndex(
        (
            e.list_id,
            replace(e, names=[n for n in e.names if n.full.isascii() or (n.script or "Latn") == "Latn"]),
        )
        for e in real_lists["un_sc"]
    )
    cases = [
        (n.full, e)
        for e in real_lists["un_sc"]
        if e.kind == "person"
        for n in e.names
        if n.script == "Arab" or re.search(r"[\u0600-\u06FF]", n.full)
    ]
    assert len(cases) > 200
    found = sum(
        1
        for name, entry in cases
        if entry.list_id in [k for k, _, _ in latin_only.search(MatchQuery(names=[name], kind="person"))]
    )
    assert found / len(cases) >= 0.8


def _negatives() -> list[MatchQuery]:
    path = sample_data_dir() / "negatives" / "us_congress_pep_part1.jsonl"
    if not path.exists():
        pytest.skip(f"negative sample missing: {path}")
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        names = [n["NAME_FULL"] for n in record.get("NAMES", []) if n.get("NAME_FULL")]
        if names:
            out.append(MatchQuery(names=names, kind="person"))
    return out


def test_people_not_on_any_list_rarely_alert(real_index):
    queries = _negatives()
    alerted = [q.names[0] for q in queries if real_index.search(q, threshold=DEFAULT_THRESHOLD)]
    assert len(alerted) <= 0.01 * len(queries), alerted


def test_index_holds_all_loaded_entries(real_lists, real_index):
    total = sum(len(entries) for entries in real_lists.values())
    assert len(real_index) == total
    assert real_index.stats()["names"] >= total


def _entry(real_lists, source: str, list_id: str) -> Entry:
    return next(e for e in real_lists[source] if e.list_id == list_id)


def test_screening_a_listed_entry_against_the_lists_finds_its_other_listings(real_lists, real_index):
    # The UN Security Council listing of Kata'ib Hizballah's leader is absent; Qais al-Khazali is on OFAC only,
    # but Saddam Hussein's sons are on the UN list and in the OFSI list: screening one finds the other.
    un = next(e for e in real_lists["un_sc"] if e.name.startswith("QUSAY SADDAM HUSSEIN"))
    found = [key for key, _, _ in real_index.search(MatchQuery.from_entry(un))]
    assert ("un_sc", un.list_id) in found
    assert any(key[0] == "uk" for key in found)


def test_a_listed_name_held_whole_in_a_longer_one_on_a_rare_word_still_alerts(real_index):
    """Lists often give fewer given names than a brief does. On a word few listed names share, the brief's extra
    given names are detail; on common words only ("Muhammad Ali") they still cost in full."""
    # SDN 27012 is "AL-KILDANI, Rayan"; Iraqi sources give his father's and grandfather's names too
    query = MatchQuery(names=["Rayan Salim Sadiq al-Kildani"], kind="person")
    found = real_index.search(query)
    assert [k for k, _, _ in found][:1] == [("ofac_sdn", "27012")]
    assert found[0][2].score >= DEFAULT_THRESHOLD
    # the same pair scored alone, without the index's knowledge of which words are rare, is a partial match
    assert score(query, found[0][1]).score < 0.75
    for _, entry, result in real_index.search(MatchQuery(names=["Muhammad Ali Khalid Yusuf"], kind="person")):
        assert result.explanation["names"]["unmatched_query"] == [], (entry.name, result.score)
