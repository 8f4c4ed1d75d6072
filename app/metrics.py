"""The Prometheus counters the domain and the workers feed: task runs and webhook deliveries.

Apart from :mod:`app.observability` (logs, the HTTP middleware, /metrics) so that the services that count, and the
CLI commands that import them, do not load the web framework. Objects are created once per process in the default
registry, which /metrics renders.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

TASK_DURATION = Histogram(
    "sanctrack_task_duration_seconds",
    "Background task duration, by task name",
    ["task"],
    buckets=(0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 1800.0, 3600.0),
)
TASK_FAILURES = Counter("sanctrack_task_failures", "Background tasks that failed, by task name", ["task"])
WEBHOOK_DELIVERIES = Counter(
    "sanctrack_webhook_deliveries", "Webhook delivery attempts, by outcome", ["outcome"]
)


def observe_task(name: str, seconds: float, ok: bool) -> None:
    """Record one finished task run (the Celery layer calls this from task_postrun / task_failure)."""
    TASK_DURATION.labels(task=name).observe(max(0.0, seconds))
    if not ok:
        TASK_FAILURES.labels(task=name).inc()


def record_delivery(outcome: str) -> None:
    """Count one webhook delivery attempt by outcome (succeeded, failed, retrying, disabled...)."""
    WEBHOOK_DELIVERIES.labels(outcome=outcome).inc()
