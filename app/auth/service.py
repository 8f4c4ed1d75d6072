"""API keys (issue, verify, revoke) and the audit trail."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from app.auth import keycache
from app.auth.keycache import VerifiedKey
from app.auth.models import SCOPES, ApiKey, AuditRecord
from app.context import Actor, request_id_var
from app.db import utcnow
from app.errors import Forbidden, InvalidInput, NotFound, Unauthorized

KEY_PREFIX = "stk_"
SCOPE_RANK = {scope: rank for rank, scope in enumerate(SCOPES)}  # admin includes write includes read
# Writing last_used_at on every request would turn each read into a write; once a minute is enough to audit.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def hash_key(raw_key: str) -> str:
    # Keys carry 256 bits of randomness, so a plain SHA-256 cannot be brute-forced; a slow KDF would only cost latency.
    return hashlib.sha256(raw_key.encode()).hexdigest()


def create_key(
    session: Session, *, name: str, scope: str, expires_at: dt.datetime | None = None
) -> tuple[ApiKey, str]:
    if scope not in SCOPES:
        raise InvalidInput(f"unknown scope {scope!r}; choose one of {', '.join(SCOPES)}")
    if not name.strip():
        raise InvalidInput("a key needs a name that says who or what uses it")
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        name=name.strip(), prefix=raw[:12], key_hash=hash_key(raw), scope=scope, expires_at=expires_at
    )
    session.add(key)
    session.flush()
    return key, raw


def authenticate(session: Session, raw_key: str | None) -> VerifiedKey:
    """The key's id, name and scope; a 401 when it is missing, unknown, revoked or expired.

    A key verified in the last few seconds is not looked up again (app.auth.keycache says how revocation ends that).
    """
    if not raw_key:
        raise Unauthorized(
            "missing API key: send 'Authorization: Bearer <key>' (create one with "
            "'sanctrack keys create --name NAME --scope read')"
        )
    digest = hash_key(raw_key)
    now = utcnow()
    cached = keycache.get(digest)
    if cached is None:
        key = session.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
        if key is None:
            raise Unauthorized("unknown API key")
        if key.revoked_at is not None:
            raise Unauthorized("this API key was revoked; ask an administrator for a new one")
        verified = VerifiedKey(id=key.id, name=key.name, scope=key.scope, expires_at=key.expires_at)
        cached = keycache.put(digest, verified, key.last_used_at)
    if cached.key.expires_at is not None and cached.key.expires_at <= now:
        raise Unauthorized("this API key has expired; ask an administrator for a new one")
    if cached.last_used_at is None or now - cached.last_used_at > LAST_USED_RESOLUTION:
        cached.last_used_at = now
        session.execute(update(ApiKey).where(ApiKey.id == cached.key.id).values(last_used_at=now))
    return cached.key


def authenticate_cached(raw_key: str | None) -> VerifiedKey | None:
    """The key when :func:`authenticate` would accept it without the database (verified a moment ago, not
    expired, its last use recorded recently); None when only :func:`authenticate` can tell."""
    if not raw_key:
        return None
    cached = keycache.get(hash_key(raw_key))
    if cached is None:
        return None
    now = utcnow()
    if cached.key.expires_at is not None and cached.key.expires_at <= now:
        return None
    if cached.last_used_at is None or now - cached.last_used_at > LAST_USED_RESOLUTION:
        return None
    return cached.key


def require(key: VerifiedKey | ApiKey, scope: str) -> None:
    if SCOPE_RANK[key.scope] < SCOPE_RANK[scope]:
        raise Forbidden(f"this key has scope '{key.scope}'; this action needs '{scope}'")


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke_key(session: Session, key_id: int, actor: Actor) -> ApiKey:
    key = session.get(ApiKey, key_id) if 0 < key_id < 2**31 else None  # ids are PostgreSQL integers
    if key is None:
        raise NotFound(f"no API key with id {key_id}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        audit(session, actor, "revoke", "api_key", key.id, None, {"name": key.name, "scope": key.scope})
        keycache.forget(key.key_hash)
        # Once committed, every process forgets it (before, a request could still read the key as not revoked).
        event.listen(
            session, "after_commit", lambda _session: keycache.announce_revoked(key.key_hash), once=True
        )
    return key


def audit(
    session: Session,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: Any,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    note: str | None = None,
) -> AuditRecord:
    record = AuditRecord(
        api_key_id=actor.api_key_id,
        actor=actor.label,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=before,
        after=after,
        request_id=request_id_var.get(),
        note=note,
    )
    session.add(record)
    return record


def list_audit(
    session: Session,
    *,
    entity_type: str | None = None,
    entity_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AuditRecord]:
    query = select(AuditRecord).order_by(AuditRecord.id.desc())
    if entity_type:
        query = query.where(AuditRecord.entity_type == entity_type)
    if entity_id:
        query = query.where(AuditRecord.entity_id == entity_id)
    return list(session.scalars(query.limit(limit).offset(min(offset, 2**63 - 1))))  # OFFSET is a bigint
