"""The FastAPI application: routers, middleware, problem-detail errors, health checks."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import redis
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.alerts.router import router as alerts_router
from app.api_docs import install_api_docs
from app.auth.router import router as auth_router
from app.config import get_settings
from app.console import install_console
from app.db import get_engine, session_scope
from app.documents.router import router as documents_router
from app.lists.router import router as lists_router
from app.matching import live
from app.matching.router import router as matching_router
from app.middleware import BodyLimitMiddleware, RequestIdMiddleware
from app.observability import install_observability
from app.ops import stale_lists_check
from app.problems import install_problem_handlers
from app.targets.router import router as targets_router
from workers.celery_app import install_background_work

DESCRIPTION = """
Track candidate sanctions targets and their evidence, follow the official designation lists (OFAC, UN, UK, EU,
Canada, Australia), match candidates against listed entries, and alert subscribers when an authority designates,
delists or amends one.

Every `/v1` route needs `Authorization: Bearer <key>` (create a key with `sanctrack keys create`). Errors are
RFC 9457 problem details (`application/problem+json`).
"""


def create_app() -> FastAPI:
    settings = get_settings()
    install_background_work()  # screening, deliveries and refreshes the API asks for go to the Celery workers
    app = FastAPI(
        title="sanctrack",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=keep_match_index,
        docs_url=None,  # /docs and /redoc: install_api_docs, from local assets
        redoc_url=None,
    )
    install_problem_handlers(app)
    install_api_docs(app)
    for router in (
        auth_router,
        targets_router,
        lists_router,
        matching_router,
        alerts_router,
        documents_router,
    ):
        app.include_router(router)
    if settings.demo_receiver:
        from app.demo_receiver import router as demo_receiver_router

        app.include_router(demo_receiver_router)

    @app.get("/healthz", tags=["health"], summary="Liveness: the process answers")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], summary="Readiness: database and broker reachable")
    def readyz() -> JSONResponse:
        checks = readiness_checks()
        ok = all(c["ok"] for c in checks.values())
        return JSONResponse(
            {"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503
        )

    install_console(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    install_observability(app)  # metrics, JSON logs and rate limits wrap everything above
    app.add_middleware(RequestIdMiddleware)
    return app


@asynccontextmanager
async def keep_match_index(app: FastAPI) -> AsyncIterator[None]:
    """Load the match index before serving (up to a few seconds; /readyz says when it is there) and keep it current
    beside the requests until the process stops."""
    settings = get_settings()
    keeper = live.IndexKeeper(session_scope, settings.index_poll_seconds)
    keeper.start()
    await asyncio.to_thread(keeper.ready.wait, settings.index_startup_wait_seconds)
    try:
        yield
    finally:
        await asyncio.to_thread(keeper.stop)


def readiness_checks() -> dict[str, dict[str, Any]]:
    settings = get_settings()
    checks: dict[str, dict[str, Any]] = {}
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = {"ok": True}
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", and says why
        checks["database"] = {"ok": False, "error": type(exc).__name__}
    if settings.redis_url:
        try:
            redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=2).ping()
            checks["redis"] = {"ok": True}
        except Exception as exc:  # noqa: BLE001
            checks["redis"] = {"ok": False, "error": type(exc).__name__}
    else:
        checks["redis"] = {"ok": True, "note": "not configured: the embedded broker on the database is used"}
    loaded = live.loaded()
    checks["index"] = (
        {
            "ok": True,
            "entries": len(loaded.index),
            "snapshots": loaded.snapshots,
            "origin": loaded.origin,
            "process": os.getpid(),  # with several workers, which one answered
        }
        if loaded is not None
        else {"ok": False, "note": "loading index"}
    )
    if checks["database"]["ok"]:
        # Only sources that have refreshed before count: a fresh install with no lists is ready.
        checks["lists"] = stale_lists_check(settings.stale_list_age_seconds)
    return checks
