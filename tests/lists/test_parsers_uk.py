"""UK lists on the real published files: OFSI ConList (xlsx and CSV), FCDO XML and the FCDO summary ODS."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from app.lists.records import Identifier, Name
from tests.lists.conftest import by_id


def fcdo_summary_ids(data_dir: Path) -> list[tuple[str, str]]:
    """(Unique ID, OFSI Group ID or "") of every row of the FCDO summary ODS, read from its content.xml by regex."""
    content = zipfile.ZipFile(data_dir / "uk/fcdo_sanctions_list_summary_2025-08-11.ods").read("content.xml")
    found = re.findall(
        rb"<table:table-row[^>]*>\s*<table:table-cell[^>]*>\s*<text:p>([A-Z]{3}\d{4})</text:p>\s*</table:table-cell>"
        rb"\s*<table:table-cell[^>]*?(?:/>|>\s*(?:<text:p>\s*(\d*)\s*</text:p>)?\s*</table:table-cell>)",
        content,
    )
    return [(uid.decode(), group.decode()) for uid, group in found]


def xlsx_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and data rows of an OFSI workbook, read with calamine directly."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    return [str(cell) for cell in rows[1]], [[str(cell) for cell in row] for row in rows[2:] if any(row)]


@pytest.mark.parametrize(
    ("relative", "published"),
    [
        ("uk/ofsi_conlist_2025-04-10.xlsx", dt.date(2025, 4, 10)),
        ("uk/ofsi_conlist_2025-04-14.xlsx", dt.date(2025, 4, 14)),
    ],
)
def test_ofsi_workbook_has_one_entry_per_group_id(parsed, data_dir: Path, relative: str, published) -> None:
    header, rows = xlsx_rows(data_dir / relative)
    group_ids = {row[header.index("Group ID")] for row in rows}
    publication = parsed("uk", relative)
    assert publication.format == "ofsi_xlsx"
    assert publication.published == published  # from the "Last Updated" line above the header
    assert {entry.list_id for entry in publication.entries} == group_ids


def test_ofsi_rows_of_one_group_are_merged(parsed, data_dir: Path) -> None:
    header, rows = xlsx_rows(data_dir / "uk/ofsi_conlist_2025-04-10.xlsx")
    group = [row for row in rows if row[header.index("Group ID")] == "15672"]
    assert len(group) > 1
    entry = by_id(parsed("uk", "uk/ofsi_conlist_2025-04-10.xlsx"))["15672"]

    def full_name(row: list[str]) -> str:
        parts = [row[header.index(f"Name {n}")] for n in (1, 2, 3, 4, 5, 6)]
        return " ".join(part for part in parts if part)

    assert {name.full for name in entry.names} == {full_name(row) for row in group}
    primary = next(row for row in group if row[header.index("Alias Type")] == "Primary name")
    assert entry.name == full_name(primary) == "Mian Abdul HAQ"
    assert entry.kind == "person"
    assert entry.programs == ["Global Human Rights"]
    assert entry.nationalities == ["PK"]
    assert entry.listed_on == "2022-12-09"
    assert entry.extra["uk_sanctions_list_ref"] == ["GHR0086"]
    assert entry.extra["gender"] == ["Male"]


def test_ofsi_non_latin_name_keeps_its_script_and_language(parsed) -> None:
    entry = by_id(parsed("uk", "uk/ofsi_conlist_2025-04-10.xlsx"))["16440"]
    assert entry.name == "Igor Vladimirovich ZYUZIN"
    assert Name("ЗЮЗИН Игорь Владимирович", "strong", "Cyrl", "ru") in entry.names
    assert entry.birth_dates == ["1960-05-29"]
    assert entry.birth_places == ["Kimovsk, Russia"]


def test_ofsi_csv(parsed, data_dir: Path) -> None:
    text = (data_dir / "uk/ofsi_conlist_2020-04-27.csv").read_bytes().decode("cp1252")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0][:2] == ["Last Updated", "27/04/2020"]
    publication = parsed("uk", "uk/ofsi_conlist_2020-04-27.csv")
    assert publication.format == "ofsi_csv"
    assert publication.published == dt.date(2020, 4, 27)
    assert {entry.list_id for entry in publication.entries} == {row[-1] for row in rows[2:]}
    entry = by_id(publication)["13349"]  # two rows: DOB 00/00/1980 and 00/00/1981, "1) Saudi Arabia 2) Qatar"
    assert sorted(entry.birth_dates) == ["1980", "1981"]
    assert sorted(entry.nationalities) == ["QA", "SA"]
    assert Identifier(
        "passport", "592667", None, "Passport No: 592667 (Qatari passport issued on 3 May 2007)."
    ) in (entry.identifiers)
    assert entry.programs == ["The ISIL (Da'esh) and Al-Qaida organisations"]
    # The file is Windows-1252: its curly quotes (bytes 0x91 and 0x92) are read as such.
    assert any("so-called ’2nd Army Corps’ of the ‘Lugansk" in (e.remarks or "") for e in publication.entries)


def test_fcdo_xml(parsed, data_dir: Path) -> None:
    raw = (data_dir / "uk/fcdo_sanctions_list_2026-03-26_first7.xml").read_bytes()
    publication = parsed("uk", "uk/fcdo_sanctions_list_2026-03-26_first7.xml")
    assert publication.format == "fcdo_xml"
    assert publication.published == dt.date(2026, 3, 26)
    # Each of the 7 designations carries its OFSI Group ID: that is its list id, as in the OFSI file.
    assert [e.list_id.encode() for e in publication.entries] == re.findall(
        rb"<OFSIGroupID>([^<]+)</OFSIGroupID>", raw
    )
    assert [ref for e in publication.entries for ref in e.extra["uk_sanctions_list_ref"]] == [
        unique_id.decode() for unique_id in re.findall(rb"<UniqueID>([^<]+)</UniqueID>", raw)
    ]
    entries = by_id(publication)
    exchange = entries["12703"]
    assert exchange.extra["uk_sanctions_list_ref"] == ["AFG0001"]
    assert exchange.kind == "organization"
    assert exchange.name == "HAJI KHAIRULLAH HAJI SATTAR MONEY EXCHANGE"
    assert Name("حاجی خيرالله و حاجی ستار صرافی", "strong", "Arab") in exchange.names
    assert exchange.extra["ofsi_group_id"] == ["12703"]
    assert exchange.listed_on == "2012-06-29"
    block = raw[
        raw.index(b"<UniqueID>AFG0001") : raw.index(b"</Designation>", raw.index(b"<UniqueID>AFG0001"))
    ]
    assert len(exchange.addresses) == block.count(b"<Address>")
    akhund = entries["7172"]  # AFG0006
    assert akhund.name == "MOHAMMAD HASSAN AKHUND"
    assert sorted(akhund.birth_dates) == [
        "1945",
        "1946",
        "1947",
        "1948",
        "1949",
        "1950",
        "1955",
        "1956",
        "1957",
        "1958",
    ]
    assert akhund.identifiers[0].value == "P04581926"
    assert akhund.identifiers[0].country == "AF"
    assert len(akhund.identifiers) == 1  # written ten times, one passport
    assert akhund.extra["title"] == ["Mullah", "Haji"]
    assert akhund.nationalities == ["AF"]


def test_fcdo_summary_ods(parsed, data_dir: Path) -> None:
    # Each row's Unique ID and OFSI Group ID (a cell that may hold only whitespace), read without the parser.
    rows = fcdo_summary_ids(data_dir)
    assert len(rows) == 5302
    publication = parsed("uk", "uk/fcdo_sanctions_list_summary_2025-08-11.ods")
    assert publication.format == "fcdo_ods"
    assert publication.published is None  # the summary states no publication date
    # Keyed as the OFSI list keyed them: by Group ID where given, else by Unique ID; one entry per key.
    assert sorted(entry.list_id for entry in publication.entries) == sorted(
        {group or uid for uid, group in rows}
    )
    assert sorted(
        ref for entry in publication.entries for ref in entry.extra["uk_sanctions_list_ref"]
    ) == sorted(uid for uid, _ in rows)
    entry = by_id(publication)["12703"]
    assert entry.extra["uk_sanctions_list_ref"] == ["AFG0001"]
    assert entry.name == "HAJI KHAIRULLAH HAJI SATTAR MONEY EXCHANGE"
    assert entry.programs == ["Afghanistan"]
    assert entry.listed_on == "2012-06-29"
    # A designation without an OFSI Group ID (made after the ConList closed) keeps its FCDO id.
    assert by_id(publication)["DPR0075"].name == "Petrel 8"
    # Two designations are published without a name: kept, and counted.
    nameless = [
        ref
        for entry in publication.entries
        if not entry.names
        for ref in entry.extra["uk_sanctions_list_ref"]
    ]
    assert "BEL0174" in nameless
    assert publication.unmapped["entry.no_name"] == len(nameless)
