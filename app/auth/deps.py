"""FastAPI dependencies: the request's session and the acting key with its scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.auth import service
from app.context import Actor
from app.db import UnitOfWork, get_session, get_unit_of_work
from app.errors import Unauthorized

# scope="function": commit before the response leaves, so a failed commit is an error response, never a lost write.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
UnitOfWorkDep = Annotated[UnitOfWork, Depends(get_unit_of_work)]


def _bearer(request: Request) -> str | None:
    """The key in ``Authorization: Bearer <key>``; None without the header; a 401 that says how to write it when
    the header holds something else (most often the bare key, without the word Bearer)."""
    header = request.headers.get("authorization", "").strip()
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer":
        return token.strip() or None
    if " " not in header:
        raise Unauthorized(
            "the Authorization header holds a key without the word 'Bearer' in front: send "
            "'Authorization: Bearer <key>' (curl: -H \"Authorization: Bearer $KEY\")"
        )
    raise Unauthorized(
        f"the Authorization header uses the scheme {scheme!r}; this API takes only 'Authorization: Bearer <key>'"
    )


def _acting(request: Request, key: service.VerifiedKey, scope: str) -> Actor:
    """The actor of a request whose key was verified: a 403 when its scope is short of ``scope``."""
    service.require(key, scope)
    actor = Actor(name=key.name, api_key_id=key.id, scope=key.scope)
    request.state.actor = actor  # for the access log
    return actor


def require_scope(scope: str) -> Callable[..., Actor]:
    def dependency(request: Request, session: SessionDep) -> Actor:
        return _acting(request, service.authenticate(session, _bearer(request)), scope)

    # Recorded so that tooling (the access-control matrix test) can tell which scope each route demands.
    dependency.required_scope = scope  # type: ignore[attr-defined]
    return dependency


def _authenticate_in(unit_of_work: UnitOfWork, raw_key: str | None) -> service.VerifiedKey:
    with unit_of_work() as session:
        return service.authenticate(session, raw_key)


def require_scope_cached(scope: str) -> Callable[..., Any]:
    """As :func:`require_scope`, for routes that answer without the database when they can: a key verified a
    moment ago is taken from the key cache on the event loop; only otherwise is the database asked (on a thread)."""

    async def dependency(request: Request, unit_of_work: UnitOfWorkDep) -> Actor:
        raw_key = _bearer(request)
        key = service.authenticate_cached(raw_key)
        if key is None:
            key = await run_in_threadpool(_authenticate_in, unit_of_work, raw_key)
        return _acting(request, key, scope)

    dependency.required_scope = scope  # type: ignore[attr-defined]
    return dependency


ReadActor = Annotated[Actor, Depends(require_scope("read"))]
WriteActor = Annotated[Actor, Depends(require_scope("write"))]
AdminActor = Annotated[Actor, Depends(require_scope("admin"))]
CachedReadActor = Annotated[Actor, Depends(require_scope_cached("read"))]
