"""Parsers of the official sanctions-list formats.

``parse(source, path)`` reads one downloaded publication into a :class:`~app.lists.records.Publication` of normalized
entries, or raises :class:`~app.lists.records.ParseError` with a reason a person can act on. ``detect_format`` tells
which of the source's formats a file is in. Parsers never touch the network.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

from app.lists.parsers import australia, canada, eu, ofac_advanced, ofac_csv, ofac_xml, uk, un
from app.lists.parsers.common import (
    MAX_XML_PROLOG_BYTES,
    ZIP_READ_ERRORS,
    fail,
    open_zip,
    read_head,
    sniff_xml_root,
)
from app.lists.records import SOURCES, ParseError, Publication

# Source id -> the formats it is published in, preferred first.
FORMATS: dict[str, list[str]] = {
    "ofac_sdn": [ofac_csv.FORMAT, ofac_xml.FORMAT, ofac_advanced.FORMAT],
    "ofac_cons": [ofac_csv.FORMAT, ofac_xml.FORMAT],
    "un_sc": [un.FORMAT],
    "uk": [uk.FCDO_XML, uk.OFSI_XLSX, uk.OFSI_CSV, uk.FCDO_ODS],
    "eu_fsf": [eu.FORMAT],
    "ca_sema": [canada.FORMAT],
    "au_dfat": [australia.FORMAT],
}

# An xlsx file is told apart by the list it is published as: OFSI's ConList or DFAT's Consolidated List.
_XLSX = "xlsx"
_XLSX_FORMAT_OF_SOURCE = {"au_dfat": australia.FORMAT}

_PARSERS: dict[str, Callable[[str, Path], Publication]] = {
    ofac_csv.FORMAT: ofac_csv.parse,
    ofac_xml.FORMAT: ofac_xml.parse,
    ofac_advanced.FORMAT: ofac_advanced.parse,
    un.FORMAT: un.parse,
    uk.OFSI_XLSX: uk.parse_ofsi_xlsx,
    uk.OFSI_CSV: uk.parse_ofsi_csv,
    uk.FCDO_XML: uk.parse_fcdo_xml,
    uk.FCDO_ODS: uk.parse_fcdo_ods,
    eu.FORMAT: eu.parse,
    canada.FORMAT: canada.parse,
    australia.FORMAT: australia.parse,
}

_XML_FORMAT_OF_ROOT = {
    ofac_xml.ROOT: ofac_xml.FORMAT,
    ofac_advanced.ROOT: ofac_advanced.FORMAT,
    un.ROOT: un.FORMAT,
    "Designations": uk.FCDO_XML,
    eu.ROOT: eu.FORMAT,
    canada.ROOT: canada.FORMAT,
}


def _check_source(source: str) -> None:
    if source not in FORMATS:
        raise ParseError(f"unknown list source {source!r}; known sources: {', '.join(SOURCES)}")


def _format_of_xml_head(head: bytes, name: str) -> str:
    root = sniff_xml_root(head)
    if root is None:
        raise fail(
            f"{name}: no XML root element in the first {len(head):,} bytes: not a list this service reads"
        )
    found = _XML_FORMAT_OF_ROOT.get(root)
    if found is None:
        raise fail(
            f"{name}: an XML file with root element <{root}>, which is not a list format this service reads"
        )
    return found


def _detect(path: Path) -> str:
    if not path.exists():
        raise fail(f"{path} does not exist")
    if path.is_dir():
        if ofac_csv.is_csv_set([child.name for child in path.iterdir()]):
            return ofac_csv.FORMAT
        raise fail(f"{path.name} is a folder without an OFAC CSV set (sdn.csv or cons_prim.csv)")
    if path.stat().st_size == 0:
        raise fail(f"{path.name} is empty (0 bytes)")
    suffix = path.suffix.lower()
    head = read_head(path, MAX_XML_PROLOG_BYTES)
    if (suffix in (".zip", ".xlsx", ".ods") or head.startswith(b"PK\x03\x04")) and not zipfile.is_zipfile(
        path
    ):
        raise fail(f"{path.name} is a damaged zip file (truncated or corrupt: no zip directory at its end)")
    if suffix == ".xlsx":
        return _XLSX
    if suffix == ".ods":
        return uk.FCDO_ODS
    if zipfile.is_zipfile(path):
        with open_zip(path) as archive:
            names = [info.filename for info in archive.infolist() if not info.is_dir()]
            if ofac_csv.is_csv_set(names):
                return ofac_csv.FORMAT
            if "content.xml" in names and "mimetype" in names:
                return uk.FCDO_ODS
            if "xl/workbook.xml" in names:
                return _XLSX
            xml_names = [name for name in names if name.lower().endswith(".xml")]
            if len(xml_names) == 1:
                try:
                    with archive.open(xml_names[0]) as member:
                        member_head = member.read(MAX_XML_PROLOG_BYTES)
                except ZIP_READ_ERRORS as exc:
                    raise fail(f"{path.name}: {xml_names[0]} in the zip cannot be read: {exc}") from None
                return _format_of_xml_head(member_head, f"{path.name}:{xml_names[0]}")
        raise fail(
            f"{path.name}: a zip holding neither an OFAC CSV set nor a single XML list ({len(names)} files)"
        )
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in head[:4096]:
        raise fail(f"{path.name} is UTF-16/UTF-32 text or binary data; lists are published in UTF-8")
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"<"):
        return _format_of_xml_head(head, path.name)
    if stripped[:12].lower().startswith(b"last updated"):
        return uk.OFSI_CSV
    if suffix == ".csv" or stripped[:1].isdigit():
        return ofac_csv.FORMAT
    raise fail(f"{path.name}: not a list format this service reads (neither XML, CSV nor a spreadsheet)")


def detect_format(source: str, path: Path) -> str:
    """Which of ``source``'s formats the file (or folder, or zip) at ``path`` is in; ParseError if none."""
    _check_source(source)
    path = Path(path)
    try:
        found = _detect(path)
    except OSError as exc:
        raise fail(f"{path.name} cannot be read: {exc}") from None
    if found == _XLSX:
        found = _XLSX_FORMAT_OF_SOURCE.get(source, uk.OFSI_XLSX)
    if found not in FORMATS[source]:
        raise fail(
            f"{path.name} is in the {found} format, which is not a format of the {source} list "
            f"(expected one of: {', '.join(FORMATS[source])})"
        )
    return found


def parse(source: str, path: Path, *, format: str | None = None) -> Publication:
    """Parse one publication of ``source``. Raises ParseError with a human-readable reason on any invalid input."""
    _check_source(source)
    path = Path(path)
    chosen = format or detect_format(source, path)
    if chosen not in FORMATS[source]:
        raise fail(
            f"{chosen!r} is not a format of the {source} list (expected one of: {', '.join(FORMATS[source])})"
        )
    try:
        return _PARSERS[chosen](source, path)
    except ParseError:
        raise
    except MemoryError:
        raise
    except OSError as exc:
        raise fail(f"{path.name} cannot be read: {exc}") from None
    except RecursionError as exc:
        raise fail(f"{path.name}: structure nested too deeply to read ({exc})") from None
    except Exception as exc:
        # Any other failure is a defect of the parser, not a property of the file. It is still reported as a
        # rejection (so a worker never crashes on a list), marked so that it is noticed and fixed.
        raise fail(
            f"{path.name}: internal parser error (please report): {type(exc).__name__}: {exc}"
        ) from exc


__all__ = ["FORMATS", "ParseError", "detect_format", "parse"]
