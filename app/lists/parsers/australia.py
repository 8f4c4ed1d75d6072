"""Australia's DFAT Consolidated List spreadsheet (xlsx, one sheet, one row per name).

The rows of one listing share a reference stem: the primary name is ``123``, its aliases and original-script names
``123a``, ``123b``... (a few older listings go on ``34c1``). The stem is the entry's list id; the rows are merged
(names, dates and places of birth, citizenships, addresses). Columns are read by their header, so a column DFAT adds
or moves does not shift the others; a column this parser does not know is kept in ``extra`` under its header.

Each listing states its regime in the "Committees" column: a UN Security Council regime Australia implements, by
resolution ("1267/1989/2253 (ISIL (Da'esh) and Al-Qaida)", "1970 (Libya) 1973 (Libya)"), or an autonomous Australian
one ("Autonomous (Russia)", and since 2021 the thematic, Magnitsky-style ones: "Autonomous (Thematic - Human
Rights)", "... Corruption)", "... Cyber)", which DFAT also writes "Autonomous (Thematic – Serious Violations or
Abuses of Human Rights)", "... Serious Corruption)", "... Significant Cyber Incidents)"). The programme code is
``UNSC-<first resolution>`` for the UN regimes ("UNSC-1267", "UNSC-1970") and the code ``australia_regimes.csv``
gives the autonomous ones ("RUSSIA", "THEMATIC-HUMAN-RIGHTS", "THEMATIC-CORRUPTION", "THEMATIC-CYBER"); an
autonomous regime not in the table gets its words in capitals joined by "-" and is counted as unmapped. The file
states no publication date.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from app.lists.parsers.common import (
    EntryDraft,
    check_field_size,
    clean,
    fail,
    finish,
    folded_words,
    make_name,
    new_publication,
    parse_date,
    parse_date_or_range,
    read_first_sheet,
    sheet_cell,
    snake_case,
    split_numbered,
)
from app.lists.parsers.countries import country_code
from app.lists.records import Publication

FORMAT = "au_dfat_xlsx"

_REGIMES_CSV = Path(__file__).with_name("australia_regimes.csv")

# Header (case folded) -> what the column holds.
_COLUMNS = {
    "reference": "reference",
    "reference number": "reference",
    "name of individual or entity": "name",
    "type": "type",
    "name type": "name_type",
    "alias type": "name_type",
    "date of birth": "birth_date",
    "place of birth": "birth_place",
    "citizenship": "citizenship",
    "nationality": "citizenship",
    "address": "address",
    "additional information": "additional_information",
    "listing information": "listing_information",
    "committees": "regime",
    "regime": "regime",
    "control date": "control_date",
}
_REQUIRED = ("reference", "name", "type", "name_type")
_KINDS = {"individual": "person", "entity": "organization", "vessel": "vessel", "ship": "vessel"}
_NAME_QUALITIES = {
    "primary name": "strong",
    "aka": "strong",
    "original script": "strong",
    "formerly known as": "former",
    "fka": "former",
    "previously listed as": "former",
}
# A reference: a number of up to nine digits (real ones have four), up to three letters, and a last number.
_REFERENCE = re.compile(r"(\d{1,9})\s*([a-z]{0,3})\s*(\d{0,3})")
_APPROXIMATELY = re.compile(r"^(?:approximately|approx\.?|circa|ca\.|c\.|about|around)\s+", re.I)
# Several dates in one item, and the words before one.
_BIRTH_DATE_SEPARATOR = re.compile(r"\s*(?:;|>>|,?\s+or\s+)\s*", re.I)
_BIRTH_DATE_LABEL = re.compile(r"^(?:alt(?:ernative)?\.?\s+(?:DOB|born)\s*:?|[a-z]\)|DOB\s*:)\s*", re.I)
_LISTED_ON = re.compile(
    r"\bon:?\s+(\d{1,2}\s*[A-Za-z]{3,9}\.?,?\s+\d{4}|\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d\d-\d\d)"
)
_UN_RESOLUTION = re.compile(r"(?:^|\))\s*(\d{3,4})\b")
_EMPTY_VALUES = {"", "na", "n/a", "-"}


@cache
def _regime_table() -> dict[str, str]:
    with _REGIMES_CSV.open(encoding="utf-8", newline="") as handle:
        return {" ".join(folded_words(row["regime"])): row["code"] for row in csv.DictReader(handle)}


def program_codes(label: str) -> tuple[list[str], bool]:
    """Programme codes of a "Committees" value, and whether every part of it was recognized."""
    text = clean(label)
    autonomous = re.match(r"autonomous\s*\((.*)\)\s*$", text, flags=re.I | re.S)
    if autonomous:
        key = " ".join(folded_words(autonomous.group(1)))
        code = _regime_table().get(key)
        if code:
            return [code], True
        return ["-".join(key.split()).upper() or "AUTONOMOUS"], False
    resolutions = _UN_RESOLUTION.findall(text)
    if resolutions:
        return [f"UNSC-{number}" for number in dict.fromkeys(resolutions)], True
    words = folded_words(text)
    return (["-".join(words).upper()] if words else []), False


def reference_stem(value: str) -> str | None:
    """The listing a reference belongs to: "123" for "123", "123a", "123 b" or "34c1"; None if it is not one."""
    match = _REFERENCE.fullmatch(clean(value).casefold())
    if match is None:
        return None
    return str(int(match.group(1)))


def parse(source: str, path: Path) -> Publication:
    rows = read_first_sheet(path)
    return _parse_rows(source, rows, path.name)


def _header(rows: Sequence[Sequence[Any]], where: str) -> tuple[int, dict[str, int], dict[int, str]]:
    for index, row in enumerate(rows[:10]):
        cells = [sheet_cell(value).casefold() for value in row]
        if "reference" in cells and "name of individual or entity" in cells:
            known: dict[str, int] = {}
            others: dict[int, str] = {}
            for position, (label, raw) in enumerate(zip(cells, row, strict=True)):
                if label in _COLUMNS:
                    known.setdefault(_COLUMNS[label], position)
                elif label:
                    others[position] = snake_case(sheet_cell(raw))
            missing = [name for name in _REQUIRED if name not in known]
            if missing:
                raise fail(
                    f"{where}: the header has no {', '.join(missing)} column: not the DFAT Consolidated List"
                )
            return index, known, others
    raise fail(
        f"{where}: no header row with 'Reference' and 'Name of Individual or Entity': not the DFAT Consolidated List"
    )


def _parse_rows(source: str, rows: Sequence[Sequence[Any]], where: str) -> Publication:
    publication = new_publication(source, FORMAT)
    header_index, columns, other_columns = _header(rows, where)
    drafts: dict[str, EntryDraft] = {}
    has_primary: set[str] = set()
    for number, row in enumerate(rows[header_index + 1 :], start=header_index + 2):
        cells = [sheet_cell(value) for value in row]
        if not any(cells):
            continue
        for value in cells:
            check_field_size(value, f"{where} row {number}")

        def get(column: str, cells: list[str] = cells) -> str:
            position = columns.get(column)
            return cells[position] if position is not None and position < len(cells) else ""

        reference = get("reference")
        stem = reference_stem(reference)
        if stem is None:
            raise fail(
                f"{where} row {number}: the reference {reference[:40]!r} is not a DFAT reference number"
            )
        draft = drafts.get(stem)
        type_text = get("type").casefold()
        if draft is None:
            kind = _KINDS.get(type_text)
            if kind is None:
                publication.note_unmapped("kind.unknown", type_text)
                kind = "other"
            draft = drafts[stem] = EntryDraft(source=source, list_id=stem, kind=kind)
        draft.add_extra("references", reference)
        _merge_row(draft, publication, get, has_primary)
        for position, key in other_columns.items():
            if position < len(cells):
                draft.add_extra(key, cells[position])
    return finish(publication, drafts.values(), where)


def _merge_row(draft: EntryDraft, publication: Publication, get: Any, has_primary: set[str]) -> None:
    name_type = get("name_type").casefold()
    quality = _NAME_QUALITIES.get(name_type)
    if quality is None:
        publication.note_unmapped("name_type.unknown", name_type)
        quality = "strong"
    name = make_name(get("name"), quality)
    if name_type == "primary name" and draft.list_id not in has_primary and name is not None:
        draft.add_name(name, primary=True)
        has_primary.add(draft.list_id)
    else:
        draft.add_name(name)
    for item in _items(get("birth_date")):
        _birth_date(draft, publication, item)
    for item in _items(get("birth_place")):
        draft.add("birth_places", item.rstrip(" ."))
    for item in _items(get("citizenship")):
        codes = _countries(item)
        if codes:
            for code in codes:
                draft.add("citizenships", code)
        else:
            publication.note_unmapped("citizenship.unknown_country", item)
    for item in _items(get("address")):
        draft.add("addresses", item.rstrip(" ;"))
    additional = get("additional_information")
    if additional:
        if not draft.remarks:
            draft.remarks = additional
        elif additional not in draft.remarks:
            draft.remarks += "\n" + additional
    listing = get("listing_information")
    if listing:
        draft.add_extra("listing_information", listing)
        listed = _LISTED_ON.search(listing)
        draft.set_listed_on(parse_date(listed.group(1)) if listed else None)
    regime = get("regime")
    if regime:
        draft.add_extra("regime", regime)
        codes, known = program_codes(regime)
        if not known:
            publication.note_unmapped("regime.unknown", regime)
        for code in codes:
            draft.add("programs", code)
    draft.add_extra("control_date", parse_date(get("control_date")) or get("control_date"))


def _items(text: str) -> list[str]:
    """The items of a cell: "a) X b) Y", "(1) X (2) Y" or one value; "NA" is no value."""
    if clean(text).casefold() in _EMPTY_VALUES:
        return []
    return [item for item in split_numbered(text) if item.casefold() not in _EMPTY_VALUES]


def _birth_date(draft: EntryDraft, publication: Publication, text: str) -> None:
    """One birth-date item: a date, a range, or several dates written in one item ("1963; 1964", "10/01/1960; alt
    DOB: 1961", "1 May 1970, or 2 May 1970"). Each date that reads is kept; when any part does not, the item is
    also kept as a note, and counted."""
    parsed: list[str] = []
    unread = False
    for part in _BIRTH_DATE_SEPARATOR.split(text):
        value = _BIRTH_DATE_LABEL.sub("", part).strip(" .;,")
        if not value:
            continue
        plain = _APPROXIMATELY.sub("", value)
        iso = parse_date_or_range(plain)
        if iso is None:
            unread = True
            continue
        parsed.append(iso)
        if plain != value:
            draft.add_extra("birth_dates_circa", iso)
    for iso in parsed:
        draft.add("birth_dates", iso)
    if unread or not parsed:
        publication.note_unmapped("birth_date.unparsed", text)
        draft.add_extra("birth_date_notes", text)


def _countries(text: str) -> list[str]:
    """ISO codes of a citizenship: one country ("Iraqi", "Russian Federation") or several ("Russian and
    Ukrainian"); [] when it cannot be read as countries."""
    code = country_code(text)
    if code:
        return [code]
    parts = [part for part in re.split(r"\s*(?:[,;/]|\band\b)\s*", text) if part]
    codes = [country_code(part) for part in parts]
    if len(parts) > 1 and all(codes):
        return [code for code in codes if code]
    return []


__all__ = ["FORMAT", "parse", "program_codes", "reference_stem"]
