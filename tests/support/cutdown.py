"""Real list files cut down at test time to some of their whole records, in their own format.

A test that needs a list of known content (a publication that drops some records, one small enough to ingest in
a second) keeps the records it wants of a real file and nothing else: every kept record is as the authority
published it.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

from lxml import etree

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
CELL_REF = re.compile(r"([A-Z]+)\d+")


def xml_subset(
    source: Path, dest: Path, keep: Callable[[int, etree._Element], bool], parents: int = 0
) -> Path:
    """``source`` without the records (children of the root, or of its children when ``parents`` is 1) that
    ``keep(position, record)`` refuses."""
    root = etree.parse(str(source), etree.XMLParser(resolve_entities=False)).getroot()
    for container in [root] if parents == 0 else list(root):
        for position, record in enumerate(list(container)):
            if not keep(position, record):
                container.remove(record)
    dest.write_bytes(etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8"))
    return dest


def xlsx_subset(
    source: Path, dest: Path, header_rows: int, first: int, wanted: re.Pattern[str] | None = None
) -> Path:
    """The workbook with its first ``header_rows`` rows, the ``first`` rows after them, and every row with a cell
    that ``wanted`` matches in full; rows renumbered so that none is missing."""
    with zipfile.ZipFile(source) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    strings = [
        "".join(item.itertext())
        for item in etree.fromstring(members["xl/sharedStrings.xml"]).iter(f"{MAIN}si")
    ]
    sheet = etree.fromstring(members["xl/worksheets/sheet1.xml"])
    data = sheet.find(f"{MAIN}sheetData")
    kept = 0
    for position, row in enumerate(list(data)):
        texts = []
        for cell in row.iter(f"{MAIN}c"):
            value = cell.findtext(f"{MAIN}v") or "".join(cell.itertext())
            texts.append(strings[int(value)] if cell.get("t") == "s" and value.isdigit() else value.strip())
        if position < header_rows + first or (wanted and any(wanted.fullmatch(text) for text in texts)):
            kept += 1
            row.set("r", str(kept))
            for cell in row.iter(f"{MAIN}c"):
                cell.set("r", CELL_REF.sub(rf"\g<1>{kept}", cell.get("r", "")))
        else:
            data.remove(row)
    for element in [*sheet.iter(f"{MAIN}dimension"), *sheet.iter(f"{MAIN}mergeCells")]:
        element.getparent().remove(element)
    members["xl/worksheets/sheet1.xml"] = etree.tostring(sheet, xml_declaration=True, encoding="UTF-8")
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return dest
