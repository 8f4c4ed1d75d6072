"""The JSON shapes of documents, their mentions, and adopting mentions as candidates."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, StringConstraints, field_validator

from app.targets.schemas import Allegation, Credibility, SourceType, Tag

Citation = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class CitationFields(BaseModel):
    """What to cite the document as, where it does not say so itself (given fields win over what it says)."""

    model_config = ConfigDict(extra="forbid")
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)] | None = (
        None
    )
    author: Citation | None = None
    publisher: Citation | None = None
    published_on: dt.date | None = None

    @field_validator("published_on")
    @classmethod
    def _not_future(cls, value: dt.date | None) -> dt.date | None:
        if value is not None and value > dt.date.today() + dt.timedelta(days=1):
            raise ValueError("date is in the future")
        return value


class DocumentFromUrl(CitationFields):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://www.washingtoninstitute.org/policy-analysis/us-iraq-relations-crossroads-policy-options",
                    "publisher": "The Washington Institute for Near East Policy",
                }
            ]
        },
    )
    url: HttpUrl

    @field_validator("url")
    @classmethod
    def _fits(cls, value: HttpUrl) -> HttpUrl:
        if len(str(value)) > 2000:
            raise ValueError("the URL is longer than 2000 characters")
        return value


class ListedOut(BaseModel):
    """A listed entry a mention matched, and where that leaves the name with the entry's authority."""

    source: str
    list_id: str
    name: str
    score: float
    authority: str | None = None
    programs: list[str] = []
    listed_on: str | None = None


class OccurrenceOut(BaseModel):
    start: int
    end: int
    text: str
    sentence: str


class MentionOut(BaseModel):
    id: int
    text: str
    kind: str
    sentence: str
    start: int
    end: int
    names: list[str]
    listed: list[ListedOut]
    candidate_id: int | None
    occurrences: list[OccurrenceOut]


class DocumentOut(BaseModel):
    id: int
    sha256: str
    title: str
    author: str | None
    publisher: str | None
    published_on: dt.date | None
    url: str | None
    filename: str | None
    media_type: str
    size: int
    created_at: dt.datetime
    mentions: list[MentionOut]


class DocumentSummary(BaseModel):
    id: int
    sha256: str
    title: str
    url: str | None
    media_type: str
    created_at: dt.datetime
    mentions: int


class DocumentPage(BaseModel):
    items: list[DocumentSummary]
    total: int
    limit: int
    offset: int


class AdoptRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"mentions": [1, 2], "programs": ["GLOMAG"], "tags": ["iraq"], "allegation": "other"}
            ]
        },
    )
    mentions: list[int] = Field(min_length=1, max_length=500, description="Ids of the document's mentions")
    programs: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]] = (
        Field(
            default_factory=list,
            max_length=50,
            description="Program codes for new candidates (GLOMAG, SDGT...)",
        )
    )
    tags: list[Tag] = Field(default_factory=list, max_length=50)
    allegation: Allegation = Field("other", description="What the evidence records say the sentences show")
    source_type: SourceType = "other"
    credibility: Credibility | None = None


class AdoptedOut(BaseModel):
    mention_id: int
    candidate_id: int
    name: str
    created: bool  # a new candidate (False: the mention was already one)
    evidence_id: int | None  # the evidence record citing the document (None: it already had one)


class AdoptResult(BaseModel):
    adopted: list[AdoptedOut]
    created: int
    evidence_added: int

    def to_json(self) -> dict[str, Any]:
        return self.model_dump()
