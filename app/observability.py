"""Structured logs, Prometheus metrics, and the middleware that feeds both (rate limits: ``app.ratelimit``).

Logs: :func:`configure_logging` sends every record to stderr, one JSON object per line (or a readable line when
``log_json`` is off), with the correlation id of the request or task that wrote it. Everything that reaches a log
line goes through :func:`redact` first, so an API key, a bearer token, a webhook secret or a password in a URL
cannot end up in the logs even when someone logs it by mistake.

Metrics: module-level Prometheus objects (created once per process; the domain's counters are in
:mod:`app.metrics`, which needs no web framework) plus gauges read from the database at scrape time.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import db
from app.alerts.models import Delivery
from app.config import get_settings
from app.context import request_id_var
from app.lists.models import Snapshot
from app.matching.models import Link
from app.metrics import TASK_DURATION, TASK_FAILURES, WEBHOOK_DELIVERIES  # noqa: F401  (registered for /metrics)
from app.ratelimit import RateLimitMiddleware, limiter_from_settings
from app.redaction import REDACTED, is_secret_name, redact

# ---- logging -----------------------------------------------------------------------------------------------------

# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is logged as a field.
_STANDARD_RECORD_FIELDS = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "request_id",
    "taskName",
}
_HANDLER_MARK = "_sanctrack_handler"


class _CorrelationFilter(logging.Filter):
    """Stamps each record with the correlation id of the request or task that is running."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, then the record's extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", None),
        }
        for name, value in record.__dict__.items():
            if name not in _STANDARD_RECORD_FIELDS and not name.startswith("_"):
                entry[name] = REDACTED if is_secret_name(name) and value else redact(value)
        if record.exc_info:
            entry["exc_type"] = record.exc_info[0].__name__ if record.exc_info[0] else None
            entry["exc"] = redact(self.formatException(record.exc_info))
        elif record.stack_info:
            entry["stack"] = redact(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class PlainFormatter(logging.Formatter):
    """A readable line for a terminal, redacted like the JSON form."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        original = getattr(record, "request_id", None)
        record.request_id = "-" if original is None else original
        try:
            return redact(super().format(record))
        finally:
            record.request_id = original


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record arrives: test runners and daemons replace it."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(json: bool | None = None, level: int | str = logging.INFO) -> None:
    """Send every log record to stderr as JSON lines (``json=True``) or plain lines, with correlation ids.

    ``json=None`` follows the ``log_json`` setting. Safe to call again (the API calls it per app, a Celery worker
    once at start): it replaces only its own handler and leaves others (pytest's, say) alone. Logs go to stderr
    because the CLI's standard output carries its JSON results.
    """
    if json is None:
        json = get_settings().log_json
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
    handler = _StderrHandler()
    setattr(handler, _HANDLER_MARK, True)
    handler.addFilter(_CorrelationFilter())
    handler.setFormatter(JsonFormatter() if json else PlainFormatter())
    root.addHandler(handler)
    numeric_level = logging.getLevelName(level) if isinstance(level, str) else level
    if root.level == logging.NOTSET or root.level > numeric_level:
        root.setLevel(numeric_level)
    # Uvicorn installs its own handlers; route its records through ours so that every line has one format. Its
    # access log is replaced by sanctrack.access, which also knows the route, the duration and the API key id.
    for name in ("uvicorn", "uvicorn.error"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True


@contextlib.contextmanager
def correlation_id(value: str) -> Iterator[None]:
    """Tag the logs written inside the block with ``value`` (a Celery task calls it with its task id)."""
    token = request_id_var.set(value)
    try:
        yield
    finally:
        request_id_var.reset(token)


# ---- metrics -----------------------------------------------------------------------------------------------------

HTTP_REQUEST_DURATION = Histogram(
    "sanctrack_http_request_duration_seconds",
    "HTTP request latency, by method, route template and status",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
UNMATCHED_ROUTE = (
    "<unmatched>"  # one label for every unknown path, so scanners cannot inflate the series count
)


# A scrape must answer even when the database hangs: queries run on one worker thread with a deadline, and while
# a previous query is still stuck no new one is started, so a dead database costs one thread, not one per scrape.
DB_SCRAPE_TIMEOUT_SECONDS = 2.0
_db_scrape_executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="metrics-db")
_db_scrape_lock = threading.Lock()
_db_scrape_in_flight: concurrent.futures.Future[dict[str, Any]] | None = None
_log = logging.getLogger("sanctrack.metrics")


def _read_database_gauges() -> dict[str, Any]:
    engine = db.get_engine()  # looked up at each scrape: tests point it at a database that is down
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"SET LOCAL statement_timeout = {int(DB_SCRAPE_TIMEOUT_SECONDS * 1000)}"))
        newest = conn.execute(
            select(Snapshot.source, func.max(Snapshot.applied_at))
            .where(Snapshot.status == "current")
            .group_by(Snapshot.source)
        ).all()
        pending = conn.scalar(select(func.count()).select_from(Delivery).where(Delivery.status == "pending"))
        suggested = conn.scalar(select(func.count()).select_from(Link).where(Link.state == "suggested"))
    now = db.utcnow()
    ages = {}
    for source, applied_at in newest:
        if applied_at is not None:
            applied = applied_at if applied_at.tzinfo else applied_at.replace(tzinfo=dt.UTC)
            ages[source] = max(0.0, (now - applied).total_seconds())
    return {"ages": ages, "pending": pending or 0, "suggested": suggested or 0}


def _database_gauges() -> dict[str, Any] | None:
    global _db_scrape_in_flight
    with _db_scrape_lock:
        if _db_scrape_in_flight is not None and not _db_scrape_in_flight.done():
            return None
        future = _db_scrape_in_flight = _db_scrape_executor.submit(_read_database_gauges)
    try:
        return future.result(timeout=DB_SCRAPE_TIMEOUT_SECONDS)
    except concurrent.futures.TimeoutError:
        _log.warning("metrics: the database did not answer within %ss", DB_SCRAPE_TIMEOUT_SECONDS)
    except Exception as exc:  # noqa: BLE001 - metrics must answer whatever the database does
        _log.warning("metrics: cannot read gauges from the database: %s", type(exc).__name__)
    return None


class DatabaseGauges(Collector):
    """Gauges computed from the database at scrape time: one cheap grouped query each."""

    def describe(self) -> Iterable[Metric]:
        # Without describe() the registry would call collect() at registration, i.e. query the database on import.
        return [
            GaugeMetricFamily(name, "")
            for name in (
                "sanctrack_metrics_database_up",
                "sanctrack_list_age_seconds",
                "sanctrack_webhook_deliveries_pending",
                "sanctrack_review_queue_length",
            )
        ]

    def collect(self) -> Iterable[Metric]:
        values = _database_gauges()
        up = GaugeMetricFamily(
            "sanctrack_metrics_database_up", "1 if the database gauges below could be read at this scrape"
        )
        up.add_metric([], 0 if values is None else 1)
        yield up
        if values is None:
            return
        age = GaugeMetricFamily(
            "sanctrack_list_age_seconds",
            "Seconds since the newest current snapshot of each source was applied",
            labels=["source"],
        )
        for source, seconds in sorted(values["ages"].items()):
            age.add_metric([source], seconds)
        yield age
        yield GaugeMetricFamily(
            "sanctrack_webhook_deliveries_pending",
            "Webhook deliveries waiting to be sent",
            value=values["pending"],
        )
        yield GaugeMetricFamily(
            "sanctrack_review_queue_length",
            "Suggested matches waiting for a reviewer",
            value=values["suggested"],
        )


DATABASE_GAUGES = DatabaseGauges()
REGISTRY.register(DATABASE_GAUGES)


def render_metrics() -> bytes:
    """The Prometheus text exposition of this process (or of all processes, in multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(DATABASE_GAUGES)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


# ---- middleware --------------------------------------------------------------------------------------------------

# Probes and scrapes arrive every few seconds; their access lines go to DEBUG so that INFO shows real traffic.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_access_log = logging.getLogger("sanctrack.access")


def route_template(scope: Scope) -> str:
    """The matched route's path template (``/v1/targets/{target_id}``), never the raw path."""
    # FastAPI keeps the route as included (with every include prefix) under its own scope key; scope["route"]
    # holds the route as declared, which lacks the prefixes of include_router(prefix=...).
    fastapi_scope = scope.get("fastapi")
    effective = fastapi_scope.get("effective_route_context") if isinstance(fastapi_scope, dict) else None
    path = getattr(effective, "path_format", None) or getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) and path else UNMATCHED_ROUTE


class TelemetryMiddleware:
    """Times every HTTP request into the latency histogram and writes one access-log line for it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # if the app raises before answering, the server answers 500
        state = scope.setdefault("state", {})  # request.state writes here; the endpoint's actor is read back

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        error: BaseException | None = None
        try:
            await self.app(scope, receive, send_and_watch)
        except BaseException as exc:
            error = exc  # the server logs the traceback; the access line says which request it belonged to
            raise
        finally:
            seconds = time.perf_counter() - started
            method, route = scope["method"], route_template(scope)
            HTTP_REQUEST_DURATION.labels(method=method, route=route, status=str(status)).observe(seconds)
            actor = state.get("actor") if isinstance(state, dict) else None
            api_key_id = getattr(actor, "api_key_id", None)
            level = logging.ERROR if status >= 500 else logging.INFO
            if scope["path"] in QUIET_PATHS and status < 500:
                level = logging.DEBUG
            if _access_log.isEnabledFor(level):
                duration_ms = round(seconds * 1000, 2)
                fields: dict[str, Any] = {
                    "method": method,
                    "path": scope["path"],
                    "route": route,
                    "status": status,
                    "duration_ms": duration_ms,
                    "api_key_id": api_key_id,
                }
                if error is not None:
                    # First line only: the rest of a database error carries the statement and its parameters.
                    fields["exc_type"] = type(error).__name__
                    fields["error"] = redact(str(error).strip().split("\n", 1)[0][:300])
                _access_log.log(
                    level,
                    "%s %s %s %.1fms key_id=%s",
                    method,
                    scope["path"],
                    status,
                    duration_ms,
                    api_key_id or "-",
                    extra=fields,
                )


def install_observability(app: FastAPI) -> None:
    """Add JSON logging, the /metrics endpoint, the telemetry middleware and per-key rate limits to the app."""
    settings = get_settings()
    configure_logging(settings.log_json)

    def metrics() -> Response:
        return Response(render_metrics(), media_type=CONTENT_TYPE_LATEST)

    app.add_api_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
    # The middleware reads the limiter from app.state on every request, so that it can be swapped (or set to
    # None to switch limits off) after the app is built.
    app.state.rate_limiter = limiter_from_settings(settings)
    app.add_middleware(RateLimitMiddleware)
    app.add_middleware(TelemetryMiddleware)  # added last: outermost, so it also times and logs 429 answers
