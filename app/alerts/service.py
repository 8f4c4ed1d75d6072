"""Status per authority, the events it causes, webhook subscriptions and the delivery of events to them."""

from __future__ import annotations

import datetime as dt
import functools
import json
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from app.alerts import webhooks as signing
from app.alerts.events import emit_event, new_event_id
from app.alerts.models import (
    EVENT_TYPES,
    Delivery,
    DeliveryAttempt,
    Event,
    TargetAuthorityStatus,
    Webhook,
)
from app.auth.service import audit
from app.config import get_settings
from app.context import Actor
from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotFound
from app.lists.models import Change, ListEntry, Snapshot
from app.lists.records import AUTHORITY_OF_SOURCE
from app.matching.models import Link
from app.metrics import record_delivery
from app.targets.models import AUTHORITIES, Target

# Fields of a listed entry whose change is worth an alert on a designated candidate.
AMENDMENT_FIELDS = (
    "programs",
    "names",
    "identifiers",
    "birth_dates",
    "nationalities",
    "citizenships",
    "name",
    "listed_on",
    "kind",
    "links",
)


def _entry_json(entry: ListEntry) -> dict[str, Any]:
    return {
        "source": entry.source,
        "list_id": entry.list_id,
        "name": entry.name,
        "programs": entry.programs,
        "listed_on": entry.listed_on.isoformat() if entry.listed_on else None,
        "is_listed": entry.is_listed,
        "removed_on": entry.removed_on.isoformat() if entry.removed_on else None,
    }


def _target_json(target: Target) -> dict[str, Any]:
    return {
        "id": target.id,
        "name": target.name,
        "kind": target.kind,
        "tags": target.tags,
        "programs": [p.code for p in target.programs],
    }


@dataclass(frozen=True)
class ListedSince:
    """When the earliest of an authority's entries was listed, and when this service first saw it listed."""

    on: dt.date  # the entry's listing date, else its first snapshot's publication (or fetch) date
    first_seen: dt.datetime  # when the first snapshot that listed it was fetched

    def listed_before(self, moment: dt.datetime) -> bool:
        return self.first_seen < moment or self.on < moment.date()


def listed_since(session: Session, entries: Sequence[ListEntry]) -> ListedSince | None:
    """The listing date of the earliest-listed entry: the list's own date where it gives one, else the publication
    (or fetch) date of the first snapshot that held the entry."""
    firsts = {
        snapshot.id: snapshot
        for snapshot in session.scalars(
            select(Snapshot).where(Snapshot.id.in_({e.first_snapshot_id for e in entries}))
        )
    }
    found = [
        ListedSince(
            on=entry.listed_on or first.published_on or first.fetched_at.date(), first_seen=first.fetched_at
        )
        for entry in entries
        if (first := firsts.get(entry.first_snapshot_id)) is not None
    ]
    return min(found, key=lambda since: (since.on, since.first_seen), default=None)


def refresh_target_status(session: Session, target_id: int) -> list[Event]:
    """Recompute a candidate's standing with each authority from its confirmed and automatic links.

    Emits ``target.designated`` when an authority starts listing it, ``target.delisted`` when every linked entry
    of that authority is gone, and ``target.amended`` when a linked, listed entry changed in its latest snapshot.
    The state rows and the events are written together, so running this twice emits nothing the second time.
    """
    target = session.get(Target, target_id)
    if target is None:
        return []
    rows = session.execute(
        select(Link, ListEntry)
        .join(ListEntry, ListEntry.id == Link.entry_id)
        .where(Link.target_id == target_id, Link.state.in_(("confirmed", "auto")))
    ).all()
    by_authority: dict[str, list[tuple[Link, ListEntry]]] = {}
    for link, entry in rows:
        by_authority.setdefault(AUTHORITY_OF_SOURCE[entry.source], []).append((link, entry))
    statuses = {
        s.authority: s
        for s in session.scalars(
            select(TargetAuthorityStatus).where(TargetAuthorityStatus.target_id == target_id)
        )
    }
    events: list[Event] = []
    for authority in AUTHORITIES:
        linked = by_authority.get(authority, [])
        status = statuses.get(authority)
        if status is None:
            if not linked:
                continue
            status = TargetAuthorityStatus(target_id=target_id, authority=authority, status="not_listed")
            session.add(status)
        listed = [(link, e) for link, e in linked if e.is_listed]
        base = {
            "target": _target_json(target),
            "authority": authority,
            "target_programs": [p.code for p in target.programs],
        }
        if listed:
            entries = sorted((e for _, e in listed), key=lambda e: (e.source, e.list_id))
            programs = sorted({p for e in entries for p in e.programs})
            was = status.status
            status.status, status.programs = "listed", programs
            status.entry_ids = [{"source": e.source, "list_id": e.list_id} for e in entries]
            dates = [e.listed_on for e in entries if e.listed_on]
            status.listed_on, status.delisted_on = (min(dates) if dates else None), None
            if was != "listed":
                episode = ",".join(f"{e.id}@{e.last_changed_snapshot_id}" for e in entries)
                since = listed_since(session, entries)
                event = emit_event(
                    session,
                    type="target.designated",
                    dedupe_key=f"designated:{target_id}:{authority}:{episode}",
                    target_id=target_id,
                    authority=authority,
                    source=entries[0].source,
                    snapshot_id=entries[0].last_changed_snapshot_id,
                    data={
                        **base,
                        "programs": programs,
                        "entries": [_entry_json(e) for e in entries],
                        "links": [
                            {"id": link.id, "state": link.state, "score": link.score} for link, _ in listed
                        ],
                        "snapshot_ids": sorted({e.last_changed_snapshot_id for e in entries}),
                        # Linking someone the authority listed before the candidate was recorded is no news:
                        # say so, and since when, so that nobody reads it as a new designation.
                        "already_listed": since is not None and since.listed_before(target.created_at),
                        "listed_since": since.on.isoformat() if since else None,
                    },
                )
                events += [event] if event else []
            else:
                events += _amendments(session, target_id, authority, base, entries)
        elif linked and status.status == "listed":
            entries = [e for _, e in linked]
            removed = [e for e in entries if e.removed_snapshot_id]
            status.status = "delisted"
            status.delisted_on = max((e.removed_on for e in removed if e.removed_on), default=utcnow().date())
            episode = ",".join(f"{e.id}@{e.removed_snapshot_id}" for e in removed)
            event = emit_event(
                session,
                type="target.delisted",
                dedupe_key=f"delisted:{target_id}:{authority}:{episode}",
                target_id=target_id,
                authority=authority,
                source=entries[0].source,
                snapshot_id=removed[0].removed_snapshot_id if removed else None,
                data={
                    **base,
                    "programs": status.programs,
                    "entries": [_entry_json(e) for e in entries],
                    "delisted_on": status.delisted_on.isoformat() if status.delisted_on else None,
                    "snapshot_ids": sorted({e.removed_snapshot_id for e in removed if e.removed_snapshot_id}),
                },
            )
            events += [event] if event else []
        elif not linked and status.status == "listed":
            # The only links were withdrawn by a reviewer: no longer considered listed, without an alert.
            status.status, status.programs, status.entry_ids = "not_listed", [], []
    _update_overall_status(target, session)
    session.flush()
    return events


def _amendments(
    session: Session, target_id: int, authority: str, base: dict[str, Any], entries: list[ListEntry]
) -> list[Event]:
    events = []
    changes = session.scalars(
        select(Change).where(Change.entry_id.in_([e.id for e in entries]), Change.kind == "amended")
    ).all()
    latest = {e.id: e.last_changed_snapshot_id for e in entries}
    for change in changes:
        if change.snapshot_id != latest.get(change.entry_id):
            continue
        fields = sorted(k for k in change.diff if k in AMENDMENT_FIELDS)
        if not fields:
            continue
        entry = next(e for e in entries if e.id == change.entry_id)
        event = emit_event(
            session,
            type="target.amended",
            dedupe_key=f"amended:{target_id}:{change.entry_id}:{change.snapshot_id}",
            target_id=target_id,
            authority=authority,
            source=change.source,
            snapshot_id=change.snapshot_id,
            data={
                **base,
                "programs": entry.programs,
                "entry": _entry_json(entry),
                "fields": fields,
                "diff": change.diff,
                "snapshot_ids": [change.snapshot_id],
            },
        )
        events += [event] if event else []
    return events


def _update_overall_status(target: Target, session: Session) -> None:
    session.flush()
    current = session.scalars(
        select(TargetAuthorityStatus.status).where(TargetAuthorityStatus.target_id == target.id)
    ).all()
    if target.status == "dropped":
        return
    if "listed" in current:
        new = "designated"
    elif "delisted" in current:
        new = "delisted"
    else:
        new = "candidate"
    if new != target.status:
        # A system change of status must not count as an analyst's edit for If-Match purposes: no version bump.
        session.execute(
            update(Target)
            .where(Target.id == target.id)
            .values(status=new)
            .execution_options(synchronize_session=False)
        )
        session.expire(target, ["status"])


# ---- events -----------------------------------------------------------------------------------------------------


def list_events(
    session: Session,
    *,
    since: str | None = None,
    type: str | None = None,
    target_id: int | None = None,
    limit: int = 100,
) -> list[Event]:
    query = select(Event)
    if since:
        if since.startswith("evt_"):
            seq = session.scalar(select(Event.seq).where(Event.id == since))
            if seq is None:
                raise InvalidInput(f"no event {since!r}: give an event id or an ISO date-time in 'since'")
            query = query.where(Event.seq > seq)
        else:
            try:
                moment = dt.datetime.fromisoformat(since)
            except ValueError as exc:
                raise InvalidInput("'since' is an event id (evt_...) or an ISO date-time") from exc
            query = query.where(
                Event.occurred_at >= (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC))
            )
    if type:
        if type not in EVENT_TYPES:
            raise InvalidInput(f"unknown event type {type!r}; one of {', '.join(EVENT_TYPES)}")
        query = query.where(Event.type == type)
    if target_id is not None:
        query = query.where(Event.target_id == target_id)
    return list(session.scalars(query.order_by(Event.seq).limit(limit)))


def event_payload(event: Event) -> dict[str, Any]:
    """The JSON body of a webhook: Standard Webhooks' ``{type, timestamp, data}``."""
    return {
        "type": event.type,
        "timestamp": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "data": {"event_id": event.id, **event.data},
    }


# ---- webhooks ---------------------------------------------------------------------------------------------------


def _validate(url: str, event_types: Sequence[str]) -> None:
    unknown = [t for t in event_types if t not in EVENT_TYPES]
    if unknown:
        raise InvalidInput(
            f"unknown event type(s) {', '.join(unknown)}; choose from {', '.join(EVENT_TYPES)}"
        )
    try:
        signing.validate_webhook_url(url, get_settings().webhook_allow_private)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc


def create_webhook(
    session: Session,
    *,
    url: str,
    event_types: list[str],
    filters: dict[str, Any],
    description: str,
    actor: Actor,
) -> Webhook:
    _validate(url, event_types)
    webhook = Webhook(
        url=url,
        event_types=event_types,
        filters=filters,
        description=description,
        secret=signing.new_secret(),
        status="active",
    )
    session.add(webhook)
    session.flush()
    audit(session, actor, "create", "webhook", webhook.id, None, _audit_view(webhook))
    return webhook


def webhook_json(w: Webhook) -> dict[str, Any]:
    """A webhook as shown after creation: never its secrets."""
    return {
        "id": w.id,
        "url": w.url,
        "description": w.description,
        "event_types": w.event_types,
        "filters": w.filters,
        "status": w.status,
        "disabled_reason": w.disabled_reason,
        "failing_since": w.failing_since,
        "created_at": w.created_at,
        "updated_at": w.updated_at,
    }


def _audit_view(w: Webhook) -> dict[str, Any]:
    """``webhook_json`` for the audit log, which stores JSON: its timestamps as ISO 8601 text."""
    return {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in webhook_json(w).items()}


def get_webhook(session: Session, webhook_id: int) -> Webhook:
    webhook = session.get(Webhook, webhook_id)
    if webhook is None:
        raise NotFound(f"no webhook {webhook_id}")
    return webhook


def list_webhooks(session: Session) -> list[Webhook]:
    return list(session.scalars(select(Webhook).order_by(Webhook.id)))


def update_webhook(session: Session, webhook_id: int, changes: dict[str, Any], actor: Actor) -> Webhook:
    webhook = get_webhook(session, webhook_id)
    before = _audit_view(webhook)
    _validate(changes.get("url", webhook.url), changes.get("event_types", webhook.event_types))
    for field in ("url", "event_types", "filters", "description"):
        if field in changes and changes[field] is not None:
            setattr(webhook, field, changes[field])
    if "status" in changes and changes["status"] is not None:
        if changes["status"] not in ("active", "paused"):
            raise InvalidInput(
                "status is 'active' or 'paused' (a disabled endpoint is re-enabled with 'active')"
            )
        if changes["status"] == "active":
            webhook.disabled_reason, webhook.failing_since = None, None
        webhook.status = changes["status"]
    session.flush()
    audit(session, actor, "update", "webhook", webhook.id, before, _audit_view(webhook))
    return webhook


def delete_webhook(session: Session, webhook_id: int, actor: Actor) -> None:
    webhook = get_webhook(session, webhook_id)
    audit(session, actor, "delete", "webhook", webhook.id, _audit_view(webhook), None)
    session.delete(webhook)
    session.flush()


def rotate_secret(session: Session, webhook_id: int, actor: Actor) -> tuple[Webhook, str]:
    """A new secret signs from now on; the old one signs too until the overlap window ends."""
    webhook = get_webhook(session, webhook_id)
    webhook.previous_secret = webhook.secret
    webhook.previous_secret_expires_at = utcnow() + dt.timedelta(
        seconds=get_settings().webhook_secret_overlap_seconds
    )
    webhook.secret = signing.new_secret()
    session.flush()
    audit(
        session,
        actor,
        "rotate_secret",
        "webhook",
        webhook.id,
        None,
        {"previous_secret_expires_at": webhook.previous_secret_expires_at.isoformat()},
    )
    return webhook, webhook.secret


def signing_secrets(webhook: Webhook) -> list[str]:
    secrets = [webhook.secret]
    if (
        webhook.previous_secret
        and webhook.previous_secret_expires_at
        and webhook.previous_secret_expires_at > utcnow()
    ):
        secrets.append(webhook.previous_secret)
    return secrets


def send_test_event(session: Session, webhook_id: int, actor: Actor) -> Delivery:
    """Queue a ``webhook.test`` event to this endpoint only (even a paused one), to check the receiver."""
    webhook = get_webhook(session, webhook_id)
    event = Event(
        id=new_event_id(),
        type="webhook.test",
        dedupe_key=f"test:{webhook.id}:{new_event_id()}",
        data={"webhook_id": webhook.id, "message": "sanctrack test event"},
        occurred_at=utcnow(),
    )
    session.add(event)
    session.flush()
    delivery = Delivery(webhook_id=webhook.id, event_id=event.id, status="pending", next_attempt_at=utcnow())
    session.add(delivery)
    session.flush()
    audit(session, actor, "test", "webhook", webhook.id, None, {"event_id": event.id})
    return delivery


# ---- deliveries -------------------------------------------------------------------------------------------------


def list_deliveries(session: Session, webhook_id: int, limit: int = 100, offset: int = 0) -> list[Delivery]:
    get_webhook(session, webhook_id)
    return list(
        session.scalars(
            select(Delivery)
            .where(Delivery.webhook_id == webhook_id)
            .order_by(Delivery.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )


def delivery_attempts(session: Session, delivery_ids: Sequence[int]) -> dict[int, list[DeliveryAttempt]]:
    out: dict[int, list[DeliveryAttempt]] = {}
    if not delivery_ids:
        return out
    for attempt in session.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id.in_(delivery_ids))
        .order_by(DeliveryAttempt.id)
    ):
        out.setdefault(attempt.delivery_id, []).append(attempt)
    return out


def retry_delivery(session: Session, delivery_id: int, actor: Actor) -> Delivery:
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise NotFound(f"no delivery {delivery_id}")
    if delivery.status == "pending" and delivery.locked_until and delivery.locked_until > utcnow():
        raise Conflict(f"delivery {delivery_id} is being sent right now")
    delivery.status, delivery.next_attempt_at, delivery.locked_until = "pending", utcnow(), None
    session.flush()
    audit(session, actor, "retry", "delivery", delivery.id, None, {"event_id": delivery.event_id})
    return delivery


def claim_due_deliveries(session: Session, limit: int = 50, lease_seconds: float | None = None) -> list[int]:
    """Take due deliveries for this worker for a while (a lease), so that two workers never send the same one.

    A worker that dies mid-send leaves the lease to expire; the delivery is then due again (at least once).
    """
    now = utcnow()
    lease = dt.timedelta(seconds=lease_seconds or get_settings().webhook_timeout_seconds * 3 + 30)
    # Paused and disabled endpoints get nothing, except the test events an operator sends them on purpose.
    query = (
        select(Delivery.id)
        .join(Webhook, Webhook.id == Delivery.webhook_id)
        .join(Event, Event.id == Delivery.event_id)
        .where(
            Delivery.status == "pending",
            Delivery.next_attempt_at <= now,
            or_(Delivery.locked_until.is_(None), Delivery.locked_until < now),
            or_(Webhook.status == "active", Event.type == "webhook.test"),
        )
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Delivery)
    ids = list(session.scalars(query))
    if ids:
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids))
            .values(locked_until=now + lease)
            .execution_options(synchronize_session=False)
        )
    return ids


@functools.lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    # Building the default TLS context reads the whole CA bundle: about 15 ms, more than an entire delivery to a
    # nearby receiver. One context serves every attempt; host names are still checked per connection.
    return httpx.create_ssl_context(trust_env=False)


def attempt_delivery(session: Session, delivery_id: int) -> str:
    """Send one delivery once and record the attempt. Returns the outcome: succeeded, retrying, failed, skipped."""
    settings = get_settings()
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or delivery.status != "pending":
        return "skipped"
    webhook = session.get(Webhook, delivery.webhook_id)
    event = session.scalar(select(Event).where(Event.id == delivery.event_id))
    if webhook is None or event is None:
        return "skipped"
    body = json.dumps(event_payload(event), ensure_ascii=False, separators=(",", ":"), default=str).encode()
    # A client of its own (no connection shared with another endpoint), but not a TLS context of its own.
    with httpx.Client(trust_env=False, follow_redirects=False, verify=_tls_context()) as http:
        result = signing.send(
            webhook.url,
            event_id=event.id,
            body=body,
            secrets=signing_secrets(webhook),
            allow_private=settings.webhook_allow_private,
            timeout=settings.webhook_timeout_seconds,
            client=http,
        )
    now = utcnow()
    session.add(
        DeliveryAttempt(
            delivery_id=delivery.id,
            at=now,
            status_code=result.status_code,
            latency_ms=result.latency_ms,
            ok=result.ok,
            response_excerpt=result.response_excerpt,
            error=result.error,
        )
    )
    delivery.attempts += 1
    delivery.last_status_code, delivery.last_error, delivery.locked_until = (
        result.status_code,
        result.error,
        None,
    )
    if result.ok:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = "succeeded", now, None
        webhook.failing_since = None
        outcome = "succeeded"
    else:
        webhook.failing_since = webhook.failing_since or now
        delay = signing.next_attempt_delay(delivery.attempts, result.retry_after_seconds)
        if delay is None:
            delivery.status, delivery.next_attempt_at = "failed", None
            outcome = "failed"
        else:
            delivery.next_attempt_at = now + dt.timedelta(seconds=delay)
            outcome = "retrying"
        failing_for = (now - webhook.failing_since).total_seconds()
        if result.gone:
            _disable(session, webhook, "the receiver answered 410 Gone")
        elif failing_for > settings.webhook_disable_after_seconds and webhook.status == "active":
            _disable(session, webhook, f"every delivery failed for {failing_for / 3600:.0f} hours")
    _record_metric(outcome)
    session.flush()
    return outcome


def _disable(session: Session, webhook: Webhook, reason: str) -> None:
    if webhook.status == "disabled":
        return
    webhook.status, webhook.disabled_reason = "disabled", reason
    emit_event(
        session,
        type="webhook.disabled",
        dedupe_key=f"webhook_disabled:{webhook.id}:{utcnow().isoformat()}",
        data={"webhook_id": webhook.id, "url": webhook.url, "reason": reason},
    )


def _record_metric(outcome: str) -> None:
    record_delivery(outcome)


def pending_count(session: Session) -> int:
    return session.scalar(select(func.count()).where(Delivery.status == "pending")) or 0
