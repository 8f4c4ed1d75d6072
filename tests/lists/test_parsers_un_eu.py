"""UN Security Council Consolidated List and EU Financial Sanctions Files, on the real published files."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from app.lists.records import Identifier, Name
from tests.lists.conftest import by_id

UN_FILES = [
    ("un/consolidated_2018-06-07.xml", dt.date(2018, 6, 7)),
    ("un/consolidated_2018-06-21.xml", dt.date(2018, 6, 21)),
    ("un/consolidated_2025-11-20.xml", dt.date(2025, 11, 20)),
    ("un/consolidated_2025-11-29.xml", dt.date(2025, 11, 29)),
    ("un/consolidated_2026-02-27.xml", dt.date(2026, 2, 27)),
]


@pytest.mark.parametrize(("relative", "published"), UN_FILES)
def test_un_list_has_every_individual_and_entity(parsed, data_dir: Path, relative: str, published) -> None:
    raw = (data_dir / relative).read_bytes()
    publication = parsed("un_sc", relative)
    individuals = [entry for entry in publication.entries if entry.kind == "person"]
    entities = [entry for entry in publication.entries if entry.kind == "organization"]
    assert len(individuals) == raw.count(b"<INDIVIDUAL>")
    assert len(entities) == raw.count(b"<ENTITY>")
    assert len(publication.entries) == len(individuals) + len(entities)
    assert publication.published == published  # from dateGenerated
    # Some reference numbers are written with a trailing space ("KPe.023 "); the id is the number itself.
    references = set(re.findall(rb"<REFERENCE_NUMBER>\s*([^<\s]+)\s*</REFERENCE_NUMBER>", raw))
    assert {entry.list_id.encode() for entry in publication.entries} == references


def test_un_individual_with_original_script_name(parsed) -> None:
    entry = by_id(parsed("un_sc", "un/consolidated_2025-11-20.xml"))["QDi.001"]
    assert entry.kind == "person"
    assert entry.name == "MOHAMMED SALAHALDIN ABD EL HALIM ZIDANE"  # FIRST..FOURTH_NAME
    assert entry.extra["dataid"] == ["113219"]
    assert Name("محمد صلاح الدين عبدالحليم زيدان", "strong", "Arab") in entry.names
    assert Name("Sayf-Al Adl", "strong", "Latn") in entry.names  # quality Good
    assert Name("Seif al Adel", "weak", "Latn") in entry.names  # quality Low
    assert sorted(entry.birth_dates) == ["1960-04-11", "1963-04-11"]
    assert entry.nationalities == ["EG"]
    assert entry.programs == ["Al-Qaida"]
    assert entry.listed_on == "2001-01-25"
    assert entry.birth_places == ["Monufia Governate, Egypt"]


def test_un_entity_with_former_names(parsed) -> None:
    entry = by_id(parsed("un_sc", "un/consolidated_2025-11-20.xml"))["CDe.001"]
    assert entry.kind == "organization"
    assert entry.name == "ADF"
    assert Name("Allied Democratic Forces", "strong", "Latn") in entry.names  # a.k.a.
    assert Name("NALU", "former", "Latn") in entry.names  # f.k.a.
    assert entry.addresses == ["North Kivu, Democratic Republic of the Congo"]
    assert entry.programs == ["DRC"]


def test_un_birth_year_range(parsed, data_dir: Path) -> None:
    raw = (data_dir / "un/consolidated_2025-11-20.xml").read_text(encoding="utf-8")
    block = re.search(r"<REFERENCE_NUMBER>CDi\.030</REFERENCE_NUMBER>.*?</INDIVIDUAL>", raw, re.S).group(0)
    start, end = re.search(r"<FROM_YEAR>(\d{4})</FROM_YEAR>\s*<TO_YEAR>(\d{4})</TO_YEAR>", block).groups()
    entry = by_id(parsed("un_sc", "un/consolidated_2025-11-20.xml"))["CDi.030"]
    assert f"{start}/{end}" in entry.birth_dates
    ranges = [
        d
        for e in parsed("un_sc", "un/consolidated_2025-11-20.xml").entries
        for d in e.birth_dates
        if "/" in d
    ]
    assert len(ranges) == len(re.findall(r"<FROM_YEAR>", raw))


def test_un_countries_become_iso_codes(parsed) -> None:
    entries = by_id(parsed("un_sc", "un/consolidated_2025-11-20.xml"))
    assert entries["KPi.001"].nationalities == ["KP"]  # "Democratic People's Republic of Korea"
    assert entries["CDi.001"].nationalities == ["CD"]  # "Democratic Republic of the Congo"
    passports = [i for e in entries.values() for i in e.identifiers if i.type == "passport"]
    assert len(passports) > 250
    assert Identifier("passport", "AB850901", "TZ", "Expiration date: 2026-12-11.") in [
        i for e in entries.values() for i in e.identifiers
    ]


def test_un_unmapped_values_are_reported(parsed) -> None:
    publication = parsed("un_sc", "un/consolidated_2018-06-07.xml")
    assert publication.unmapped["nationality.unknown_country"] >= 1
    assert "USSR (until 1991)" in publication.unmapped_examples["nationality.unknown_country"]


# ---------------------------------------------------------------------------------------------------------------
# EU

EU_FILES = [
    ("eu/fsf_2018-12-21_sample2_crlf.xml", dt.date(2018, 12, 21)),
    ("eu/fsf_2020-04-15_first7.xml", dt.date(2020, 4, 15)),
    ("eu/fsf_2020-04-15_sample5.xml", dt.date(2020, 4, 15)),
    ("eu/fsf_2024-12-11_sample1.xml", dt.date(2024, 12, 11)),
    ("eu/fsf_2026-08-05_sample5.xml", dt.date(2026, 8, 5)),
]


@pytest.mark.parametrize(("relative", "published"), EU_FILES)
def test_eu_excerpts(parsed, data_dir: Path, relative: str, published) -> None:
    raw = (data_dir / relative).read_bytes()
    publication = parsed("eu_fsf", relative)
    assert publication.format == "eu_fsf_xml"
    assert publication.published == published  # from the export's generationDate
    ids = re.findall(rb'<sanctionEntity [^>]*logicalId="(\d+)"', raw)
    assert sorted(entry.list_id.encode() for entry in publication.entries) == sorted(ids)
    for entry in publication.entries:
        assert entry.names
        assert entry.programs


def test_eu_person_with_birth_date_citizenship_and_languages(parsed) -> None:
    saddam = by_id(parsed("eu_fsf", "eu/fsf_2020-04-15_first7.xml"))["13"]
    assert saddam.kind == "person"
    assert saddam.name == "Saddam Hussein Al-Tikriti"  # the first alias the EU recorded
    assert Name("Abou Ali", "strong", "Latn", "fr") in saddam.names
    assert saddam.birth_dates == ["1937-04-28"]
    assert saddam.birth_places == ["al-Awja, near Tikrit, IRAQ"]
    assert saddam.citizenships == ["IQ"]
    assert saddam.programs == ["IRQ"]
    assert saddam.remarks == "UNSC RESOLUTION 1483"
    assert saddam.extra["eu_reference_number"] == ["EU.27.28"]


def test_eu_identification_and_entity(parsed) -> None:
    entries = by_id(parsed("eu_fsf", "eu/fsf_2026-08-05_sample5.xml"))
    dorda = entries["6106"]
    assert dorda.identifiers == [
        Identifier("passport", "FK117RK0", "LY", "issued 2018-11-25; valid to 2026-11-24")
    ]
    assert dorda.listed_on == "2011-02-26"
    assert dorda.extra["un_reference_number"] == ["LYi.006"]
    parchin = entries["3822"]
    assert parchin.kind == "organization"
    assert parchin.name == "Parchin Chemical Industries (PCI)"
    assert any(name.script == "Arab" for name in parchin.names)
    assert parchin.extra["website"] == ["http://icig.ir/"]
    # The re-serialized 2026 file lists the aliases of entry 191 in another order than 2020 did: the primary name
    # is still the one first recorded.
    assert entries["191"].name == "Khalid Sheikh MOHAMMED"
    assert by_id(parsed("eu_fsf", "eu/fsf_2020-04-15_sample5.xml"))["191"].name == "Khalid Shaikh MOHAMMED"


def test_eu_birth_year_range_and_circa(parsed) -> None:
    entry = by_id(parsed("eu_fsf", "eu/fsf_2026-08-05_sample5.xml"))["521"]
    assert entry.birth_dates == ["1953/1958"]
    assert entry.extra["birth_dates_circa"] == ["1953/1958"]
