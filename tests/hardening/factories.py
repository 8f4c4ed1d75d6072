"""Rows for the hardening tests, built through the models with only the fields these tests care about."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import itertools
import os

from sqlalchemy.orm import Session

from app.alerts.models import Delivery, DeliveryAttempt, Event, Webhook
from app.lists.models import ListEntry, RawBlob, Run, Snapshot
from app.matching.models import Link
from app.targets.models import Target

_numbers = itertools.count(1)


def _unique() -> int:
    # Large and process-specific, so that explicit ids never collide with rows other tests made.
    return 10**9 + os.getpid() % 10_000 * 10_000 + next(_numbers)


def ago(days: float = 0.0, *, now: dt.datetime | None = None) -> dt.datetime:
    return (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=days)


def raw_blob(session: Session, content: bytes | None = None) -> RawBlob:
    content = content if content is not None else f"publication {_unique()}".encode()
    blob = RawBlob(sha256=hashlib.sha256(content).hexdigest(), size=len(content), data=gzip.compress(content))
    session.add(blob)
    session.flush()
    return blob


def snapshot(
    session: Session,
    source: str = "ofac_sdn",
    status: str = "current",
    *,
    fetched_days_ago: float = 0.0,
    applied_days_ago: float | None = None,
    blob: RawBlob | None = None,
) -> Snapshot:
    blob = blob or raw_blob(session)
    applied = (
        None
        if status in ("rejected", "held")
        else ago(fetched_days_ago if applied_days_ago is None else applied_days_ago)
    )
    snap = Snapshot(
        source=source,
        status=status,
        format="test",
        origin="tests",
        sha256=blob.sha256,
        fetched_at=ago(fetched_days_ago),
        applied_at=applied,
    )
    session.add(snap)
    session.flush()
    return snap


def run(session: Session, source: str, status: str = "succeeded", *, finished_days_ago: float = 0.0) -> Run:
    finished = ago(finished_days_ago)
    record = Run(
        id=f"run_test_{_unique()}",
        kind="refresh",
        source=source,
        status=status,
        trigger="cli",
        created_at=finished,
        started_at=finished,
        finished_at=finished,
    )
    session.add(record)
    session.flush()
    return record


def target(session: Session, name: str = "Faleh al-Fayyad") -> Target:
    record = Target(kind="person", name=name)
    session.add(record)
    session.flush()
    return record


def suggested_link(session: Session, snap: Snapshot, candidate: Target, state: str = "suggested") -> Link:
    list_id = f"T-{_unique()}"
    entry = ListEntry(
        source=snap.source,
        list_id=list_id,
        kind="person",
        name=candidate.name,
        data={},
        fingerprint="0" * 64,
        first_snapshot_id=snap.id,
        last_changed_snapshot_id=snap.id,
    )
    session.add(entry)
    session.flush()
    link = Link(
        target_id=candidate.id,
        entry_id=entry.id,
        source=snap.source,
        list_id=list_id,
        score=0.9,
        state=state,
        entry_fingerprint="0" * 64,
    )
    session.add(link)
    session.flush()
    return link


def delivery(session: Session, status: str = "pending") -> Delivery:
    hook = Webhook(url="https://hooks.example.org/sanctrack", secret="whsec_" + "A" * 32)
    number = _unique()
    event = Event(id=f"evt_test_{number}", seq=number, type="webhook.test", dedupe_key=f"test:{number}")
    session.add_all([hook, event])
    session.flush()
    record = Delivery(webhook_id=hook.id, event_id=event.id, status=status)
    session.add(record)
    session.flush()
    return record


def attempt(session: Session, record: Delivery, *, days_ago: float) -> DeliveryAttempt:
    row = DeliveryAttempt(delivery_id=record.id, at=ago(days_ago), status_code=500, ok=False)
    session.add(row)
    session.flush()
    return row
