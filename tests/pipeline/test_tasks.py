"""The refresh task's retry accounting, run eagerly (no broker): waiting for the lock is not a failure."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.pipeline import RetryLater


@pytest.fixture
def scripted(monkeypatch):  # type: ignore[no-untyped-def]
    """``scripted(steps)``: execute_refresh raises each step in turn (None: the run finishes); returns the calls."""
    from workers import tasks

    monkeypatch.setattr(tasks, "send_deliveries_soon", lambda: None)

    def install(steps: list[RetryLater | None]) -> list[bool]:
        calls: list[bool] = []

        def execute_refresh(run_id: str, *, final_attempt: bool = False) -> dict[str, Any]:
            calls.append(final_attempt)
            step = steps[len(calls) - 1]
            if step is not None:
                raise step
            return {"id": run_id, "status": "failed" if final_attempt else "succeeded"}

        monkeypatch.setattr(tasks, "execute_refresh", execute_refresh)
        return calls

    return install


def lock_busy() -> RetryLater:
    return RetryLater("another refresh of ofac_sdn holds the lock", countdown=10, waiting_for_lock=True)


def test_waiting_for_the_lock_uses_none_of_the_retries_a_failing_download_gets(scripted) -> None:
    from workers.tasks import MAX_REFRESH_RETRIES, refresh

    # A killed worker's lock outlives the six retries' worth of waiting; then the site fails six times in a row.
    calls = scripted([lock_busy()] * 9 + [RetryLater("HTTP 500")] * MAX_REFRESH_RETRIES + [None])
    result = refresh.apply(args=["run_test"])
    assert result.get() == {"id": "run_test", "status": "failed"}
    # Only the attempt after the sixth failure is the final one (where a failure fails the run for good).
    assert calls == [False] * (9 + MAX_REFRESH_RETRIES) + [True]


def test_the_final_attempt_still_waits_for_the_lock(scripted) -> None:
    from workers.tasks import MAX_REFRESH_RETRIES, refresh

    calls = scripted([RetryLater("HTTP 500")] * MAX_REFRESH_RETRIES + [lock_busy(), lock_busy(), None])
    assert refresh.apply(args=["run_test"]).get()["status"] == "failed"
    assert calls == [False] * MAX_REFRESH_RETRIES + [True, True, True]


def test_broker_options_suit_the_broker(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from app.config import get_settings
    from workers.celery_app import transport_options

    monkeypatch.delenv("SANCTRACK_REDIS_URL", raising=False)
    monkeypatch.setenv("SANCTRACK_VISIBILITY_TIMEOUT", "10")
    get_settings.cache_clear()
    try:
        # The database broker hands its options to create_engine(), which refuses Redis ones.
        assert transport_options() == {}
        monkeypatch.setenv("SANCTRACK_REDIS_URL", "redis://127.0.0.1:6379/0")
        get_settings.cache_clear()
        assert transport_options() == {
            "visibility_timeout": 10,
            "unacked_restore_interval": 2,
            "unacked_restore_throttle": 1,
        }
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


@pytest.mark.slow
def test_the_embedded_worker_runs_tasks_from_the_database_broker(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The default set-up (no Redis): one SQLite file is the database and the queue."""
    import os

    from celery import Celery

    from app.migrate import upgrade
    from tests.pipeline.stack import Process, wait_until
    from workers.embedded import celery_worker_command

    url = f"sqlite:///{tmp_path / 'sanctrack.db'}"
    upgrade(url)
    env = {k: v for k, v in os.environ.items() if k not in ("SANCTRACK_REDIS_URL", "SANCTRACK_QUEUE")}
    env.update(SANCTRACK_DATABASE_URL=url, SANCTRACK_REFRESH_INTERVAL_SECONDS="0", PYTHONUNBUFFERED="1")
    worker = Process(
        "embedded worker",
        celery_worker_command(pool="solo", name=f"embedded-{os.getpid()}@%h", quiet_cluster=True),
        env,
        tmp_path / "worker.log",
    )
    try:
        wait_until(lambda: " ready." in worker.output() or not worker.alive(), 60, "the worker to start")
        assert worker.alive(), worker.output()[-3000:]
        client = Celery("embedded-test", broker=f"sqla+{url}")
        client.send_task("sanctrack.send_due_deliveries", queue="sanctrack")
        client.close()
        wait_until(
            lambda: re.search(r"sanctrack\.send_due_deliveries\[[^]]+\] succeeded", worker.output()),
            30,
            "the task to run",
        )
    finally:
        worker.kill()
