"""Celery tasks: thin. Each opens its unit of work through a service and says when to retry."""

from __future__ import annotations

import logging
from typing import Any

from app.alerts.service import attempt_delivery, claim_due_deliveries
from app.context import SYSTEM
from app.db import session_scope
from app.errors import Conflict
from app.pipeline import (
    RetryLater,
    drain_screening_requests,
    execute_refresh,
    request_refresh,
    run_screening,
    send_deliveries_soon,
)
from workers.celery_app import app

log = logging.getLogger("sanctrack.tasks")
MAX_REFRESH_RETRIES = 6
MAX_LOCK_WAITS = 100  # 10 s each: a refresh of the same source may hold the lock for a quarter of an hour


@app.task(name="sanctrack.scheduled_refresh")
def scheduled_refresh(source: str) -> str | None:
    """Beat's tick for one source: record a run and hand it to ``refresh`` (skipped while one is active)."""
    try:
        with session_scope() as session:
            run = request_refresh(session, source, trigger="schedule", actor=SYSTEM)
            run_id = run.id
    except Conflict:
        log.info("refresh of %s skipped: one is already queued or running", source)
        return None
    refresh.delay(run_id)
    return run_id


@app.task(name="sanctrack.refresh", bind=True, max_retries=MAX_REFRESH_RETRIES + MAX_LOCK_WAITS)
def refresh(self: Any, run_id: str, failures: int = 0) -> dict[str, Any]:
    final = failures >= MAX_REFRESH_RETRIES
    try:
        out = execute_refresh(run_id, final_attempt=final)
    except RetryLater as exc:
        # Only failures use up the run's retries. Waiting for the lock does not: a killed worker's lock takes up to
        # a minute to expire, and a budget spent waiting for it would leave the run "running" with no task behind it.
        if not exc.waiting_for_lock:
            failures += 1
        countdown = exc.countdown if exc.countdown is not None else min(5 * 2 ** (failures - 1), 600)
        raise self.retry(countdown=countdown, exc=exc, args=[run_id], kwargs={"failures": failures}) from None
    if out.get("status") in ("succeeded", "rejected"):
        # Best effort: the run is committed whatever happens here, and beat's sender comes by within seconds.
        send_deliveries_soon()
    return out


@app.task(name="sanctrack.screen")
def screen(target_ids: list[int] | None = None) -> dict[str, Any]:
    out = run_screening(target_ids, trigger="task")
    send_deliveries_soon()
    return out


@app.task(name="sanctrack.drain_screening_requests")
def drain_screening() -> dict[str, Any]:
    """Screen the candidates created or edited since the last drain (beat's tick, or a nudge after a commit)."""
    out = drain_screening_requests()
    if out["batches"]:
        send_deliveries_soon()
    return out


@app.task(name="sanctrack.send_due_deliveries")
def send_due_deliveries(max_rounds: int = 20) -> dict[str, int]:
    """Send what is due, a batch at a time: each delivery is claimed (leased), sent, and recorded on its own."""
    totals: dict[str, int] = {}
    for _ in range(max_rounds):
        with session_scope() as session:
            ids = claim_due_deliveries(session, limit=50)
        if not ids:
            break
        for delivery_id in ids:
            with session_scope() as session:
                outcome = attempt_delivery(session, delivery_id)
            totals[outcome] = totals.get(outcome, 0) + 1
    return totals
