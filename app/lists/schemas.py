from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel


class SnapshotOut(BaseModel):
    id: int
    source: str
    status: str
    format: str
    origin: str
    published_on: dt.date | None
    fetched_at: dt.datetime
    applied_at: dt.datetime | None
    sha256: str
    entries: int
    added: int
    removed: int
    amended: int
    unmapped: dict[str, int]
    reject_reason: str | None
    accepted_by: str | None
    previous_id: int | None


class RunSummary(BaseModel):
    id: str
    status: str
    created_at: dt.datetime
    finished_at: dt.datetime | None
    error: str | None


class SourceOut(BaseModel):
    source: str
    authority: str
    url: str
    current_snapshot: SnapshotOut | None
    freshness_seconds: int | None
    held_snapshots: int
    last_run: RunSummary | None


class SnapshotPage(BaseModel):
    items: list[SnapshotOut]
    total: int


class ChangeOut(BaseModel):
    id: int
    snapshot_id: int
    source: str
    list_id: str
    name: str
    kind: str
    diff: dict[str, Any]
    created_at: dt.datetime


class EntryOut(BaseModel):
    source: str
    list_id: str
    kind: str
    name: str
    programs: list[str]
    listed_on: dt.date | None
    is_listed: bool
    removed_on: dt.date | None
    data: dict[str, Any]


class EntryPage(BaseModel):
    items: list[EntryOut]
    total: int
    limit: int
    offset: int


class EntryVersionOut(BaseModel):
    snapshot_id: int
    published_on: dt.date | None
    fetched_at: dt.datetime
    change: str
    listed: bool
    diff: dict[str, Any]
    data: dict[str, Any] | None


class EntryDetail(EntryOut):
    history: list[EntryVersionOut]


class IngestOut(BaseModel):
    source: str
    snapshot_id: int | None
    status: str
    entries: int
    added: int
    removed: int
    amended: int
    unmapped: dict[str, int]
    published: dt.date | None
    reason: str | None = None
    acceptable: bool | None = None


def entry_out(entry: Any) -> EntryOut:
    return EntryOut(
        source=entry.source,
        list_id=entry.list_id,
        kind=entry.kind,
        name=entry.name,
        programs=entry.programs,
        listed_on=entry.listed_on,
        is_listed=entry.is_listed,
        removed_on=entry.removed_on,
        data=entry.data,
    )
