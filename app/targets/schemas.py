"""The JSON shapes of candidates, evidence and programs, with the validation that guards them."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    field_validator,
)

from app.countries import ISO_ALPHA2
from app.targets.models import ALLEGATIONS, CREDIBILITY_GRADES, SOURCE_TYPES, TARGET_KINDS, TARGET_STATUSES

Kind = Literal[TARGET_KINDS]  # type: ignore[valid-type]
Status = Literal[TARGET_STATUSES]  # type: ignore[valid-type]
SourceType = Literal[SOURCE_TYPES]  # type: ignore[valid-type]
Allegation = Literal[ALLEGATIONS]  # type: ignore[valid-type]
Credibility = Literal[CREDIBILITY_GRADES]  # type: ignore[valid-type]

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
MAX_ITEMS = 200
# The longest name or alias: the lists' longest names (organizations with their full legal form) stay well under it,
# and a name longer than this is a paragraph pasted into the wrong field.
NAME_MAX_LENGTH = 300
# Control characters (tabs, line breaks, NUL...) and the Unicode line and paragraph separators. Format characters
# (Cf) stay allowed: Persian and Arabic names use the zero-width non-joiner, bidirectional text its marks.
_NOT_IN_A_NAME = ("Cc", "Zl", "Zp")


def validate_name(value: str) -> str:
    """One line of text with at least one letter or digit: what a person's or an organization's name can be."""
    if any(unicodedata.category(char) in _NOT_IN_A_NAME for char in value):
        raise ValueError(
            "a name is one line of text: it cannot hold a line break, a tab or another control character"
        )
    if not any(char.isalnum() for char in value):
        raise ValueError(f"{value!r} is not a name: it has no letter or digit")
    return value


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX_LENGTH),
    AfterValidator(validate_name),
]

_PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _parse_partial(value: str) -> tuple[dt.date, dt.date]:
    """First and last day a partial ISO date ("1956", "1956-03", "1956-03-27") can mean."""
    if not _PARTIAL_DATE.match(value):
        raise ValueError(f"{value!r} is not a date: use YYYY-MM-DD, YYYY-MM, YYYY or a range FROM/TO")
    parts = [int(p) for p in value.split("-")]
    try:
        if len(parts) == 3:
            day = dt.date(*parts)
            return day, day
        if len(parts) == 2:
            first = dt.date(parts[0], parts[1], 1)
            nxt = dt.date(parts[0] + (parts[1] == 12), parts[1] % 12 + 1, 1)
            return first, nxt - dt.timedelta(days=1)
        return dt.date(parts[0], 1, 1), dt.date(parts[0], 12, 31)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a real date") from exc


def validate_birth_date(value: str) -> str:
    value = value.strip()
    low_text, sep, high_text = value.partition("/")
    low, _ = _parse_partial(low_text)
    high = _parse_partial(high_text)[1] if sep else _parse_partial(low_text)[1]
    if sep and high < low:
        raise ValueError(f"{value!r}: the range ends before it starts")
    if low > dt.date.today():
        raise ValueError(f"{value!r} is in the future")
    if low.year < 1850:
        raise ValueError(f"{value!r} is too far in the past to be a date of birth")
    return value


def validate_country(value: str) -> str:
    code = value.strip().upper()
    if code not in ISO_ALPHA2:
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code (e.g. IQ, IR, GB)")
    return code


class Alias(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    script: Annotated[str, StringConstraints(pattern=r"^[A-Z][a-z]{3}$")] | None = Field(
        None, description="ISO 15924 script code, e.g. Latn, Arab, Cyrl"
    )
    lang: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")] | None = Field(
        None, description="ISO 639 language code, e.g. ar, fa, ru"
    )


class Identifier(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)] = Field(
        description="passport, national_id, tax_id, imo, registration, other..."
    )
    value: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    country: str | None = None

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        return validate_country(value) if value else None


class Address(BaseModel):
    model_config = ConfigDict(extra="forbid")
    full: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
    country: str | None = None

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        return validate_country(value) if value else None


def _alias(value: Any) -> Any:
    return {"name": value} if isinstance(value, str) else value


def _address(value: Any) -> Any:
    return {"full": value} if isinstance(value, str) else value


class TargetFields(BaseModel):
    """Fields shared by create and update; on update every field is optional."""

    model_config = ConfigDict(extra="forbid")

    aliases: list[Alias] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="Other names; a plain string is accepted for {'name': ...}",
    )
    birth_dates: list[str] = Field(
        default_factory=list, max_length=20, description="YYYY-MM-DD, YYYY-MM, YYYY, or a range FROM/TO"
    )
    birth_places: list[
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    ] = Field(default_factory=list, max_length=20)
    nationalities: list[str] = Field(
        default_factory=list, max_length=20, description="ISO 3166-1 alpha-2 codes"
    )
    identifiers: list[Identifier] = Field(default_factory=list, max_length=MAX_ITEMS)
    addresses: list[Address] = Field(default_factory=list, max_length=MAX_ITEMS)
    programs: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]] = (
        Field(
            default_factory=list,
            max_length=50,
            description="Program codes, e.g. GLOMAG, SDGT, FTO (GET /v1/programs)",
        )
    )
    rationale: str = Field("", max_length=20000)
    tags: list[Tag] = Field(default_factory=list, max_length=50)
    owner: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None

    _aliases = field_validator("aliases", mode="before")(
        lambda v: [_alias(x) for x in v] if isinstance(v, list) else v
    )
    _addresses = field_validator("addresses", mode="before")(
        lambda v: [_address(x) for x in v] if isinstance(v, list) else v
    )

    @field_validator("birth_dates")
    @classmethod
    def _birth_dates(cls, values: list[str]) -> list[str]:
        return [validate_birth_date(v) for v in values]

    @field_validator("nationalities")
    @classmethod
    def _nationalities(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(validate_country(v) for v in values))

    @field_validator("tags")
    @classmethod
    def _tags(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(values))


class TargetCreate(TargetFields):
    kind: Kind
    name: Name = Field(
        description=f"One line, at least one letter or digit, at most {NAME_MAX_LENGTH} characters"
    )
    status: Status = "candidate"

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "person",
                    "name": "Faleh al-Fayyad",
                    "aliases": ["Falih al-Fayyadh"],
                    "programs": ["GLOMAG"],
                    "nationalities": ["IQ"],
                    "birth_dates": ["1956"],
                    "tags": ["iraq", "pmf"],
                    "rationale": "National security adviser accused of directing violence against protesters.",
                }
            ]
        },
    )


class TargetUpdate(BaseModel):
    """A partial update: only the fields given change."""

    model_config = ConfigDict(extra="forbid")
    kind: Kind | None = None
    name: Name | None = None
    status: Status | None = None
    aliases: list[Alias] | None = Field(None, max_length=MAX_ITEMS)
    birth_dates: list[str] | None = Field(None, max_length=20)
    birth_places: (
        list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]] | None
    ) = Field(None, max_length=20)
    nationalities: list[str] | None = Field(None, max_length=20)
    identifiers: list[Identifier] | None = Field(None, max_length=MAX_ITEMS)
    addresses: list[Address] | None = Field(None, max_length=MAX_ITEMS)
    programs: (
        list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]] | None
    ) = Field(None, max_length=50)
    rationale: str | None = Field(None, max_length=20000)
    tags: list[Tag] | None = Field(None, max_length=50)
    owner: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None

    _aliases = field_validator("aliases", mode="before")(
        lambda v: [_alias(x) for x in v] if isinstance(v, list) else v
    )
    _addresses = field_validator("addresses", mode="before")(
        lambda v: [_address(x) for x in v] if isinstance(v, list) else v
    )

    @field_validator("birth_dates")
    @classmethod
    def _birth_dates(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else [validate_birth_date(v) for v in values]

    @field_validator("nationalities")
    @classmethod
    def _nationalities(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else list(dict.fromkeys(validate_country(v) for v in values))


class ProgramOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    authority: str
    name: str
    legal_basis: str
    themes: list[str] = Field(
        description="What the program is aimed at: human_rights, corruption, terrorism, country (a country "
        "programme) or other; human_rights and corruption are the Magnitsky themes"
    )


class AuthorityStatusOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    authority: str
    status: str
    programs: list[str] = []
    entry_ids: list[dict[str, Any]] = []
    listed_on: dt.date | None = None
    delisted_on: dt.date | None = None


class TargetOut(BaseModel):
    id: int
    kind: str
    name: str
    aliases: list[Alias]
    birth_dates: list[str]
    birth_places: list[str]
    nationalities: list[str]
    identifiers: list[Identifier]
    addresses: list[Address]
    programs: list[str]
    rationale: str
    tags: list[str]
    owner: str | None
    status: str
    authority_status: list[AuthorityStatusOut] = []
    standing: dict[str, str] = Field(
        default_factory=dict,
        description="Every authority's standing: listed, delisted, not_listed (its list is loaded and none of "
        "its entries is linked) or no_list (no list of that authority is loaded: not known)",
        examples=[
            {
                "OFAC": "listed",
                "UN": "not_listed",
                "UK": "not_listed",
                "EU": "no_list",
                "CA": "listed",
                "AU": "no_list",
            }
        ],
    )
    evidence_count: int = 0
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class TargetPage(BaseModel):
    items: list[TargetOut]
    total: int
    limit: int
    offset: int


class EvidenceCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "source_type": "ngo_report",
                    "title": "U.S.-Iraq Relations at a Crossroads: Policy Options",
                    "publisher": "The Washington Institute",
                    "author": "Michael Knights",
                    "url": "https://www.washingtoninstitute.org/policy-analysis/us-iraq-relations-crossroads-policy-options",
                    "published_on": "2020-01-02",
                    "allegation": "human_rights_abuse",
                    "credibility": "B",
                    "excerpt": "The best way to open that campaign is by sanctioning Faleh al-Fayyad...",
                }
            ]
        },
    )

    source_type: SourceType
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
    publisher: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    author: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    url: HttpUrl | None = None
    published_on: dt.date | None = None
    accessed_on: dt.date | None = None
    excerpt: str = Field("", max_length=20000, description="The quoted passage, at most 20,000 characters")
    allegation: Allegation
    credibility: Credibility | None = Field(
        None,
        description="Admiralty source reliability: A completely reliable ... E unreliable, F cannot be judged",
    )
    content_sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")] | None = None

    @field_validator("published_on", "accessed_on")
    @classmethod
    def _not_future(cls, value: dt.date | None) -> dt.date | None:
        if value is not None and value > dt.date.today() + dt.timedelta(days=1):
            raise ValueError("date is in the future")
        return value

    @field_validator("content_sha256")
    @classmethod
    def _lower(cls, value: str | None) -> str | None:
        return value.lower() if value else None

    @field_validator("url")
    @classmethod
    def _url_fits(cls, value: HttpUrl | None) -> HttpUrl | None:
        # Measured once normalized (which can add a "/" or percent-escapes): evidence.url is varchar(2000).
        if value is not None and len(str(value)) > 2000:
            raise ValueError("the URL is longer than 2000 characters")
        return value


class EvidenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    target_id: int
    source_type: str
    title: str
    publisher: str | None
    author: str | None
    url: str | None
    published_on: dt.date | None
    accessed_on: dt.date | None
    excerpt: str
    allegation: str
    credibility: str | None
    content_sha256: str | None
    created_at: dt.datetime
    created_by: str | None
    retracted: bool
    retracted_at: dt.datetime | None
    retracted_by: str | None
    retraction_reason: str | None


class Retraction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
