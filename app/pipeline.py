"""The refresh pipeline as a service: fetch → ingest → changes → screen what changed → events → deliveries.

Celery tasks, the API and the CLI all go through :func:`request_refresh` and :func:`execute_refresh`, so a refresh
behaves the same whoever starts it. One refresh per source at a time (a lock with expiry, renewed while it
works); a run that is delivered twice does its work once (the run's state and the snapshot's SHA-256 say so).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import redis
from sqlalchemy import delete, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.alerts.service import refresh_target_status
from app.auth.service import audit
from app.background import background
from app.config import get_settings
from app.context import SYSTEM, Actor
from app.db import session_scope, utcnow
from app.errors import Conflict, NotFound
from app.lists import service as lists_service
from app.lists.fetch import FetchError
from app.lists.models import Run
from app.matching.models import Link
from app.matching.service import screen
from app.targets.models import ScreeningRequest, Target

log = logging.getLogger("sanctrack.pipeline")
ACTIVE = ("queued", "running")
LOCK_TTL_SECONDS = (
    60  # renewed every third of it while the refresh runs; a killed worker frees it within a minute
)


def new_run_id() -> str:
    return f"run_{uuid.uuid4().hex[:20]}"


# ---- runs -------------------------------------------------------------------------------------------------------


def active_run(session: Session, source: str) -> Run | None:
    stale_before = utcnow() - dt.timedelta(seconds=get_settings().refresh_lock_seconds)
    return session.scalar(
        select(Run)
        .where(
            Run.source == source, Run.kind == "refresh", Run.status.in_(ACTIVE), Run.created_at > stale_before
        )
        .order_by(Run.created_at.desc())
        .limit(1)
    )


def request_refresh(
    session: Session, source: str, *, trigger: str, actor: Actor = SYSTEM, url: str | None = None
) -> Run:
    """Record a queued refresh run; 409 (Conflict) while another one for the source is queued or running."""
    lists_service.check_source(source)
    running = active_run(session, source)
    if running is not None:
        raise Conflict(
            f"a refresh of {source} is already {running.status} (run {running.id}); "
            "wait for it (GET /v1/runs) before starting another",
            run_id=running.id,
        )
    run = Run(
        id=new_run_id(),
        kind="refresh",
        source=source,
        status="queued",
        trigger=trigger,
        counts={"url": url} if url else {},
    )
    session.add(run)
    session.flush()
    if actor is not SYSTEM:
        audit(session, actor, "refresh", "list", source, None, {"run_id": run.id})
    return run


def list_runs(
    session: Session, *, source: str | None = None, kind: str | None = None, limit: int = 50, offset: int = 0
) -> list[Run]:
    query = select(Run)
    if source:
        query = query.where(Run.source == source)
    if kind:
        query = query.where(Run.kind == kind)
    return list(session.scalars(query.order_by(Run.created_at.desc(), Run.id).limit(limit).offset(offset)))


def get_run(session: Session, run_id: str) -> Run:
    run = session.get(Run, run_id)
    if run is None:
        raise NotFound(f"no run {run_id}")
    return run


def run_json(run: Run) -> dict[str, Any]:
    return {
        "id": run.id,
        "kind": run.kind,
        "source": run.source,
        "status": run.status,
        "trigger": run.trigger,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "attempts": run.attempts,
        "snapshot_id": run.snapshot_id,
        "counts": run.counts,
        "error": run.error,
    }


# ---- the lock ---------------------------------------------------------------------------------------------------


class LockBusy(Exception):
    pass


@contextmanager
def source_lock(source: str) -> Iterator[None]:
    """Hold the refresh lock of a source: Redis (SET NX PX, renewed) when configured, else a process lock.

    The embedded default runs one worker process, so a process-wide lock is the whole truth there.
    """
    settings = get_settings()
    if not settings.redis_url:
        lock = _LOCAL_LOCKS.setdefault(source, threading.Lock())
        if not lock.acquire(blocking=False):
            raise LockBusy(source)
        try:
            yield
        finally:
            lock.release()
        return
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=5)
    key, token = f"sanctrack:lock:refresh:{source}", secrets.token_hex(16)
    if not client.set(key, token, nx=True, px=LOCK_TTL_SECONDS * 1000):
        raise LockBusy(source)
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(LOCK_TTL_SECONDS / 3):
            try:
                client.eval(_RENEW, 1, key, token, LOCK_TTL_SECONDS * 1000)
            except Exception:  # noqa: BLE001 - Redis restarting: keep working, try again next tick
                log.warning("could not renew the refresh lock of %s", source)

    renewer = threading.Thread(target=renew, name=f"lock-{source}", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        try:
            client.eval(_RELEASE, 1, key, token)
        except Exception:  # noqa: BLE001 - it expires by itself
            log.warning(
                "could not release the refresh lock of %s; it expires in %ss", source, LOCK_TTL_SECONDS
            )


_LOCAL_LOCKS: dict[str, threading.Lock] = {}
# Only the holder (same token) may renew or release: a lock that expired and was taken by another worker is theirs.
_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


# ---- executing a refresh ----------------------------------------------------------------------------------------


class RetryLater(Exception):
    """A transient failure: the task should retry (with backoff) — the run stays queued."""

    def __init__(
        self, message: str, countdown: float | None = None, *, waiting_for_lock: bool = False
    ) -> None:
        super().__init__(message)
        self.countdown = countdown
        # Another refresh of the source holds the lock: nothing failed, this run only has to wait its turn.
        self.waiting_for_lock = waiting_for_lock


def execute_refresh(
    run_id: str, *, final_attempt: bool = False, progress: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Do one refresh run. Idempotent: a finished run is not done again; a repeated delivery of the task finds
    either the lock held (retry later) or the run finished (nothing to do)."""
    with session_scope() as session:
        run = get_run(session, run_id)
        if run.status not in ACTIVE:
            return run_json(run)
        source = run.source or ""
    try:
        with source_lock(source):
            with session_scope() as session:
                run = get_run(session, run_id)
                if run.status not in ACTIVE:
                    return run_json(run)
                run.status, run.started_at, run.attempts = "running", utcnow(), run.attempts + 1
                url = (run.counts or {}).get("url")
            started = time.monotonic()
            try:
                # One transaction: snapshot, entries, changes, links, status, events and their deliveries, and the
                # run's outcome all commit together, or none of them does (the outbox).
                with session_scope() as session:
                    result = lists_service.ingest_url(session, source, url, progress=progress)
                    counts: dict[str, Any] = result.to_json()
                    counts["screening"] = screen_after_ingest(session, result, source)
                    run = get_run(session, run_id)
                    run.snapshot_id = result.snapshot_id
                    run.status = "rejected" if result.status == "rejected" else "succeeded"
                    run.error = result.reason
                    run.counts = {**counts, "seconds": round(time.monotonic() - started, 3)}
                    run.finished_at = utcnow()
                    out = run_json(run)
            except FetchError as exc:
                if exc.retryable and not final_attempt:
                    _requeue(run_id, str(exc))
                    raise RetryLater(str(exc), exc.retry_after) from exc
                return _fail(run_id, str(exc))
            except Exception as exc:
                if not final_attempt and _transient(exc):
                    _requeue(run_id, f"{type(exc).__name__}: {exc}")
                    raise RetryLater(str(exc)) from exc
                log.exception("refresh %s of %s failed", run_id, source)
                return _fail(run_id, f"{type(exc).__name__}: {exc}")
    except LockBusy as exc:
        raise RetryLater(
            f"another refresh of {source} holds the lock", countdown=10, waiting_for_lock=True
        ) from exc
    return out


def _transient(exc: Exception) -> bool:
    return (
        isinstance(exc, DBAPIError) and bool(exc.connection_invalidated) or isinstance(exc, ConnectionError)
    )


def _requeue(run_id: str, error: str) -> None:
    with session_scope() as session:
        run = get_run(session, run_id)
        run.status, run.error = "queued", f"will retry: {error}"


def _fail(run_id: str, error: str) -> dict[str, Any]:
    with session_scope() as session:
        run = get_run(session, run_id)
        run.status, run.error, run.finished_at = "failed", error, utcnow()
        return run_json(run)


def screen_after_ingest(session: Session, result: lists_service.IngestResult, source: str) -> dict[str, Any]:
    """Screen only what changed: the publication's changed entries against every candidate, and the candidates
    edited since the previous successful refresh against every entry."""
    out: dict[str, Any] = {}
    if result.status == "stored" and result.changed_entry_ids:
        out["changed_entries"] = screen(session, entry_ids=result.changed_entry_ids).to_json()
        # Screening only sees entries still listed, and only candidates that still match: a candidate linked to an
        # entry this publication removed (or amended out of reach) would otherwise never hear of it.
        out["linked_targets"] = refresh_linked_statuses(session, result.changed_entry_ids)
    previous = session.scalar(
        select(func.max(Run.started_at)).where(
            Run.source == source, Run.kind == "refresh", Run.status == "succeeded"
        )
    )
    if previous is not None:
        edited = list(
            session.scalars(
                select(Target.id).where(Target.updated_at >= previous, Target.deleted_at.is_(None))
            )
        )
        if edited:
            out["edited_targets"] = screen(session, target_ids=edited).to_json()
    return out


def refresh_linked_statuses(session: Session, entry_ids: list[int]) -> int:
    """Recompute the status of every candidate with a confirmed or automatic link to one of ``entry_ids``."""
    target_ids: set[int] = set()
    for start in range(0, len(entry_ids), 5000):
        target_ids.update(
            session.scalars(
                select(Link.target_id).where(
                    Link.entry_id.in_(entry_ids[start : start + 5000]), Link.state.in_(("confirmed", "auto"))
                )
            )
        )
    for target_id in sorted(target_ids):
        refresh_target_status(
            session, target_id
        )  # idempotent: a target screening already refreshed emits nothing
    return len(target_ids)


def accept_held_snapshot(
    session: Session, snapshot_id: int, actor: Actor, progress: Callable[[str], None] | None = None
) -> lists_service.IngestResult:
    """An operator accepts a held publication: apply it, then screen what it changed, as a refresh would have.

    Accepting only through ``lists_service.accept_snapshot`` would make the entries current without a single
    link, status change or event: a candidate designated by that publication would never be reported.
    """
    result = lists_service.accept_snapshot(session, snapshot_id, actor, progress=progress)
    screen_after_ingest(session, result, result.source)
    return result


def send_deliveries_soon() -> None:
    """Ask a worker to send due deliveries now rather than at beat's next tick (best effort: the tick comes)."""
    try:
        background().send_deliveries_soon()
    except Exception:  # noqa: BLE001 - broker unreachable: the periodic sender picks them up later
        log.warning("could not ask a worker to send due deliveries; the periodic sender will")


def screen_and_record(session: Session, target_ids: list[int] | None, trigger: str) -> dict[str, Any]:
    """Screen candidates against every current entry in ``session``, recorded as a screening run."""
    run = Run(id=new_run_id(), kind="screening", status="running", trigger=trigger, started_at=utcnow())
    session.add(run)
    result = screen(session, target_ids=target_ids)
    run.status, run.finished_at, run.counts = "succeeded", utcnow(), result.to_json()
    return run_json(run)


def run_screening(target_ids: list[int] | None, trigger: str = "api") -> dict[str, Any]:
    """Screen candidates against every current entry, recorded as a run."""
    with session_scope() as session:
        return screen_and_record(session, target_ids, trigger)


# ---- the screening outbox ----------------------------------------------------------------------------------------

SCREENING_BATCH = 200
MAX_SCREENING_BATCHES = 50  # one drain's share of work; the next tick (or nudge) takes the rest


def _take_drain_lock(session: Session) -> bool:
    """One drain at a time (PostgreSQL: a transaction-level advisory lock; SQLite has one worker, one writer):
    two drains screening the same candidate at once would both try to record the same link."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(session.scalar(select(func.pg_try_advisory_xact_lock(func.hashtext("sanctrack:screening")))))


def drain_screening_requests(
    batch_size: int = SCREENING_BATCH, max_batches: int = MAX_SCREENING_BATCHES
) -> dict[str, Any]:
    """Screen the candidates whose creation or edit recorded a screening request, a batch at a time.

    Each batch's links, statuses, events and the deletion of its requests commit together: a drain that dies half
    way leaves its requests for the next one (screening again is harmless). A request recorded while a batch runs
    has a higher id and stays for the next batch.
    """
    totals: dict[str, Any] = {"batches": 0, "targets": 0, "runs": []}
    for _ in range(max_batches):
        with session_scope() as session:
            if not _take_drain_lock(session):
                totals["busy"] = True  # another drain is at it, and takes what is left
                break
            rows = session.execute(
                select(ScreeningRequest.id, ScreeningRequest.target_id)
                .order_by(ScreeningRequest.id)
                .limit(batch_size)
            ).all()
            if not rows:
                break
            target_ids = sorted({row.target_id for row in rows})
            run = screen_and_record(session, target_ids, "screening_request")
            session.execute(delete(ScreeningRequest).where(ScreeningRequest.id.in_([row.id for row in rows])))
        totals["batches"] += 1
        totals["targets"] += len(target_ids)
        totals["runs"].append(run["id"])
    return totals


def pending_screening_requests(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(ScreeningRequest)) or 0)
