from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.targets.schemas import validate_birth_date, validate_country

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class QueryIdentifier(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str | None = Field(None, max_length=50)
    value: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class MatchQueryIn(BaseModel):
    """One query, shaped like the OpenSanctions yente API's example entities (flattened)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["person", "organization", "vessel", "aircraft", "other"] | None = None
    name: Name
    aliases: list[Name] = Field(default_factory=list, max_length=50)
    birth_dates: list[str] = Field(default_factory=list, max_length=10)
    nationalities: list[str] = Field(default_factory=list, max_length=10)
    identifiers: list[QueryIdentifier] = Field(default_factory=list, max_length=20)

    @field_validator("birth_dates")
    @classmethod
    def _dates(cls, values: list[str]) -> list[str]:
        return [validate_birth_date(v) for v in values]

    @field_validator("nationalities")
    @classmethod
    def _countries(cls, values: list[str]) -> list[str]:
        return [validate_country(v) for v in values]


class MatchRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"queries": {"q1": {"kind": "person", "name": "Faleh al-Fayyad", "nationalities": ["IQ"]}}}
            ]
        },
    )
    queries: dict[Annotated[str, StringConstraints(min_length=1, max_length=100)], MatchQueryIn] = Field(
        max_length=100, min_length=1
    )


class MatchResultOut(BaseModel):
    source: str
    list_id: str
    name: str
    score: float
    match: bool
    explanation: dict[str, Any]


class MatchResponseItem(BaseModel):
    results: list[MatchResultOut]
    total: int


class MatchResponse(BaseModel):
    responses: dict[str, MatchResponseItem]
    threshold: float
    limit: int
    snapshots: dict[str, int] = Field(
        description="The snapshot of each source the queries were matched against (source: snapshot id)"
    )


class LinkOut(BaseModel):
    id: int
    target_id: int
    source: str
    list_id: str
    entry_name: str
    entry_listed: bool
    score: float
    state: str
    explanation: dict[str, Any]
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    review_reason: str | None
    created_at: dt.datetime


class Review(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class ScreeningRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    target_ids: list[int] | None = Field(
        None, max_length=10000, description="Only these candidates (default: all)"
    )


class ScreeningOut(BaseModel):
    targets: int
    entries: int
    links_new: int
    links_updated: int
    suggested: int
    auto: int
    reopened: int
    affected_targets: list[int]
