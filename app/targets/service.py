"""Candidates, their evidence, and the program reference table. Services flush, never commit."""

from __future__ import annotations

import csv
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, String, cast, delete, event, func, or_, select
from sqlalchemy.orm import Session, joinedload

from app.auth.service import audit
from app.background import background
from app.config import get_settings
from app.context import Actor
from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotFound, PreconditionFailed
from app.targets.models import PROGRAM_THEMES, Evidence, Program, ScreeningRequest, Target, TargetTag
from app.targets.schemas import EvidenceCreate, TargetCreate, TargetUpdate

PROGRAMS_CSV = Path(__file__).with_name("programs.csv")
log = logging.getLogger("sanctrack.targets")


# ---- programs ---------------------------------------------------------------------------------------------------


def sync_programs(session: Session) -> int:
    """Insert or refresh the reference programs shipped with the code; returns how many were added."""
    existing = {(p.authority, p.code): p for p in session.scalars(select(Program))}
    added = 0
    for row in shipped_programs():
        program = existing.get((row["authority"], row["code"]))
        if program is None:
            session.add(Program(**row))
            added += 1
        else:
            program.name, program.legal_basis, program.theme = row["name"], row["legal_basis"], row["theme"]
    session.flush()
    return added


def shipped_programs() -> list[dict[str, str]]:
    """The rows of programs.csv; a theme outside PROGRAM_THEMES is a defect of the file, reported as such."""
    with PROGRAMS_CSV.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for line, row in enumerate(rows, start=2):
        unknown = [t for t in row["theme"].split(";") if t not in PROGRAM_THEMES]
        if unknown:
            raise ValueError(
                f"{PROGRAMS_CSV.name} line {line}: theme {row['theme']!r} is not one of {', '.join(PROGRAM_THEMES)}"
            )
    return rows


def list_programs(session: Session, authority: str | None = None) -> list[Program]:
    query = select(Program).order_by(Program.authority, Program.code)
    if authority:
        query = query.where(Program.authority == authority.upper())
    return list(session.scalars(query))


def resolve_programs(session: Session, codes: Sequence[str]) -> list[Program]:
    """Map codes (``GLOMAG``, or ``UK:Global Human Rights`` where a code is shared) to programs; unknown → 422."""
    resolved: list[Program] = []
    for code in dict.fromkeys(codes):
        authority, sep, bare = code.partition(":")
        query = select(Program).where(func.lower(Program.code) == (bare if sep else code).lower())
        if sep:
            query = query.where(Program.authority == authority.upper())
        matches = list(session.scalars(query))
        if not matches:
            raise InvalidInput(f"unknown program {code!r}; GET /v1/programs lists the known codes")
        if len(matches) > 1:
            options = ", ".join(f"{p.authority}:{p.code}" for p in matches)
            raise InvalidInput(f"program {code!r} exists under several authorities; write one of {options}")
        resolved.append(matches[0])
    return resolved


# ---- targets ----------------------------------------------------------------------------------------------------


def target_to_dict(target: Target) -> dict[str, Any]:
    return {
        "id": target.id,
        "kind": target.kind,
        "name": target.name,
        "aliases": target.aliases,
        "birth_dates": target.birth_dates,
        "birth_places": target.birth_places,
        "nationalities": target.nationalities,
        "identifiers": target.identifiers,
        "addresses": target.addresses,
        "programs": [p.code for p in target.programs],
        "rationale": target.rationale,
        "tags": target.tags,
        "owner": target.owner,
        "status": target.status,
        "version": target.version,
    }


def _set_tags(session: Session, target: Target, tags: list[str]) -> None:
    target.tags = tags
    if target.id is not None:
        session.execute(delete(TargetTag).where(TargetTag.target_id == target.id))
    session.flush()
    session.add_all(TargetTag(target_id=target.id, tag=tag) for tag in tags)


# ---- screening requests (the outbox the worker drains) -------------------------------------------------------

_NUDGE_KEY = "sanctrack.screening_requested"


def request_screening(session: Session, target_ids: Sequence[int], reason: str) -> None:
    """Record, in this transaction, that these candidates need screening; once it commits, ask a worker to do it now.

    Every way a candidate is created or edited comes through here, so none forgets screening: the worker drains
    ``screening_requests`` in batches (at once when asked, else at its periodic tick). Off when the setting
    ``screen_on_change`` is.
    """
    if not target_ids or not get_settings().screen_on_change:
        return
    session.add_all(ScreeningRequest(target_id=target_id, reason=reason) for target_id in target_ids)
    pending: set[int] | None = session.info.get(_NUDGE_KEY)
    if pending is None:
        pending = session.info[_NUDGE_KEY] = set()
        event.listen(session, "after_commit", _nudge_after_commit, once=True)
    pending.update(target_ids)


def _nudge_after_commit(session: Session) -> None:
    # After the commit, so that the worker finds the requests. A nudge only starts a drain of what is committed:
    # one for a rolled-back request finds nothing more, and a lost one costs the wait for the next tick.
    pending = session.info.pop(_NUDGE_KEY, None)
    if not pending:
        return
    try:
        background().screen_soon(sorted(pending))
    except Exception:  # noqa: BLE001 - broker unreachable: the committed requests wait for the drain's tick
        log.warning(
            "could not ask a worker to screen candidates %s now; the periodic drain will", sorted(pending)
        )


def find_duplicate(session: Session, kind: str, name: str) -> Target | None:
    """A live candidate of this kind with this name (ignoring case), as import's duplicate check finds it."""
    return session.scalar(
        select(Target)
        .where(Target.deleted_at.is_(None), Target.kind == kind, func.lower(Target.name) == name.lower())
        .order_by(Target.id)
        .limit(1)
    )


def create_target(
    session: Session, data: TargetCreate, actor: Actor, *, allow_duplicate: bool = True
) -> Target:
    """Create a candidate and request its screening. With ``allow_duplicate`` False, a live candidate of the same
    kind and name is a Conflict that names it (the caller may insist)."""
    if not allow_duplicate and (existing := find_duplicate(session, data.kind, data.name)) is not None:
        raise Conflict(
            f"a {data.kind} named {existing.name!r} is already candidate {existing.id}; nothing was created "
            "(to add another one anyway: allow_duplicate=true in the API, --allow-duplicate on the command line)",
            existing_id=existing.id,
        )
    payload = data.model_dump(mode="json", exclude={"programs", "tags"})
    target = Target(**payload, programs=resolve_programs(session, data.programs))
    if target.owner is None and actor.api_key_id is not None:
        target.owner = actor.name
    session.add(target)
    _set_tags(session, target, data.tags)
    session.flush()
    audit(session, actor, "create", "target", target.id, None, target_to_dict(target))
    request_screening(session, [target.id], "created")
    return target


def get_target(session: Session, target_id: int) -> Target:
    target = session.get(Target, target_id) if 0 < target_id < 2**31 else None  # ids are PostgreSQL integers
    if target is None or target.deleted_at is not None:
        raise NotFound(f"no candidate target with id {target_id}")
    return target


def read_target(session: Session, target_id: int) -> tuple[Target, int]:
    """A candidate and its count of evidence not retracted, in one statement (its programs joined in): the read
    that ``GET /v1/targets/{id}`` makes on every cache miss."""
    evidence_count = (
        select(func.count())
        .where(Evidence.target_id == Target.id, Evidence.retracted_at.is_(None))
        .correlate(Target)
        .scalar_subquery()
    )
    row = (
        session.execute(
            select(Target, evidence_count)
            .options(joinedload(Target.programs))
            .where(Target.id == target_id, Target.deleted_at.is_(None))
        )
        .unique()
        .first()
        if 0 < target_id < 2**31  # ids are PostgreSQL integers
        else None
    )
    if row is None:
        raise NotFound(f"no candidate target with id {target_id}")
    return row[0], row[1]


def list_targets(
    session: Session,
    *,
    status: str | None = None,
    program: str | None = None,
    tag: str | None = None,
    q: str | None = None,
    kind: str | None = None,
    conditions: Sequence[ColumnElement[bool]] = (),
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Target], int]:
    """Candidates, filtered; ``conditions`` are further SQL conditions on Target (the console's standings)."""
    query = select(Target).where(Target.deleted_at.is_(None), *conditions)
    if status:
        query = query.where(Target.status == status)
    if kind:
        query = query.where(Target.kind == kind)
    if program:
        query = query.where(Target.programs.any(func.lower(Program.code) == program.lower()))
    if tag:
        query = query.where(Target.id.in_(select(TargetTag.target_id).where(TargetTag.tag == tag)))
    if q:
        needle = f"%{q.strip().lower()}%"
        query = query.where(
            or_(func.lower(Target.name).like(needle), func.lower(cast(Target.aliases, String)).like(needle))
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = list(
        session.scalars(query.order_by(Target.id).limit(limit).offset(min(offset, 2**63 - 1)))
    )  # bigint
    return items, total


def check_version(target: Target, if_match: int | None) -> None:
    if if_match is not None and if_match != target.version:
        raise PreconditionFailed(
            f"candidate {target.id} is at version {target.version}, not {if_match}: someone changed it; "
            "GET it again and retry with the new ETag"
        )


def update_target(
    session: Session, target_id: int, data: TargetUpdate, actor: Actor, if_match: int | None = None
) -> Target:
    target = get_target(session, target_id)
    check_version(target, if_match)
    before = target_to_dict(target)
    changes = data.model_dump(mode="json", exclude_unset=True)
    for field in ("kind", "name", "status", "rationale"):
        if changes.get(field) is None:
            changes.pop(field, None)
    if "programs" in changes:
        target.programs = resolve_programs(session, changes.pop("programs") or [])
    if "tags" in changes:
        _set_tags(session, target, list(dict.fromkeys(changes.pop("tags") or [])))
    for field, value in changes.items():
        setattr(target, field, value if value is not None or field == "owner" else [])
    target.updated_at = utcnow()
    session.flush()
    after = target_to_dict(target)
    audit(session, actor, "update", "target", target.id, before, after)
    request_screening(session, [target.id], "updated")
    return target


def delete_target(session: Session, target_id: int, actor: Actor, if_match: int | None = None) -> None:
    """Hide the candidate; its evidence, links and history stay (the audit trail must keep them)."""
    target = get_target(session, target_id)
    check_version(target, if_match)
    before = target_to_dict(target)
    target.deleted_at = utcnow()
    session.flush()
    audit(session, actor, "delete", "target", target.id, before, None)


def evidence_counts(session: Session, target_ids: Sequence[int]) -> dict[int, int]:
    if not target_ids:
        return {}
    rows = session.execute(
        select(Evidence.target_id, func.count())
        .where(Evidence.target_id.in_(target_ids), Evidence.retracted_at.is_(None))
        .group_by(Evidence.target_id)
    )
    return {target_id: count for target_id, count in rows}


# ---- evidence ---------------------------------------------------------------------------------------------------


def evidence_to_dict(evidence: Evidence) -> dict[str, Any]:
    return {
        "id": evidence.id,
        "target_id": evidence.target_id,
        "source_type": evidence.source_type,
        "title": evidence.title,
        "publisher": evidence.publisher,
        "author": evidence.author,
        "url": evidence.url,
        "published_on": evidence.published_on.isoformat() if evidence.published_on else None,
        "accessed_on": evidence.accessed_on.isoformat() if evidence.accessed_on else None,
        "excerpt": evidence.excerpt,
        "allegation": evidence.allegation,
        "credibility": evidence.credibility,
        "content_sha256": evidence.content_sha256,
        "retracted_at": evidence.retracted_at.isoformat() if evidence.retracted_at else None,
        "retraction_reason": evidence.retraction_reason,
    }


def add_evidence(session: Session, target_id: int, data: EvidenceCreate, actor: Actor) -> Evidence:
    target = get_target(session, target_id)
    payload = data.model_dump()
    payload["url"] = str(data.url) if data.url else None
    evidence = Evidence(target_id=target.id, created_by=actor.label, **payload)
    session.add(evidence)
    session.flush()
    audit(session, actor, "create", "evidence", evidence.id, None, evidence_to_dict(evidence))
    return evidence


def list_evidence(session: Session, target_id: int, include_retracted: bool = True) -> list[Evidence]:
    get_target(session, target_id)
    query = select(Evidence).where(Evidence.target_id == target_id).order_by(Evidence.id)
    if not include_retracted:
        query = query.where(Evidence.retracted_at.is_(None))
    return list(session.scalars(query))


def get_evidence(session: Session, target_id: int, evidence_id: int) -> Evidence:
    evidence = session.get(Evidence, evidence_id) if 0 < evidence_id < 2**31 else None  # PostgreSQL integer
    if evidence is None or evidence.target_id != target_id:
        raise NotFound(f"no evidence record {evidence_id} on candidate {target_id}")
    return evidence


def retract_evidence(
    session: Session, target_id: int, evidence_id: int, reason: str, actor: Actor
) -> Evidence:
    evidence = get_evidence(session, target_id, evidence_id)
    if evidence.retracted_at is not None:
        return evidence
    before = evidence_to_dict(evidence)
    evidence.retracted_at = utcnow()
    evidence.retracted_by = actor.label
    evidence.retraction_reason = reason
    session.flush()
    audit(session, actor, "retract", "evidence", evidence.id, before, evidence_to_dict(evidence))
    return evidence
