"""Matching candidates against listed entries: screening and links (ad-hoc queries: :mod:`app.matching.search`).

The index is the process's (app.matching.live): derived from the database, saved beside it, kept current beside
the requests. Screening first brings it up to date, as what it records must follow from the publication just
applied.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.events import emit_event
from app.alerts.service import refresh_target_status
from app.auth.service import audit
from app.config import get_settings
from app.context import Actor
from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotFound
from app.lists.models import ListEntry
from app.lists.records import AUTHORITY_OF_SOURCE, Entry
from app.matching import live
from app.matching.index import MatchIndex
from app.matching.models import Link
from app.matching.query import MatchQuery
from app.matching.search import current_index, identifier_match
from app.targets.models import Target

EntryKey = live.EntryKey


# ---- screening --------------------------------------------------------------------------------------------------


def query_for_target(target: Target) -> MatchQuery:
    names = [target.name] + [a["name"] if isinstance(a, dict) else str(a) for a in target.aliases]
    identifiers = [
        (i.get("type"), i["value"]) for i in target.identifiers if isinstance(i, dict) and i.get("value")
    ]
    return MatchQuery(
        kind=target.kind,
        names=names,
        birth_dates=list(target.birth_dates),
        nationalities=list(target.nationalities),
        identifiers=identifiers,
    )


@dataclass
class ScreeningResult:
    targets: int = 0
    entries: int = 0
    links_new: int = 0
    links_updated: int = 0
    suggested: int = 0
    auto: int = 0
    reopened: int = 0
    affected_targets: set[int] = field(default_factory=set)

    def to_json(self) -> dict[str, Any]:
        return {
            "targets": self.targets,
            "entries": self.entries,
            "links_new": self.links_new,
            "links_updated": self.links_updated,
            "suggested": self.suggested,
            "auto": self.auto,
            "reopened": self.reopened,
            "affected_targets": sorted(self.affected_targets),
        }


def screen(
    session: Session,
    *,
    target_ids: Iterable[int] | None = None,
    entry_ids: Iterable[int] | None = None,
    progress: Any = None,
) -> ScreeningResult:
    """Match candidates against entries and record links; then update each affected candidate's status.

    ``target_ids`` None: every live candidate. ``entry_ids`` None: every listed entry (the whole index);
    otherwise only those entries (what a publication changed) are considered.
    """
    settings = get_settings()
    loaded = current_index(session)
    query = select(Target).where(Target.deleted_at.is_(None))
    if target_ids is not None:
        wanted = list(set(target_ids))
        if not wanted:
            return ScreeningResult()
        query = query.where(Target.id.in_(wanted))
    targets = list(session.scalars(query.order_by(Target.id)))
    result = ScreeningResult(targets=len(targets))

    if entry_ids is None:
        index = loaded.index
        result.entries = len(loaded.entry_ids)
    else:
        # A small index of just the changed entries: each candidate is scored against them and nothing else.
        wanted_entries = set(entry_ids)
        index = MatchIndex()
        for row in session.execute(
            select(ListEntry.source, ListEntry.list_id, ListEntry.data).where(
                ListEntry.id.in_(wanted_entries), ListEntry.is_listed.is_(True)
            )
        ):
            index.add((row.source, row.list_id), Entry.from_dict(row.data))
            result.entries += 1
        if result.entries == 0:
            return result

    existing = (
        {
            (link.target_id, link.entry_id): link
            for link in session.scalars(select(Link).where(Link.target_id.in_([t.id for t in targets])))
        }
        if targets
        else {}
    )
    for number, target in enumerate(targets, 1):
        if progress and number % 50 == 0:
            progress(number, len(targets))
        # Every entry scoring at or above the review threshold becomes a suggestion to review (or an automatic
        # link at or above the auto-link threshold).
        hits = index.search(query_for_target(target), limit=10, threshold=settings.review_threshold)
        for key, _entry, scored in hits:
            if scored.score < settings.review_threshold:
                continue
            entry_id = loaded.entry_ids.get(key)
            fingerprint = loaded.fingerprints.get(key)
            if entry_id is None:
                row = session.execute(
                    select(ListEntry.id, ListEntry.fingerprint).where(
                        ListEntry.source == key[0], ListEntry.list_id == key[1]
                    )
                ).one_or_none()
                if row is None:
                    continue
                entry_id, fingerprint = row.id, row.fingerprint
            _record_link(
                session, existing, target, key, entry_id, fingerprint or "", scored, result, settings
            )
    session.flush()
    if result.affected_targets:
        for target_id in sorted(result.affected_targets):
            refresh_target_status(session, target_id)
    return result


def _record_link(
    session: Session,
    existing: dict[tuple[int, int], Link],
    target: Target,
    key: EntryKey,
    entry_id: int,
    fingerprint: str,
    scored: Any,
    result: ScreeningResult,
    settings: Any,
) -> None:
    score = round(min(max(scored.score, 0.0), 1.0), 4)
    auto = identifier_match(scored) or score >= settings.auto_link_threshold
    link = existing.get((target.id, entry_id))
    if link is None:
        link = Link(
            target_id=target.id,
            entry_id=entry_id,
            source=key[0],
            list_id=key[1],
            score=score,
            state="auto" if auto else "suggested",
            explanation=scored.explanation,
            entry_fingerprint=fingerprint,
            target_version=target.version,
        )
        session.add(link)
        session.flush()
        existing[(target.id, entry_id)] = link
        result.links_new += 1
        if auto:
            result.auto += 1
            result.affected_targets.add(target.id)
        else:
            result.suggested += 1
            _emit_suggested(session, link, target)
        return
    unchanged = link.entry_fingerprint == fingerprint and link.target_version == target.version
    if link.state == "rejected":
        if link.entry_fingerprint == fingerprint:
            return  # a reviewer said no, and the listed entry has not changed since
        link.state = "auto" if auto else "suggested"
        link.reviewed_by = link.reviewed_at = link.review_reason = None
        result.reopened += 1
        if link.state == "suggested":
            _emit_suggested(session, link, target, fingerprint)
    elif link.state == "suggested" and auto:
        link.state = "auto"
        result.auto += 1
    if not unchanged or link.score != score:
        result.links_updated += 1
    link.score, link.explanation = score, scored.explanation
    link.entry_fingerprint, link.target_version = fingerprint, target.version
    if link.state in ("auto", "confirmed"):
        result.affected_targets.add(target.id)


def _emit_suggested(session: Session, link: Link, target: Target, fingerprint: str | None = None) -> None:
    entry = session.get(ListEntry, link.entry_id)
    emit_event(
        session,
        type="target.match_suggested",
        dedupe_key=f"match_suggested:{link.id}:{fingerprint or link.entry_fingerprint}",
        target_id=target.id,
        authority=AUTHORITY_OF_SOURCE.get(link.source),
        source=link.source,
        data={
            "target": {"id": target.id, "name": target.name},
            "link": {"id": link.id, "score": link.score},
            "entry": {
                "source": link.source,
                "list_id": link.list_id,
                "name": entry.name if entry else None,
                "programs": entry.programs if entry else [],
            },
            "programs": entry.programs if entry else [],
            "target_programs": [p.code for p in target.programs],
        },
    )


# ---- review -----------------------------------------------------------------------------------------------------


def get_link(session: Session, link_id: int) -> Link:
    link = session.get(Link, link_id)
    if link is None:
        raise NotFound(f"no link {link_id}")
    return link


def list_links(session: Session, target_id: int) -> list[Link]:
    return list(
        session.scalars(select(Link).where(Link.target_id == target_id).order_by(Link.score.desc(), Link.id))
    )


def review_queue(session: Session, limit: int = 100, offset: int = 0) -> list[Link]:
    return list(
        session.scalars(
            select(Link)
            .join(Target, Target.id == Link.target_id)
            .where(Link.state == "suggested", Target.deleted_at.is_(None))
            .order_by(Link.score.desc(), Link.id)
            .limit(limit)
            .offset(offset)
        )
    )


def _review(session: Session, link_id: int, state: str, reason: str, actor: Actor) -> Link:
    link = get_link(session, link_id)
    if not reason or not reason.strip():
        raise InvalidInput("say why, in 'reason': it is kept with the decision")
    if link.state == state:
        return link
    if link.state not in ("suggested", "auto", "confirmed", "rejected"):
        raise Conflict(f"link {link_id} is {link.state}")
    before = {"state": link.state, "score": link.score}
    link.state = state
    link.reviewed_by = actor.label
    link.reviewed_at = utcnow()
    link.review_reason = reason.strip()
    session.flush()
    audit(
        session,
        actor,
        "confirm" if state == "confirmed" else "reject",
        "link",
        link.id,
        before,
        {"state": state, "reason": link.review_reason},
    )
    refresh_target_status(session, link.target_id)
    return link


def confirm_link(session: Session, link_id: int, reason: str, actor: Actor) -> Link:
    return _review(session, link_id, "confirmed", reason, actor)


def reject_link(session: Session, link_id: int, reason: str, actor: Actor) -> Link:
    return _review(session, link_id, "rejected", reason, actor)


def undo_review(session: Session, link_id: int, reason: str, actor: Actor) -> Link:
    """Take back a reviewer's decision: a confirmed or rejected match is suggested again and waits in the queue.

    The decision undone and the reason are audited; the candidate's standing is recomputed, so an undone
    confirmation stops counting as a listing (without an alert, as a withdrawn link does).
    """
    link = get_link(session, link_id)
    if not reason or not reason.strip():
        raise InvalidInput("say why the decision is undone, in 'reason': it is kept with the record")
    if link.state not in ("confirmed", "rejected"):
        raise Conflict(f"match {link_id} is {link.state}: only a confirmed or rejected match can be undone")
    before = {
        "state": link.state,
        "reviewed_by": link.reviewed_by,
        "reviewed_at": link.reviewed_at.isoformat() if link.reviewed_at else None,
        "reason": link.review_reason,
    }
    link.state = "suggested"
    link.reviewed_by = link.reviewed_at = link.review_reason = None
    session.flush()
    audit(session, actor, "undo", "link", link.id, before, {"state": "suggested"}, note=reason.strip())
    refresh_target_status(session, link.target_id)
    return link
