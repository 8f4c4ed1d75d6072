"""Field-level differences, on hand-made entries and on the real consecutive publications in shared/data."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from app.lists.diff import diff_entries, diff_publications
from app.lists.records import Entry, Identifier, Link, Name
from tests.lists.conftest import as_dicts


def entry(**changes) -> dict:
    base = Entry(
        source="ofac_sdn",
        list_id="30242",
        kind="person",
        names=[Name("AL-FAYYADH, Falih"), Name("ALFAYYADH, Faleh")],
        birth_dates=["1956-03-27"],
        nationalities=["IQ"],
        identifiers=[Identifier("passport", "D1019262", "IQ")],
        programs=["GLOMAG"],
        remarks="DOB 27 Mar 1956",
        extra={"gender": ["Male"], "dataid": "1"},
    )
    for key, value in changes.items():
        setattr(base, key, value)
    return base.to_dict()


def test_equal_entries_give_no_diff() -> None:
    assert diff_entries(entry(), entry()) == {}


def test_order_of_list_values_is_not_a_change() -> None:
    shuffled = entry(names=[Name("AL-FAYYADH, Falih"), Name("ALFAYYADH, Faleh")], programs=["GLOMAG"])
    reordered = entry(
        birth_dates=["1956-03-27"],
        programs=["GLOMAG"],
        extra={"dataid": "1", "gender": ["Male"]},
    )
    assert diff_entries(shuffled, reordered) == {}


def test_list_fields_report_added_and_removed_values() -> None:
    old = entry()
    new = entry(
        programs=["GLOMAG", "SDGT"],
        names=[Name("AL-FAYYADH, Falih"), Name("AL FAYYADH, Falih Faisal Fahad")],
        links=[Link("11462")],
    )
    changes = diff_entries(old, new)
    assert changes["programs"] == {"added": ["SDGT"], "removed": []}
    assert changes["names"] == {
        "added": [
            {"full": "AL FAYYADH, Falih Faisal Fahad", "quality": "strong", "script": None, "lang": None}
        ],
        "removed": [{"full": "ALFAYYADH, Faleh", "quality": "strong", "script": None, "lang": None}],
    }
    assert changes["links"] == {"added": [{"list_id": "11462", "relation": "linked_to"}], "removed": []}
    assert set(changes) == {"programs", "names", "links"}


def test_scalar_fields_and_the_primary_name_report_old_and_new() -> None:
    old = entry()
    new = entry(
        names=[Name("ALFAYYADH, Faleh"), Name("AL-FAYYADH, Falih")],
        remarks="DOB 1956",
        listed_on="2019-12-06",
    )
    changes = diff_entries(old, new)
    assert changes["primary_name"] == {"old": "AL-FAYYADH, Falih", "new": "ALFAYYADH, Faleh"}
    assert changes["remarks"] == {"old": "DOB 27 Mar 1956", "new": "DOB 1956"}
    assert changes["listed_on"] == {"old": None, "new": "2019-12-06"}
    assert "names" not in changes  # the same two names, only the primary changed


def test_a_quality_change_of_a_name_is_a_change() -> None:
    changes = diff_entries(
        entry(), entry(names=[Name("AL-FAYYADH, Falih"), Name("ALFAYYADH, Faleh", "weak")])
    )
    assert changes["names"]["added"][0]["quality"] == "weak"
    assert changes["names"]["removed"][0]["quality"] == "strong"


def test_extra_is_compared_per_key() -> None:
    changes = diff_entries(
        entry(), entry(extra={"gender": ["Male", "Female"], "title": ["Colonel"], "dataid": "2"})
    )
    assert changes["extra"] == {
        "dataid": {"old": "1", "new": "2"},
        "gender": {"added": ["Female"], "removed": []},
        "title": {"added": ["Colonel"], "removed": []},
    }
    assert diff_entries(entry(), entry(extra={"dataid": "1"}))["extra"] == {
        "gender": {"added": [], "removed": ["Male"]}
    }


def test_diff_publications_splits_added_removed_and_amended() -> None:
    old = {"1": entry(list_id="1"), "2": entry(list_id="2"), "3": entry(list_id="3")}
    new = {"2": entry(list_id="2"), "3": entry(list_id="3", programs=["SDGT"]), "4": entry(list_id="4")}
    added, removed, amended = diff_publications(old, new)
    assert added == ["4"]
    assert removed == ["1"]
    assert amended == {"3": {"programs": {"added": ["SDGT"], "removed": ["GLOMAG"]}}}


# ---------------------------------------------------------------------------------------------------------------
# Real change sets


def ent_nums(path: Path) -> set[str]:
    text = path.read_bytes().decode("utf-8").rstrip("\x1a")
    return {row[0] for row in csv.reader(io.StringIO(text, newline="")) if row and row[0].isdigit()}


def test_reordered_download_of_the_same_publication_is_no_change(parsed, data_dir: Path) -> None:
    original = (data_dir / "ofac_cons/consolidated_2025-10-22.xml").read_bytes()
    reordered = (data_dir / "ofac_cons/consolidated_2025-10-22_reordered.xml").read_bytes()
    assert original != reordered
    old = as_dicts(parsed("ofac_cons", "ofac_cons/consolidated_2025-10-22.xml"))
    new = as_dicts(parsed("ofac_cons", "ofac_cons/consolidated_2025-10-22_reordered.xml"))
    assert diff_publications(old, new) == ([], [], {})


def test_consolidated_list_one_removal(parsed) -> None:
    old = as_dicts(parsed("ofac_cons", "ofac_cons/consolidated_2025-10-22.xml"))
    new = as_dicts(parsed("ofac_cons", "ofac_cons/consolidated_2025-12-18.xml"))
    added, removed, amended = diff_publications(old, new)
    assert (added, removed, amended) == ([], ["26182"], {})


def test_sdn_daily_2024_05_02_to_05_03_removes_eight(parsed, data_dir: Path) -> None:
    before = data_dir / "ofac_sdn/daily/2024-05-02/sdn.csv"
    after = data_dir / "ofac_sdn/daily/2024-05-03/sdn.csv"
    added, removed, amended = diff_publications(
        as_dicts(parsed("ofac_sdn", "ofac_sdn/daily/2024-05-02/sdn.csv")),
        as_dicts(parsed("ofac_sdn", "ofac_sdn/daily/2024-05-03/sdn.csv")),
    )
    assert len(removed) == 8
    assert set(removed) == ent_nums(before) - ent_nums(after)
    assert set(added) == ent_nums(after) - ent_nums(before)
    assert amended == {}


def test_sdn_daily_2024_02_20_to_02_23_adds_553(parsed, data_dir: Path) -> None:
    before = data_dir / "ofac_sdn/daily/2024-02-20/sdn.csv"
    after = data_dir / "ofac_sdn/daily/2024-02-23/sdn.csv"
    added, removed, amended = diff_publications(
        as_dicts(parsed("ofac_sdn", "ofac_sdn/daily/2024-02-20/sdn.csv")),
        as_dicts(parsed("ofac_sdn", "ofac_sdn/daily/2024-02-23/sdn.csv")),
    )
    assert len(added) == 553
    assert set(added) == ent_nums(after) - ent_nums(before)
    assert removed == []
    # An amendment is reported field by field: entry 10392 gained a programme and a link.
    assert amended["10392"]["programs"] == {"added": ["RUSSIA-EO14024"], "removed": []}
    assert amended["10392"]["links"] == {
        "added": [{"list_id": "18782", "relation": "linked_to"}],
        "removed": [],
    }


def test_sdn_2019_to_2023_adds_the_iraq_designations(parsed) -> None:
    added, removed, amended = diff_publications(
        as_dicts(parsed("ofac_sdn", "ofac_sdn/2019-01")), as_dicts(parsed("ofac_sdn", "ofac_sdn/2023-12-28"))
    )
    assert {"30242", "28004", "28005", "28283"} <= set(added)
    assert "11462" not in amended or "programs" not in amended["11462"]


def un_records(path: Path) -> dict[str, str]:
    """Reference number -> the XML text of its record, read without the parser."""
    text = path.read_text(encoding="utf-8")
    records = re.findall(r"<(INDIVIDUAL|ENTITY)>(.*?)</\1>", text, re.S)
    return {re.search(r"<REFERENCE_NUMBER>\s*(\S+?)\s*<", body).group(1): body for _tag, body in records}


def test_un_2025_11_20_to_11_29(parsed, data_dir: Path) -> None:
    before = un_records(data_dir / "un/consolidated_2025-11-20.xml")
    after = un_records(data_dir / "un/consolidated_2025-11-29.xml")
    rewritten = {ref for ref in before.keys() & after.keys() if before[ref] != after[ref]}
    added, removed, amended = diff_publications(
        as_dicts(parsed("un_sc", "un/consolidated_2025-11-20.xml")),
        as_dicts(parsed("un_sc", "un/consolidated_2025-11-29.xml")),
    )
    assert added == sorted(after.keys() - before.keys()) == []
    assert removed == sorted(before.keys() - after.keys()) == []
    assert set(amended) == rewritten == {"HTi.006", "SOi.022"}
    for change in amended.values():
        assert set(change) == {"remarks"}
        assert "INTERPOL-UN Security Council Special Notice" in change["remarks"]["old"]


def test_ofsi_2025_04_10_to_04_14(parsed) -> None:
    old = as_dicts(parsed("uk", "uk/ofsi_conlist_2025-04-10.xlsx"))
    new = as_dicts(parsed("uk", "uk/ofsi_conlist_2025-04-14.xlsx"))
    added, removed, amended = diff_publications(old, new)
    assert added == sorted(new.keys() - old.keys())
    assert len(added) == 2
    assert removed == []
    assert amended
