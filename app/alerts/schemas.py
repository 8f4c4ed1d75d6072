from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

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
