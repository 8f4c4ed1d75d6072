"""Matching candidates against listed entries: the in-memory index, ad-hoc queries, screening and links.

The index is rebuilt from the database (never the only copy of anything) and kept current per source: when a
source's current snapshot changes, only the entries that snapshot touched are re-read.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.service import audit
from app.config import get_settings
from app.context import Actor
from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotFound
from app.lists.models import ListEntry, Snapshot
from app.lists.records import Entry
from app.matching.index import MatchIndex
from app.matching.models import Link
from app.matching.query import MatchQuery
from app.targets.models import Target

EntryKey = tuple[str, str]  # (source, list_id)


@dataclass
class _LoadedIndex:
    index: MatchIndex = field(default_factory=MatchIndex)
    # source -> id of the current snapshot whose entries the index holds
    seen: dict[str, int] = field(default_factory=dict)
    entry_ids: dict[EntryKey, int] = field(default_factory=dict)
    fingerprints: dict[EntryKey, str] = field(default_factory=dict)
    database: str = ""


_loaded = _LoadedIndex()
_lock = threading.Lock()


def _database_identity(session: Session) -> str:
    bind = session.get_bind()
    return getattr(bind, "engine", bind).url.render_as_string(hide_password=True)


def current_index(session: Session, wait: bool = True) -> _LoadedIndex:
    """The process's index, brought up to date with the current snapshots (cheap when nothing changed).

    Without ``wait``, while another thread is bringing the index up to date (a refresh applied many changes), the
    index is returned as it stands, part old and part new, rather than after the update: an ad-hoc query answers
    at once. Screening waits, as what it records must follow from the publication just applied.
    """
    current = dict(
        session.execute(select(Snapshot.source, Snapshot.id).where(Snapshot.status == "current")).all()
    )
    identity = _database_identity(session)
    if not _lock.acquire(blocking=False):
        if not wait and _loaded.seen and _loaded.database == identity:
            return _loaded
        _lock.acquire()
    try:
        return _bring_up_to_date(session, current, identity)
    finally:
        _lock.release()


def _bring_up_to_date(session: Session, current: dict[str, int], identity: str) -> _LoadedIndex:
    global _loaded
    if _loaded.database != identity:
        _loaded = _LoadedIndex(database=identity)
    stale = {s: sid for s, sid in current.items() if _loaded.seen.get(s) != sid}
    gone = [s for s in _loaded.seen if s not in current]
    if not stale and not gone:
        return _loaded
    for source in gone:  # the source's snapshots were deleted (tests, restores): forget its entries
        for key in [k for k in _loaded.entry_ids if k[0] == source]:
            _forget(_loaded, key)
        del _loaded.seen[source]
    for source, snapshot_id in stale.items():
        since = _loaded.seen.get(source, 0)
        query = select(
            ListEntry.id, ListEntry.list_id, ListEntry.is_listed, ListEntry.data, ListEntry.fingerprint
        ).where(ListEntry.source == source)
        if since and since < snapshot_id:
            query = query.where(ListEntry.last_changed_snapshot_id > since)
        elif since > snapshot_id:  # the database went back in time: reload the source from scratch
            for key in [k for k in _loaded.entry_ids if k[0] == source]:
                _forget(_loaded, key)
        for row in session.execute(query):
            key = (source, row.list_id)
            if row.is_listed:
                _loaded.index.add(key, Entry.from_dict(row.data))
                _loaded.entry_ids[key] = row.id
                _loaded.fingerprints[key] = row.fingerprint
            else:
                _forget(_loaded, key)
        _loaded.seen[source] = snapshot_id
    return _loaded


def _forget(loaded: _LoadedIndex, key: EntryKey) -> None:
    if key in loaded.entry_ids:
        loaded.index.remove(key)
        del loaded.entry_ids[key]
        loaded.fingerprints.pop(key, None)


def reset_index() -> None:
    global _loaded
    with _lock:
        _loaded = _LoadedIndex()


# ---- ad-hoc matching --------------------------------------------------------------------------------------------


@dataclass
class MatchHit:
    source: str
    list_id: str
    name: str
    score: float
    match: bool
    explanation: dict[str, Any]
    identifier_match: bool = False


def _identifier_match(result: Any) -> bool:
    flag = getattr(result, "identifier_match", None)
    if flag is not None:
        return bool(flag)
    return bool(result.explanation.get("identifier_match"))


def match(
    session: Session, query: MatchQuery, *, threshold: float | None = None, limit: int = 5
) -> list[MatchHit]:
    if not query.names or not any(n.strip() for n in query.names):
        raise InvalidInput("a query needs at least one name")
    threshold = get_settings().match_threshold if threshold is None else threshold
    loaded = current_index(session, wait=False)
    # Near misses still show (match: false), as reviewers want to see them; far ones are not worth scoring.
    hits = loaded.index.search(query, limit=limit, threshold=threshold * 0.75)
    return [
        MatchHit(
            source=key[0],
            list_id=key[1],
            name=entry.name,
            score=round(result.score, 4),
            match=result.score >= threshold,
            explanation=result.explanation,
            identifier_match=_identifier_match(result),
        )
        for key, entry, result in hits
    ]


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
        hits = index.search(query_for_target(target), limit=10, threshold=settings.match_threshold)
        for key, _entry, scored in hits:
            if scored.score < settings.match_threshold:
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
        from app.alerts.service import refresh_target_status

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
    auto = _identifier_match(scored) or score >= settings.auto_link_threshold
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
    from app.alerts.events import emit_event
    from app.lists.records import AUTHORITY_OF_SOURCE

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
    from app.alerts.service import refresh_target_status

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
    from app.alerts.service import refresh_target_status  # as _review does, in this version

    refresh_target_status(session, link.target_id)
    return link
