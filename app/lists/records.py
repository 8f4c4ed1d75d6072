"""The normalized record every parser produces, whatever the list's own format.

A record is plain data: parsers build it, the diff compares two of them field by field, the database keeps its
``to_dict()`` form, and the matcher reads names, dates, countries and identifiers from it.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any

ENTRY_KINDS = ("person", "organization", "vessel", "aircraft", "other")
NAME_QUALITIES = ("strong", "weak", "former")
SOURCES = ("ofac_sdn", "ofac_cons", "un_sc", "uk", "eu_fsf", "ca_sema", "au_dfat")
AUTHORITY_OF_SOURCE = {
    "ofac_sdn": "OFAC",
    "ofac_cons": "OFAC",
    "un_sc": "UN",
    "uk": "UK",
    "eu_fsf": "EU",
    "ca_sema": "CA",  # Canada: SEMA and JVCFOR, one consolidated list
    "au_dfat": "AU",  # Australia: DFAT Consolidated List
}


@dataclass(frozen=True, order=True)
class Name:
    full: str
    quality: str = (
        "strong"  # strong (a.k.a. / primary), weak (OFAC "weak aka", UN "low" quality), former (f.k.a.)
    )
    script: str | None = None  # ISO 15924 code where known: Latn, Arab, Cyrl...
    lang: str | None = None


@dataclass(frozen=True, order=True)
class Identifier:
    type: str  # passport, national_id, tax_id, imo, registration, swift_bic, other...
    value: str
    country: str | None = None  # ISO 3166-1 alpha-2
    note: str | None = None


@dataclass(frozen=True, order=True)
class Link:
    list_id: str
    relation: str = "linked_to"


@dataclass
class Entry:
    source: str
    list_id: str
    kind: str
    names: list[Name]  # names[0] is the list's primary name
    birth_dates: list[str] = field(default_factory=list)  # "1956-03-27", "1956-03", "1956", or "1950/1955"
    birth_places: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)  # ISO alpha-2
    citizenships: list[str] = field(default_factory=list)  # ISO alpha-2
    identifiers: list[Identifier] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    programs: list[str] = field(default_factory=list)
    listed_on: str | None = None  # ISO date
    remarks: str | None = None
    links: list[Link] = field(default_factory=list)
    # List-specific attributes worth keeping (UN DATAID, title, gender, vessel flag...): str -> str | list[str]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.names[0].full if self.names else ""

    def to_dict(self) -> dict[str, Any]:
        """Canonical form: lists sorted and de-duplicated, so element order in the file never shows as a change.

        The primary name stays first in ``names`` because which name is primary is itself meaningful.
        """
        data = self._as_plain_dict()
        primary, *others = data["names"] or [None]
        data["names"] = ([primary] if primary else []) + _canonical_list([n for n in others if n != primary])
        for key in (
            "birth_dates",
            "birth_places",
            "nationalities",
            "citizenships",
            "identifiers",
            "addresses",
            "programs",
            "links",
        ):
            data[key] = _canonical_list(data[key])
        data["extra"] = {
            k: (_canonical_list(v) if isinstance(v, list) else v) for k, v in sorted(data["extra"].items())
        }
        return data

    def _as_plain_dict(self) -> dict[str, Any]:
        # What dataclasses.asdict gives, built directly: asdict deep-copies every value on a generic walk, and
        # was 40 % of ingesting a publication (cProfile of the 13,821 SDN entries).
        data: dict[str, Any] = {}
        for name in _ENTRY_FIELDS:
            value = getattr(self, name)
            if name in _RECORD_LISTS:
                value = [{f: getattr(item, f) for f in _RECORD_LISTS[name]} for item in value]
            elif isinstance(value, list):
                value = list(value)
            elif isinstance(value, dict):
                value = copy.deepcopy(value)
            data[name] = value
        return data

    def fingerprint(self) -> str:
        return fingerprint_of(canonical_json(self.to_dict()))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Entry:
        return cls(
            source=data["source"],
            list_id=data["list_id"],
            kind=data["kind"],
            names=[Name(**n) for n in data.get("names", [])],
            birth_dates=list(data.get("birth_dates", [])),
            birth_places=list(data.get("birth_places", [])),
            nationalities=list(data.get("nationalities", [])),
            citizenships=list(data.get("citizenships", [])),
            identifiers=[Identifier(**i) for i in data.get("identifiers", [])],
            addresses=list(data.get("addresses", [])),
            programs=list(data.get("programs", [])),
            listed_on=data.get("listed_on"),
            remarks=data.get("remarks"),
            links=[Link(**x) for x in data.get("links", [])],
            extra=dict(data.get("extra", {})),
        )


_ENTRY_FIELDS = tuple(f.name for f in fields(Entry))
# The fields of Entry that hold records, and the fields of those records.
_RECORD_LISTS = {
    "names": tuple(f.name for f in fields(Name)),
    "identifiers": tuple(f.name for f in fields(Identifier)),
    "links": tuple(f.name for f in fields(Link)),
}


# json.dumps with options builds an encoder on every call; one encoder, made once, writes the same text.
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False).encode


def canonical_json(data: dict[str, Any]) -> str:
    """The one text form of a record's ``to_dict()``: what fingerprints hash and what the database stores."""
    return _CANONICAL(data)


def fingerprint_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical_list(values: list[Any]) -> list[Any]:
    seen: dict[str, Any] = {}
    for value in values:
        seen.setdefault(_CANONICAL(value), value)
    return [seen[k] for k in sorted(seen)]


@dataclass
class Publication:
    """What a parser read from one publication of a list."""

    source: str
    format: (
        str  # e.g. "ofac_csv", "sdn_xml", "sdn_advanced_xml", "un_xml", "ofsi_xlsx", "fcdo_xml", "eu_fsf_xml"
    )
    entries: list[Entry]
    published: dt.date | None = None
    # What could not be mapped, counted per field ("remarks.unparsed", "nationality.unknown_country"...)
    unmapped: Counter[str] = field(default_factory=Counter)
    # Examples of unmapped values per field (a few each), so an operator can see what was kept aside.
    unmapped_examples: dict[str, list[str]] = field(default_factory=dict)

    def note_unmapped(self, field_name: str, value: str, keep: int = 5) -> None:
        self.unmapped[field_name] += 1
        examples = self.unmapped_examples.setdefault(field_name, [])
        if len(examples) < keep:
            examples.append(value[:200])


class ParseError(ValueError):
    """The file is not a valid publication of the expected list: it must be rejected, with this reason."""
