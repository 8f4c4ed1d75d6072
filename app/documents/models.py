"""A document the service read, and its mentions: the people and organizations it names."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow

MENTION_KINDS = ("person", "organization")


class Document(Base):
    """One document, once per SHA-256 of its bytes (kept in ``raw_blobs``), with its citation and its text."""

    __tablename__ = "documents"
    __table_args__ = (CheckConstraint("length(sha256) = 64", name="sha256_length"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), ForeignKey("raw_blobs.sha256"), unique=True)
    size: Mapped[int]
    media_type: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str | None] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(String(1000))
    author: Mapped[str | None] = mapped_column(String(300))
    publisher: Mapped[str | None] = mapped_column(String(300))
    published_on: Mapped[dt.date | None] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text, deferred=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(200))

    mentions: Mapped[list[Mention]] = relationship(
        back_populates="document", order_by="Mention.position", cascade="all, delete-orphan"
    )


class Mention(Base):
    """A person or organization the document names: every place it does so, its names, and what lists hold it."""

    __tablename__ = "mentions"
    __table_args__ = (
        CheckConstraint("kind IN ('person', 'organization')", name="kind"),
        CheckConstraint("start_offset >= 0 AND end_offset > start_offset", name="offsets"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]  # order of first appearance in the document
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(String(500))  # as first written, titles stripped
    sentence: Mapped[str] = mapped_column(Text)  # the sentence of the first occurrence
    start_offset: Mapped[int]  # of ``text`` in the document's extracted text
    end_offset: Mapped[int]
    names: Mapped[list[Any]] = mapped_column(default=list)  # the main name first, then the others it goes by
    # Every place the document names it: [{"start", "end", "text", "sentence"}]
    occurrences: Mapped[list[Any]] = mapped_column(default=list)
    # Listed entries it matched when the document was read: [{"source", "list_id", "name", "score", ...}]
    listed: Mapped[list[Any]] = mapped_column(default=list)
    candidate_id: Mapped[int | None] = mapped_column(
        ForeignKey("targets.id", ondelete="SET NULL"), index=True
    )

    document: Mapped[Document] = relationship(back_populates="mentions")
