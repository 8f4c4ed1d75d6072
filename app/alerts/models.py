from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow

EVENT_TYPES = (
    "target.designated",
    "target.delisted",
    "target.amended",
    "target.match_suggested",
    "list.snapshot_rejected",
    "webhook.disabled",
    "webhook.test",
)
AUTHORITY_STATUSES = ("not_listed", "listed", "delisted")


class TargetAuthorityStatus(Base):
    """A candidate's standing with one authority (one of ``app.targets.models.AUTHORITIES``)."""

    __tablename__ = "target_statuses"
    __table_args__ = (
        UniqueConstraint("target_id", "authority"),
        CheckConstraint("status IN ('not_listed', 'listed', 'delisted')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id", ondelete="CASCADE"), index=True)
    authority: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default="not_listed")
    programs: Mapped[list[Any]] = mapped_column(default=list)
    entry_ids: Mapped[list[Any]] = mapped_column(default=list)  # [{"source", "list_id"}]
    listed_on: Mapped[dt.date | None] = mapped_column(Date)
    delisted_on: Mapped[dt.date | None] = mapped_column(Date)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Event(Base):
    """A status change worth telling someone about. Stored once: ``dedupe_key`` makes emitting idempotent."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_type_occurred", "type", "occurred_at"),)

    seq: Mapped[int] = mapped_column(primary_key=True)  # monotonic, for ?since= paging
    id: Mapped[str] = mapped_column(String(40), unique=True)  # evt_<time-ordered>, also the webhook-id
    type: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    target_id: Mapped[int | None] = mapped_column(ForeignKey("targets.id", ondelete="SET NULL"), index=True)
    authority: Mapped[str | None] = mapped_column(String(10))
    source: Mapped[str | None] = mapped_column(String(20))
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id"))
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Webhook(Base):
    __tablename__ = "webhooks"
    __table_args__ = (CheckConstraint("status IN ('active', 'paused', 'disabled')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(500), default="")
    event_types: Mapped[list[Any]] = mapped_column(default=list)  # empty: every event type
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)  # programs, authorities, tags, target_ids
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_expires_at: Mapped[dt.datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="active")
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    failing_since: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Delivery(Base):
    """One event owed to one webhook (the outbox row); attempts are logged separately."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_id"),
        CheckConstraint("status IN ('pending', 'succeeded', 'failed', 'cancelled')", name="status"),
        Index("ix_deliveries_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(default=utcnow)
    locked_until: Mapped[dt.datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[dt.datetime | None]


class DeliveryAttempt(Base):
    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    status_code: Mapped[int | None]
    latency_ms: Mapped[int | None]
    ok: Mapped[bool] = mapped_column(default=False)
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
