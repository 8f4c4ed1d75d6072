from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow

TARGET_KINDS = ("person", "organization", "vessel", "aircraft")
TARGET_STATUSES = ("candidate", "designated", "delisted", "dropped")
# US (OFAC), UN Security Council, UK, EU, Canada, Australia: the order every table and report uses.
AUTHORITIES = ("OFAC", "UN", "UK", "EU", "CA", "AU")
# What a program is aimed at (app/targets/programs.csv; a program aimed at several names them joined by ";").
# human_rights and corruption are the Magnitsky themes; country is a country programme; other: cyber,
# proliferation, narcotics...
PROGRAM_THEMES = ("human_rights", "corruption", "terrorism", "country", "other")
MAGNITSKY_THEMES = ("human_rights", "corruption")
SOURCE_TYPES = ("news_article", "ngo_report", "government_statement", "court_document", "leak", "other")
ALLEGATIONS = ("human_rights_abuse", "corruption", "terrorism", "attack_on_diplomatic_facility", "other")
# Admiralty-code source reliability: A completely reliable ... E unreliable, F cannot be judged.
CREDIBILITY_GRADES = ("A", "B", "C", "D", "E", "F")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


target_programs = Table(
    "target_programs",
    Base.metadata,
    Column("target_id", Integer, ForeignKey("targets.id", ondelete="CASCADE"), primary_key=True),
    Column("program_id", Integer, ForeignKey("programs.id", ondelete="RESTRICT"), primary_key=True),
)


class Program(Base):
    """A sanctions program or regime of one authority (OFAC ``GLOMAG``, UN ``ISIL (Da'esh) & Al-Qaida``...)."""

    __tablename__ = "programs"
    __table_args__ = (
        UniqueConstraint("authority", "code"),
        CheckConstraint(_in("authority", AUTHORITIES), name="authority"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(100), index=True)
    authority: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(300))
    legal_basis: Mapped[str] = mapped_column(String(500))
    # One or more of PROGRAM_THEMES joined by ";" (US GLOMAG: "human_rights;corruption").
    theme: Mapped[str] = mapped_column(String(100), default="other", server_default="other")

    @property
    def themes(self) -> list[str]:
        return self.theme.split(";") if self.theme else []


class Target(Base):
    """A candidate target: someone an analyst believes should be sanctioned."""

    __tablename__ = "targets"
    __table_args__ = (
        CheckConstraint(_in("kind", TARGET_KINDS), name="kind"),
        CheckConstraint(_in("status", TARGET_STATUSES), name="status"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
        CheckConstraint("version > 0", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(500))
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    birth_dates: Mapped[list[Any]] = mapped_column(default=list)
    birth_places: Mapped[list[Any]] = mapped_column(default=list)
    nationalities: Mapped[list[Any]] = mapped_column(default=list)
    identifiers: Mapped[list[Any]] = mapped_column(default=list)
    addresses: Mapped[list[Any]] = mapped_column(default=list)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    rationale: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="candidate", index=True)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Deleting a candidate hides it; its evidence and history stay for the audit trail.
    deleted_at: Mapped[dt.datetime | None] = mapped_column(index=True)

    programs: Mapped[list[Program]] = relationship(
        secondary=target_programs, lazy="selectin", order_by=Program.code
    )
    evidence: Mapped[list[Evidence]] = relationship(back_populates="target", order_by="Evidence.id")

    __mapper_args__ = {"version_id_col": version}


class TargetTag(Base):
    """Tags as rows too, so that listing by tag is an indexed lookup on every database."""

    __tablename__ = "target_tags"

    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)


class Evidence(Base):
    """A source that supports the case against a target. Retracted, never deleted."""

    __tablename__ = "evidence"
    __table_args__ = (
        CheckConstraint(_in("source_type", SOURCE_TYPES), name="source_type"),
        CheckConstraint(_in("allegation", ALLEGATIONS), name="allegation"),
        CheckConstraint(
            f"credibility IS NULL OR {_in('credibility', CREDIBILITY_GRADES)}", name="credibility"
        ),
        CheckConstraint(
            "content_sha256 IS NULL OR length(content_sha256) = 64", name="content_sha256_length"
        ),
        CheckConstraint("length(excerpt) <= 20000", name="excerpt_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id", ondelete="RESTRICT"), index=True)
    source_type: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(1000))
    publisher: Mapped[str | None] = mapped_column(String(300))
    author: Mapped[str | None] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(2000))
    published_on: Mapped[dt.date | None] = mapped_column(Date)
    accessed_on: Mapped[dt.date | None] = mapped_column(Date)
    excerpt: Mapped[str] = mapped_column(Text, default="")
    allegation: Mapped[str] = mapped_column(String(40))
    credibility: Mapped[str | None] = mapped_column(String(1))
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(200))
    retracted_at: Mapped[dt.datetime | None]
    retracted_by: Mapped[str | None] = mapped_column(String(200))
    retraction_reason: Mapped[str | None] = mapped_column(Text)

    target: Mapped[Target] = relationship(back_populates="evidence")

    @property
    def retracted(self) -> bool:
        return self.retracted_at is not None


class ScreeningRequest(Base):
    """The outbox of screening: a candidate created or edited, waiting for the worker to screen it.

    Written in the transaction that creates or edits the candidate, whichever way it came in (API, console, CLI,
    import, documents), and deleted in the transaction that records the screening's links: nothing is screened
    twice for nothing, and nothing is forgotten when a process dies in between.
    """

    __tablename__ = "screening_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(20))  # created, updated
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
