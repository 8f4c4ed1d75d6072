"""UN Security Council Consolidated List XML (root ``CONSOLIDATED_LIST``; INDIVIDUALS and ENTITIES).

The list's own id is the permanent reference number ("QDi.001"); DATAID, the UN's database key, is kept in
``extra["dataid"]``. The regime ("Al-Qaida", "DPRK", ...) is the programme.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from app.lists.parsers.common import (
    EntryDraft,
    XmlStream,
    clean,
    detect_script,
    fail,
    finish,
    join_address,
    make_name,
    new_publication,
    open_xml_stream,
    parse_date,
    publication_date,
    text_of,
    texts_of,
)
from app.lists.parsers.countries import country_code
from app.lists.records import Identifier, Name, Publication

FORMAT = "un_xml"
ROOT = "CONSOLIDATED_LIST"

_ALIAS_QUALITY = {"good": "strong", "a.k.a.": "strong", "low": "weak", "f.k.a.": "former"}
_DOCUMENT_TYPES = {
    "passport": "passport",
    "national passport": "passport",
    "service passport": "passport",
    "diplomatic passport": "passport",
    "numéro de passeport": "passport",
    "número de pasaporte": "passport",
    "national identification number": "national_id",
    "national identification card": "national_id",
    "national identity card number": "national_id",
    "national identity card no.": "national_id",
    "identity card": "national_id",
    "birth certificate": "birth_certificate",
}
# Children of an INDIVIDUAL or ENTITY this parser reads; any other one is counted as unmapped.
_KNOWN_CHILDREN = {
    "DATAID",
    "VERSIONNUM",
    "FIRST_NAME",
    "SECOND_NAME",
    "THIRD_NAME",
    "FOURTH_NAME",
    "UN_LIST_TYPE",
    "REFERENCE_NUMBER",
    "LISTED_ON",
    "GENDER",
    "SUBMITTED_BY",
    "SUBMITTED_ON",
    "NAME_ORIGINAL_SCRIPT",
    "COMMENTS1",
    "TITLE",
    "DESIGNATION",
    "NATIONALITY",
    "LIST_TYPE",
    "LAST_DAY_UPDATED",
    "INDIVIDUAL_ALIAS",
    "ENTITY_ALIAS",
    "INDIVIDUAL_ADDRESS",
    "ENTITY_ADDRESS",
    "INDIVIDUAL_DATE_OF_BIRTH",
    "INDIVIDUAL_PLACE_OF_BIRTH",
    "INDIVIDUAL_DOCUMENT",
    "SORT_KEY",
    "SORT_KEY_LAST_MOD",
    "DELISTED_ON",
}


def parse(source: str, path: Path) -> Publication:
    stream, where = open_xml_stream(path)
    publication = new_publication(source, FORMAT)
    xml = XmlStream(stream, where, roots={ROOT}, records={"INDIVIDUAL", "ENTITY"})
    drafts = [_entry(source, record, publication, where) for record in xml]
    generated = xml.root_attributes.get("dateGenerated")
    if generated is None:
        raise fail(f"{where}: <{ROOT}> has no dateGenerated attribute")
    publication.published = publication_date(parse_date(generated), generated, where)
    return finish(publication, drafts, where)


def _entry(source: str, record: etree._Element, publication: Publication, where: str) -> EntryDraft:
    reference = text_of(record, "REFERENCE_NUMBER")
    if not reference:
        raise fail(
            f"{where}: an <{record.tag}> (DATAID {text_of(record, 'DATAID') or '?'}) has no REFERENCE_NUMBER"
        )
    individual = record.tag == "INDIVIDUAL"
    draft = EntryDraft(source=source, list_id=reference, kind="person" if individual else "organization")
    primary = " ".join(
        part
        for part in (
            text_of(record, tag) for tag in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
        )
        if part
    )
    draft.add_name(make_name(primary))
    original = text_of(record, "NAME_ORIGINAL_SCRIPT")
    if original:
        draft.add_name(Name(full=original, quality="strong", script=detect_script(original)))
    draft.add_extra("dataid", text_of(record, "DATAID"))
    draft.add_extra("version", text_of(record, "VERSIONNUM"))
    draft.add("programs", text_of(record, "UN_LIST_TYPE"))
    draft.set_listed_on(parse_date(text_of(record, "LISTED_ON")))
    draft.remarks = text_of(record, "COMMENTS1") or None
    draft.add_extra("gender", text_of(record, "GENDER"))
    draft.add_extra("submitted_by", text_of(record, "SUBMITTED_BY"))
    draft.add_extra("submitted_on", text_of(record, "SUBMITTED_ON"))
    for value in texts_of(record, "TITLE/VALUE"):
        draft.add_extra("title", value)
    for value in texts_of(record, "DESIGNATION/VALUE"):
        draft.add_extra("designation", value)
    for value in texts_of(record, "LAST_DAY_UPDATED/VALUE"):
        draft.add_extra("last_updated", parse_date(value) or value)
    for value in texts_of(record, "NATIONALITY/VALUE"):
        draft.add_country("nationalities", value, publication, "nationality.unknown_country", country_code)

    for alias in record.iterfind("INDIVIDUAL_ALIAS" if individual else "ENTITY_ALIAS"):
        _alias(alias, draft, publication)
    for address in record.iterfind("INDIVIDUAL_ADDRESS" if individual else "ENTITY_ADDRESS"):
        draft.add("addresses", _address(address))
    for birth in record.iterfind("INDIVIDUAL_DATE_OF_BIRTH"):
        _birth_date(birth, draft, publication)
    for place in record.iterfind("INDIVIDUAL_PLACE_OF_BIRTH"):
        draft.add("birth_places", _address(place))
    for document in record.iterfind("INDIVIDUAL_DOCUMENT"):
        _document(document, draft, publication)

    for child in record:
        if isinstance(child.tag, str) and child.tag not in _KNOWN_CHILDREN:
            publication.note_unmapped(f"un_xml.{child.tag}", clean("".join(child.itertext())))
    return draft


def _alias(alias: etree._Element, draft: EntryDraft, publication: Publication) -> None:
    name = text_of(alias, "ALIAS_NAME")
    if not name:
        return
    quality_text = text_of(alias, "QUALITY")
    quality = _ALIAS_QUALITY.get(quality_text.casefold())
    if quality is None:
        publication.note_unmapped("alias.unknown_quality", quality_text)
        quality = "strong"
    draft.add_name(make_name(name, quality))
    # An alias can come with its own date and place of birth (the identity documents issued under that name).
    alias_birth = text_of(alias, "DATE_OF_BIRTH")
    if alias_birth:
        iso = parse_date(alias_birth)
        if iso:
            draft.add("birth_dates", iso)
        else:
            publication.note_unmapped("birth_date.unparsed", alias_birth)
    place = join_address(text_of(alias, "CITY_OF_BIRTH"), text_of(alias, "COUNTRY_OF_BIRTH"))
    draft.add("birth_places", place)
    note = text_of(alias, "NOTE")
    if note:
        draft.add_extra("alias_notes", f"{name}: {note}")


def _address(element: etree._Element) -> str:
    note = text_of(element, "NOTE")
    address = join_address(
        text_of(element, "STREET"),
        text_of(element, "CITY"),
        text_of(element, "STATE_PROVINCE"),
        text_of(element, "ZIP_CODE"),
        text_of(element, "COUNTRY"),
    )
    if note:
        return f"{address} ({note})" if address else note
    return address


def _birth_date(element: etree._Element, draft: EntryDraft, publication: Publication) -> None:
    date_type = text_of(element, "TYPE_OF_DATE").upper()
    note = text_of(element, "NOTE")
    found: list[tuple[str, str | None]] = []  # (as written, ISO form)
    for tag in ("DATE", "YEAR"):
        raw = text_of(element, tag)
        if raw:
            found.append((raw, parse_date(raw)))
    from_year, to_year = text_of(element, "FROM_YEAR"), text_of(element, "TO_YEAR")
    if from_year or to_year:
        start, end = parse_date(from_year), parse_date(to_year)
        found.append((f"{from_year}/{to_year}", f"{start}/{end}" if start and end else None))
    if not found and note:
        # Some dates are only written in the note: "Nov. 1973", "August 1961".
        iso = parse_date(note)
        if iso:
            found.append((note, iso))
            note = ""
    for raw, iso in found:
        if iso is None:
            publication.note_unmapped("birth_date.unparsed", raw)
            continue
        draft.add("birth_dates", iso)
        if date_type == "APPROXIMATELY":
            draft.add_extra("birth_dates_circa", iso)
    if note:
        draft.add_extra("birth_date_notes", note)


def _document(element: etree._Element, draft: EntryDraft, publication: Publication) -> None:
    number = text_of(element, "NUMBER")
    kind_text = text_of(element, "TYPE_OF_DOCUMENT")
    detail = text_of(element, "TYPE_OF_DOCUMENT2")
    note_parts = [part for part in (detail, text_of(element, "NOTE")) if part]
    if not number:
        if kind_text or note_parts:
            # A document described without a number still says something about the person.
            draft.add_extra("documents", "; ".join(part for part in (kind_text, *note_parts) if part))
        return
    id_type = _DOCUMENT_TYPES.get(kind_text.casefold()) or _DOCUMENT_TYPES.get(detail.casefold())
    if id_type is None:
        id_type = "other"
        if kind_text:
            note_parts.insert(0, kind_text)
    issued = text_of(element, "DATE_OF_ISSUE")
    if issued:
        note_parts.append(f"issued {parse_date(issued) or issued}")
    city = text_of(element, "CITY_OF_ISSUE")
    if city:
        note_parts.append(f"issued in {city}")
    country_text = text_of(element, "ISSUING_COUNTRY") or text_of(element, "COUNTRY_OF_ISSUE")
    country = country_code(country_text) if country_text else None
    if country_text and country is None:
        publication.note_unmapped("identifier.unknown_country", country_text)
        note_parts.append(country_text)
    draft.add("identifiers", Identifier(id_type, number, country, "; ".join(note_parts) or None))


__all__ = ["FORMAT", "ROOT", "parse"]
