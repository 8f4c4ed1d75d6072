"""UK lists: the OFSI Consolidated List (ConList) as a spreadsheet or CSV, and the FCDO UK Sanctions List as XML
or as its 8-column summary spreadsheet (ODS).

OFSI writes one row per name; the rows of one designation share a Group ID, which is the entry's list id, and their
names, dates of birth, nationalities... are merged. The first line(s) say "Last Updated,<date>": the publication
date. The FCDO XML has one <Designation> per regime a person or entity is designated under, identified by its
UniqueID ("AFG0001"). The ODS summary only has the id, one name, the regime, the type and the designation date, and
states no publication date.

One UK list, whichever file it came from. Since 28 January 2026 the FCDO list is the only official UK list; a
deployment that followed the OFSI ConList and now follows the FCDO file must see the same entries, not a mass
delisting followed by thousands of new designations. So an FCDO designation that carries an OFSI Group ID is keyed
by it, and the designations sharing one (a person OFSI listed once under two regimes, such as "BEL0005 and GHR0055")
are merged into one entry, with both regimes, as OFSI published it. A designation without an OFSI Group ID (those
made after the ConList closed) is keyed by its FCDO UniqueID. Group IDs are numbers and UniqueIDs start with
letters, so the two never collide. The UniqueIDs of an entry are in ``extra["uk_sanctions_list_ref"]``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from lxml import etree

from app.lists.parsers.common import (
    MAX_CSV_BYTES,
    EntryDraft,
    XmlStream,
    ZipMemberReader,
    check_field_size,
    clean,
    decode_text,
    detect_script,
    fail,
    finish,
    join_address,
    make_name,
    new_publication,
    open_xml_stream,
    open_zip,
    parse_date,
    publication_date,
    read_first_sheet,
    require_file,
    sheet_cell,
    split_numbered,
    text_of,
    texts_of,
)
from app.lists.parsers.countries import country_code
from app.lists.records import Identifier, Name, Publication

OFSI_XLSX = "ofsi_xlsx"
OFSI_CSV = "ofsi_csv"
FCDO_XML = "fcdo_xml"
FCDO_ODS = "fcdo_ods"

_GROUP_KINDS = {"individual": "person", "entity": "organization", "ship": "vessel"}
_LANGUAGES = {
    "arabic": "ar",
    "belarusian": "be",
    "bulgarian": "bg",
    "burmese": "my",
    "chinese": "zh",
    "georgian": "ka",
    "greek": "el",
    "hebrew": "he",
    "kazakh": "kk",
    "korean": "ko",
    "persian": "fa",
    "persian/farsi": "fa",
    "farsi": "fa",
    "russian": "ru",
    "serbian": "sr",
    "thai": "th",
    "turkish": "tr",
    "ukrainian": "uk",
}
# An identity document number as OFSI writes them: up to three capital letters, then digits with letters, "/", "."
# or "-" among them, possibly in space-separated digit groups ("G557170", "B/011641", "96 03 464086", "911- 10-77").
_DOCUMENT_NUMBER = re.compile(r"(?<!\w)[A-Z]{0,3}[/ -]?\d[\dA-Z/.-]*(?: \d[\dA-Z/.-]*)*")
# Words around a number that are not part of it.
_DOCUMENT_WORDS = re.compile(r"\b(?:passport|number|numbers|no|nr|ref)\b\.?\s*:?", re.I)
_DOCUMENT_DATES = re.compile(r"\b(?:issued|expire[sd]?|expiring|valid)\b.*", re.I)
_OTHER_INFORMATION_FIELDS = {
    "uk sanctions list ref": "uk_sanctions_list_ref",
    "gender": "gender",
    "website": "website",
    "email": "email",
    "phone number": "phone",
    "type of entity": "type_of_entity",
}
# What the database keeps of a list id; FCDO UniqueIDs have seven characters.
_MAX_UNIQUE_ID_CHARS = 100
_IMO_IN_TEXT = re.compile(r"\bIMO(?: number)?\s*:?\s*(\d{7})\b", re.I)


# ---------------------------------------------------------------------------------------------------------------
# OFSI ConList (xlsx and CSV share the columns, one row per name)


def parse_ofsi_xlsx(source: str, path: Path) -> Publication:
    rows = read_first_sheet(path)
    return _parse_ofsi_rows(source, OFSI_XLSX, rows, path.name)


def parse_ofsi_csv(source: str, path: Path) -> Publication:
    require_file(path, "OFSI CSV")
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        raise fail(f"{path.name} is {size:,} bytes (limit {MAX_CSV_BYTES:,})")
    data = path.read_bytes()
    # OFSI published its CSV in Windows-1252; UTF-8 is tried first.
    text = decode_text(data, path.name, fallback="cp1252")
    if not text.endswith(("\n", "\r")):
        # Every OFSI CSV ends with a line break; without one the last row may be cut mid-field.
        raise fail(f"{path.name} does not end with a line break: the file is truncated")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        rows = [row for row in reader]
    except csv.Error as exc:
        raise fail(
            f"{path.name} line {reader.line_num}: {exc} (the file is truncated or not a CSV file)"
        ) from None
    return _parse_ofsi_rows(source, OFSI_CSV, rows, path.name)


def _parse_ofsi_rows(
    source: str, format_name: str, raw_rows: Sequence[Sequence[Any]], where: str
) -> Publication:
    publication = new_publication(source, format_name)
    header_index = None
    last_updated_raw = ""
    for index, row in enumerate(raw_rows[:10]):
        cells = [sheet_cell(value) for value in row]
        if cells and cells[0].casefold() == "last updated" and len(cells) > 1:
            last_updated_raw = cells[1]
        if cells and cells[0].casefold() == "name 6":
            header_index = index
            break
    if header_index is None:
        raise fail(f"{where}: no 'Name 6' header row: not an OFSI Consolidated List")
    header = [sheet_cell(value) for value in raw_rows[header_index]]
    columns = {name.casefold(): position for position, name in enumerate(header) if name}
    missing = [name for name in ("name 6", "group type", "group id") if name not in columns]
    if missing:
        raise fail(f"{where}: the header has no {', '.join(missing)} column: not an OFSI Consolidated List")
    if not last_updated_raw:
        raise fail(f"{where}: no 'Last Updated' line before the header: the publication date is missing")
    publication.published = publication_date(parse_date(last_updated_raw), last_updated_raw, where)

    def get(cells: list[str], name: str) -> str:
        position = columns.get(name)
        return cells[position] if position is not None and position < len(cells) else ""

    drafts: dict[str, EntryDraft] = {}
    with_primary: set[str] = set()
    for offset, row in enumerate(raw_rows[header_index + 1 :], start=header_index + 2):
        cells = [sheet_cell(value) for value in row]
        if not any(cells):
            continue
        for value in cells:
            check_field_size(value, f"{where} row {offset}")
        if len(cells) != len(header):
            raise fail(f"{where} row {offset}: {len(cells)} fields where the header has {len(header)}")
        group_id = get(cells, "group id")
        if not group_id.isdigit():
            raise fail(f"{where} row {offset}: the Group ID {group_id[:40]!r} is not a number")
        draft = drafts.get(group_id)
        group_type = get(cells, "group type").casefold()
        if draft is None:
            kind = _GROUP_KINDS.get(group_type)
            if kind is None:
                publication.note_unmapped("kind.unknown", group_type)
                kind = "other"
            draft = drafts[group_id] = EntryDraft(source=source, list_id=group_id, kind=kind)
        _merge_ofsi_row(draft, publication, cells, get, with_primary)
    return finish(publication, drafts.values(), where)


def _merge_ofsi_row(
    draft: EntryDraft,
    publication: Publication,
    cells: list[str],
    get: Callable[[list[str], str], str],
    with_primary: set[str],
) -> None:
    full = " ".join(part for part in (get(cells, f"name {n}") for n in (1, 2, 3, 4, 5, 6)) if part)
    alias_type = get(cells, "alias type").casefold()
    alias_quality = get(cells, "alias quality").casefold()
    if alias_type in ("primary name", "prime alias"):
        name = make_name(full)
        # Rows of one group repeat the primary name (once per date of birth...): the first one is the primary.
        if name and draft.list_id not in with_primary:
            draft.add_name(name, primary=True)
            with_primary.add(draft.list_id)
        else:
            draft.add_name(name)
    elif alias_type == "fka":
        draft.add_name(make_name(full, "former"))
    elif alias_type in ("aka", "primary name variation", ""):
        draft.add_name(make_name(full, "weak" if alias_quality.startswith("low") else "strong"))
    else:
        publication.note_unmapped("alias.unknown_type", alias_type)
        draft.add_name(make_name(full))
    non_latin = get(cells, "name non-latin script")
    if non_latin:
        language = get(cells, "non-latin script language")
        draft.add_name(
            Name(
                full=non_latin,
                quality="strong",
                script=detect_script(non_latin),
                lang=_LANGUAGES.get(language.casefold()),
            )
        )
    draft.add_extra("title", get(cells, "title"))
    dob = get(cells, "dob")
    if dob:
        iso = parse_date(dob)
        if iso:
            draft.add("birth_dates", iso)
        else:
            publication.note_unmapped("birth_date.unparsed", dob)
    draft.add("birth_places", join_address(get(cells, "town of birth"), get(cells, "country of birth")))
    for nationality in split_numbered(get(cells, "nationality")):
        codes = _countries(nationality)
        if codes:
            for code in codes:
                draft.add("nationalities", code)
        else:
            publication.note_unmapped("nationality.unknown_country", nationality)
    _documents(draft, publication, "passport", get(cells, "passport number"), get(cells, "passport details"))
    _documents(
        draft,
        publication,
        "national_id",
        get(cells, "national identification number"),
        get(cells, "national identification details") or get(cells, "ni number"),
    )
    draft.add_extra("position", get(cells, "position"))
    address = join_address(
        *(get(cells, f"address {n}") for n in range(1, 7)), get(cells, "post/zip code"), get(cells, "country")
    )
    draft.add("addresses", address)
    other = get(cells, "other information")
    if other:
        if not draft.remarks:
            draft.remarks = other
        elif other not in draft.remarks:
            draft.remarks += "\n" + other
        _other_information(draft, other)
    draft.add("programs", get(cells, "regime"))
    draft.set_listed_on(parse_date(get(cells, "listed on")))
    draft.add_extra("date_designated", parse_date(get(cells, "uk sanctions list date designated")))
    draft.add_extra("last_updated", parse_date(get(cells, "last updated")))


def _countries(text: str) -> list[str]:
    """ISO codes of a nationality cell: one country, or several written in one cell ("Estonia, Russia",
    "Germany. Russia") when every part is a country; [] when it cannot be read as countries."""
    code = country_code(text)
    if code:
        return [code]
    parts = [part for part in re.split(r"\s*(?:[,.;/]|\band\b)\s*", text) if part]
    codes = [country_code(part) for part in parts]
    if len(parts) > 1 and all(codes):
        return [code for code in codes if code]
    return []


def _documents(draft: EntryDraft, publication: Publication, id_type: str, numbers: str, details: str) -> None:
    """OFSI identity documents: a number column (newer layout) with free-text details, or details alone (older
    layout), either possibly numbered "(1) ... (2) ...". Numbers are taken from the text; the text is the note."""
    number_items = split_numbered(numbers)
    detail_items = split_numbered(details)
    if number_items:
        paired = len(detail_items) == len(number_items)
        for index, number in enumerate(number_items):
            note = detail_items[index] if paired else clean(details)
            _add_document(draft, id_type, _document_number(number) or number, note)
        return
    for item in detail_items:
        number = _document_number(item)
        if number is None:
            publication.note_unmapped(f"{id_type}.no_number", item)
            draft.add_extra(f"{id_type}_details", item)
            continue
        _add_document(draft, id_type, number, item)


def _document_number(text: str) -> str | None:
    """The first thing in ``text`` that looks like a document number (at least three characters), ignoring the
    dates of issue and expiry that follow it."""
    words_removed = _DOCUMENT_WORDS.sub(" ", _DOCUMENT_DATES.sub("", text))
    for match in _DOCUMENT_NUMBER.finditer(words_removed):
        number = match.group(0).strip(" .,;/-")
        if len(number) >= 3:
            return number
    return None


def _add_document(draft: EntryDraft, id_type: str, number: str, note: str) -> None:
    country = None
    for candidate in re.findall(r"\(([^()]+)\)", note) + [note.split(" ")[0] if note else ""]:
        country = country_code(candidate)
        if country:
            break
    draft.add("identifiers", Identifier(id_type, number.strip(" .,;"), country, note or None))


def _other_information(draft: EntryDraft, text: str) -> None:
    # "(Label):value" pairs; a value ends at the next label or at the end of its sentence.
    for label, value in re.findall(
        r"\(([A-Za-z][A-Za-z ]{1,40})\)\s*:\s*(.*?)(?=\.\s|\s*\([A-Za-z][A-Za-z ]{1,40}\)\s*:|$)", text
    ):
        key = _OTHER_INFORMATION_FIELDS.get(label.strip().casefold())
        if key:
            draft.add_extra(key, value.strip().rstrip("."))
    for imo in _IMO_IN_TEXT.findall(text):
        draft.add("identifiers", Identifier("imo", imo))


# ---------------------------------------------------------------------------------------------------------------
# FCDO UK Sanctions List XML

_FCDO_NAME_TYPES = {"primary name": "primary", "primary name variation": "strong", "alias": "alias"}
_FCDO_KNOWN = {
    "Designation", "LastUpdated", "DateDesignated", "UniqueID", "OFSIGroupID", "UNReferenceNumber", "Names", "Name",
    "Name1", "Name2", "Name3", "Name4", "Name5", "Name6", "NameType", "AliasStrength", "NonLatinNames",
    "NonLatinName", "NameNonLatinScript", "NonLatinScriptType", "NonLatinScriptLanguage", "Titles", "Title",
    "RegimeName", "IndividualEntityShip", "DesignationSource", "SanctionsImposed", "SanctionsImposedIndicators",
    "OtherInformation", "UKStatementofReasons", "Addresses", "Address", "AddressLine1", "AddressLine2",
    "AddressLine3", "AddressLine4", "AddressLine5", "AddressLine6", "AddressPostalCode", "AddressCountry",
    "PhoneNumbers", "PhoneNumber", "EmailAddresses", "EmailAddress", "Websites", "Website", "IndividualDetails",
    "Individual", "DOBs", "DOB", "Nationalities", "Nationality", "PassportDetails", "Passport", "PassportNumber",
    "PassportAdditionalInformation", "NationalIdentifierDetails", "NationalIdentifier", "NationalIdentifierNumber",
    "NationalIdentifierAdditionalInformation", "Positions", "Position", "BirthDetails", "Location", "TownOfBirth",
    "CountryOfBirth", "Genders", "Gender", "EntityDetails", "Entity", "TypeOfEntities", "TypeOfEntity",
    "BusinessRegistrationNumbers", "BusinessRegistrationNumber", "ParentCompanies", "ParentCompany", "Subsidiaries",
    "Subsidiary", "ShipDetails", "Ship", "IMONumbers", "IMONumber", "CurrentOwnerOperators", "CurrentOwnerOperator",
    "PreviousOwnerOperators", "PreviousOwnerOperator", "CurrentBelievedFlagOfShips", "CurrentBelievedFlagOfShip",
    "PreviousFlags", "PreviousFlag", "TypeOfShips", "TypeOfShip", "Tonnages", "Tonnage", "Lengths", "Length",
    "YearBuilts", "YearBuilt", "HullIdentificationNumbers", "HullIdentificationNumber",
}  # fmt: skip


def parse_fcdo_xml(source: str, path: Path) -> Publication:
    stream, where = open_xml_stream(path)
    publication = new_publication(source, FCDO_XML)
    drafts: list[EntryDraft] = []
    for record in XmlStream(stream, where, roots={"Designations"}, records={"DateGenerated", "Designation"}):
        if record.tag == "DateGenerated":
            raw = text_of(record)
            publication.published = publication_date(parse_date(raw), raw, where)
            continue
        drafts.append(_fcdo_entry(source, record, publication, where))
    if publication.published is None:
        raise fail(f"{where}: no <DateGenerated>: the publication date is missing")
    return finish(publication, _one_entry_per_ofsi_group(drafts, where), where)


def _fcdo_entry(source: str, record: etree._Element, publication: Publication, where: str) -> EntryDraft:
    unique_id = text_of(record, "UniqueID")
    if not unique_id:
        raise fail(f"{where}: a <Designation> has no <UniqueID>")
    type_text = text_of(record, "IndividualEntityShip")
    kind = _GROUP_KINDS.get(type_text.casefold())
    if kind is None:
        publication.note_unmapped("kind.unknown", type_text)
        kind = "other"
    draft = EntryDraft(source=source, list_id=unique_id, kind=kind)
    draft.add_extra("uk_sanctions_list_ref", unique_id)
    primary_set = False
    for name_element in record.iterfind("Names/Name"):
        full = " ".join(
            part for part in (text_of(name_element, f"Name{n}") for n in (1, 2, 3, 4, 5, 6)) if part
        )
        name_type = _FCDO_NAME_TYPES.get(text_of(name_element, "NameType").casefold(), "alias")
        strength = text_of(name_element, "AliasStrength").casefold()
        if name_type == "primary" and not primary_set:
            draft.add_name(make_name(full), primary=True)
            primary_set = bool(full)
        else:
            draft.add_name(make_name(full, "weak" if strength.startswith("low") else "strong"))
    for non_latin in record.iterfind("NonLatinNames/NonLatinName"):
        text = text_of(non_latin, "NameNonLatinScript")
        if text:
            language = text_of(non_latin, "NonLatinScriptLanguage")
            draft.add_name(
                Name(full=text, script=detect_script(text), lang=_LANGUAGES.get(language.casefold()))
            )
    for title in texts_of(record, "Titles/Title"):
        draft.add_extra("title", title)
    draft.add("programs", text_of(record, "RegimeName"))
    draft.set_listed_on(parse_date(text_of(record, "DateDesignated")))
    draft.add_extra("last_updated", parse_date(text_of(record, "LastUpdated")))
    draft.add_extra("ofsi_group_id", text_of(record, "OFSIGroupID"))
    draft.add_extra("un_reference_number", text_of(record, "UNReferenceNumber"))
    draft.add_extra("designation_source", text_of(record, "DesignationSource"))
    for sanction in text_of(record, "SanctionsImposed").split("|"):
        draft.add_extra("sanctions_imposed", sanction)
    for indicator in record.iterfind("SanctionsImposedIndicators/*"):
        # The same measures as SanctionsImposed, as flags; kept by name when set.
        if text_of(indicator).casefold() == "true":
            draft.add_extra("sanctions_indicators", indicator.tag)
    draft.remarks = text_of(record, "OtherInformation") or None
    draft.add_extra("statement_of_reasons", text_of(record, "UKStatementofReasons"))
    for address in record.iterfind("Addresses/Address"):
        draft.add(
            "addresses",
            join_address(
                *(text_of(address, f"AddressLine{n}") for n in range(1, 7)),
                text_of(address, "AddressPostalCode"),
                text_of(address, "AddressCountry"),
            ),
        )
    for value in texts_of(record, "PhoneNumbers/PhoneNumber"):
        draft.add_extra("phone", value)
    for value in texts_of(record, "EmailAddresses/EmailAddress"):
        draft.add_extra("email", value)
    for value in texts_of(record, "Websites/Website"):
        draft.add_extra("website", value)
    for individual in record.iterfind("IndividualDetails/Individual"):
        _fcdo_individual(individual, draft, publication)
    for entity in record.iterfind("EntityDetails/Entity"):
        for value in texts_of(entity, "TypeOfEntities/TypeOfEntity"):
            draft.add_extra("type_of_entity", value)
        for value in texts_of(entity, "BusinessRegistrationNumbers/BusinessRegistrationNumber"):
            draft.add("identifiers", Identifier("registration", value))
        for value in texts_of(entity, "ParentCompanies/ParentCompany"):
            draft.add_extra("parent_company", value)
        for value in texts_of(entity, "Subsidiaries/Subsidiary"):
            draft.add_extra("subsidiary", value)
    for ship in record.iterfind("ShipDetails/Ship"):
        for value in texts_of(ship, "IMONumbers/IMONumber"):
            imo = re.search(r"\d{7}", value)
            draft.add("identifiers", Identifier("imo", imo.group(0) if imo else value))
        for path, key in (
            ("CurrentOwnerOperators/CurrentOwnerOperator", "vessel_owner"),
            ("PreviousOwnerOperators/PreviousOwnerOperator", "former_vessel_owner"),
            ("CurrentBelievedFlagOfShips/CurrentBelievedFlagOfShip", "vessel_flag"),
            ("PreviousFlags/PreviousFlag", "former_vessel_flag"),
            ("TypeOfShips/TypeOfShip", "vessel_type"),
            ("Tonnages/Tonnage", "tonnage"),
            ("Lengths/Length", "length"),
            ("YearBuilts/YearBuilt", "vessel_year_of_build"),
            ("HullIdentificationNumbers/HullIdentificationNumber", "hull_identification_number"),
        ):
            for value in texts_of(ship, path):
                draft.add_extra(key, value)
    indicators = record.find("SanctionsImposedIndicators")
    for element in record.iter():
        if element.getparent() is indicators:
            continue
        unknown_leaf = isinstance(element.tag, str) and element.tag not in _FCDO_KNOWN and not len(element)
        if unknown_leaf and clean(element.text):
            publication.note_unmapped(f"fcdo_xml.{element.tag}", clean(element.text))
    return draft


def _fcdo_individual(individual: etree._Element, draft: EntryDraft, publication: Publication) -> None:
    for dob in texts_of(individual, "DOBs/DOB"):
        iso = parse_date(dob)
        if iso:
            draft.add("birth_dates", iso)
        else:
            publication.note_unmapped("birth_date.unparsed", dob)
    for nationality in texts_of(individual, "Nationalities/Nationality"):
        draft.add_country(
            "nationalities", nationality, publication, "nationality.unknown_country", country_code
        )
    for passport in individual.iterfind("PassportDetails/Passport"):
        number = text_of(passport, "PassportNumber")
        if number:
            _add_document(draft, "passport", number, text_of(passport, "PassportAdditionalInformation"))
    for national_id in individual.iterfind("NationalIdentifierDetails/NationalIdentifier"):
        number = text_of(national_id, "NationalIdentifierNumber")
        if number:
            _add_document(
                draft, "national_id", number, text_of(national_id, "NationalIdentifierAdditionalInformation")
            )
    for position in texts_of(individual, "Positions/Position"):
        draft.add_extra("position", position)
    for gender in texts_of(individual, "Genders/Gender"):
        draft.add_extra("gender", gender)
    for location in individual.iterfind("BirthDetails/Location"):
        draft.add(
            "birth_places",
            join_address(text_of(location, "TownOfBirth"), text_of(location, "CountryOfBirth")),
        )


def _one_entry_per_ofsi_group(designations: list[EntryDraft], where: str) -> list[EntryDraft]:
    """FCDO designations keyed as the OFSI ConList keyed them (see the module docstring): by OFSI Group ID where
    one is given, designations sharing it merged in file order; by FCDO UniqueID otherwise."""
    entries: dict[str, EntryDraft] = {}
    for designation in designations:
        group_ids = designation.extra.get("ofsi_group_id") or []
        if group_ids and not re.fullmatch(r"\d{1,12}", group_ids[0]):
            raise fail(
                f"{where}: the OFSI Group ID {group_ids[0][:40]!r} of {designation.list_id[:40]!r} is not a number"
            )
        if len(designation.list_id) > _MAX_UNIQUE_ID_CHARS:
            raise fail(f"{where}: the UniqueID {designation.list_id[:40]!r}... is too long to be one")
        key = group_ids[0] if group_ids else designation.list_id
        designation.list_id = key
        entry = entries.get(key)
        if entry is None:
            entries[key] = designation
        else:
            _merge_designation(entry, designation)
    return list(entries.values())


def _merge_designation(entry: EntryDraft, other: EntryDraft) -> None:
    for name in other.names:
        entry.add_name(name)
    for attribute in ("birth_dates", "birth_places", "nationalities", "citizenships", "identifiers", "addresses",
                      "programs", "links"):  # fmt: skip
        for value in getattr(other, attribute):
            entry.add(attribute, value)
    entry.set_listed_on(other.listed_on)
    if other.remarks and other.remarks not in (entry.remarks or ""):
        entry.remarks = f"{entry.remarks}\n{other.remarks}" if entry.remarks else other.remarks
    for key, values in other.extra.items():
        for value in values:
            entry.add_extra(key, value)


# ---------------------------------------------------------------------------------------------------------------
# FCDO summary spreadsheet (ODS)

_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_COLUMNS_REPEATED = f"{{{_TABLE_NS}}}number-columns-repeated"
_ODS_MAX_COLUMNS = 64
_ODS_HEADER = ["Unique ID", "OFSI Group ID", "Name", "Regime Name", "Type", "Designation source", "Date Designated", "Sanctions Imposed"]  # fmt: skip


def _ods_rows(path: Path) -> Iterable[list[str]]:
    """Rows of the first sheet of an ODS file, read as a stream from its content.xml.

    Read with the same guarded XML reader as the lists rather than by python-calamine, which cannot read the FCDO's
    export (its pretty-printed content.xml has whitespace between cells) and would load the whole 7 MB sheet at once.
    Cells that repeat ``number-columns-repeated`` times are expanded only up to the columns a list can have, so the
    16,384-column filler OpenDocument writes at the end of each row costs nothing.
    """
    require_file(path, "ODS")
    archive = open_zip(path)
    if "content.xml" not in {info.filename for info in archive.infolist()}:
        archive.close()
        raise fail(f"{path.name} has no content.xml: not an OpenDocument spreadsheet")
    stream = ZipMemberReader(archive, "content.xml")
    tables_seen = 0
    reader = XmlStream(
        stream,
        f"{path.name}:content.xml",
        roots={"document-content"},
        records={"table-row"},
        markers={"table"},
    )
    for row in reader:
        if row.tag == "table":
            tables_seen += 1
            continue
        if tables_seen:
            continue  # only the first sheet holds the list
        cells: list[str] = []
        for cell in row:
            if cell.tag not in ("table-cell", "covered-table-cell"):
                continue
            text = "\n".join(
                clean("".join(paragraph.itertext())) for paragraph in cell if paragraph.tag == "p"
            )
            repeat = cell.get(_COLUMNS_REPEATED, "1")
            count = int(repeat) if repeat.isdigit() else 1
            cells.extend([text] * max(1, min(count, _ODS_MAX_COLUMNS - len(cells))))
            if len(cells) >= _ODS_MAX_COLUMNS:
                break
        while cells and not cells[-1]:
            cells.pop()
        yield cells


def parse_fcdo_ods(source: str, path: Path) -> Publication:
    publication = new_publication(source, FCDO_ODS)
    drafts: list[EntryDraft] = []
    header: list[str] | None = None
    where = path.name
    for index, cells in enumerate(_ods_rows(path), start=1):
        if not cells:
            continue
        if header is None:
            if [cell.casefold() for cell in cells[: len(_ODS_HEADER)]] != [
                name.casefold() for name in _ODS_HEADER
            ]:
                raise fail(
                    f"{where}: the first row is not the FCDO summary header ({', '.join(_ODS_HEADER)})"
                )
            header = cells
            continue
        cells = cells + [""] * (len(_ODS_HEADER) - len(cells))
        unique_id, group_id, name, regime, type_text, designation_source, designated, sanctions = cells[:8]
        if not unique_id:
            raise fail(f"{where} row {index}: no Unique ID")
        kind = _GROUP_KINDS.get(type_text.casefold())
        if kind is None:
            publication.note_unmapped("kind.unknown", type_text)
            kind = "other"
        draft = EntryDraft(source=source, list_id=unique_id, kind=kind)
        draft.add_extra("uk_sanctions_list_ref", unique_id)
        draft.add_name(make_name(name))
        draft.add("programs", regime)
        draft.set_listed_on(parse_date(designated))
        draft.add_extra("ofsi_group_id", group_id)
        draft.add_extra("designation_source", designation_source)
        for sanction in re.split(r"\s*,\s*", sanctions):
            draft.add_extra("sanctions_imposed", sanction)
        drafts.append(draft)
    if header is None:
        raise fail(f"{where}: the spreadsheet is empty")
    return finish(publication, _one_entry_per_ofsi_group(drafts, where), where)


__all__ = [
    "FCDO_ODS",
    "FCDO_XML",
    "OFSI_CSV",
    "OFSI_XLSX",
    "parse_fcdo_ods",
    "parse_fcdo_xml",
    "parse_ofsi_csv",
    "parse_ofsi_xlsx",
]
