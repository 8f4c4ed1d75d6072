"""Snapshots of the official lists: ingest a publication, guard against bad ones, apply it, record the changes.

Only a publication that parses and does not remove too much at once becomes ``current``; anything else is kept
(with its bytes and the reason) as ``rejected``, or ``held`` when an operator may accept it, and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from app.alerts.events import emit_event
from app.auth.service import audit
from app.config import get_settings
from app.context import SYSTEM, Actor
from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotFound
from app.lists import storage
from app.lists.diff import diff_entries
from app.lists.fetch import fetch, fetch_set
from app.lists.models import Change, EntryVersion, ListEntry, Run, Snapshot
from app.lists.parsers import parse
from app.lists.records import (
    AUTHORITY_OF_SOURCE,
    SOURCES,
    Entry,
    ParseError,
    Publication,
    canonical_json,
    fingerprint_of,
)

if TYPE_CHECKING:
    import psycopg

BATCH = 2000
# From this many rows on, PostgreSQL receives them through COPY: one stream instead of thousands of bound
# parameters, which the driver would otherwise have to render into multi-row INSERT statements first.
COPY_MIN_ROWS = 500
Progress = Callable[[str], None]


@dataclass
class IngestResult:
    source: str
    status: str  # stored, unchanged, rejected
    snapshot_id: int | None = None
    entries: int = 0
    added: int = 0
    removed: int = 0
    amended: int = 0
    unmapped: dict[str, int] = field(default_factory=dict)
    published: dt.date | None = None
    reason: str | None = None
    # A held publication parsed fine but removes too much at once: an operator may accept it.
    acceptable: bool = False
    # Entries whose listing changed (added, amended, removed): what screening must look at again.
    changed_entry_ids: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "source": self.source,
            "snapshot_id": self.snapshot_id,
            "status": self.status,
            "entries": self.entries,
            "added": self.added,
            "removed": self.removed,
            "amended": self.amended,
            "unmapped": self.unmapped,
            "published": self.published.isoformat() if self.published else None,
        }
        if self.reason:
            out["reason"] = self.reason
            out["acceptable"] = self.acceptable
        return out


def check_source(source: str) -> str:
    if source not in SOURCES:
        raise InvalidInput(f"unknown list source {source!r}; choose one of {', '.join(SOURCES)}")
    return source


def latest_snapshot(session: Session, source: str) -> Snapshot | None:
    return session.scalar(
        select(Snapshot).where(Snapshot.source == source).order_by(Snapshot.id.desc()).limit(1)
    )


def current_snapshot(session: Session, source: str) -> Snapshot | None:
    return session.scalar(select(Snapshot).where(Snapshot.source == source, Snapshot.status == "current"))


def lock_source(session: Session, source: str, *, wait: bool = True) -> None:
    """Hold, until this transaction ends, the right to make a publication of ``source`` current: a refresh, an
    ingest and an operator's accept then apply one after the other, whichever process runs them (a PostgreSQL
    transaction-level advisory lock; SQLite lets one writer at a time anyway). Without ``wait``, a Conflict when
    another transaction holds it."""
    if session.get_bind().dialect.name != "postgresql":
        return
    key = func.hashtext(f"sanctrack:apply:{source}")
    if wait:
        session.execute(select(func.pg_advisory_xact_lock(key)))
    elif not session.scalar(select(func.pg_try_advisory_xact_lock(key))):
        raise Conflict(
            f"a publication of {source} is being applied right now; try again once it has finished "
            "(GET /v1/runs shows a running refresh)"
        )


def ingest_path(
    session: Session,
    source: str,
    path: Path,
    *,
    published: dt.date | None = None,
    origin: str | None = None,
    format: str | None = None,
    validators: dict[str, Any] | None = None,
    allow_mass_removal: bool = False,
    actor: Actor = SYSTEM,
    progress: Progress | None = None,
) -> IngestResult:
    """Ingest one publication from a file, a folder (OFAC CSV set) or a zip."""
    check_source(source)
    say = progress or (lambda _msg: None)
    if not path.exists():
        raise InvalidInput(f"{path} does not exist; give a list file, a folder of the OFAC CSV set, or a URL")
    say("reading the publication")
    raw = storage.pack(path)
    latest = latest_snapshot(session, source)
    if latest is not None and latest.sha256 == raw.sha256:
        if validators:
            latest.validators = validators
        return _unchanged(latest)
    storage.store(session, raw)
    snapshot = Snapshot(
        source=source,
        status="rejected",
        format=format or "unknown",
        origin=origin or str(path),
        published_on=published,
        sha256=raw.sha256,
        validators=validators or {},
        fetched_at=utcnow(),
        filename=raw.filename,
    )
    say("parsing")
    try:
        publication = parse(source, path, format=format)
    except ParseError as exc:
        return _reject(session, snapshot, f"the file could not be read as a {source} publication: {exc}")
    return apply_publication(
        session, snapshot, publication, allow_mass_removal=allow_mass_removal, actor=actor, progress=say
    )


def _reject(
    session: Session,
    snapshot: Snapshot,
    reason: str,
    *,
    held: bool = False,
    counts: dict[str, int] | None = None,
) -> IngestResult:
    snapshot.status = "held" if held else "rejected"
    snapshot.reject_reason = reason
    session.add(snapshot)
    session.flush()
    emit_event(
        session,
        type="list.snapshot_rejected",
        dedupe_key=f"snapshot_rejected:{snapshot.id}",
        source=snapshot.source,
        snapshot_id=snapshot.id,
        authority=AUTHORITY_OF_SOURCE[snapshot.source],
        data={
            "source": snapshot.source,
            "snapshot_id": snapshot.id,
            "reason": reason,
            "held": held,
            "sha256": snapshot.sha256,
            "origin": snapshot.origin,
            **(counts or {}),
        },
    )
    return IngestResult(
        source=snapshot.source,
        status="rejected",
        snapshot_id=snapshot.id,
        entries=snapshot.entry_count,
        reason=reason,
        acceptable=held,
        published=snapshot.published_on,
        **(counts or {}),
    )


def apply_publication(
    session: Session,
    snapshot: Snapshot,
    publication: Publication,
    *,
    allow_mass_removal: bool = False,
    actor: Actor = SYSTEM,
    progress: Progress | None = None,
) -> IngestResult:
    """Compare a parsed publication with the current entries and, unless it is held, make it current."""
    say = progress or (lambda _msg: None)
    source = snapshot.source
    # Another transaction applying a publication of this source finishes first; the comparison below then sees
    # what it made current.
    lock_source(session, source)
    settings = get_settings()
    snapshot.format = publication.format
    snapshot.published_on = snapshot.published_on or publication.published
    unmapped = {"counts": dict(publication.unmapped), "examples": publication.unmapped_examples}
    snapshot.unmapped = unmapped

    new = {entry.list_id: _prepare(entry) for entry in publication.entries}
    snapshot.entry_count = len(new)

    say("comparing with the current entries")
    rows = session.execute(
        select(ListEntry.id, ListEntry.list_id, ListEntry.fingerprint, ListEntry.is_listed).where(
            ListEntry.source == source
        )
    ).all()
    listed = {r.list_id: (r.id, r.fingerprint) for r in rows if r.is_listed}
    unlisted = {r.list_id: r.id for r in rows if not r.is_listed}
    added = [lid for lid in new if lid not in listed]
    removed = [lid for lid in listed if lid not in new]
    amended = [lid for lid in new if lid in listed and listed[lid][1] != new[lid].fingerprint]
    counts = {"added": len(added), "removed": len(removed), "amended": len(amended)}

    previous = current_snapshot(session, source)
    if previous is not None and listed and not allow_mass_removal:
        share = len(removed) / len(listed)
        if share > settings.max_removal_share:
            reason = (
                f"this publication would remove {len(removed):,} of {len(listed):,} entries ({share:.1%}), "
                f"more than the {settings.max_removal_share:.0%} allowed at once; if it is genuine, accept it "
                "with 'sanctrack lists accept SNAPSHOT_ID'"
            )
            return _reject(session, snapshot, reason, held=True, counts=counts)

    say(f"applying: {counts['added']} added, {counts['amended']} amended, {counts['removed']} removed")
    if previous is not None:
        previous.status = "superseded"
        session.flush()
    snapshot.status = "current"
    snapshot.reject_reason = None
    snapshot.applied_at = utcnow()
    snapshot.previous_id = previous.id if previous else None
    snapshot.added, snapshot.removed, snapshot.amended = counts["added"], counts["removed"], counts["amended"]
    if actor is not SYSTEM and allow_mass_removal:
        snapshot.accepted_by = actor.label
    session.add(snapshot)
    session.flush()
    sid = snapshot.id
    published = snapshot.published_on

    def columns(p: _Prepared) -> dict[str, Any]:
        return {
            "kind": p.entry.kind,
            "name": p.entry.name[:1000],
            "programs": p.data["programs"],
            "listed_on": _date(p.entry.listed_on),
            "data": p.data,
            "fingerprint": p.fingerprint,
            "is_listed": True,
            "last_changed_snapshot_id": sid,
            "removed_snapshot_id": None,
            "removed_on": None,
        }

    def copy_row(lid: str) -> tuple[Any, ...]:  # columns() of a fresh entry, in ENTRY_COPY_COLUMNS order
        p = new[lid]
        return (
            source,
            lid,
            p.entry.kind,
            p.entry.name[:1000],
            _json(p.data["programs"]),
            _date(p.entry.listed_on),
            p.json,
            p.fingerprint,
            True,
            sid,
            sid,
            None,
            None,
        )

    copy_to = _copy_connection(session)
    # Entries never seen before, returning their ids for versions and changes.
    fresh = [lid for lid in added if lid not in unlisted]
    ids: dict[str, int] = {}
    if copy_to is not None and len(fresh) >= COPY_MIN_ROWS:
        _copy_rows(copy_to, ListEntry, ENTRY_COPY_COLUMNS, map(copy_row, fresh))
        # COPY returns nothing; the rows this snapshot created are exactly the fresh ones.
        ids.update(
            {
                r.list_id: r.id
                for r in session.execute(
                    select(ListEntry.list_id, ListEntry.id).where(
                        ListEntry.source == source, ListEntry.first_snapshot_id == sid
                    )
                )
            }
        )
    else:
        for chunk in _chunks(fresh):
            result = session.execute(
                insert(ListEntry).returning(ListEntry.id, ListEntry.list_id, sort_by_parameter_order=True),
                [
                    {"source": source, "list_id": lid, "first_snapshot_id": sid, **columns(new[lid])}
                    for lid in chunk
                ],
            )
            ids.update({r.list_id: r.id for r in result})
    # Entries that come back after a removal, and amended ones: bulk updates by primary key.
    returning = [lid for lid in added if lid in unlisted]
    ids.update({lid: unlisted[lid] for lid in returning})
    old_data: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(amended):
        chunk_ids = [listed[lid][0] for lid in chunk]
        old_data.update(
            {
                r.list_id: r.data
                for r in session.execute(
                    select(ListEntry.list_id, ListEntry.data).where(ListEntry.id.in_(chunk_ids))
                )
            }
        )
    ids.update({lid: listed[lid][0] for lid in amended})
    ids.update({lid: listed[lid][0] for lid in removed})
    updates = [{"id": ids[lid], **columns(new[lid])} for lid in returning + amended]
    updates += [
        {
            "id": ids[lid],
            "is_listed": False,
            "last_changed_snapshot_id": sid,
            "removed_snapshot_id": sid,
            "removed_on": published or snapshot.fetched_at.date(),
        }
        for lid in removed
    ]
    for chunk in _chunks(updates):
        session.execute(update(ListEntry), chunk)

    if copy_to is not None and len(added) + len(amended) + len(removed) >= COPY_MIN_ROWS:
        # A removal's data is the JSON null, as the JSON column type writes Python None (not SQL NULL).
        _copy_rows(
            copy_to,
            EntryVersion,
            ("entry_id", "snapshot_id", "data", "fingerprint"),
            [
                *((ids[lid], sid, new[lid].json, new[lid].fingerprint) for lid in added + amended),
                *((ids[lid], sid, "null", None) for lid in removed),
            ],
        )
    else:
        versions = [
            {
                "entry_id": ids[lid],
                "snapshot_id": sid,
                "data": new[lid].data,
                "fingerprint": new[lid].fingerprint,
            }
            for lid in added + amended
        ]
        versions += [
            {"entry_id": ids[lid], "snapshot_id": sid, "data": None, "fingerprint": None} for lid in removed
        ]
        for chunk in _chunks(versions):
            session.execute(insert(EntryVersion), chunk)

    # The first snapshot of a source is the baseline: its entries are not "changes" anyone should hear about.
    if previous is not None:
        names = {lid: new[lid].entry.name for lid in added + amended}
        if removed:
            names.update(
                {
                    r.list_id: r.name
                    for r in session.execute(
                        select(ListEntry.list_id, ListEntry.name).where(
                            ListEntry.id.in_([ids[lid] for lid in removed])
                        )
                    )
                }
            )

        def change(lid: str, kind: str, diff: dict[str, Any]) -> dict[str, Any]:
            return {
                "snapshot_id": sid,
                "source": source,
                "entry_id": ids[lid],
                "list_id": lid,
                "name": names[lid][:1000],
                "kind": kind,
                "diff": diff,
            }

        changes = [change(lid, "added", {}) for lid in added]
        changes += [change(lid, "removed", {}) for lid in removed]
        changes += [change(lid, "amended", diff_entries(old_data[lid], new[lid].data)) for lid in amended]
        if copy_to is not None and len(changes) >= COPY_MIN_ROWS:
            # created_at has no server default (the model's default is applied in Python): give it here.
            now = utcnow()
            _copy_rows(
                copy_to,
                Change,
                _CHANGE_COPY_COLUMNS,
                (
                    (
                        c["snapshot_id"],
                        c["source"],
                        c["entry_id"],
                        c["list_id"],
                        c["name"],
                        c["kind"],
                        _json(c["diff"]),
                        now,
                    )
                    for c in changes
                ),
            )
        else:
            for chunk in _chunks(changes):
                session.execute(insert(Change), chunk)
    session.flush()
    return IngestResult(
        source=source,
        status="stored",
        snapshot_id=sid,
        entries=len(new),
        published=published,
        unmapped=dict(publication.unmapped),
        changed_entry_ids=[ids[lid] for lid in added + amended + removed],
        **counts,
    )


def accept_snapshot(
    session: Session, snapshot_id: int, actor: Actor, progress: Progress | None = None
) -> IngestResult:
    """An operator accepts a held publication (e.g. a genuine mass delisting): it is applied as it stands."""
    snapshot = session.get(Snapshot, snapshot_id)
    if snapshot is None:
        raise NotFound(f"no snapshot {snapshot_id}")
    if snapshot.status != "held":
        why = (
            "it could not be parsed, so there is nothing to apply"
            if snapshot.status == "rejected"
            else f"it is {snapshot.status}, not held"
        )
        raise Conflict(f"snapshot {snapshot_id} cannot be accepted: {why}")
    # An operator does not wait behind a refresh: told to try again, they find the list as it then stands.
    lock_source(session, snapshot.source, wait=False)
    newer = session.scalar(
        select(func.count()).where(
            Snapshot.source == snapshot.source, Snapshot.id > snapshot.id, Snapshot.status == "current"
        )
    )
    if newer:
        raise Conflict(
            f"a newer publication of {snapshot.source} was applied after snapshot {snapshot_id}; "
            "accepting this older one would roll the list back"
        )
    filename = snapshot.filename or Path(snapshot.origin).name or "publication"
    with tempfile.TemporaryDirectory(prefix="sanctrack-accept-") as tmp:
        path = storage.restore(session, snapshot.sha256, filename, Path(tmp))
        try:
            publication = parse(snapshot.source, path)
        except ParseError as exc:  # the bytes parsed when held; this would mean the parser changed since
            raise Conflict(f"snapshot {snapshot_id} no longer parses: {exc}") from exc
        result = apply_publication(
            session, snapshot, publication, allow_mass_removal=True, actor=actor, progress=progress
        )
    audit(
        session,
        actor,
        "accept",
        "snapshot",
        snapshot_id,
        {"status": "held"},
        {"status": "current", "added": result.added, "removed": result.removed, "amended": result.amended},
    )
    return result


def _unchanged(latest: Snapshot) -> IngestResult:
    """The result of fetching or reading again the publication ``latest`` already holds."""
    return IngestResult(
        source=latest.source,
        status="unchanged",
        snapshot_id=latest.id,
        entries=latest.entry_count,
        published=latest.published_on,
        unmapped=dict(latest.unmapped.get("counts", {})),
        reason=latest.reject_reason,
        acceptable=latest.status == "held",
    )


# Where the multi-file formats live when a source's URL is a folder (ends with "/").
FOLDER_SETS = {
    "ofac_sdn": (["sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv"], ["sdn.csv"]),
    "ofac_cons": (["cons_prim.csv", "cons_add.csv", "cons_alt.csv", "cons_comments.csv"], ["cons_prim.csv"]),
}


def ingest_url(
    session: Session,
    source: str,
    url: str | None = None,
    *,
    published: dt.date | None = None,
    allow_mass_removal: bool = False,
    actor: Actor = SYSTEM,
    progress: Progress | None = None,
    on_bytes: Callable[[int, int | None], None] | None = None,
) -> IngestResult:
    """Download a publication (conditional GET against the last one) and ingest it.

    Raises ``app.lists.fetch.FetchError`` when the download fails; ``error.retryable`` tells the caller whether
    trying again later can help.
    """
    check_source(source)
    settings = get_settings()
    url = url or settings.source_url(source)
    say = progress or (lambda _msg: None)
    latest = latest_snapshot(session, source)
    previous_validators = (latest.validators or {}) if latest else {}
    work = settings.data_dir / "downloads" / f"{source}-{uuid.uuid4().hex[:8]}"
    limits = {
        "max_bytes": settings.fetch_max_bytes,
        "timeout": settings.fetch_timeout_seconds,
        "retries": settings.fetch_retries,
        "on_progress": on_bytes,
    }
    say(f"downloading {url}")
    try:
        if url.endswith("/") and source in FOLDER_SETS:
            names, required = FOLDER_SETS[source]
            members = {k: tuple(v) for k, v in previous_validators.get("members", {}).items()}
            fetched = fetch_set(url, names, work, required=required, validators=members, **limits)
            validators: dict[str, Any] = {
                "members": {k: list(v) for k, v in fetched.member_validators().items()}
            }
        else:
            fetched = fetch(
                url,
                work,
                etag=previous_validators.get("etag"),
                last_modified=previous_validators.get("last_modified"),
                **limits,
            )
            validators = {"etag": fetched.etag, "last_modified": fetched.last_modified}
        if fetched.not_modified and latest is not None:
            say("not modified since the last download")
            return _unchanged(latest)
        return ingest_path(
            session,
            source,
            fetched.path,
            published=published,
            origin=url,
            validators=validators,
            allow_mass_removal=allow_mass_removal,
            actor=actor,
            progress=say,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _chunks(items: list[Any], size: int = BATCH) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Prepared(NamedTuple):
    """A parsed entry with what the write path needs from it, each computed once."""

    entry: Entry
    data: dict[str, Any]  # entry.to_dict()
    json: str  # data as canonical JSON text (sorted keys)
    fingerprint: str  # SHA-256 of that text: Entry.fingerprint()


def _prepare(entry: Entry) -> _Prepared:
    # to_dict() is the costliest step of an ingest after parsing: build it once and derive the rest from it, with
    # the same functions Entry.fingerprint() uses. The text is also what COPY sends as the JSONB data.
    data = entry.to_dict()
    text = canonical_json(data)
    return _Prepared(entry, data, text, fingerprint_of(text))


def _json(value: Any) -> str:
    # As app.db serializes JSON columns: names stay in their own script.
    return json.dumps(value, ensure_ascii=False)


# The columns a bulk COPY of list entries writes (bench/ingest.py times its floor on the same ones).
ENTRY_COPY_COLUMNS = (
    "source",
    "list_id",
    "kind",
    "name",
    "programs",
    "listed_on",
    "data",
    "fingerprint",
    "is_listed",
    "first_snapshot_id",
    "last_changed_snapshot_id",
    "removed_snapshot_id",
    "removed_on",
)
_CHANGE_COPY_COLUMNS = ("snapshot_id", "source", "entry_id", "list_id", "name", "kind", "diff", "created_at")


def _copy_connection(session: Session) -> psycopg.Connection[Any] | None:
    """The psycopg connection under the session, in its transaction, when COPY can be used; None otherwise
    (SQLite, the embedded default, takes the ordinary inserts)."""
    connection = session.connection()
    if connection.dialect.name != "postgresql" or connection.dialect.driver != "psycopg":
        return None
    return connection.connection.driver_connection


def _copy_rows(
    driver_connection: psycopg.Connection[Any],
    model: type[Any],
    columns: tuple[str, ...],
    rows: Iterable[tuple[Any, ...]],
) -> None:
    table = model.__table__.name
    with (
        driver_connection.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


# ---- reading ----------------------------------------------------------------------------------------------------


def list_sources(session: Session) -> list[dict[str, Any]]:
    now = utcnow()
    out = []
    for source in SOURCES:
        current = current_snapshot(session, source)
        pending = session.scalar(
            select(func.count()).where(
                Snapshot.source == source,
                Snapshot.status == "held",
                Snapshot.id > (current.id if current else 0),
            )
        )
        last_run = session.scalar(
            select(Run).where(Run.source == source).order_by(Run.created_at.desc()).limit(1)
        )
        out.append(
            {
                "source": source,
                "authority": AUTHORITY_OF_SOURCE[source],
                "url": get_settings().source_url(source),
                "current_snapshot": snapshot_json(current) if current else None,
                "freshness_seconds": int((now - current.applied_at).total_seconds())
                if current and current.applied_at
                else None,
                "held_snapshots": pending or 0,
                "last_run": {
                    "id": last_run.id,
                    "status": last_run.status,
                    "created_at": last_run.created_at,
                    "finished_at": last_run.finished_at,
                    "error": last_run.error,
                }
                if last_run
                else None,
            }
        )
    return out


def snapshot_json(s: Snapshot) -> dict[str, Any]:
    return {
        "id": s.id,
        "source": s.source,
        "status": s.status,
        "format": s.format,
        "origin": s.origin,
        "published_on": s.published_on,
        "fetched_at": s.fetched_at,
        "applied_at": s.applied_at,
        "sha256": s.sha256,
        "entries": s.entry_count,
        "added": s.added,
        "removed": s.removed,
        "amended": s.amended,
        "unmapped": (s.unmapped or {}).get("counts", {}),
        "reject_reason": s.reject_reason,
        "accepted_by": s.accepted_by,
        "previous_id": s.previous_id,
    }


def list_snapshots(
    session: Session, source: str, limit: int = 50, offset: int = 0
) -> tuple[list[Snapshot], int]:
    check_source(source)
    query = select(Snapshot).where(Snapshot.source == source)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return list(session.scalars(query.order_by(Snapshot.id.desc()).limit(limit).offset(offset))), total


def list_changes(
    session: Session,
    source: str,
    *,
    since: dt.datetime | None = None,
    kind: str | None = None,
    snapshot_id: int | None = None,
    limit: int = 100,
    after_id: int = 0,
) -> list[Change]:
    check_source(source)
    query = select(Change).where(Change.source == source, Change.id > after_id)
    if since is not None:
        query = query.where(Change.created_at >= since)
    if kind:
        query = query.where(Change.kind == kind)
    if snapshot_id is not None:
        query = query.where(Change.snapshot_id == snapshot_id)
    return list(session.scalars(query.order_by(Change.id).limit(limit)))


def search_entries(
    session: Session,
    *,
    q: str | None = None,
    source: str | None = None,
    program: str | None = None,
    listed: bool | None = True,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ListEntry], int]:
    query = select(ListEntry)
    if source:
        query = query.where(ListEntry.source == check_source(source))
    if listed is not None:
        query = query.where(ListEntry.is_listed.is_(listed))
    if q:
        needle = f"%{q.strip().lower()}%"
        query = query.where(or_(func.lower(ListEntry.name).like(needle), ListEntry.list_id == q.strip()))
    if program:
        # Programs are a short JSON array; matching its text form works the same on PostgreSQL and SQLite.
        from sqlalchemy import String, cast

        query = query.where(cast(ListEntry.programs, String).like(f'%"{program}"%'))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return list(
        session.scalars(query.order_by(ListEntry.source, ListEntry.name).limit(limit).offset(offset))
    ), total


def get_entry(session: Session, source: str, list_id: str) -> ListEntry:
    entry = session.scalar(
        select(ListEntry).where(ListEntry.source == check_source(source), ListEntry.list_id == list_id)
    )
    if entry is None:
        raise NotFound(f"no entry {list_id!r} on {source}")
    return entry


def entry_history(session: Session, entry: ListEntry) -> list[dict[str, Any]]:
    rows = session.execute(
        select(EntryVersion, Snapshot.published_on, Snapshot.fetched_at)
        .join(Snapshot, Snapshot.id == EntryVersion.snapshot_id)
        .where(EntryVersion.entry_id == entry.id)
        .order_by(EntryVersion.snapshot_id)
    ).all()
    changes = {c.snapshot_id: c for c in session.scalars(select(Change).where(Change.entry_id == entry.id))}
    history = []
    for version, published_on, fetched_at in rows:
        change = changes.get(version.snapshot_id)
        history.append(
            {
                "snapshot_id": version.snapshot_id,
                "published_on": published_on,
                "fetched_at": fetched_at,
                "change": change.kind if change else ("added" if version.data is not None else "removed"),
                "diff": change.diff if change else {},
                "listed": version.data is not None,
                "data": version.data,
            }
        )
    return history
