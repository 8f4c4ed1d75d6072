"""OFAC ``sdnList`` XML: SDN.XML and consolidated.xml, in the old ``tempuri.org`` namespace or the current one,
plain or zipped.

Names are written as OFAC writes them in the CSV files ("LAST, First"), so an entry reads the same whichever format
it was downloaded in.
"""

from __future__ import annotations

import re
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
    parse_us_date,
    publication_date,
    text_of,
)
from app.lists.parsers.countries import country_code
from app.lists.parsers.ofac_common import add_birth_date, apply_feature, kind_of_ofac_type, resolve_links
from app.lists.records import Identifier, Publication

FORMAT = "sdn_xml"
ROOT = "sdnList"

_LINKED_TO = re.compile(r"Linked To:\s*(?P<name>[^;)]+)", re.I)
_COUNTRY_IN_NUMBER = re.compile(r"(?P<number>.+?)\s*\((?P<country>[^()]+)\)")
# Children of <sdnEntry> that this parser reads; any other child is counted as unmapped.
_KNOWN_CHILDREN = {
    "uid",
    "firstName",
    "lastName",
    "title",
    "sdnType",
    "remarks",
    "programList",
    "idList",
    "akaList",
    "addressList",
    "nationalityList",
    "citizenshipList",
    "dateOfBirthList",
    "placeOfBirthList",
    "vesselInfo",
}
_VESSEL_FIELDS = {
    "callSign": None,
    "vesselType": "vessel_type",
    "vesselFlag": "vessel_flag",
    "vesselOwner": "vessel_owner",
    "tonnage": "tonnage",
    "grossRegisteredTonnage": "gross_registered_tonnage",
}


def ofac_name(element: etree._Element) -> str:
    last, first = text_of(element, "lastName"), text_of(element, "firstName")
    return f"{last}, {first}" if last and first else last or first


def parse(source: str, path: Path) -> Publication:
    stream, where = open_xml_stream(path)
    publication = new_publication(source, FORMAT)
    drafts: list[EntryDraft] = []
    xml = XmlStream(stream, where, roots={ROOT}, records={"publshInformation", "sdnEntry"})
    for record in xml:
        if record.tag == "publshInformation":
            raw = text_of(record, "Publish_Date")
            if raw:
                publication.published = publication_date(parse_us_date(raw), raw, where)
            continue
        drafts.append(_entry(source, record, publication, where))
    resolve_links(drafts, publication)
    return finish(publication, drafts, where)


def _entry(source: str, record: etree._Element, publication: Publication, where: str) -> EntryDraft:
    uid = text_of(record, "uid")
    if not uid:
        raise fail(f"{where}: an <sdnEntry> has no <uid>")
    kind = kind_of_ofac_type(text_of(record, "sdnType"))
    if kind is None:
        publication.note_unmapped("kind.unknown", text_of(record, "sdnType"))
        kind = "other"
    draft = EntryDraft(source=source, list_id=uid, kind=kind)
    draft.add_name(make_name(ofac_name(record)))
    draft.add_extra("title", text_of(record, "title"))
    for program in record.iterfind("programList/program"):
        draft.add("programs", clean(program.text))

    for aka in record.iterfind("akaList/aka"):
        aka_type = text_of(aka, "type").casefold()
        category = text_of(aka, "category").casefold()
        if aka_type == "f.k.a.":
            quality = "former"
        elif category == "weak":
            quality = "weak"
        else:
            quality = "strong"
        draft.add_name(make_name(ofac_name(aka), quality))

    for identifier in record.iterfind("idList/id"):
        number, country = text_of(identifier, "idNumber"), text_of(identifier, "idCountry")
        written_in = _COUNTRY_IN_NUMBER.fullmatch(number)
        if not country and written_in and country_code(written_in.group("country")):
            # Some numbers carry their country the CSV way, "33556474 (Russia)", instead of in <idCountry>.
            number, country = written_in.group("number"), written_in.group("country")
        apply_feature(
            draft,
            publication,
            text_of(identifier, "idType"),
            number,
            country=country or None,
            issued=text_of(identifier, "issueDate") or None,
            expires=text_of(identifier, "expirationDate") or None,
        )

    for address in record.iterfind("addressList/address"):
        draft.add(
            "addresses",
            join_address(
                text_of(address, "address1"),
                text_of(address, "address2"),
                text_of(address, "address3"),
                text_of(address, "city"),
                text_of(address, "stateOrProvince"),
                text_of(address, "postalCode"),
                text_of(address, "country"),
            ),
        )

    for item in record.iterfind("nationalityList/nationality"):
        draft.add_country(
            "nationalities",
            text_of(item, "country"),
            publication,
            "nationality.unknown_country",
            country_code,
        )
    for item in record.iterfind("citizenshipList/citizenship"):
        draft.add_country(
            "citizenships", text_of(item, "country"), publication, "citizenship.unknown_country", country_code
        )
    for item in record.iterfind("dateOfBirthList/dateOfBirthItem"):
        value = text_of(item, "dateOfBirth")
        if value:
            add_birth_date(draft, publication, value)
    for item in record.iterfind("placeOfBirthList/placeOfBirthItem"):
        draft.add("birth_places", text_of(item, "placeOfBirth"))

    vessel = record.find("vesselInfo")
    if vessel is not None:
        for tag, key in _VESSEL_FIELDS.items():
            value = text_of(vessel, tag)
            if not value:
                continue
            if key is None:
                draft.add("identifiers", Identifier("call_sign", value))
            else:
                draft.add_extra(key, value)

    remarks = text_of(record, "remarks")
    if remarks:
        draft.remarks = remarks
        for match in _LINKED_TO.finditer(remarks):
            draft.add("linked_names", clean(match.group("name")))

    for child in record:
        if child.tag not in _KNOWN_CHILDREN and isinstance(child.tag, str):
            publication.note_unmapped(f"sdn_xml.{child.tag}", clean("".join(child.itertext()))[:200])
    return draft
