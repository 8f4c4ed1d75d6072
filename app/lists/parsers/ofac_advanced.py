"""OFAC advanced XML (``sdn_advanced.xml``, root ``<Sanctions>``).

Everything in it is a reference: a party's alias has an AliasTypeID, a feature a FeatureTypeID, a nationality a
LocationID whose country is a CountryID... The ``ReferenceValueSets`` and ``Locations`` sections give the meanings;
they come before the parties, and the identity documents, relationships and sanctions entries (which carry the
programmes) are collected as they stream by and attached once the file is read.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
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
    new_publication,
    open_xml_stream,
    parse_date,
    publication_date,
    snake_case,
    text_of,
)
from app.lists.parsers.countries import country_code
from app.lists.parsers.ofac_common import apply_feature
from app.lists.records import Link, Name, Publication

FORMAT = "sdn_advanced_xml"
ROOT = "Sanctions"
_RECORDS = {
    "DateOfIssue",
    "ReferenceValueSets",
    "Location",
    "IDRegDocument",
    "DistinctParty",
    "ProfileRelationship",
    "SanctionsEntry",
}

# OFAC's ScriptCode values that are not ISO 15924 codes.
_SCRIPT_CODES = {"latin": "Latn", "hebrew": "Hebr", "japanese": "Jpan", "korean": "Kore"}
_PARTY_KINDS = {
    "individual": "person",
    "entity": "organization",
    "other entity": "organization",
    "location": "other",
}
_GIVEN_NAME_ORDER = ("First Name", "Middle Name", "Patronymic", "Matronymic")
_LOCATION_PART_ORDER = (
    "ADDRESS1",
    "ADDRESS2",
    "ADDRESS3",
    "CITY",
    "STATE/PROVINCE",
    "POSTAL CODE",
    "REGION",
    "Unknown",
)


@dataclass
class Reference:
    text: str
    attributes: dict[str, str]


@dataclass
class Place:
    address: str
    country_iso: str | None
    country_name: str


@dataclass
class AdvancedState:
    references: dict[str, dict[str, Reference]] = field(default_factory=dict)
    places: dict[str, Place] = field(default_factory=dict)
    drafts: list[EntryDraft] = field(default_factory=list)
    by_profile: dict[str, EntryDraft] = field(default_factory=dict)
    by_identity: dict[str, EntryDraft] = field(default_factory=dict)
    documents: list[etree._Element] = field(default_factory=list)
    relationships: list[dict[str, str]] = field(default_factory=list)
    sanctions_entries: list[etree._Element] = field(default_factory=list)

    def ref(self, kind: str, ident: str | None) -> Reference | None:
        if not ident:
            return None
        return self.references.get(kind, {}).get(ident)

    def ref_text(self, kind: str, ident: str | None) -> str:
        reference = self.ref(kind, ident)
        return reference.text if reference else ""


def parse(source: str, path: Path) -> Publication:
    stream, where = open_xml_stream(path)
    publication = new_publication(source, FORMAT)
    state = AdvancedState()
    for record in XmlStream(stream, where, roots={ROOT}, records=_RECORDS):
        tag = record.tag
        if tag == "DateOfIssue":
            iso = _date_of(record)
            publication.published = publication_date(iso, "".join(record.itertext()), where)
        elif tag == "ReferenceValueSets":
            _read_references(record, state)
        elif tag == "Location":
            _read_location(record, state)
        elif tag == "DistinctParty":
            _read_party(source, record, state, publication, where)
        elif tag == "IDRegDocument":
            state.documents.append(_detached(record))
        elif tag == "ProfileRelationship":
            state.relationships.append({key: value for key, value in record.attrib.items()})
        elif tag == "SanctionsEntry":
            state.sanctions_entries.append(_detached(record))
    for document in state.documents:
        _apply_document(document, state, publication)
    for relationship in state.relationships:
        _apply_relationship(relationship, state, publication)
    for entry in state.sanctions_entries:
        _apply_sanctions_entry(entry, state, publication)
    return finish(publication, state.drafts, where)


def _detached(record: etree._Element) -> etree._Element:
    # The streaming reader frees each record once handled; what is needed later is kept as a small copy.
    return copy.deepcopy(record)


def _read_references(record: etree._Element, state: AdvancedState) -> None:
    for value_set in record:
        for value in value_set:
            if not isinstance(value.tag, str):
                continue
            ident = value.get("ID")
            if ident:
                attributes = {key: val for key, val in value.attrib.items()}
                state.references.setdefault(value.tag, {})[ident] = Reference(clean(value.text), attributes)


def _read_location(record: etree._Element, state: AdvancedState) -> None:
    parts: dict[str, list[str]] = {}
    for part in record.iterfind("LocationPart"):
        part_type = state.ref_text("LocPartType", part.get("LocPartTypeID")) or "Unknown"
        for value in part.iterfind("LocationPartValue"):
            text = text_of(value, "Value")
            if text:
                parts.setdefault(part_type, []).append(text)
    country_iso, country_name = None, ""
    country = record.find("LocationCountry")
    if country is not None:
        reference = state.ref("Country", country.get("CountryID"))
        if reference:
            country_iso = reference.attributes.get("ISO2") or None
            country_name = reference.text
    area = record.find("LocationAreaCode")
    if area is not None:
        reference = state.ref("AreaCode", area.get("AreaCodeID"))
        if reference:
            country_iso = country_iso or reference.text or None
            country_name = country_name or reference.attributes.get("Description", "")
    if country_name.casefold() == "undetermined":
        # OFAC's placeholder for "no known location"; the CSV files leave such an address empty.
        country_iso, country_name = None, ""
    ordered = [text for part_type in _LOCATION_PART_ORDER for text in parts.get(part_type, [])]
    ordered += [
        text for part_type, texts in parts.items() if part_type not in _LOCATION_PART_ORDER for text in texts
    ]
    address = join_address(*ordered, country_name)
    if country_iso is None and address:
        # A location given only as free text ("Egypt") still names a country.
        country_iso = country_code(address)
    state.places[record.get("ID", "")] = Place(address, country_iso, country_name or address)


def _script_of(state: AdvancedState, script_id: str | None, text: str) -> str | None:
    reference = state.ref("Script", script_id)
    if reference:
        code = reference.attributes.get("ScriptCode", "")
        code = _SCRIPT_CODES.get(code.casefold(), code)
        if len(code) == 4:
            return code
    return detect_script(text)


def _documented_name(
    name: etree._Element, part_types: dict[str, str], state: AdvancedState
) -> tuple[str, str | None]:
    parts: list[tuple[str, str]] = []
    script_id = None
    for value in name.iterfind("DocumentedNamePart/NamePartValue"):
        text = clean(value.text)
        if not text:
            continue
        script_id = script_id or value.get("ScriptID")
        parts.append((part_types.get(value.get("NamePartGroupID", ""), ""), text))
    full_text = " ".join(text for _, text in parts)
    script = _script_of(state, script_id, full_text)
    last = [text for part_type, text in parts if part_type == "Last Name"]
    given = [text for wanted in _GIVEN_NAME_ORDER for part_type, text in parts if part_type == wanted]
    others = [
        text for part_type, text in parts if part_type != "Last Name" and part_type not in _GIVEN_NAME_ORDER
    ]
    if last and (given or others):
        if script == "Latn":
            # As OFAC writes it in SDN.XML and the CSV files: "LAST, First Middle".
            return f"{' '.join(last)}, {' '.join(given + others)}", script
        return " ".join(given + others + last), script
    return full_text, script


def _read_party(
    source: str, record: etree._Element, state: AdvancedState, publication: Publication, where: str
) -> None:
    fixed_ref = record.get("FixedRef", "")
    if not fixed_ref:
        raise fail(f"{where}: a <DistinctParty> has no FixedRef")
    profile = record.find("Profile")
    if profile is None:
        raise fail(f"{where}: party {fixed_ref} has no <Profile>")
    subtype = state.ref("PartySubType", profile.get("PartySubTypeID"))
    party_type = state.ref_text("PartyType", subtype.attributes.get("PartyTypeID") if subtype else None)
    if party_type.casefold() == "transport" and subtype:
        kind = {"vessel": "vessel", "aircraft": "aircraft"}.get(subtype.text.casefold(), "other")
    else:
        kind = _PARTY_KINDS.get(party_type.casefold(), "")
    if not kind:
        publication.note_unmapped("kind.unknown", party_type or profile.get("PartySubTypeID", ""))
        kind = "other"
    draft = EntryDraft(source=source, list_id=fixed_ref, kind=kind)
    state.drafts.append(draft)
    state.by_profile[profile.get("ID", fixed_ref)] = draft

    primary: Name | None = None
    for identity in profile.iterfind("Identity"):
        state.by_identity[identity.get("ID", "")] = draft
        part_types = {
            group.get("ID", ""): state.ref_text("NamePartType", group.get("NamePartTypeID"))
            for group in identity.iterfind("NamePartGroups/MasterNamePartGroup/NamePartGroup")
        }
        for alias in identity.iterfind("Alias"):
            alias_type = state.ref_text("AliasType", alias.get("AliasTypeID")).casefold()
            is_primary_alias = alias.get("Primary") == "true" and identity.get("Primary") == "true"
            if alias_type == "f.k.a.":
                quality = "former"
            elif alias.get("LowQuality") == "true":
                quality = "weak"
            else:
                quality = "strong"
            for name_element in alias.iterfind("DocumentedName"):
                full, script = _documented_name(name_element, part_types, state)
                if not full:
                    continue
                name = Name(full=full, quality=quality, script=script)
                status = state.ref_text("DocNameStatus", name_element.get("DocNameStatusID"))
                if is_primary_alias and primary is None and (status == "Primary Latin" or script == "Latn"):
                    primary = name
                else:
                    draft.add_name(name)
    if primary is None:
        raise fail(f"{where}: party {fixed_ref} has no primary name")
    draft.add_name(primary, primary=True)

    for feature in profile.iterfind("Feature"):
        _apply_feature_element(feature, draft, state, publication)


def _date_of(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    year, month, day = text_of(element, "Year"), text_of(element, "Month"), text_of(element, "Day")
    if not year.isdigit():
        return None
    text = year
    if month.isdigit():
        text += f"-{int(month):02d}"
        if day.isdigit():
            text += f"-{int(day):02d}"
    return parse_date(text)


def _period(period: etree._Element) -> tuple[str | None, bool]:
    """A DatePeriod as the record's date notation, and whether it is approximate."""
    start_from = _date_of(period.find("Start/From"))
    end_to = _date_of(period.find("End/To"))
    approximate = any(part.get("Approximate") == "true" for part in period.iterfind("*"))
    if not start_from or not end_to:
        return start_from or end_to, approximate
    if start_from == end_to:
        return start_from, approximate
    # A whole year or month written as its first and last day is that year or month.
    if start_from[:4] == end_to[:4] and start_from[5:] == "01-01" and end_to[5:] == "12-31":
        return start_from[:4], approximate
    if start_from[:7] == end_to[:7] and start_from.endswith("-01") and end_to[8:] >= "28":
        return start_from[:7], approximate
    return f"{start_from}/{end_to}", approximate


def _apply_feature_element(
    feature: etree._Element, draft: EntryDraft, state: AdvancedState, publication: Publication
) -> None:
    label = state.ref_text("FeatureType", feature.get("FeatureTypeID"))
    for version in feature.iterfind("FeatureVersion"):
        if state.ref_text("Reliability", version.get("ReliabilityID")).casefold() == "false":
            publication.note_unmapped("feature.known_false", label)
            continue
        text = ""
        detail = version.find("VersionDetail")
        if detail is not None:
            text = clean(detail.text) or state.ref_text("DetailReference", detail.get("DetailReferenceID"))
        date, approximate = (None, False)
        period = version.find("DatePeriod")
        if period is not None:
            date, approximate = _period(period)
        place = None
        location = version.find("VersionLocation")
        if location is not None:
            place = state.places.get(location.get("LocationID", ""))
        _apply_feature_value(label, text, date, approximate, place, draft, publication)


def _apply_feature_value(
    label: str,
    text: str,
    date: str | None,
    approximate: bool,
    place: Place | None,
    draft: EntryDraft,
    publication: Publication,
) -> None:
    key = label.casefold()
    if key == "birthdate":
        if date:
            draft.add("birth_dates", date)
            if approximate:
                draft.add_extra("birth_dates_circa", date)
        return
    if key == "place of birth":
        draft.add("birth_places", text or (place.address if place else ""))
        return
    if key in ("nationality country", "citizenship country"):
        attribute = "nationalities" if key.startswith("nationality") else "citizenships"
        if place and place.country_iso:
            draft.add(attribute, place.country_iso)
        else:
            publication.note_unmapped(
                f"{attribute}.unknown_country", (place.country_name if place else "") or text
            )
        return
    if key == "location":
        if place and place.address:
            draft.add("addresses", place.address)
        return
    value = text or date or (place.country_name if place else "")
    if value:
        apply_feature(draft, publication, label, value)


def _apply_document(document: etree._Element, state: AdvancedState, publication: Publication) -> None:
    draft = state.by_identity.get(document.get("IdentityID", ""))
    if draft is None:
        publication.note_unmapped("document.unknown_identity", document.get("IdentityID", ""))
        return
    label = state.ref_text("IDRegDocType", document.get("IDRegDocTypeID"))
    number = text_of(document, "IDRegistrationNo")
    country = state.ref("Country", document.get("IssuedBy-CountryID"))
    issued = expires = None
    for document_date in document.iterfind("DocumentDate"):
        period = document_date.find("DatePeriod")
        date = _period(period)[0] if period is not None else None
        date_type = state.ref_text("IDRegDocDateType", document_date.get("IDRegDocDateTypeID")).casefold()
        if date_type.startswith("issue"):
            issued = date
        elif date_type.startswith("expiration"):
            expires = date
    notes = []
    validity = state.ref_text("Validity", document.get("ValidityID"))
    if validity and validity.casefold() != "valid":
        notes.append(validity.casefold())
    authority = text_of(document, "IssuingAuthority")
    if authority:
        notes.append(f"issued by {authority}")
    apply_feature(
        draft,
        publication,
        label,
        number,
        country=(country.attributes.get("ISO2") or country.text) if country else None,
        issued=issued,
        expires=expires,
        note="; ".join(notes) or None,
    )


def _apply_relationship(relationship: dict[str, str], state: AdvancedState, publication: Publication) -> None:
    source = state.by_profile.get(relationship.get("From-ProfileID", ""))
    target = state.by_profile.get(relationship.get("To-ProfileID", ""))
    if source is None:
        publication.note_unmapped("links.unknown_profile", relationship.get("From-ProfileID", ""))
        return
    if target is None:
        publication.note_unmapped("links.not_in_this_list", relationship.get("To-ProfileID", ""))
        return
    relation = snake_case(state.ref_text("RelationType", relationship.get("RelationTypeID")) or "linked_to")
    source.add("links", Link(list_id=target.list_id, relation=relation))


def _apply_sanctions_entry(entry: etree._Element, state: AdvancedState, publication: Publication) -> None:
    draft = state.by_profile.get(entry.get("ProfileID", ""))
    if draft is None:
        publication.note_unmapped("sanctions_entry.unknown_profile", entry.get("ProfileID", ""))
        return
    draft.add_extra("list", state.ref_text("List", entry.get("ListID")))
    for event in entry.iterfind("EntryEvent"):
        draft.set_listed_on(_date_of(event.find("Date")))
        legal_basis = state.ref("LegalBasis", event.get("LegalBasisID"))
        if legal_basis and legal_basis.text.casefold() != "unknown":
            draft.add_extra(
                "legal_basis", legal_basis.attributes.get("LegalBasisShortRef") or legal_basis.text
            )
    for measure in entry.iterfind("SanctionsMeasure"):
        measure_type = state.ref_text("SanctionsType", measure.get("SanctionsTypeID"))
        comment = text_of(measure, "Comment")
        if measure_type.casefold() == "program":
            draft.add("programs", comment)
        elif measure_type:
            draft.add_extra("sanctions_measures", f"{measure_type}: {comment}" if comment else measure_type)
