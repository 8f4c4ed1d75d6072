from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.alerts.coverage import THEME_STANDINGS
from app.alerts.models import EVENT_TYPES
from app.targets.models import AUTHORITIES

EventType = Literal[EVENT_TYPES]  # type: ignore[valid-type]
Authority = Literal[AUTHORITIES]  # type: ignore[valid-type]


class WebhookFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")
    programs: list[Annotated[str, StringConstraints(max_length=100)]] = Field(
        default_factory=list, max_length=100
    )
    authorities: list[Authority] = Field(default_factory=list, max_length=len(AUTHORITIES))
    tags: list[Annotated[str, StringConstraints(max_length=100)]] = Field(
        default_factory=list, max_length=100
    )
    target_ids: list[int] = Field(default_factory=list, max_length=10000)


class WebhookCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://alerts.example.org/sanctrack",
                    "event_types": ["target.designated", "target.delisted"],
                    "filters": {"authorities": ["OFAC", "UK"]},
                    "description": "Iraq desk",
                }
            ]
        },
    )
    url: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    event_types: list[EventType] = Field(default_factory=list, description="Empty: every event type")
    filters: WebhookFilters = Field(default_factory=WebhookFilters)
    description: Annotated[str, StringConstraints(max_length=500)] = ""


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)] | None = None
    event_types: list[EventType] | None = None
    filters: WebhookFilters | None = None
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    status: Literal["active", "paused"] | None = None


class WebhookOut(BaseModel):
    id: int
    url: str
    description: str
    event_types: list[str]
    filters: dict[str, Any]
    status: str
    disabled_reason: str | None
    failing_since: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="The signing secret (whsec_...): shown only now")


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    at: dt.datetime
    status_code: int | None
    latency_ms: int | None
    ok: bool
    response_excerpt: str | None
    error: str | None


class DeliveryOut(BaseModel):
    id: int
    webhook_id: int
    event_id: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    attempt_log: list[AttemptOut]


class EventOut(BaseModel):
    id: str
    type: str
    occurred_at: dt.datetime
    target_id: int | None
    authority: str | None
    source: str | None
    snapshot_id: int | None
    data: dict[str, Any]


class RegimeOut(BaseModel):
    authority: str
    code: str
    name: str
    legal_basis: str
    themes: list[str]


class AuthorityThemeStandingOut(BaseModel):
    authority: Authority
    standing: Literal[THEME_STANDINGS] = Field(  # type: ignore[valid-type]
        description="listed (under a regime of the themes), listed_other (listed only under other programs: not "
        "yet under these), listed_unclassified (under a program the service does not classify), delisted, "
        "not_listed (its list is loaded: not yet), no_list (no list of this authority loaded: not known)"
    )
    label: str
    is_gap: bool = Field(
        description="The authority has such a regime and has not (yet) used it on the candidate"
    )
    regimes: list[RegimeOut] = Field(description="The authority's regimes of the themes")
    listed_under: list[str]
    other_programs: list[str]
    listed_on: dt.date | None
    delisted_on: dt.date | None


class ThemeCoverageOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "target_id": 1,
                    "name": "Faleh al-Fayyad",
                    "themes": ["human_rights", "corruption"],
                    "listed_by": ["OFAC"],
                    "not_yet_by": ["UK", "CA", "AU"],
                    "no_list_for": ["EU"],
                    "without_regime": ["UN"],
                    "summary": "Listed under a human-rights or anti-corruption regime by: OFAC (GLOMAG) — not yet by: "
                    "UK, CA, AU — no list loaded for: EU",
                }
            ]
        }
    )
    target_id: int
    name: str
    kind: str
    proposed_programs: list[str]
    themes: list[str]
    authorities: list[AuthorityThemeStandingOut] = Field(
        description="Each authority with a regime of the themes"
    )
    listed_by: list[str]
    not_yet_by: list[str] = Field(
        description="Authorities whose list is loaded and that have not used such a regime"
    )
    no_list_for: list[str] = Field(
        description="Authorities with such a regime whose list is not loaded: not known"
    )
    without_regime: list[str] = Field(description="Authorities with no regime of these themes")
    summary: str


class ThemeCoveragePage(BaseModel):
    themes: list[str]
    items: list[ThemeCoverageOut]
    total: int
    limit: int
    offset: int
