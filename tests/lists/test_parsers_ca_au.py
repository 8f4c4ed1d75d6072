"""Canada's consolidated autonomous sanctions list (XML) and Australia's DFAT Consolidated List (xlsx), on the real
published files. Counts and values are checked against the files read without the parser (xml.etree, calamine)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from app.lists import parsers
from app.lists.parsers.australia import program_codes, reference_stem
from app.lists.parsers.canada import list_id_of, regime_of, schedule_key
from app.lists.records import Identifier, Name, ParseError
from tests.lists.conftest import as_dicts, by_id

CANADA = "canada/sema_c2025-05.xml"
AUSTRALIA = "australia/dfat_consolidated_c2024-12-17.xlsx"


def canada_records(data_dir: Path) -> list[dict[str, str]]:
    root = ET.parse(data_dir / CANADA).getroot()
    return [{child.tag: child.text or "" for child in record} for record in root.iter("record")]


def australia_rows(data_dir: Path) -> tuple[list[str], list[list[str]]]:
    rows = CalamineWorkbook.from_path(str(data_dir / AUSTRALIA)).get_sheet_by_index(0).to_python()
    header = [str(cell).strip() for cell in rows[0]]
    return header, [[str(cell) for cell in row] for row in rows[1:] if any(str(cell).strip() for cell in row)]


# ---------------------------------------------------------------------------------------------------------------
# Canada


def test_canada_has_one_entry_per_record(parsed, data_dir: Path) -> None:
    raw = (data_dir / CANADA).read_bytes()
    publication = parsed("ca_sema", CANADA)
    assert publication.format == "ca_sema_xml"
    assert publication.published is None  # the file states no publication date
    assert len(publication.entries) == len(re.findall(rb"<record>", raw)) == 4759
    records = canada_records(data_dir)
    kinds = {"person": 0, "vessel": 0, "organization": 0}
    for record in records:
        person = record.get("LastName") or record.get("GivenName")
        kinds["person" if person else "vessel" if record.get("ShipIMONumber") else "organization"] += 1
    counted = {kind: sum(1 for e in publication.entries if e.kind == kind) for kind in kinds}
    assert counted == kinds
    # The JVCFOR records (Canada's Magnitsky law) are that programme, and only they are.
    jvcfor = [r for r in records if "JVCFOR" in r["Country"]]
    assert len(jvcfor) == 80
    assert sum(1 for e in publication.entries if e.programs == ["JVCFOR"]) == len(jvcfor)


def test_canada_record_values(parsed, data_dir: Path) -> None:
    entries = by_id(parsed("ca_sema", CANADA))
    lukashenko = entries["BELARUS-S1-P1-8"]  # <Schedule>1, Part 1</Schedule><Item>8</Item>
    assert lukashenko.kind == "person"
    assert lukashenko.name == "Aleksandr Grigoryevich Lukashenko"
    assert lukashenko.extra["last_name"] == ["Lukashenko"]
    assert lukashenko.extra["given_names"] == ["Aleksandr Grigoryevich"]
    assert lukashenko.birth_dates == ["1954-08-30"]
    assert lukashenko.listed_on == "2020-09-28"
    assert lukashenko.programs == ["BELARUS"] and lukashenko.extra["regime_country"] == ["BY"]

    ship = entries["RUSSIA-S1.1-1"]  # <Schedule>1.1</Schedule>: the ships schedule
    assert ship.kind == "vessel" and ship.name == "Balitiyskiy III"
    assert ship.identifiers == [Identifier("imo", "7612448")]
    assert ship.extra["vessel_type"] == ["General Cargo / Multi Purpose"]
    assert ship.extra["vessel_year_of_build"] == ["1980"]

    maduro = entries["JVCFOR-1"]  # no <Schedule> at all
    assert maduro.name == "Nicolás MADURO MOROS" and maduro.listed_on == "2017-11-03"
    assert "regime_country" not in maduro.extra


def test_canada_aliases(parsed, data_dir: Path) -> None:
    records = {
        list_id_of(r["Country"], r.get("Schedule", ""), r["Item"]): r
        for r in canada_records(data_dir)
        if r.get("Aliases")
    }
    entries = by_id(parsed("ca_sema", CANADA))
    # Separated by commas, with a language label per name.
    mashadiyev = entries["BELARUS-S1-P1-99"]
    assert "Russian: Руслан Хикметович МАШАДИЕВ" in records["BELARUS-S1-P1-99"]["Aliases"]
    assert Name("Руслан Хикметович МАШАДИЕВ", "strong", "Cyrl", "ru") in mashadiyev.names
    assert Name("Ruslan Khikmetovich MASHADIYEV", "strong", "Latn") in mashadiyev.names
    # A legal form after a comma stays with its name; ";" separates names.
    [bank] = [
        e for e in entries.values() if "Банк Зенит, ПАО" in records.get(e.list_id, {}).get("Aliases", "")
    ]
    assert "Банк Зенит, ПАО" in {name.full for name in bank.names}
    # Every name of the file is somewhere in its entry's names: no alias text is lost, only split.
    for list_id, record in records.items():
        names = " ".join(name.full for name in entries[list_id].names)
        for word in re.findall(r"\w{4,}", record["Aliases"]):
            if word.casefold() not in {"russian", "belarusian", "belarussian", "arabic", "ukrainian"}:
                assert word in names, (list_id, word)


def test_canada_list_ids_are_unique_per_regime_schedule_and_item(parsed, data_dir: Path) -> None:
    keys = {(r["Country"].strip(), r.get("Schedule", ""), r["Item"]) for r in canada_records(data_dir)}
    ids = [entry.list_id for entry in parsed("ca_sema", CANADA).entries]
    assert len(set(ids)) == len(ids) == len(keys)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("1, Part 1", ("1", "1")),
        ("1,Part 1", ("1", "1")),
        ("Schedule 1, Part 1", ("1", "1")),
        ("SCHEDULE 1 - PART 1", ("1", "1")),
        ("Part 1", ("1", "1")),  # a part without its schedule number is in schedule 1
        ("1, 1", ("1", "1")),  # the word "Part" dropped
        ("1, Part 2.1", ("1", "2.1")),
        ("Part 02", ("1", "2")),
        ("1.1", ("1.1", None)),
        ("Schedule 1.1", ("1.1", None)),
        ("2", ("2", None)),
        ("", ("1", None)),
    ],
)
def test_schedule_forms(written: str, expected: tuple[str, str | None]) -> None:
    assert schedule_key(written) == expected


def test_every_real_regime_label_keeps_its_code_however_it_is_written(data_dir: Path) -> None:
    labels = sorted({r["Country"] for r in canada_records(data_dir)})
    assert len(labels) == 19
    codes = {}
    for label in labels:
        regime = regime_of(label)
        assert regime.known, label
        english = label.split("/")[0].strip()
        variants = [
            label.upper(),
            label.lower(),
            "  ".join(label.split()),
            label.replace(" / ", "/"),
            english,  # the French half dropped
            english.replace("é", "e").replace("ï", "i"),
            f"Special Economic Measures ({english}) Regulations"
            if "JVCFOR" not in label
            else english.upper(),
            english + ".",
        ]
        for variant in variants:
            assert regime_of(variant).code == regime.code, (label, variant)
        codes[label] = regime.code
    assert len(set(codes.values())) == len(labels)  # no two regimes share a code
    assert codes["Russia / Russie"] == "RUSSIA"
    assert codes["Sudan / Soudan"] == "SUDAN" and codes["South Sudan / Soudan du sud"] == "SOUTH-SUDAN"
    assert codes["Myanmar (Burma) / Myanmar (Birmanie)"] == regime_of("Burma").code == "MYANMAR"
    jvcfor = next(label for label in labels if "JVCFOR" in label)
    assert (
        codes[jvcfor]
        == regime_of("Justice for Victims of Corrupt Foreign Officials Regulations").code
        == "JVCFOR"
    )


def test_an_unknown_regime_gets_a_code_from_its_words_and_is_reported(tmp_path: Path, data_dir: Path) -> None:
    assert regime_of("Special Economic Measures (Atlantis) Regulations / Atlantide").code == "ATLANTIS"
    assert regime_of("  atlantis ").code == "ATLANTIS" and not regime_of("Atlantis").known
    raw = (data_dir / CANADA).read_bytes()
    first = raw.index(b"</record>") + len(b"</record>")
    changed = raw[:first].replace(b"Belarus / B\xc3\xa9larus", b"Atlantis") + b"\n</data-set>\n"
    path = tmp_path / "atlantis.xml"
    path.write_bytes(changed)
    publication = parsers.parse("ca_sema", path)
    assert [entry.list_id for entry in publication.entries] == ["ATLANTIS-S1-P1-1"]
    assert publication.unmapped["regime.unknown"] == 1


def second_canadian_publication(raw: bytes) -> bytes:
    """The real file as a later publication may write it: the regime labels re-spelt (case, spacing, the French
    half dropped, "Special Economic Measures (...) Regulations" wording), the schedules with the word "Schedule"
    added or the schedule number dropped ("1, Part 1" -> "Schedule 1, Part 1" and "Part 1"), "Part" dropped from
    "1, Part 2", item numbers with a leading zero, and the records in the reverse order."""
    text = raw.decode()
    head, _, rest = text.partition("<record>")
    body, _, tail = ("<record>" + rest).rpartition("</record>")
    records = re.findall(r"<record>.*?</record>", body + "</record>", flags=re.S)

    def rewrite(record: str, index: int) -> str:
        record = re.sub(
            r"<Country>([^<]*)</Country>",
            lambda m: (
                "<Country>"
                + (
                    m.group(1).split("/")[0].strip().upper()
                    if index % 3 == 0
                    else f"Special Economic Measures ({m.group(1).split('/')[0].strip()}) Regulations"
                    if index % 3 == 1 and "JVCFOR" not in m.group(1)
                    else "  " + " ".join(m.group(1).lower().split()) + " "
                )
                + "</Country>"
            ),
            record,
        )
        record = record.replace("<Schedule>1, Part 1</Schedule>", "<Schedule>Schedule 1, Part 1</Schedule>")
        record = record.replace("<Schedule>1, Part 2</Schedule>", "<Schedule>1, 2</Schedule>")
        record = record.replace("<Schedule>Part 1</Schedule>", "<Schedule>1, Part 1</Schedule>")
        return re.sub(r"<Item>(\d+)</Item>", r"<Item>0\1</Item>", record)

    rewritten = [rewrite(record, index) for index, record in enumerate(records)]
    return (head + "\n".join(reversed(rewritten)) + tail).encode()


def test_an_entry_keeps_its_id_and_its_values_across_two_canadian_publications(
    parsed, data_dir: Path, tmp_path: Path
) -> None:
    """The second publication is derived from the real file by changing what changes between real publications
    (see second_canadian_publication): every entry keeps its id, and no entry shows a change."""
    first = parsed("ca_sema", CANADA)
    path = tmp_path / "sema_later.xml"
    path.write_bytes(second_canadian_publication((data_dir / CANADA).read_bytes()))
    assert b"<Schedule>Schedule 1, Part 1</Schedule>" in path.read_bytes()
    second = parsers.parse("ca_sema", path)
    assert [e.list_id for e in second.entries] != [e.list_id for e in first.entries]  # the order did change
    assert as_dicts(second) == as_dicts(first)


# ---------------------------------------------------------------------------------------------------------------
# Australia


def test_australia_has_one_entry_per_reference_stem(parsed, data_dir: Path) -> None:
    header, rows = australia_rows(data_dir)
    reference = header.index("Reference")
    stems: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        written = row[reference].strip().removesuffix(".0")
        stems[re.match(r"\d+", written).group(0)].add(written)
    publication = parsed("au_dfat", AUSTRALIA)
    assert publication.format == "au_dfat_xlsx"
    assert publication.published is None  # the sheet states no publication date
    assert len(publication.entries) == len(stems) == 3062
    for entry in publication.entries:
        assert set(entry.extra["references"]) == stems[entry.list_id]
    types = {stem: None for stem in stems}
    for row in rows:
        types[re.match(r"\d+", row[reference]).group(0)] = row[header.index("Type")].strip().casefold()
    assert sum(1 for e in publication.entries if e.kind == "person") == sum(
        1 for kind in types.values() if kind == "individual"
    )


def test_australia_entry_values(parsed) -> None:
    entries = by_id(parsed("au_dfat", AUSTRALIA))
    akhund = entries["2"]  # rows 2 (Primary Name) and 2a (Original Script)
    assert akhund.name == "MOHAMMAD HASSAN AKHUND" and akhund.kind == "person"
    assert Name("محمد حسن أخوند", "strong", "Arab") in akhund.names
    assert sorted(akhund.birth_dates) == ["1945/1950", "1955/1958"]  # "a) Approximately 1955- 1958 b) ..."
    assert akhund.birth_places == ["Pashmul village, Panjwai District, Kandahar Province, Afghanistan"]
    assert akhund.citizenships == ["AF"]
    assert akhund.addresses == []  # "NA"
    assert akhund.programs == ["UNSC-1988"] and akhund.extra["regime"] == ["1988 (Taliban)"]
    assert akhund.listed_on == "2001-01-25"  # "Listed by UN 1267 Committee on 25 January 2001 (amended ..."
    assert akhund.extra["control_date"] == ["2014-12-15"]
    assert akhund.remarks.startswith("Title: a) Mullah b) Haji.")
    kabir = entries["3"]
    assert {name.full for name in kabir.names} >= {
        "Abdul Kabir Mohammad Jan",
        "A. Kabir",
        "عبد الکبیر محمد جان",
    }
    assert kabir.name == "Abdul Kabir Mohammad Jan"


@pytest.mark.parametrize(
    ("theme", "code"),
    [
        ("human rights", "THEMATIC-HUMAN-RIGHTS"),
        ("corruption", "THEMATIC-CORRUPTION"),
        ("cyber", "THEMATIC-CYBER"),
    ],
)
def test_australia_thematic_regimes(parsed, data_dir: Path, theme: str, code: str) -> None:
    header, rows = australia_rows(data_dir)
    reference, committees = header.index("Reference"), header.index("Committees")
    stems = {
        re.match(r"\d+", row[reference]).group(0)
        for row in rows
        if "thematic" in row[committees].casefold() and theme in row[committees].casefold()
    }
    assert stems
    listed = {e.list_id for e in parsed("au_dfat", AUSTRALIA).entries if code in e.programs}
    assert listed == stems


@pytest.mark.parametrize(
    ("label", "codes"),
    [
        ("Autonomous (Thematic – Serious Violations or Abuses of Human Rights)", ["THEMATIC-HUMAN-RIGHTS"]),
        ("Autonomous (Thematic - Human Rights) ", ["THEMATIC-HUMAN-RIGHTS"]),
        ("Autonomous (Thematic – Serious Corruption)", ["THEMATIC-CORRUPTION"]),
        ("Autonomous (Thematic – Corruption)", ["THEMATIC-CORRUPTION"]),
        ("Autonomous (Thematic – Significant Cyber Incidents)", ["THEMATIC-CYBER"]),
        ("Autonomous (Thematic - Cyber)  ", ["THEMATIC-CYBER"]),
        ("Autonomous (Russia)", ["RUSSIA"]),
        ("1267/1989/2253 (ISIL (Da'esh) and Al-Qaida)", ["UNSC-1267"]),
        ("1970 (Libya) 1973 (Libya)", ["UNSC-1970", "UNSC-1973"]),
        ("1373 (2001)", ["UNSC-1373"]),
    ],
)
def test_australia_programme_codes(label: str, codes: list[str]) -> None:
    assert program_codes(label) == (codes, True)


def test_australia_reference_stems() -> None:
    assert [reference_stem(value) for value in ("123", "123a", "123 b", "34c1", "0123aa", "a123", "")] == [
        "123",
        "123",
        "123",
        "34",
        "123",
        None,
        None,
    ]


def test_each_xlsx_is_read_as_the_list_it_is_published_as(data_dir: Path) -> None:
    assert parsers.detect_format("au_dfat", data_dir / AUSTRALIA) == "au_dfat_xlsx"
    assert parsers.detect_format("uk", data_dir / "uk/ofsi_conlist_2025-04-10.xlsx") == "ofsi_xlsx"
    with pytest.raises(ParseError, match="not the DFAT Consolidated List"):
        parsers.parse("au_dfat", data_dir / "uk/ofsi_conlist_2025-04-10.xlsx")
    with pytest.raises(ParseError, match="not an OFSI Consolidated List"):
        parsers.parse("uk", data_dir / AUSTRALIA)
    with pytest.raises(ParseError, match="not a format of the ca_sema list"):
        parsers.parse("ca_sema", data_dir / "un/consolidated_2025-11-20.xml")
