from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow

LINK_STATES = ("suggested", "confirmed", "rejected", "auto")


class Link(Base):
    """A scored, explained match between a candidate target and a listed entry, with its review state."""

    __tablename__ = "links"
    __table_args__ = (
        UniqueConstraint("target_id", "entry_id"),
        CheckConstraint("state IN ('suggested', 'confirmed', 'rejected', 'auto')", name="state"),
        CheckConstraint("score >= 0 AND score <= 1", name="score_range"),
        Index("ix_links_state_score", "state", "score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("list_entries.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(20))
    list_id: Mapped[str] = mapped_column(String(100))
    score: Mapped[float]
    state: Mapped[str] = mapped_column(String(20))
    explanation: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The entry's fingerprint when the link was last scored: a rejected link is re-opened only if it changes.
    entry_fingerprint: Mapped[str] = mapped_column(String(64))
    target_version: Mapped[int] = mapped_column(default=1)
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[dt.datetime | None]
    review_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
