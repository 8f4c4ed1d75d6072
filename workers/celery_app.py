"""The Celery application: Redis as broker when configured, else the database itself (the embedded default)."""

from __future__ import annotations

import os
import time

from celery import Celery
from celery.signals import setup_logging, task_postrun, task_prerun, worker_process_init
from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError

from app.background import provide
from app.config import get_settings
from app.context import request_id_var
from app.db import get_engine
from app.metrics import observe_task
from app.observability import configure_logging
from workers.schedule import beat_schedule


def broker_url() -> str:
    settings = get_settings()
    if settings.redis_url:
        return settings.redis_url
    # kombu's SQLAlchemy transport keeps the queue in the same database: one file runs everything.
    url = settings.database_url
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return f"sqla+{url}"


def transport_options() -> dict[str, int]:
    if not get_settings().redis_url:
        # The database transport hands its options to create_engine(), which refuses any it does not know.
        return {}
    visibility = int(os.environ.get("SANCTRACK_VISIBILITY_TIMEOUT", "600"))
    return {
        "visibility_timeout": visibility,
        # kombu only looks for unacknowledged tasks to hand back every interval x throttle seconds (10 x 10 by
        # default), however short the visibility timeout: sweep every quarter of it (at most every 10 s) instead,
        # so that a killed worker's task comes back after about the visibility timeout, as configured.
        "unacked_restore_interval": max(1, min(10, visibility // 4)),
        "unacked_restore_throttle": 1,
    }


def make_celery() -> Celery:
    settings = get_settings()
    celery = Celery("sanctrack", broker=broker_url(), include=["workers.tasks"])
    celery.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,
        # Tasks are idempotent, so a task is acknowledged only when done: a killed worker's task is delivered again.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        # How long an unacknowledged task waits before Redis hands it to another worker.
        broker_transport_options=transport_options(),
        worker_hijack_root_logger=False,
        timezone="UTC",
        enable_utc=True,
        task_default_queue=os.environ.get("SANCTRACK_QUEUE", "sanctrack"),
    )
    celery.conf.beat_schedule = beat_schedule(settings)
    return celery


def survive_broker_loss_with_tasks_in_flight() -> None:
    """Keep the worker alive when Redis goes away while a task runs (acks_late: the task is still unacknowledged).

    On a lost broker connection Celery takes the old connection apart (its transport loses its client) and opens
    a new one. The old channel is then still asked to do things with Redis: hand the unacknowledged task back
    while it closes, and acknowledge the task when it finishes. kombu then fails with AttributeError while
    building a Redis client from the missing transport, which Celery treats as unrecoverable: the worker exits.
    Saying what it is, a connection error, lets the callers' own handling run (they log it and carry on), and
    nothing is lost: Redis keeps the task in its unacknowledged index until the visibility timeout returns it,
    and running a task twice is harmless here.
    """
    original = kombu_redis.Channel._connparams
    if getattr(original, "raises_when_detached", False):
        return

    def connparams(self: kombu_redis.Channel, asynchronous: bool = False) -> dict[str, object]:
        if self.connection is None or self.connection.client is None:
            raise RedisConnectionError(
                "this broker connection was closed after the connection to Redis was lost"
            )
        return original(self, asynchronous=asynchronous)

    connparams.raises_when_detached = True  # type: ignore[attr-defined]
    kombu_redis.Channel._connparams = connparams  # type: ignore[method-assign]


class CeleryBackgroundWork:
    """What the domain asks of the workers (``app.background``), as tasks on this app's broker. Tasks are sent by
    name, so that the domain's modules and the task modules never import each other."""

    def __init__(self, celery: Celery) -> None:
        self.celery = celery

    def screen_soon(self, target_ids: object) -> None:
        # A drain takes every committed request, these candidates' among them.
        self.celery.send_task("sanctrack.drain_screening_requests", expires=60)

    def send_deliveries_soon(self) -> None:
        self.celery.send_task("sanctrack.send_due_deliveries", expires=60)

    def refresh_soon(self, run_id: str) -> None:
        self.celery.send_task("sanctrack.refresh", args=[run_id])


def install_background_work() -> None:
    """Make this process's follow-up work (screening, deliveries, refreshes) go to the Celery workers."""
    provide(CeleryBackgroundWork(app))


survive_broker_loss_with_tasks_in_flight()
app = make_celery()
install_background_work()  # a worker (celery -A workers.celery_app) asks its own follow-ups of the others
_started: dict[str, float] = {}


@worker_process_init.connect
def _fresh_connections(**_: object) -> None:
    # A forked worker must not reuse the parent's database connections.
    get_engine().dispose(close=False)


@setup_logging.connect
def _logging(**_: object) -> None:
    # Connecting here replaces Celery's own logging set-up: workers log JSON lines like the API.
    configure_logging(get_settings().log_json)


@task_prerun.connect
def _task_started(task_id: str | None = None, task: object = None, **_: object) -> None:
    if task_id:
        _started[task_id] = time.monotonic()
        request_id_var.set(task_id)


@task_postrun.connect
def _task_finished(
    task_id: str | None = None, task: object = None, state: str | None = None, **_: object
) -> None:
    began = _started.pop(task_id or "", None)
    if began is None:
        return
    observe_task(getattr(task, "name", "unknown"), time.monotonic() - began, state == "SUCCESS")
