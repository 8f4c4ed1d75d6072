"""Helpers every list parser shares: input limits, safe XML streaming, guarded zip reading, CSV text decoding,
dates, scripts and the small clean-ups that make values from different lists comparable.

Everything that reads bytes from a downloaded file goes through here, so the safety rules (no entity expansion, no
network, bounded sizes, clear rejection reasons) are enforced in one place.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from lxml import etree
from python_calamine import CalamineWorkbook

from app.lists.records import Entry, Identifier, Link, Name, ParseError, Publication

# ---------------------------------------------------------------------------------------------------------------
# Limits. Real publications are far inside them (the largest field in any list is a few KB, the deepest XML about
# 12 levels, the OFSI workbook about 17 MB uncompressed); anything beyond is a broken or hostile file.
MAX_FIELD_CHARS = 1_000_000
MAX_XML_DEPTH = 64
MAX_ELEMENTS_PER_RECORD = 200_000
MAX_XML_PROLOG_BYTES = 64 * 1024
MAX_CSV_BYTES = 256 * 1024 * 1024
MAX_ZIP_TOTAL_BYTES = 1024 * 1024 * 1024
MAX_SPREADSHEET_BYTES = 256 * 1024 * 1024
# Deflate cannot exceed about 1030:1; text lists compress 3:1 to 50:1. A higher ratio is a zip bomb.
MAX_ZIP_RATIO = 200
ZIP_RATIO_CHECK_FROM_BYTES = 1024 * 1024
MAX_ZIP_MEMBERS = 10_000
READ_CHUNK_BYTES = 256 * 1024

# Encodings an XML list may declare. Lists are published in UTF-8; the single-byte ones are accepted only when
# declared, because then the bytes mean what the declaration says.
_ACCEPTED_XML_ENCODINGS = {
    "utf-8",
    "utf8",
    "us-ascii",
    "ascii",
    "iso-8859-1",
    "latin-1",
    "latin1",
    "windows-1252",
    "cp1252",
}


# What reading a damaged zip can raise: a bad header, a CRC mismatch, a truncated or corrupt deflate stream.
ZIP_READ_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError)


def fail(reason: str) -> ParseError:
    """A ParseError to raise; a function so call sites read ``raise fail(...)``."""
    return ParseError(reason)


# ---------------------------------------------------------------------------------------------------------------
# Text clean-up


def clean(value: Any) -> str:
    """Collapse whitespace; None and the OFAC empty marker ``-0-`` become ""."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    return "" if text == "-0-" else text


def fold(text: str) -> str:
    """Accents dropped and case folded: how regime labels and alias words are compared across publications."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def folded_words(text: str) -> list[str]:
    """The words of ``text``, folded, apostrophes dropped (KATA'IB and KATAIB are one word)."""
    return re.findall(r"[a-z0-9]+", fold(text).replace("'", "").replace("’", ""))


def check_field_size(value: str | None, where: str) -> None:
    if value is not None and len(value) > MAX_FIELD_CHARS:
        raise fail(f"{where}: a single field is {len(value):,} characters long (limit {MAX_FIELD_CHARS:,})")


def snake_case(label: str) -> str:
    words = re.findall(r"[a-z0-9]+", label.casefold())
    return "_".join(words) or "other"


def split_numbered(text: str) -> list[str]:
    """Split "1) Saudi Arabia 2) Qatar", "(1) X (2) Y" or "(a) X (b) Y" into items; other text is one item."""
    text = clean(text)
    if not text:
        return []
    marker = re.compile(r"(?:^|\s)\(?(?:[1-9][0-9]?|[a-h])\)\s+")
    starts = [m for m in marker.finditer(text)]
    if len(starts) < 2 and not (starts and starts[0].start() == 0):
        return [text]
    items = []
    for index, match in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(text)
        item = text[match.end() : end].strip(" ,;.")
        if item:
            items.append(item)
    head = text[: starts[0].start()].strip(" ,;.")
    return ([head] if head else []) + items


# ---------------------------------------------------------------------------------------------------------------
# Scripts


_SCRIPT_OF_UNICODE_NAME = (
    ("LATIN", "Latn"),
    ("ARABIC", "Arab"),
    ("CYRILLIC", "Cyrl"),
    ("CJK", "Hani"),
    ("HANGUL", "Hang"),
    ("HEBREW", "Hebr"),
    ("GREEK", "Grek"),
    ("GEORGIAN", "Geor"),
    ("ARMENIAN", "Armn"),
    ("THAI", "Thai"),
    ("MYANMAR", "Mymr"),
    ("HIRAGANA", "Hira"),
    ("KATAKANA", "Kana"),
    ("DEVANAGARI", "Deva"),
    ("BENGALI", "Beng"),
    ("ETHIOPIC", "Ethi"),
    ("KHMER", "Khmr"),
    ("LAO", "Laoo"),
    ("TIBETAN", "Tibt"),
    ("MONGOLIAN", "Mong"),
    ("SINHALA", "Sinh"),
    ("TAMIL", "Taml"),
    ("GUJARATI", "Gujr"),
    ("GURMUKHI", "Guru"),
    ("SYRIAC", "Syrc"),
    ("THAANA", "Thaa"),
)


def detect_script(text: str) -> str | None:
    """ISO 15924 code of the script most letters of ``text`` are written in; None when it has no letters."""
    if text.isascii():
        return "Latn" if any(char.isalpha() for char in text) else None
    counts: dict[str, int] = {}
    for char in text:
        if not char.isalpha():
            continue
        if char.isascii():
            counts["Latn"] = counts.get("Latn", 0) + 1
            continue
        name = unicodedata.name(char, "")
        for prefix, code in _SCRIPT_OF_UNICODE_NAME:
            if name.startswith(prefix):
                counts[code] = counts.get(code, 0) + 1
                break
        else:
            counts["Zyyy"] = counts.get("Zyyy", 0) + 1
    if not counts:
        return None
    return max(sorted(counts), key=counts.__getitem__)


def make_name(
    full: Any, quality: str = "strong", lang: str | None = None, script: str | None = None
) -> Name | None:
    text = clean(full)
    if not text:
        return None
    return Name(full=text, quality=quality, script=script or detect_script(text), lang=lang or None)


# ---------------------------------------------------------------------------------------------------------------
# Dates

_MONTHS = {name.casefold(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.casefold(): number for number, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH_WORD = r"(?P<month>[A-Za-z]{3,9})\.?"


def _iso(year: int, month: int | None = None, day: int | None = None) -> str | None:
    if not 1000 <= year <= 2999:
        return None
    if month is None:
        return f"{year:04d}"
    if not 1 <= month <= 12:
        return None
    if day is None:
        return f"{year:04d}-{month:02d}"
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


_DATE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?:T[\d:.]+)?(?:Z|[+-]\d\d:?\d\d)?"),
        "ymd",
    ),
    (re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})"), "ym"),
    (re.compile(r"(?P<day>\d{1,2}|dd|00)[/.-](?P<month>\d{1,2}|mm|00)[/.-](?P<year>\d{4})"), "dmy_numeric"),
    (re.compile(r"(?P<month>\d{1,2}|mm|00)[/.](?P<year>\d{4})"), "my_numeric"),
    (re.compile(r"(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH_WORD + r",?\s+(?P<year>\d{4})"), "dmy"),
    (re.compile(_MONTH_WORD + r"\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})"), "mdy"),
    (re.compile(_MONTH_WORD + r",?\s+(?P<year>\d{4})"), "my"),
    (re.compile(r"(?P<year>\d{4})"), "y"),
)


def parse_date(text: Any) -> str | None:
    """An ISO date of the precision the text gives ("1956-03-27", "1956-03", "1956"), or None.

    Day-first for numeric dates, as every list here writes them except OFAC's ``Publish_Date`` (see
    :func:`parse_us_date`). "00" or "dd"/"mm" stand for an unknown day or month (OFSI, FCDO).
    """
    value = clean(text).strip(" .")
    if not value:
        return None
    for pattern, shape in _DATE_PATTERNS:
        match = pattern.fullmatch(value)
        if not match:
            continue
        parts = match.groupdict()
        year = int(parts["year"])
        if shape == "y":
            return _iso(year)
        if shape in ("dmy", "mdy", "my"):
            month = _MONTHS.get(parts["month"].casefold())
            if month is None:
                return None
        else:
            raw_month = parts.get("month")
            month = int(raw_month) if raw_month and raw_month.isdigit() and int(raw_month) else None
        raw_day = parts.get("day")
        day = int(raw_day) if raw_day and raw_day.isdigit() and int(raw_day) else None
        if month is None:
            return _iso(year)
        return _iso(year, month, day)
    return None


def parse_us_date(text: Any) -> str | None:
    """OFAC's ``Publish_Date``: month/day/year."""
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", clean(text))
    if not match:
        return None
    return _iso(int(match.group(3)), int(match.group(1)), int(match.group(2)))


_RANGE = re.compile(
    r"(?:between\s+)?(?P<start>.+?)\s*(?:\bto\b|\band\b|(?<=\d)\s*-\s*(?=\d{4}$))\s*(?P<end>.+)", re.I
)


def parse_date_or_range(text: Any) -> str | None:
    """A date or a range "1950 to 1955" / "between 1950 and 1955" / "1960-1962" as "1950/1955"."""
    value = clean(text)
    single = parse_date(value)
    if single:
        return single
    match = _RANGE.fullmatch(value)
    if match:
        start, end = parse_date(match.group("start")), parse_date(match.group("end"))
        if start and end:
            return f"{start}/{end}"
    return None


def publication_date(iso: str | None, raw: Any, where: str) -> dt.date:
    """The publication date a file states; a file that states one badly is rejected, as it cannot be ordered."""
    if iso and len(iso) == 10:
        return dt.date.fromisoformat(iso)
    raise fail(f"{where}: the publication date {clean(raw)[:60]!r} is not a date")


# ---------------------------------------------------------------------------------------------------------------
# Files, zips


def require_file(path: Path, what: str) -> None:
    if not path.exists():
        raise fail(f"{what}: {path} does not exist")
    if not path.is_file():
        raise fail(f"{what}: {path} is not a file")
    if path.stat().st_size == 0:
        raise fail(f"{what}: {path.name} is empty (0 bytes)")


def open_zip(path: Path, *, max_total: int = MAX_ZIP_TOTAL_BYTES) -> zipfile.ZipFile:
    """Open a zip after checking its directory for corruption and for bomb-like sizes.

    Declared sizes are checked before anything is decompressed; zipfile then refuses to produce more bytes than a
    member declares (and checks the CRC), so the declared total bounds what is ever read.
    """
    require_file(path, "zip")
    try:
        archive = zipfile.ZipFile(path)
    except ZIP_READ_ERRORS as exc:
        raise fail(f"{path.name} is not a readable zip file (corrupt or truncated): {exc}") from None
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        raise fail(f"{path.name}: zip holds {len(members):,} files (limit {MAX_ZIP_MEMBERS:,})")
    total = 0
    for info in members:
        if info.flag_bits & 0x1:
            raise fail(f"{path.name}: {info.filename} is encrypted")
        total += info.file_size
        if total > max_total:
            raise fail(
                f"{path.name}: zip declares {total:,}+ bytes uncompressed (limit {max_total:,}); refused as a "
                "possible zip bomb"
            )
        if info.file_size >= ZIP_RATIO_CHECK_FROM_BYTES:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > MAX_ZIP_RATIO:
                raise fail(
                    f"{path.name}: {info.filename} expands {ratio:,.0f} times (limit {MAX_ZIP_RATIO}); refused as a "
                    "possible zip bomb"
                )
    return archive


# ---------------------------------------------------------------------------------------------------------------
# Spreadsheets (UK OFSI, Australia DFAT)


def read_first_sheet(path: Path) -> list[list[Any]]:
    """The first sheet's rows as Python values; a zip bomb or an unreadable file is a ParseError."""
    require_file(path, "spreadsheet")
    # calamine reads the zip itself: its sizes are checked first so a zip bomb is refused before it is opened.
    open_zip(path, max_total=MAX_SPREADSHEET_BYTES).close()
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        names = workbook.sheet_names
        rows = workbook.get_sheet_by_name(names[0]).to_python(skip_empty_area=False) if names else []
    except Exception as exc:  # calamine raises its own error types, ValueError and others alike
        raise fail(f"{path.name} cannot be read as a spreadsheet: {exc}") from None
    if not rows:
        raise fail(f"{path.name} has no rows")
    return rows


def sheet_cell(value: Any) -> str:
    """A spreadsheet value as the text a CSV export would hold (whole numbers without .0, dates in ISO form)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return clean(value)


def read_zip_member(archive: zipfile.ZipFile, name: str, *, limit: int) -> bytes:
    try:
        with archive.open(name) as member:
            data = member.read(limit + 1)
    except ZIP_READ_ERRORS as exc:
        raise fail(f"{name} in the zip cannot be read (corrupt or truncated): {exc}") from None
    if len(data) > limit:
        raise fail(f"{name} is larger than {limit:,} bytes")
    return data


class ZipMemberReader:
    """A zip member as a byte stream whose read errors (CRC, truncation) become ParseErrors. It owns the archive:
    closing the reader closes both."""

    def __init__(self, archive: zipfile.ZipFile, name: str):
        self.name = name
        self._archive = archive
        try:
            self._stream = archive.open(name)
        except ZIP_READ_ERRORS as exc:
            archive.close()
            raise fail(f"{name} in the zip cannot be read: {exc}") from None

    def read(self, size: int = -1) -> bytes:
        try:
            return self._stream.read(size)
        except ZIP_READ_ERRORS as exc:
            raise fail(f"{self.name} in the zip is corrupt or truncated: {exc}") from None

    def close(self) -> None:
        self._stream.close()
        self._archive.close()


def open_xml_stream(path: Path) -> tuple[IO[bytes] | ZipMemberReader, str]:
    """The byte stream of an XML list: the file itself, or the single XML file inside a zip."""
    require_file(path, "XML")
    if zipfile.is_zipfile(path):
        archive = open_zip(path)
        xml_members = [info.filename for info in archive.infolist() if info.filename.lower().endswith(".xml")]
        if len(xml_members) != 1:
            archive.close()
            raise fail(f"{path.name}: expected one XML file in the zip, found {len(xml_members)}")
        return ZipMemberReader(archive, xml_members[0]), xml_members[0]
    return path.open("rb"), path.name


def decode_text(data: bytes, where: str, *, fallback: str | None = None) -> str:
    """Text of a CSV file: UTF-8 (a BOM is allowed), or the ``fallback`` single-byte encoding a publisher is known to
    use. UTF-16/32 and binary data are rejected with a reason rather than decoded into nonsense."""
    if not data:
        raise fail(f"{where} is empty (0 bytes)")
    if data[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff") or data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise fail(f"{where} is UTF-16/UTF-32 encoded (byte order mark found); lists are published in UTF-8")
    if b"\x00" in data[:65536] or b"\x00" in data[-65536:]:
        raise fail(f"{where} contains NUL bytes: it is binary or UTF-16 text, not a UTF-8 CSV file")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if fallback:
            try:
                return data.decode(fallback)
            except UnicodeDecodeError:
                pass
        raise fail(
            f"{where} is not valid UTF-8 (byte 0x{data[exc.start]:02X} at offset {exc.start:,}): wrong or damaged "
            "text encoding"
        ) from None


# ---------------------------------------------------------------------------------------------------------------
# XML


def local_name(tag: Any) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


_XML_DECLARATION = re.compile(rb"^<\?xml\s[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")


def _check_xml_prolog(head: bytes, where: str) -> None:
    """Reject before parsing what the parser must never be asked to handle: UTF-16/32 text, unexpected declared
    encodings, and any DOCTYPE (entity declarations enable billion-laughs expansion and external entities; no list
    uses a DOCTYPE). The DOCTYPE must precede the root element, so scanning the prolog is enough."""
    if not head.strip():
        raise fail(f"{where} is empty")
    if head[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff") or head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise fail(f"{where} is UTF-16/UTF-32 encoded (byte order mark found); lists are published in UTF-8")
    if b"\x00" in head[:4096]:
        raise fail(f"{where} contains NUL bytes: it is UTF-16/UTF-32 text or binary, not UTF-8 XML")
    text = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    declared = _XML_DECLARATION.match(text)
    if declared:
        encoding = declared.group(1).decode("ascii").lower()
        if encoding not in _ACCEPTED_XML_ENCODINGS:
            raise fail(f"{where} declares the text encoding {encoding!r}; lists are published in UTF-8")
    position = 0
    length = len(text)
    while True:
        while position < length and text[position : position + 1] in b" \t\r\n":
            position += 1
        if position >= length:
            if length >= MAX_XML_PROLOG_BYTES:
                raise fail(f"{where}: no root element within the first {MAX_XML_PROLOG_BYTES:,} bytes")
            return  # a short document of only a prolog: the parser reports it
        if text.startswith(b"<?", position):
            end = text.find(b"?>", position)
        elif text.startswith(b"<!--", position):
            end = text.find(b"-->", position)
        elif text.startswith(b"<!", position):
            if text[position : position + 9].upper() == b"<!DOCTYPE":
                entities = b"<!ENTITY" in text[position:]
                raise fail(
                    f"{where} contains a DOCTYPE declaration"
                    + (" with entity declarations" if entities else "")
                    + "; refused: entities are never expanded or fetched, and no sanctions list uses a DOCTYPE"
                )
            return
        else:
            return  # the root element (or text the parser will reject)
        if end < 0:
            if length >= MAX_XML_PROLOG_BYTES:
                raise fail(f"{where}: the XML prolog is longer than {MAX_XML_PROLOG_BYTES:,} bytes")
            return
        position = end + 2


def _xml_error_reason(exc: etree.XMLSyntaxError, where: str, *, at_end: bool = False) -> str:
    message = re.sub(r",? line \d+, column \d+$", "", str(exc.msg or exc).strip())
    # libxml2's advice to lift its limits is not advice for an operator of this service.
    message = re.sub(r",?\s*use XML_PARSE_HUGE option", "", message)
    line, column = (exc.position or (0, 0))[:2]
    at = f" at line {line}, column {column}" if line else ""
    lowered = message.lower()
    if at_end or "premature end" in lowered or "end of data" in lowered:
        hint = "the file is truncated: it ends before the document does"
    elif (
        "not proper utf-8" in lowered
        or "encoding" in lowered
        or "char value" in lowered
        or "invalid char" in lowered
    ):
        hint = (
            "the text encoding is wrong or damaged (characters that cannot appear in the declared encoding)"
        )
    elif "entityref" in lowered or "entity" in lowered:
        hint = "an unescaped '&' or an undeclared entity reference"
    elif "document is empty" in lowered or "start tag expected" in lowered:
        hint = "no XML content"
    elif "excessive depth" in lowered:
        hint = "elements nested absurdly deep"
    elif "huge" in lowered:
        hint = "a text node or attribute is absurdly large"
    else:
        hint = "the file is not well-formed XML"
    return f"{where} is not well-formed XML{at}: {message} ({hint})"


@dataclass
class XmlStream:
    """Streaming reader of one XML list: checks the root element, hands over record elements one at a time with
    namespaces stripped from their tags, and frees them afterwards so memory stays flat whatever the file size."""

    stream: Any
    where: str
    roots: set[str]
    records: set[str]
    # Elements whose end is announced (yielded, already emptied) when they close outside a record: lets a reader
    # tell which container the records it saw belonged to (the sheets of a spreadsheet).
    markers: set[str] = field(default_factory=set)
    root_attributes: dict[str, str] = field(default_factory=dict)

    def __iter__(self) -> Iterator[etree._Element]:
        parser = etree.XMLPullParser(
            events=("start", "end"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
            dtd_validation=False,
        )
        depth = 0
        record_depth = 0  # depth of the record element being read, 0 when outside a record
        record_elements = 0
        seen_root = False
        first = True
        try:
            while True:
                chunk = self.stream.read(READ_CHUNK_BYTES)
                if first:
                    first = False
                    _check_xml_prolog(chunk[:MAX_XML_PROLOG_BYTES], self.where)
                if not chunk:
                    try:
                        parser.close()
                    except etree.XMLSyntaxError as exc:
                        raise fail(_xml_error_reason(exc, self.where, at_end=True)) from None
                    events: Iterable[tuple[str, Any]] = parser.read_events()
                else:
                    parser.feed(chunk)
                    events = parser.read_events()
                for event, element in events:
                    if event == "start":
                        depth += 1
                        if depth > MAX_XML_DEPTH:
                            raise fail(
                                f"{self.where}: elements are nested more than {MAX_XML_DEPTH} levels deep"
                            )
                        if not seen_root:
                            seen_root = True
                            self._check_root(element)
                            continue
                        if record_depth:
                            record_elements += 1
                            if record_elements > MAX_ELEMENTS_PER_RECORD:
                                raise fail(
                                    f"{self.where}: one record holds more than {MAX_ELEMENTS_PER_RECORD:,} elements"
                                )
                        elif local_name(element.tag) in self.records:
                            record_depth = depth
                            record_elements = 1
                        continue
                    # end event
                    check_field_size(element.text, self.where)
                    check_field_size(element.tail, self.where)
                    if record_depth and depth == record_depth:
                        record_depth = 0
                        self._prepare_record(element)
                        yield element
                        self._free(element)
                    elif not record_depth and depth > 1:
                        self._free(element)
                        if self.markers and local_name(element.tag) in self.markers:
                            element.tag = local_name(element.tag)
                            yield element
                    depth -= 1
                if not chunk:
                    break
        except etree.XMLSyntaxError as exc:
            raise fail(_xml_error_reason(exc, self.where)) from None
        finally:
            close = getattr(self.stream, "close", None)
            if close:
                close()
        if not seen_root:
            raise fail(f"{self.where} has no root element")

    def _check_root(self, element: etree._Element) -> None:
        docinfo = element.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None:
            raise fail(f"{self.where} contains a DOCTYPE declaration; refused (entities are never expanded)")
        name = local_name(element.tag)
        if name not in self.roots:
            expected = " or ".join(f"<{root}>" for root in sorted(self.roots))
            raise fail(
                f"{self.where}: the root element is <{name}>, expected {expected}: not this kind of list"
            )
        for key, value in element.attrib.items():
            check_field_size(value, self.where)
            self.root_attributes[local_name(key)] = value

    def _prepare_record(self, record: etree._Element) -> None:
        for element in record.iter():
            tag = element.tag
            if isinstance(tag, str) and tag.startswith("{"):
                element.tag = tag.rpartition("}")[2]
            for value in element.attrib.values():
                check_field_size(value, self.where)

    @staticmethod
    def _free(element: etree._Element) -> None:
        element.clear(keep_tail=False)
        parent = element.getparent()
        if parent is not None:
            while element.getprevious() is not None:
                del parent[0]


def text_of(element: etree._Element | None, path: str | None = None) -> str:
    """Cleaned text of an element or of its first descendant at ``path`` (namespace-free tags)."""
    if element is None:
        return ""
    target = element.find(path) if path else element
    if target is None:
        return ""
    return clean(target.text)


def texts_of(element: etree._Element | None, path: str) -> list[str]:
    if element is None:
        return []
    return [value for value in (clean(child.text) for child in element.iterfind(path)) if value]


# ---------------------------------------------------------------------------------------------------------------
# Building entries


@dataclass
class EntryDraft:
    """Mutable collector for one entry; lists keep first-seen order and drop repeats."""

    source: str
    list_id: str
    kind: str
    names: list[Name] = field(default_factory=list)
    birth_dates: list[str] = field(default_factory=list)
    birth_places: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)
    citizenships: list[str] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    programs: list[str] = field(default_factory=list)
    listed_on: str | None = None
    remarks: str | None = None
    links: list[Link] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    # Names the list gave as "Linked To: NAME", resolved to list ids once the whole file is read.
    linked_names: list[str] = field(default_factory=list)

    def add_name(self, name: Name | None, *, primary: bool = False) -> None:
        if name is None:
            return
        if primary:
            self.names.insert(0, name)
        elif name not in self.names:
            self.names.append(name)

    def add(self, attribute: str, value: Any) -> None:
        if value is None or value == "":
            return
        values = getattr(self, attribute)
        if value not in values:
            values.append(value)

    def add_extra(self, key: str, value: Any) -> None:
        text = clean(value) if not isinstance(value, bool) else ("true" if value else "false")
        if not text:
            return
        values = self.extra.setdefault(key, [])
        if text not in values:
            values.append(text)

    def set_listed_on(self, iso: str | None) -> None:
        # The earliest date wins: an entry listed under several programmes was first listed on the earliest one.
        if iso and (self.listed_on is None or iso < self.listed_on):
            self.listed_on = iso

    def add_country(
        self,
        attribute: str,
        raw: Any,
        publication: Publication,
        unmapped_field: str,
        code: Callable[[str], str | None],
    ) -> None:
        text = clean(raw)
        if not text:
            return
        iso = code(text)
        if iso:
            self.add(attribute, iso)
        else:
            publication.note_unmapped(unmapped_field, text)

    def build(self) -> Entry:
        names = list(self.names)
        if names:
            primary, rest = names[0], names[1:]
            names = [primary] + [name for name in rest if name != primary]
        return Entry(
            source=self.source,
            list_id=self.list_id,
            kind=self.kind,
            names=names,
            birth_dates=self.birth_dates,
            birth_places=self.birth_places,
            nationalities=self.nationalities,
            citizenships=self.citizenships,
            identifiers=self.identifiers,
            addresses=self.addresses,
            programs=self.programs,
            listed_on=self.listed_on,
            remarks=self.remarks or None,
            links=self.links,
            extra=self.extra,
        )


def join_address(*parts: Any) -> str:
    """One address string from its parts, skipping empty and repeated parts."""
    seen: list[str] = []
    for part in parts:
        text = clean(part).strip(" ,")
        if text and text not in seen:
            seen.append(text)
    return ", ".join(seen)


def new_publication(source: str, format_name: str) -> Publication:
    return Publication(source=source, format=format_name, entries=[])


def finish(publication: Publication, drafts: Iterable[EntryDraft], where: str) -> Publication:
    """Turn drafts into entries; a publication without entries or with an id twice is not a valid list.

    An entry the list publishes without any name (the FCDO summary has one) is still a designation: it is kept, with
    no names, and counted."""
    entries: list[Entry] = []
    seen: set[str] = set()
    for draft in drafts:
        if not draft.names:
            publication.note_unmapped("entry.no_name", draft.list_id)
        if draft.list_id in seen:
            raise fail(f"{where}: the list id {draft.list_id!r} appears on two entries")
        seen.add(draft.list_id)
        entries.append(draft.build())
    if not entries:
        raise fail(f"{where} holds no entries")
    publication.entries = entries
    return publication


def read_head(path: Path, size: int = 4096) -> bytes:
    with path.open("rb") as handle:
        return handle.read(size)


def sniff_xml_root(head: bytes) -> str | None:
    """Local name of the root element, read from the first bytes without parsing the document."""
    text = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    text = re.sub(rb"<\?.*?\?>|<!--.*?-->", b"", text, flags=re.S)
    match = re.search(rb"<([A-Za-z_][\w.:-]*)", text)
    if not match:
        return None
    return match.group(1).decode("ascii", "replace").rpartition(":")[2]
