"""EU Financial Sanctions Files (FSF) XML export, schema 1.1 (root ``export``; one ``sanctionEntity`` per entry).

The EU gives ISO country codes itself ("00" for unknown) and has no primary-name flag. The primary name is the
strong alias with the lowest logicalId: the name first recorded for the entity, which is how it was designated. That
does not depend on the order of elements in the file (the EU re-serializes its exports) nor on alias languages.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from app.lists.parsers.common import (
    EntryDraft,
    XmlStream,
    clean,
    fail,
    finish,
    join_address,
    make_name,
    new_publication,
    open_xml_stream,
    parse_date,
    publication_date,
    texts_of,
)
from app.lists.parsers.countries import ISO_CODES
from app.lists.records import Identifier, Name, Publication

FORMAT = "eu_fsf_xml"
ROOT = "export"

_KINDS = {"person": "person", "enterprise": "organization", "vessel": "vessel", "aircraft": "aircraft"}
_IDENTIFICATION_TYPES = {
    "passport": "passport",
    "id": "national_id",
    "ssn": "national_id",
    "regnumber": "registration",
    "fiscalcode": "tax_id",
    "swiftbic": "swift_bic",
    "imo": "imo",
    "birthcert": "birth_certificate",
    "drivinglicence": "driving_license",
    "other": "other",
}
_IDENTIFICATION_FLAGS = ("diplomatic", "knownExpired", "knownFalse", "reportedLost", "revokedByIssuer")
_KNOWN_CHILDREN = {
    "remark",
    "additionalInformation",
    "regulation",
    "subjectType",
    "nameAlias",
    "citizenship",
    "birthdate",
    "identification",
    "address",
}


def _iso_country(element: etree._Element, draft: EntryDraft, publication: Publication) -> str | None:
    code = (element.get("countryIso2Code") or "").upper()
    if code in ISO_CODES:
        return code
    if code and code != "00":
        publication.note_unmapped("country.unknown_code", f"{code} {element.get('countryDescription', '')}")
    return None


def _country_name(element: etree._Element) -> str:
    description = clean(element.get("countryDescription"))
    return "" if description.upper() == "UNKNOWN" else description


def parse(source: str, path: Path) -> Publication:
    stream, where = open_xml_stream(path)
    publication = new_publication(source, FORMAT)
    xml = XmlStream(stream, where, roots={ROOT}, records={"sanctionEntity"})
    drafts = [_entry(source, record, publication, where) for record in xml]
    generated = xml.root_attributes.get("generationDate")
    if generated is None:
        raise fail(f"{where}: <{ROOT}> has no generationDate attribute")
    publication.published = publication_date(parse_date(generated), generated, where)
    return finish(publication, drafts, where)


def _entry(source: str, record: etree._Element, publication: Publication, where: str) -> EntryDraft:
    logical_id = clean(record.get("logicalId"))
    if not logical_id:
        raise fail(f"{where}: a <sanctionEntity> has no logicalId")
    subject = record.find("subjectType")
    subject_code = clean(subject.get("code") if subject is not None else "").casefold()
    kind = _KINDS.get(subject_code)
    if kind is None:
        publication.note_unmapped("kind.unknown", subject_code)
        kind = "other"
    draft = EntryDraft(source=source, list_id=logical_id, kind=kind)
    draft.add_extra("eu_reference_number", record.get("euReferenceNumber"))
    draft.add_extra("un_reference_number", record.get("unitedNationId"))
    draft.add_extra("designation_details", record.get("designationDetails"))
    draft.set_listed_on(parse_date(record.get("designationDate")))
    remarks = texts_of(record, "remark")
    draft.remarks = "\n".join(remarks) or None
    for info in record.iterfind("additionalInformation"):
        draft.add_extra("additional_information", clean(info.get("value") or info.text))

    for regulation in record.iterfind("regulation"):
        draft.add("programs", clean(regulation.get("programme")))
        draft.add_extra("regulations", regulation.get("numberTitle"))

    _names(record, draft)
    for citizenship in record.iterfind("citizenship"):
        code = _iso_country(citizenship, draft, publication)
        if code:
            draft.add("citizenships", code)
    for birth in record.iterfind("birthdate"):
        _birth(birth, draft, publication)
    for identification in record.iterfind("identification"):
        _identification(identification, draft, publication)
    for address in record.iterfind("address"):
        text = join_address(
            address.get("street"),
            address.get("poBox") and f"PO Box {clean(address.get('poBox'))}",
            address.get("city"),
            address.get("zipCode"),
            address.get("region"),
            address.get("place"),
            _country_name(address),
        )
        draft.add("addresses", text)
        for contact in address.iterfind("contactInfo"):
            key = clean(contact.get("key")).casefold() or "contact"
            for value in clean(contact.get("value")).split(";"):
                draft.add_extra(
                    {"web": "website", "phone": "phone", "email": "email", "fax": "fax"}.get(key, key), value
                )

    for child in record:
        if isinstance(child.tag, str) and child.tag not in _KNOWN_CHILDREN:
            publication.note_unmapped(f"eu_fsf_xml.{child.tag}", clean("".join(child.itertext())))
    return draft


def _names(record: etree._Element, draft: EntryDraft) -> None:
    aliases: list[tuple[int, Name, etree._Element]] = []
    for alias in record.iterfind("nameAlias"):
        whole = clean(alias.get("wholeName")) or " ".join(
            part
            for part in (clean(alias.get(key)) for key in ("firstName", "middleName", "lastName"))
            if part
        )
        quality = "weak" if clean(alias.get("strong")).casefold() == "false" else "strong"
        name = make_name(whole, quality, lang=clean(alias.get("nameLanguage")).lower() or None)
        if name is None:
            continue
        logical_id = clean(alias.get("logicalId"))
        order = int(logical_id) if logical_id.isdigit() else 1 << 62
        aliases.append((order, name, alias))
        draft.add_extra("gender", alias.get("gender"))
        draft.add_extra("function", alias.get("function"))
        draft.add_extra("title", alias.get("title"))
    if not aliases:
        return

    def primary_rank(item: tuple[int, Name, etree._Element]) -> tuple[bool, int]:
        order, name, _alias = item
        return (name.quality != "strong", order)

    primary = min(aliases, key=primary_rank)[1]
    draft.add_name(primary, primary=True)
    for _order, name, _alias in sorted(aliases, key=lambda item: item[0]):
        draft.add_name(name)


def _birth(birth: etree._Element, draft: EntryDraft, publication: Publication) -> None:
    iso = parse_date(birth.get("birthdate"))
    if iso is None:
        year, month, day = (clean(birth.get(key)) for key in ("year", "monthOfYear", "dayOfMonth"))
        if year:
            iso = parse_date("-".join(part.zfill(2) for part in (year, month, day) if part))
    if iso is None:
        start, end = parse_date(birth.get("yearRangeFrom")), parse_date(birth.get("yearRangeTo"))
        if start and end:
            iso = f"{start}/{end}"
    if iso:
        draft.add("birth_dates", iso)
        if clean(birth.get("circa")).casefold() == "true":
            draft.add_extra("birth_dates_circa", iso)
    elif any(clean(birth.get(key)) for key in ("birthdate", "year", "yearRangeFrom", "yearRangeTo")):
        publication.note_unmapped("birth_date.unparsed", clean(birth.get("birthdate") or birth.get("year")))
    place = join_address(birth.get("city"), birth.get("place"), birth.get("region"), _country_name(birth))
    draft.add("birth_places", place)


def _identification(element: etree._Element, draft: EntryDraft, publication: Publication) -> None:
    number = clean(element.get("number")) or clean(element.get("latinNumber"))
    if not number:
        return
    code = clean(element.get("identificationTypeCode")).casefold()
    id_type = _IDENTIFICATION_TYPES.get(code)
    description = clean(element.get("identificationTypeDescription"))
    notes = []
    if id_type is None:
        id_type = "other"
        notes.append(description or code)
    elif description and id_type == "other":
        notes.append(description)
    for flag in _IDENTIFICATION_FLAGS:
        if clean(element.get(flag)).casefold() == "true":
            notes.append(flag)
    for key, label in (("issueDate", "issued"), ("validTo", "valid to")):
        value = clean(element.get(key))
        if value:
            notes.append(f"{label} {parse_date(value) or value}")
    issued_by = clean(element.get("issuedBy"))
    if issued_by:
        notes.append(f"issued by {issued_by}")
    country = _iso_country(element, draft, publication)
    draft.add("identifiers", Identifier(id_type, number, country, "; ".join(notes) or None))
    latin = clean(element.get("latinNumber"))
    if latin and latin != number:
        draft.add("identifiers", Identifier(id_type, latin, country, "; ".join(notes) or None))
    for remark in texts_of(element, "remark"):
        draft.add_extra("identification_remarks", f"{number}: {remark}")
