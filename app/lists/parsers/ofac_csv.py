"""OFAC legacy CSV set: ``sdn.csv`` + ``add.csv`` + ``alt.csv`` + ``sdn_comments.csv`` (SDN list) or the
``cons_prim.csv`` / ``cons_add.csv`` / ``cons_alt.csv`` / ``cons_comments.csv`` set (non-SDN consolidated list).

The set comes as a folder, a zip, or a lone primary file (OFAC's daily downloads are often just sdn.csv); then only
the primary file's fields are known. No header row; ``-0-`` means empty; remarks longer than 1,000 characters are
cut and continued in the comments file. The files carry no publication date.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from app.lists.parsers.common import (
    MAX_CSV_BYTES,
    EntryDraft,
    check_field_size,
    clean,
    decode_text,
    fail,
    finish,
    join_address,
    make_name,
    new_publication,
    open_zip,
    read_zip_member,
    require_file,
)
from app.lists.parsers.ofac_common import apply_remarks, kind_of_ofac_type, ofac_programs, resolve_links
from app.lists.records import Identifier, Publication

FORMAT = "ofac_csv"

# Columns of each file. sdn.csv: ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage, GRT,
# Vess_flag, Vess_owner, Remarks. add.csv: ent_num, add_num, address, city/state/postal, country, add_remarks.
# alt.csv: ent_num, alt_num, alt_type, alt_name, alt_remarks. sdn_comments.csv: ent_num, remarks continuation.
PRIMARY_COLUMNS = 12
ADDRESS_COLUMNS = 6
ALIAS_COLUMNS = 5
COMMENT_COLUMNS = 2


@dataclass(frozen=True)
class FileSet:
    primary: str
    addresses: str
    aliases: str
    comments: str


FILE_SETS = {
    "ofac_sdn": FileSet("sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv"),
    "ofac_cons": FileSet("cons_prim.csv", "cons_add.csv", "cons_alt.csv", "cons_comments.csv"),
}

_ALIAS_QUALITY = {"aka": "strong", "nka": "strong", "fka": "former"}
_EMPTY_MARKER = "-0-"


def is_csv_set(names: list[str]) -> bool:
    lowered = {Path(name).name.lower() for name in names}
    return any(files.primary in lowered for files in FILE_SETS.values())


def _read_set(source: str, path: Path) -> dict[str, tuple[str, bytes]]:
    """Bytes of each file of the set that is present, keyed by role, with the file's own name for messages."""
    files = FILE_SETS.get(source)
    if files is None:
        raise fail(f"the OFAC CSV format is not used by the source {source!r}")
    roles = {
        "primary": files.primary,
        "addresses": files.addresses,
        "aliases": files.aliases,
        "comments": files.comments,
    }
    found: dict[str, tuple[str, bytes]] = {}
    if path.is_dir():
        by_name = {child.name.lower(): child for child in path.iterdir() if child.is_file()}
        for role, name in roles.items():
            child = by_name.get(name)
            if child is not None:
                found[role] = (child.name, _read_file(child))
    elif path.is_file() and zipfile.is_zipfile(path):
        with open_zip(path) as archive:
            by_name = {
                Path(info.filename).name.lower(): info.filename
                for info in archive.infolist()
                if not info.is_dir()
            }
            for role, name in roles.items():
                member = by_name.get(name)
                if member is not None:
                    found[role] = (member, read_zip_member(archive, member, limit=MAX_CSV_BYTES))
    else:
        require_file(path, "OFAC CSV")
        found["primary"] = (path.name, _read_file(path))
    if "primary" not in found:
        other = next(
            (f.primary for s, f in FILE_SETS.items() if s != source and (path / f.primary).exists()), None
        )
        hint = f" (it holds {other}, which belongs to another list)" if other and path.is_dir() else ""
        raise fail(f"{path.name}: no {files.primary} in the OFAC CSV set{hint}")
    return found


def _read_file(path: Path) -> bytes:
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        raise fail(f"{path.name} is {size:,} bytes (limit {MAX_CSV_BYTES:,})")
    return path.read_bytes()


def _rows(name: str, data: bytes, columns: int) -> Iterator[tuple[int, list[str]]]:
    """Validated rows of one OFAC CSV file, with their line numbers.

    A row with the wrong number of fields, an unterminated quoted field or a non-numeric ent_num means the file is
    truncated or is not this file: rejected. A file cut exactly at a row boundary cannot be told from a shorter
    publication; it yields fewer rows, and the service's guard against mass removals deals with that.
    """
    text = decode_text(data, name).rstrip("\x1a")
    if not text.strip():
        raise fail(f"{name} is empty")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    pending: tuple[int, list[str]] | None = None
    try:
        for row in reader:
            line = reader.line_num
            if not row or row == [""]:
                continue
            if pending is not None:
                yield pending
            if len(row) != columns:
                raise fail(
                    f"{name} line {line}: {len(row)} fields where {columns} are expected (the file is truncated or is "
                    f"not an OFAC {name})"
                )
            key = row[0].strip()
            if not key.isdigit():
                if line == 1 and key.casefold() in ("ent_num", "entity number"):
                    continue  # a header row, which OFAC does not write but a re-export might
                raise fail(f"{name} line {line}: the entity number {key[:40]!r} is not a number")
            for value in row:
                check_field_size(value, f"{name} line {line}")
            pending = (line, row)
    except csv.Error as exc:
        raise fail(
            f"{name} line {reader.line_num}: {exc} (the file is truncated or not a CSV file)"
        ) from None
    if pending is None:
        raise fail(f"{name} holds no rows")
    line, row = pending
    # The last field of the last row is either quoted (and then complete, as the csv reader checked) or the empty
    # marker; a copy that lost its trailing bytes can end in "-0" or "-". Those mean empty too; nothing else is lost.
    # OFAC never leaves a field blank, so a row ending in a bare comma was cut just before its last field.
    last = row[-1].strip()
    if not last:
        raise fail(f"{name} line {line}: the last field is missing (the file is truncated)")
    if _EMPTY_MARKER.startswith(last) and last != _EMPTY_MARKER:
        row[-1] = _EMPTY_MARKER
    yield line, row


def parse(source: str, path: Path) -> Publication:
    files = _read_set(source, path)
    publication = new_publication(source, FORMAT)
    primary_name, primary_data = files["primary"]
    drafts: dict[str, EntryDraft] = {}
    remarks: dict[str, str] = {}
    for _line, row in _rows(primary_name, primary_data, PRIMARY_COLUMNS):
        ent_num = row[0].strip()
        if ent_num in drafts:
            raise fail(f"{primary_name}: entity number {ent_num} appears twice")
        kind = kind_of_ofac_type(row[2])
        if kind is None:
            publication.note_unmapped("kind.unknown", clean(row[2]))
            kind = "other"
        draft = EntryDraft(source=source, list_id=ent_num, kind=kind)
        draft.add_name(make_name(row[1]))
        for program in ofac_programs(row[3]):
            draft.add("programs", program)
        draft.add_extra("title", row[4])
        call_sign = clean(row[5])
        if call_sign:
            draft.add("identifiers", Identifier("call_sign", call_sign))
        draft.add_extra("vessel_type", row[6])
        draft.add_extra("tonnage", row[7])
        draft.add_extra("gross_registered_tonnage", row[8])
        draft.add_extra("vessel_flag", row[9])
        draft.add_extra("vessel_owner", row[10])
        remarks[ent_num] = "" if clean(row[11]) == "" else row[11].strip()
        drafts[ent_num] = draft

    if "comments" in files:
        name, data = files["comments"]
        for _line, row in _rows(name, data, COMMENT_COLUMNS):
            ent_num = row[0].strip()
            if ent_num not in drafts:
                publication.note_unmapped("comments.unknown_entity", ent_num)
                continue
            # The comments file continues remarks that sdn.csv cut at 1,000 characters, mid-word if need be.
            remarks[ent_num] += row[1].strip()

    for ent_num, draft in drafts.items():
        text = remarks[ent_num]
        if text:
            draft.remarks = text
            apply_remarks(draft, publication, text)

    if "aliases" in files:
        name, data = files["aliases"]
        for _line, row in _rows(name, data, ALIAS_COLUMNS):
            draft = drafts.get(row[0].strip())
            if draft is None:
                publication.note_unmapped("alias.unknown_entity", row[0].strip())
                continue
            alias_type = clean(row[2]).casefold()
            quality = _ALIAS_QUALITY.get(alias_type)
            if quality is None:
                publication.note_unmapped("alias.unknown_type", alias_type)
                quality = "strong"
            draft.add_name(make_name(row[3], quality))
            draft.add_extra("alias_remarks", row[4])

    if "addresses" in files:
        name, data = files["addresses"]
        for _line, row in _rows(name, data, ADDRESS_COLUMNS):
            draft = drafts.get(row[0].strip())
            if draft is None:
                publication.note_unmapped("address.unknown_entity", row[0].strip())
                continue
            address = join_address(row[2], row[3], row[4])
            remark = clean(row[5])
            if remark:
                address = f"{address} ({remark})" if address else remark
            draft.add("addresses", address)

    ordered = list(drafts.values())
    resolve_links(ordered, publication)
    return finish(publication, ordered, primary_name)
