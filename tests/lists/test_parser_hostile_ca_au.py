"""Broken and hostile Canadian (XML) and Australian (xlsx) files: each is rejected with a reason (ParseError), and an
ingest of one applies nothing.

The small files are derived at test time from the real ones: the first records of the Canadian XML, and the first
rows of the Australian sheet written back with openpyxl. Nothing is stored.
"""

from __future__ import annotations

import io
import random
import string
import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import func, select

from app.lists import service as lists
from app.lists.models import ListEntry
from app.lists.records import ParseError
from tests.lists.conftest import as_dicts, sample_data_dir
from tests.lists.test_parser_hostile import (
    BILLION_LAUGHS,
    assert_cuts_rejected,
    assert_rejected,
    parse_bytes,
    real_bytes,
    run_isolated,
)

CANADA = "canada/sema_c2025-05.xml"
AUSTRALIA = "australia/dfat_consolidated_c2024-12-17.xlsx"
SHEET = "xl/worksheets/sheet1.xml"


def first_canadian_records(count: int) -> bytes:
    """The real Canadian file cut after its ``count``-th record, with the root closed again."""
    raw = real_bytes(CANADA)
    end = 0
    for _ in range(count):
        end = raw.index(b"</record>", end) + len(b"</record>")
    return raw[:end] + b"\n</data-set>\n"


def first_australian_rows(count: int) -> list[list]:
    """The header and the first ``count`` rows of the real Australian sheet, as calamine reads them."""
    rows = CalamineWorkbook.from_path(str(sample_data_dir() / AUSTRALIA)).get_sheet_by_index(0).to_python()
    return [list(row) for row in rows[: count + 1]]


def workbook_bytes(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def small_australian_workbook() -> bytes:
    # Rows 2, 2a, 3, 3a, 3b, 4, 4a...: the first 7 rows are three whole listings.
    return workbook_bytes(first_australian_rows(7))


def central_directory_entry(data: bytes, name: str) -> int:
    """Offset of ``name``'s entry in a zip's central directory."""
    position = data.index(b"PK\x01\x02")
    while True:
        name_length, extra_length, comment_length = struct.unpack("<HHH", data[position + 28 : position + 34])
        if data[position + 46 : position + 46 + name_length] == name.encode():
            return position
        position = data.index(b"PK\x01\x02", position + 46 + name_length + extra_length + comment_length)


# ---------------------------------------------------------------------------------------------------------------
# Canada


def test_small_canadian_file_is_a_valid_publication(tmp_path: Path) -> None:
    publication = parse_bytes(tmp_path, "ca_sema", first_canadian_records(3), "sema.xml")
    assert [entry.list_id for entry in publication.entries] == [
        "BELARUS-S1-P1-1",
        "BELARUS-S1-P1-2",
        "BELARUS-S1-P1-3",
    ]


def test_canadian_xml_cut_at_every_byte_is_rejected(tmp_path: Path) -> None:
    data = first_canadian_records(3)
    assert len(data) < 1500
    assert_cuts_rejected(tmp_path, "ca_sema", data)


def test_canadian_xml_in_wrong_encodings(tmp_path: Path) -> None:
    data = first_canadian_records(3)
    assert "Bélarus".encode() in data
    assert_rejected(tmp_path, "ca_sema", data.decode().encode("utf-16"), "utf16.xml", "UTF-16")
    # Latin-1 bytes under the file's own UTF-8 declaration.
    assert_rejected(tmp_path, "ca_sema", data.decode().encode("latin-1"), "latin1.xml", "encoding")
    # Declared as Latin-1, they mean what they say: the same publication.
    declared = data.decode().replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').encode("latin-1")
    assert as_dicts(parse_bytes(tmp_path, "ca_sema", declared, "declared.xml")) == as_dicts(
        parse_bytes(tmp_path, "ca_sema", data, "utf8.xml")
    )


def test_canadian_xml_with_a_huge_field_is_rejected(tmp_path: Path) -> None:
    data = first_canadian_records(3).replace(
        b"<LastName>Balaba</LastName>", b"<LastName>" + b"A" * 2_000_000 + b"</LastName>"
    )
    assert_rejected(tmp_path, "ca_sema", data, "huge.xml", "2,000,000 characters")


def test_canadian_xml_with_entity_expansion_is_rejected_without_expanding(tmp_path: Path) -> None:
    laughs = BILLION_LAUGHS.split(b"]>", 1)[0].replace(b"<!DOCTYPE sdnList", b"<!DOCTYPE data-set") + b"]>\n"
    document = laughs + first_canadian_records(3).split(b"?>", 1)[1].replace(
        b"<LastName>Balaba</LastName>", b"<LastName>&lol9;</LastName>"
    )
    path = tmp_path / "laughs.xml"
    path.write_bytes(document)
    report = run_isolated(f'parsers.parse("ca_sema", Path({str(path)!r}))', tmp_path)
    assert "DOCTYPE" in report["reason"] and "entity declarations" in report["reason"]
    # Without a DOCTYPE, an entity reference is an error, not a lookup. (lxml's feed parser stops at it and reports
    # the document as ending early, so the reason does not name the entity.)
    undeclared = first_canadian_records(3).replace(b"<LastName>Balaba", b"<LastName>&lol9;Balaba")
    assert_rejected(tmp_path, "ca_sema", undeclared, "undeclared.xml", "not well-formed XML")


def test_canadian_records_that_cannot_be_identified_are_rejected(tmp_path: Path) -> None:
    data = first_canadian_records(3)
    assert_rejected(tmp_path, "ca_sema", data.replace(b"<Item>2</Item>", b""), "no_item.xml", "item number")
    assert_rejected(
        tmp_path,
        "ca_sema",
        data.replace(b"<Item>2</Item>", b"<Item>1</Item>"),
        "twice.xml",
        "appears on two entries",
    )
    assert_rejected(
        tmp_path, "ca_sema", b'<?xml version="1.0"?>\n<data-set>\n</data-set>\n', "empty.xml", "no entries"
    )
    long_item = data.replace(b"<Item>2</Item>", b"<Item>" + b"9" * 5000 + b"</Item>")
    assert_rejected(tmp_path, "ca_sema", long_item, "item.xml", "too long to be one")
    long_schedule = data.replace(
        b"<Schedule>1, Part 1</Schedule>", b"<Schedule>" + b"1" * 5000 + b"</Schedule>", 1
    )
    assert_rejected(tmp_path, "ca_sema", long_schedule, "schedule.xml", "too long to be one")
    assert_rejected(
        tmp_path,
        "ca_sema",
        data.replace(b"data-set", b"dataset"),
        "root.xml",
        "not a list format this service reads",
    )


# ---------------------------------------------------------------------------------------------------------------
# Australia


def test_small_australian_workbook_is_a_valid_publication(tmp_path: Path) -> None:
    rows = first_australian_rows(7)
    stems = {str(row[0]).removesuffix(".0").rstrip("abcdefghij") for row in rows[1:]}
    publication = parse_bytes(tmp_path, "au_dfat", small_australian_workbook(), "dfat.xlsx")
    assert sorted(entry.list_id for entry in publication.entries) == sorted(stems) == ["2", "3", "4"]


def test_australian_workbook_cut_at_every_byte_is_rejected(tmp_path: Path) -> None:
    data = small_australian_workbook()
    assert len(data) < 20_000
    # Every 5th byte of the members, every byte of the central directory at the end (what a reader looks at first).
    directory = data.index(b"PK\x01\x02")
    for cut in sorted(set(range(0, directory, 5)) | set(range(directory, len(data)))):
        with pytest.raises(ParseError) as caught:
            parse_bytes(tmp_path, "au_dfat", data[:cut], "cut.xlsx")
        assert "internal parser error" not in str(caught.value)


def test_australian_workbook_with_a_corrupt_sheet_is_rejected(tmp_path: Path) -> None:
    data = bytearray(small_australian_workbook())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo(SHEET)
    name_length, extra_length = struct.unpack("<HH", data[info.header_offset + 26 : info.header_offset + 30])
    start = info.header_offset + 30 + name_length + extra_length
    for offset in range(start + 20, start + 60):  # inside the compressed sheet
        data[offset] ^= 0x55
    assert_rejected(tmp_path, "au_dfat", bytes(data), "corrupt.xlsx", "cannot be read as a spreadsheet")


def test_australian_workbook_zip_bombs_are_rejected(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with zipfile.ZipFile(io.BytesIO(small_australian_workbook())) as small:
            for info in small.infolist():
                if info.filename != SHEET:
                    archive.writestr(info.filename, small.read(info.filename))
        with archive.open(SHEET, "w") as member:
            chunk = b" " * (1024 * 1024)
            for _ in range(100):  # 100 MB of spaces: about 100 KB compressed
                member.write(chunk)
    assert bomb.stat().st_size < 1_000_000
    report = run_isolated(f'parsers.parse("au_dfat", Path({str(bomb)!r}))', tmp_path)
    assert "zip bomb" in report["reason"]
    # A directory that declares an absurd size is refused before anything is decompressed.
    data = bytearray(small_australian_workbook())
    directory = central_directory_entry(bytes(data), SHEET)
    data[directory + 24 : directory + 28] = (4 * 1024**3 - 1).to_bytes(
        4, "little"
    )  # uncompressed size: 4 GiB
    assert_rejected(tmp_path, "au_dfat", bytes(data), "declared.xlsx", "zip bomb")


def test_australian_workbook_with_bad_cells_is_rejected(tmp_path: Path) -> None:
    rows = first_australian_rows(7)
    # openpyxl cuts a cell at Excel's 32,767 characters: the huge value is put into the sheet's XML afterwards, as
    # letters that do not compress like a zip bomb does.
    letters = "".join(random.Random(15).choices(string.ascii_letters, k=2_000_000)).encode()
    marked = [list(row) for row in rows]
    marked[2][8] = "HUGE-CELL-MARKER"
    huge = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook_bytes(marked))) as small,
        zipfile.ZipFile(huge, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for info in small.infolist():
            archive.writestr(info.filename, small.read(info.filename).replace(b"HUGE-CELL-MARKER", letters))
    assert_rejected(tmp_path, "au_dfat", huge.getvalue(), "huge.xlsx", "2,000,000 characters")
    bad_reference = [list(row) for row in rows]
    bad_reference[3][0] = "see above"
    huge_reference = [list(row) for row in rows]
    huge_reference[3][0] = "9" * 5000
    assert_rejected(
        tmp_path, "au_dfat", workbook_bytes(huge_reference), "big.xlsx", "not a DFAT reference number"
    )
    assert_rejected(
        tmp_path, "au_dfat", workbook_bytes(bad_reference), "ref.xlsx", "not a DFAT reference number"
    )
    assert_rejected(
        tmp_path, "au_dfat", workbook_bytes(rows[1:]), "headless.xlsx", "not the DFAT Consolidated List"
    )
    assert_rejected(tmp_path, "au_dfat", workbook_bytes(rows[:1]), "empty.xlsx", "no entries")
    csv_text = "\n".join(",".join(str(cell) for cell in row) for row in rows).encode()
    assert_rejected(tmp_path, "au_dfat", csv_text, "renamed.xlsx", "zip")


# ---------------------------------------------------------------------------------------------------------------
# Nothing applied


@pytest.mark.parametrize(
    ("source", "name", "good", "bad", "reason"),
    [
        (
            "ca_sema",
            "sema.xml",
            lambda: first_canadian_records(3),
            lambda: first_canadian_records(3)[:-40],
            "truncated",
        ),
        (
            "au_dfat",
            "dfat.xlsx",
            small_australian_workbook,
            lambda: small_australian_workbook()[:-100],
            "damaged zip",
        ),
    ],
)
def test_a_hostile_publication_is_recorded_as_rejected_and_changes_nothing(
    db, tmp_path: Path, source: str, name: str, good, bad, reason: str
) -> None:
    (tmp_path / "good").mkdir()
    (tmp_path / "bad").mkdir()
    (tmp_path / "good" / name).write_bytes(good())
    (tmp_path / "bad" / name).write_bytes(bad())
    stored = lists.ingest_path(db, source, tmp_path / "good" / name)
    assert stored.status == "stored" and stored.entries == 3
    rejected = lists.ingest_path(db, source, tmp_path / "bad" / name)
    assert rejected.status == "rejected" and reason in rejected.reason and not rejected.acceptable
    assert lists.current_snapshot(db, source).id == stored.snapshot_id
    listed = db.scalar(
        select(func.count()).select_from(ListEntry).where(ListEntry.source == source, ListEntry.is_listed)
    )
    assert listed == 3
