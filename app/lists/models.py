from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow
from app.lists.records import SOURCES

SNAPSHOT_STATUSES = ("current", "superseded", "rejected", "held")
CHANGE_KINDS = ("added", "removed", "amended")
RUN_STATUSES = ("queued", "running", "succeeded", "failed", "rejected")
_sources = ", ".join(repr(s) for s in SOURCES)


class RawBlob(Base):
    """The bytes of a publication, compressed and stored once per SHA-256 (content-addressed)."""

    __tablename__ = "raw_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int]
    compression: Mapped[str] = mapped_column(String(10), default="gzip")
    data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)  # None once pruned by retention
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Snapshot(Base):
    """One publication of a source as fetched: accepted (current, then superseded), rejected, or held."""

    __tablename__ = "snapshots"
    __table_args__ = (
        CheckConstraint(f"source IN ({_sources})", name="source"),
        CheckConstraint("status IN ('current', 'superseded', 'rejected', 'held')", name="status"),
        Index("ix_snapshots_source_status", "source", "status"),
        # One current publication per source, whoever applies it (a refresh, an operator accepting a held one).
        Index(
            "uq_snapshots_one_current",
            "source",
            unique=True,
            postgresql_where=text("status = 'current'"),
            sqlite_where=text("status = 'current'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    format: Mapped[str] = mapped_column(String(30))
    origin: Mapped[str] = mapped_column(String(2000))  # URL or path it came from
    published_on: Mapped[dt.date | None] = mapped_column(Date)
    fetched_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    applied_at: Mapped[dt.datetime | None]
    sha256: Mapped[str] = mapped_column(String(64), ForeignKey("raw_blobs.sha256"), index=True)
    entry_count: Mapped[int] = mapped_column(default=0)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id"))
    added: Mapped[int] = mapped_column(default=0)
    removed: Mapped[int] = mapped_column(default=0)
    amended: Mapped[int] = mapped_column(default=0)
    unmapped: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reject_reason: Mapped[str | None] = mapped_column(Text)
    accepted_by: Mapped[str | None] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(300), default="")  # the name to restore the raw bytes under
    # Conditional-GET validators from the download: {"etag", "last_modified"} or {"members": {name: [etag, lm]}}
    validators: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ListEntry(Base):
    """A listed person or entity, by the list's own id, in its latest known state."""

    __tablename__ = "list_entries"
    __table_args__ = (
        UniqueConstraint("source", "list_id"),
        CheckConstraint(f"source IN ({_sources})", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    list_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(1000), index=True)
    programs: Mapped[list[Any]] = mapped_column(default=list)
    listed_on: Mapped[dt.date | None] = mapped_column(Date)
    data: Mapped[dict[str, Any]]  # Entry.to_dict()
    fingerprint: Mapped[str] = mapped_column(String(64))
    is_listed: Mapped[bool] = mapped_column(default=True, index=True)
    first_snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"))
    last_changed_snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"), index=True)
    removed_snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id"))
    removed_on: Mapped[dt.date | None] = mapped_column(Date)


class EntryVersion(Base):
    """The state of an entry from one snapshot on; a new row only when the entry changed."""

    __tablename__ = "entry_versions"
    __table_args__ = (UniqueConstraint("entry_id", "snapshot_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("list_entries.id", ondelete="CASCADE"), index=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"), index=True)
    data: Mapped[dict[str, Any] | None]  # None: removed from the list in this snapshot
    fingerprint: Mapped[str | None] = mapped_column(String(64))


class Change(Base):
    """What one snapshot did to one entry, with the field-level diff for amendments."""

    __tablename__ = "changes"
    __table_args__ = (
        CheckConstraint("kind IN ('added', 'removed', 'amended')", name="kind"),
        UniqueConstraint("snapshot_id", "entry_id"),
        Index("ix_changes_source_id", "source", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"), index=True)
    source: Mapped[str] = mapped_column(String(20))
    entry_id: Mapped[int] = mapped_column(ForeignKey("list_entries.id", ondelete="CASCADE"), index=True)
    list_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(1000))
    kind: Mapped[str] = mapped_column(String(10))
    diff: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Run(Base):
    """One execution of a refresh or a screening, with its outcome."""

    __tablename__ = "runs"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'succeeded', 'failed', 'rejected')", name="status"),
        CheckConstraint("kind IN ('refresh', 'screening', 'ingest')", name="kind"),
        Index("ix_runs_source_status", "source", "status"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    trigger: Mapped[str] = mapped_column(String(20), default="schedule")  # schedule, api, cli
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id"))
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
