"""What the three OFAC formats share: the vocabulary of OFAC "features" (passport, tax id, website, directive
information...) and the grammar of the packed remarks field of the legacy CSV files.

OFAC writes the same facts with the same labels everywhere: ``Passport D1019262 (Iraq) expires 14 Jul 2026`` in a CSV
remarks field is ``<idType>Passport</idType><idNumber>D1019262</idNumber><idCountry>Iraq</idCountry>`` in SDN.XML
and an IDRegDocument of type "Passport" in the advanced XML. One table of labels maps them all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from app.lists.parsers.common import (
    EntryDraft,
    clean,
    make_name,
    parse_date,
    parse_date_or_range,
)
from app.lists.parsers.countries import country_code
from app.lists.records import Identifier, Link, Publication


@dataclass(frozen=True)
class Feature:
    """Where the value of one OFAC label goes: an identifier of ``key`` type, or ``extra[key]``."""

    target: str  # "id", "extra", "extra_date", "extra_country"
    key: str


# The label each identifier type is usually written with; other labels of the type are kept in the note.
_USUAL_LABEL: dict[str, str] = {}


def _ids(key: str, *labels: str) -> dict[str, Feature]:
    _USUAL_LABEL.setdefault(key, labels[0])
    return {label: Feature("id", key) for label in labels}


def _extras(key: str, *labels: str) -> dict[str, Feature]:
    return {label: Feature("extra", key) for label in labels}


OFAC_FEATURES: dict[str, Feature] = {
    **_ids(
        "passport",
        "Passport",
        "Diplomatic Passport",
        "British National Overseas Passport",
        "Stateless Person Passport",
        "Travel Document Number",
        "Seafarer's Identification Document",
    ),
    **_ids(
        "national_id",
        "National ID No.",
        "Cedula No.",
        "D.N.I.",
        "Identification Number",
        "Personal ID Card",
        "Bosnian Personal ID No.",
        "Kenyan ID No.",
        "Moroccan Personal ID No.",
        "Turkish Identification Number",
        "Tazkira National ID Card",
        "Federal ID Card",
        "UAE Identification",
        "Citizen's Card Number",
        "Numero de Identidad",
        "Tarjeta de Identidad",
        "C.U.R.P.",
        "CURP #",
        "CNP (Personal Numerical Code)",
        "I.F.E.",
        "Credencial electoral",
        "Electoral Registry No.",
        "National Foreign ID Number",
        "N.I.E.",
        "C.I.N.",
        "C.U.I.P.",
        "Stateless Person ID Card",
        "Refugee ID Card",
        "SSN",
        "Public Security and Immigration No.",
        "Romanian Permanent Resident",
    ),
    **_ids(
        "tax_id",
        "Tax ID No.",
        "NIT #",
        "RUC #",
        "RIF #",
        "US FEIN",
        "V.A.T. Number",
        "C.U.I.T.",
        "Italian Fiscal Code",
        "Fiscal Code",
        "R.F.C.",
        "RFC",
        "N.I.F.",
        "C.I.F.",
        "Paraguayan tax identification number",
        "Numero Unico de Identificacao Tributaria (NUIT)",
        "RTN",
        "Romanian Tax Registration",
        "C.U.I.",
    ),
    **_ids(
        "registration",
        "Registration Number",
        "Registration ID",
        "Business Registration Number",
        "Business Registration Document #",
        "Commercial Registry Number",
        "C.R. No.",
        "Company Number",
        "UK Company Number",
        "Public Registration Number",
        "Certificate of Incorporation Number",
        "Trade License No.",
        "Folio Mercantil No.",
        "Matricula Mercantil No",
        "Chamber of Commerce Number",
        "Istanbul Chamber of Comm. No.",
        "Dubai Chamber of Commerce Membership No.",
        "Registration Certificate Number (Dubai)",
        "Romanian C.R.",
        "Government Gazette Number",
        "Unified Social Credit Code (USCC)",
        "United Social Credit Code Certificate (USCCC)",
        "Central Registration System Number",
        "Economic Register Number (CBLS)",
        "Enterprise Number",
        "Business Number",
        "Organization Code",
        "Branch Unit Number",
        "Registered Charity No.",
        "MSB Registration Number",
        "Russian State Individual Business Registration Number Pattern (OGRNIP)",
        "Entity Code",
        "Global Intermediary Identification Number",
        "LE Number",
        "License",
        "Afghan Money Service Provider License Number",
        "Tourism License No.",
        "Permit Number",
        "SRE Permit No.",
        "Trademark number",
        "File Number",
    ),
    **_ids("lei", "Legal Entity Number"),
    **_ids("imo", "Vessel Registration Identification"),
    **_ids("mmsi", "MMSI"),
    **_ids("call_sign", "Vessel Call Sign", "Other Vessel Call Sign", "Call Sign"),
    **_ids("swift_bic", "SWIFT/BIC"),
    **_ids("isin", "ISIN"),
    **_ids("ticker", "Equity Ticker"),
    **_ids("duns", "D-U-N-S Number"),
    **_ids("bik", "BIK (RU)"),
    **_ids("micex", "MICEX Code"),
    **_ids("un_locode", "UN/LOCODE"),
    **_ids("driving_license", "Driver's License No."),
    **_ids("birth_certificate", "Birth Certificate Number"),
    **_ids("residency", "Residency Number", "Immigration No.", "VisaNumberID"),
    **_ids("military_id", "Cartilla de Servicio Militar Nacional", "Military Registration Number"),
    **_ids("pilot_license", "Pilot License Number"),
    **_ids("serial_number", "Serial No."),
    **_ids("aircraft_msn", "Aircraft Manufacturer's Serial Number (MSN)", "Aircraft Serial Identification"),
    **_ids("aircraft_tail_number", "Aircraft Tail Number", "Previous Aircraft Tail Number"),
    **_ids("aircraft_construction_number", "Aircraft Construction Number (also called L/N or S/N or F/N)"),
    **_ids("aircraft_mode_s", "Aircraft Mode S Transponder Code"),
    **_extras("gender", "Gender"),
    **_extras("title", "Title"),
    **_extras("website", "Website"),
    **_extras("email", "Email Address", "Email"),
    **_extras("phone", "Phone Number", "Telephone", "Telephone No."),
    **_extras("fax", "Fax"),
    **_extras("target_type", "Target Type"),
    **_extras("organization_type", "Organization Type"),
    **_extras("issuer_name", "Issuer Name"),
    **_extras("chinese_commercial_code", "Chinese Commercial Code"),
    **_extras("vessel_type", "VESSEL TYPE", "Vessel Type", "Other Vessel Type"),
    **_extras("vessel_flag", "Vessel Flag", "Other Vessel Flag"),
    **_extras("former_vessel_flag", "Former Vessel Flag"),
    **_extras("vessel_owner", "Vessel Owner"),
    **_extras("tonnage", "Vessel Tonnage"),
    **_extras("gross_registered_tonnage", "Vessel Gross Registered Tonnage"),
    **_extras("vessel_year_of_build", "Vessel Year of Build"),
    **_extras("aircraft_model", "Aircraft Model"),
    **_extras("aircraft_operator", "Aircraft Operator"),
    **_extras("additional_sanctions_information", "Additional Sanctions Information"),
    **_extras("secondary_sanctions_risk", "Secondary sanctions risk"),
    **_extras(
        "transactions_prohibited",
        "Transactions Prohibited For Persons Owned or Controlled By U.S. Financial Institutions",
    ),
    **_extras("eo13662_directive", "Executive Order 13662 Directive Determination"),
    **_extras(
        "eo14024_directive",
        "Executive Order 14024 Directive Information",
        "Executive Order 14024 Directive Information -",
    ),
    **_extras("eo14014_directive", "Executive Order 14014 Directive Information"),
    **_extras("eo13846_information", "Executive Order 13846 information"),
    **_extras("eo14059_information", "Executive Order 14059 information"),
    **_extras("caatsa_235_information", "CAATSA Section 235 Information"),
    **_extras("ifca_determination", "IFCA Determination"),
    **_extras("peesa_information", "PEESA Information"),
    **_extras("paipa_information", "PAIPA Section 2 Information"),
    **_extras("more_information", "For more information on directives, please visit the following link"),
    "Organization Established Date": Feature("extra_date", "organization_established"),
    "Aircraft Manufacture Date": Feature("extra_date", "aircraft_manufacture_date"),
    "Nationality of Registration": Feature("extra_country", "registration_country"),
    "Registration Country": Feature("extra_country", "registration_country"),
}

# Labels that carry a date for a directive or a CMIC listing: "Listing Date (EO 14024 Directive 2): 24 Feb 2022".
_DIRECTIVE_DATE = re.compile(
    r"(?P<label>(?:Listing|Effective|Purchase/Sales For Divestment) Date \((?P<what>[^)]*)\)):?\s*(?P<date>.*)",
    re.I,
)
_DIGITAL_CURRENCY = re.compile(
    r"Digital Currency Address\s*-\s*(?P<currency>[A-Z0-9]+)\s*:?\s*(?P<address>.*)", re.I
)
_IMO_VALUE = re.compile(r"IMO\s*:?\s*(?P<number>\d{7})\b", re.I)


@lru_cache(maxsize=2048)
def _normalize_label(label: str) -> str:
    return " ".join(label.strip().rstrip(":-").strip().casefold().split())


_FEATURES_BY_LABEL = {_normalize_label(label): feature for label, feature in OFAC_FEATURES.items()}


def feature_for(label: str) -> Feature | None:
    return _FEATURES_BY_LABEL.get(_normalize_label(label))


def _identifier_note(issued: str | None, expires: str | None, extra_note: str | None = None) -> str | None:
    parts = []
    if extra_note:
        parts.append(extra_note)
    if issued:
        parts.append(f"issued {parse_date(issued) or clean(issued)}")
    if expires:
        parts.append(f"expires {parse_date(expires) or clean(expires)}")
    return "; ".join(parts) or None


def apply_feature(
    draft: EntryDraft,
    publication: Publication,
    label: str,
    value: str,
    *,
    country: str | None = None,
    issued: str | None = None,
    expires: str | None = None,
    note: str | None = None,
) -> None:
    """Record one labelled OFAC value (an SDN.XML id, an advanced-XML feature or document, a remarks piece whose
    label is known) on the draft.

    A label this table does not know is kept as an identifier of type "other" with the label in its note: the
    callers only pass values OFAC structured as labelled ids, so they are ids OFAC introduced after this was written.
    """
    value = clean(value)
    label = clean(label)
    if not value:
        return
    directive = _DIRECTIVE_DATE.fullmatch(f"{label} {value}") or _DIRECTIVE_DATE.fullmatch(label)
    if directive and directive.group("what"):
        date_text = directive.group("date") or value
        draft.add_extra(
            "directive_dates", f"{directive.group('label')}: {parse_date(date_text) or clean(date_text)}"
        )
        return
    currency = _DIGITAL_CURRENCY.fullmatch(f"{label} {value}")
    if currency and currency.group("address"):
        draft.add(
            "identifiers",
            Identifier("crypto_wallet", currency.group("address"), None, currency.group("currency")),
        )
        return
    feature = feature_for(label) or Feature("id", "other")
    if feature.target == "extra":
        draft.add_extra(feature.key, value)
    elif feature.target == "extra_date":
        draft.add_extra(feature.key, parse_date(value) or value)
    elif feature.target == "extra_country":
        code = country_code(value)
        if code:
            draft.add_extra(feature.key, code)
        else:
            publication.note_unmapped(f"{feature.key}.unknown_country", value)
    else:
        _add_identifier(draft, publication, feature.key, label, value, country, issued, expires, note)


def _add_identifier(
    draft: EntryDraft,
    publication: Publication,
    id_type: str,
    label: str,
    value: str,
    country: str | None,
    issued: str | None,
    expires: str | None,
    note: str | None,
) -> None:
    # OFAC's own label is kept in the note when it says more than the type ("Cedula No." and "D.N.I." are both
    # national ids); "Passport" for a passport says nothing more.
    notes = [] if _normalize_label(label) == _normalize_label(_USUAL_LABEL.get(id_type, id_type)) else [label]
    imo = _IMO_VALUE.match(value)
    if imo and id_type in ("imo", "registration", "national_id"):
        if label.casefold() == "vessel registration identification":
            notes = []
        id_type, value = "imo", imo.group("number")
    elif id_type == "imo":
        # "Vessel Registration Identification 15411 (Malta)": a national ship register number, not an IMO number.
        id_type, notes = "registration", [label]
    if note:
        notes.append(note)
    country_iso = None
    if country:
        country_iso = country_code(country)
        if country_iso is None:
            publication.note_unmapped("identifier.unknown_country", country)
            notes.append(clean(country))
    note_text = _identifier_note(issued, expires, "; ".join(notes) or None)
    draft.add("identifiers", Identifier(id_type, value, country_iso, note_text))


# ---------------------------------------------------------------------------------------------------------------
# The packed remarks field of the legacy CSV files

_ID_VALUE = re.compile(
    r"(?P<value>.*?)"
    r"(?:\s*\((?P<country>[^()]+)\))?"
    r"(?:\s*,?\s*issued\s+(?P<issued>(?:\d{1,2}\s+)?[A-Za-z]{3,9}\.?\s+\d{4}|\d{4}))?"
    r"(?:\s*,?\s*expires\s+(?P<expires>(?:\d{1,2}\s+)?[A-Za-z]{3,9}\.?\s+\d{4}|\d{4}))?\s*"
)
_ALIAS = re.compile(r"(?P<kind>a\.k\.a\.|f\.k\.a\.|n\.k\.a\.)\s*(?P<name>.+)", re.I)
_ALIAS_QUALITY = {"a.k.a.": "weak", "f.k.a.": "former", "n.k.a.": "weak"}
_LINKED_TO = re.compile(r"Linked To:\s*(?P<name>.+)", re.I)
_SIMPLE = re.compile(r"(?P<label>DOB|POB|nationality|citizen)(?:\s*:\s*|\s+)(?P<value>.+)", re.I)
_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)

_LABEL_ALTERNATION = "|".join(
    re.escape(label.rstrip(":- ")) for label in sorted(OFAC_FEATURES, key=len, reverse=True)
)
_LABELLED = re.compile(rf"(?P<label>{_LABEL_ALTERNATION})(?:\s*[:-])?(?:\s+|$)(?P<value>.*)", re.I)


def split_remarks(remarks: str) -> list[str]:
    """The pieces of a remarks field: separated by "; ", the whole ending with a full stop."""
    text = remarks.strip()
    if text.endswith("."):
        text = text[:-1]
    return [piece.strip() for piece in re.split(r";\s*", text) if piece.strip()]


def _unquote(name: str) -> str:
    name = name.strip().rstrip(".")
    if len(name) >= 2 and name[0] == "'" and name[-1] == "'":
        return name[1:-1]
    return name.strip("'")


def apply_remarks(draft: EntryDraft, publication: Publication, remarks: str) -> None:
    """Map the pieces of an OFAC remarks field onto the draft; count every piece that maps to nothing."""
    for piece in split_remarks(remarks):
        body = piece[5:].strip() if piece.casefold().startswith("alt. ") else piece
        alias = _ALIAS.fullmatch(body)
        if alias:
            quality = _ALIAS_QUALITY[alias.group("kind").casefold()]
            draft.add_name(make_name(_unquote(alias.group("name")), quality))
            continue
        linked = _LINKED_TO.fullmatch(body)
        if linked:
            draft.add("linked_names", clean(linked.group("name")).rstrip("."))
            continue
        # Labelled features first: "Nationality of Registration" must not be read as a nationality.
        if _apply_labelled(draft, publication, body):
            continue
        simple = _SIMPLE.fullmatch(body)
        if simple:
            _apply_simple(draft, publication, simple.group("label").casefold(), clean(simple.group("value")))
            continue
        if _URL.fullmatch(body):
            draft.add_extra("website", body)  # OFAC sometimes writes a bare web address without "Website"
            continue
        publication.note_unmapped("remarks.unparsed", piece)


def _apply_simple(draft: EntryDraft, publication: Publication, label: str, value: str) -> None:
    if label == "dob":
        add_birth_date(draft, publication, value)
    elif label == "pob":
        draft.add("birth_places", value)
    elif label == "nationality":
        draft.add_country("nationalities", value, publication, "nationality.unknown_country", country_code)
    else:  # citizen
        draft.add_country("citizenships", value, publication, "citizenship.unknown_country", country_code)


def add_birth_date(draft: EntryDraft, publication: Publication, value: str) -> None:
    """A date of birth as OFAC writes it: "27 Mar 1956", "circa 1951", "1950 to 1955", "Mar 1956"."""
    text = clean(value)
    circa = re.match(r"(?:circa|approximately|approx\.?|about)\s+", text, re.I)
    if circa:
        text = text[circa.end() :]
    iso = parse_date_or_range(text)
    if iso is None:
        publication.note_unmapped("birth_date.unparsed", value)
        return
    draft.add("birth_dates", iso)
    if circa:
        draft.add_extra("birth_dates_circa", iso)


def _apply_labelled(draft: EntryDraft, publication: Publication, body: str) -> bool:
    """Map a remarks piece that starts with a known OFAC label; False when it does not."""
    directive = _DIRECTIVE_DATE.fullmatch(body)
    if directive:
        apply_feature(draft, publication, directive.group("label"), directive.group("date"))
        return True
    currency = _DIGITAL_CURRENCY.fullmatch(body)
    if currency:
        label = f"Digital Currency Address - {currency.group('currency')}"
        apply_feature(draft, publication, label, currency.group("address"))
        return True
    labelled = _LABELLED.fullmatch(body)
    if not labelled or not labelled.group("value").strip():
        return False
    label, value = labelled.group("label"), labelled.group("value").strip()
    feature = feature_for(label)
    if feature is None:
        return False
    if feature.target != "id":
        apply_feature(draft, publication, label, value)
        return True
    parts = _ID_VALUE.fullmatch(value)
    if parts is None or not parts.group("value").strip():
        return False
    apply_feature(
        draft,
        publication,
        label,
        parts.group("value").strip(" ,"),
        country=parts.group("country"),
        issued=parts.group("issued"),
        expires=parts.group("expires"),
    )
    return True


# ---------------------------------------------------------------------------------------------------------------
# "Linked To: NAME" → the list id of the entry with that name


def _fold_name(name: str) -> str:
    # The full stop that ends a remarks field is indistinguishable from one ending a name ("... CO."), so both sides
    # are compared without it.
    return " ".join(name.casefold().split()).rstrip(".")


def resolve_links(drafts: list[EntryDraft], publication: Publication) -> None:
    """Resolve each linked name to the one entry whose primary name it is (or, failing that, the one entry that has
    it as a strong alias). A name that matches no entry, or several, is counted as unmapped, never guessed."""
    by_primary: dict[str, set[str]] = {}
    by_alias: dict[str, set[str]] = {}
    for draft in drafts:
        if not draft.names:
            continue
        by_primary.setdefault(_fold_name(draft.names[0].full), set()).add(draft.list_id)
        for name in draft.names[1:]:
            if name.quality == "strong":
                by_alias.setdefault(_fold_name(name.full), set()).add(draft.list_id)
    for draft in drafts:
        for linked_name in draft.linked_names:
            key = _fold_name(linked_name)
            candidates = by_primary.get(key) or by_alias.get(key) or set()
            candidates = candidates - {draft.list_id}
            if len(candidates) == 1:
                draft.add("links", Link(list_id=next(iter(candidates)), relation="linked_to"))
            elif candidates:
                publication.note_unmapped("links.ambiguous_name", linked_name)
                draft.add_extra("linked_to_unresolved", linked_name)
            else:
                publication.note_unmapped("links.not_in_this_list", linked_name)
                draft.add_extra("linked_to_unresolved", linked_name)


def ofac_programs(field_value: str) -> list[str]:
    """The programmes of one CSV field: "FTO] [SDGT] [IRAQ3" gives FTO, SDGT and IRAQ3."""
    text = clean(field_value)
    if not text:
        return []
    return [part.strip(" []") for part in text.split("] [") if part.strip(" []")]


def kind_of_ofac_type(value: str) -> str | None:
    return {
        "": "organization",
        "entity": "organization",
        "individual": "person",
        "vessel": "vessel",
        "aircraft": "aircraft",
    }.get(clean(value).casefold())


__all__ = [
    "OFAC_FEATURES",
    "add_birth_date",
    "apply_feature",
    "apply_remarks",
    "feature_for",
    "kind_of_ofac_type",
    "ofac_programs",
    "resolve_links",
    "split_remarks",
]
