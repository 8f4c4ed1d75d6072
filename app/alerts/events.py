"""Emitting events, and the outbox: each event's deliveries are written in the same transaction as the change."""

from __future__ import annotations

import secrets
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.models import Delivery, Event, Webhook
from app.db import utcnow
from app.targets.models import Target


def new_event_id() -> str:
    # Time-ordered, so ids sort by creation like the events they name.
    return f"evt_{int(time.time() * 1000):012x}{secrets.token_hex(6)}"


def emit_event(
    session: Session,
    *,
    type: str,
    dedupe_key: str,
    data: dict[str, Any],
    target_id: int | None = None,
    authority: str | None = None,
    source: str | None = None,
    snapshot_id: int | None = None,
) -> Event | None:
    """Store an event once (by ``dedupe_key``) and queue a delivery to every subscribed webhook.

    Returns None when the same event was already emitted: a repeated task must not notify twice.
    """
    if session.scalar(select(Event.seq).where(Event.dedupe_key == dedupe_key)) is not None:
        return None
    event = Event(
        id=new_event_id(),
        type=type,
        dedupe_key=dedupe_key,
        data=data,
        target_id=target_id,
        authority=authority,
        source=source,
        snapshot_id=snapshot_id,
        occurred_at=utcnow(),
    )
    session.add(event)
    session.flush()
    enqueue_deliveries(session, event)
    return event


def _target_tags(session: Session, target_id: int | None) -> set[str]:
    if target_id is None:
        return set()
    target = session.get(Target, target_id)
    return set(target.tags) if target else set()


def webhook_wants(webhook: Webhook, event: Event, tags: set[str]) -> bool:
    if webhook.event_types and event.type not in webhook.event_types and event.type != "webhook.test":
        return False
    filters = webhook.filters or {}
    if filters.get("authorities") and event.authority not in filters["authorities"]:
        return False
    if filters.get("target_ids") and event.target_id not in filters["target_ids"]:
        return False
    if filters.get("tags") and not tags & set(filters["tags"]):
        return False
    if filters.get("programs"):
        programs = set(event.data.get("programs", [])) | set(event.data.get("target_programs", []))
        if not programs & set(filters["programs"]):
            return False
    return True


def enqueue_deliveries(session: Session, event: Event) -> list[Delivery]:
    webhooks = session.scalars(select(Webhook).where(Webhook.status == "active")).all()
    tags = _target_tags(session, event.target_id) if webhooks else set()
    deliveries = [
        Delivery(webhook_id=w.id, event_id=event.id, status="pending", next_attempt_at=utcnow())
        for w in webhooks
        if webhook_wants(w, event, tags)
    ]
    session.add_all(deliveries)
    session.flush()
    return deliveries
