"""Console sign-in and request forgery protection.

Staff sign in with an API key. The session cookie, signed with itsdangerous, names the key (its id and scope) and
never holds the key itself, so a stolen cookie cannot be replayed against the API; the key is looked up again on
every request, so revoking or expiring it ends every console session at once. Each session carries a random CSRF
token that every state-changing request must echo, in the ``csrf_token`` form field or the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from app.auth.models import ApiKey
from app.auth.service import LAST_USED_RESOLUTION, SCOPE_RANK
from app.config import get_settings
from app.context import Actor
from app.db import utcnow
from app.errors import Forbidden

logger = logging.getLogger(__name__)

COOKIE_NAME = "sanctrack_console"
COOKIE_PATH = "/console"
# A console session lasts a working day; the cookie is re-signed (and so extended) whenever it changes.
SESSION_MAX_AGE_SECONDS = 12 * 3600
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SignInRequired(Exception):
    """No signed-in key (or it stopped being valid): the console sends the browser to the sign-in page."""


@lru_cache
def _serializer() -> URLSafeTimedSerializer:
    secret = get_settings().session_secret
    if not secret:
        secret = secrets.token_urlsafe(32)
        logger.warning(
            "SANCTRACK_SESSION_SECRET is not set: console sessions are signed with a random secret made by this "
            "process, so they end when it restarts and are not shared between several server processes"
        )
    return URLSafeTimedSerializer(secret, salt="sanctrack.console.session")


@dataclass
class ConsoleSession:
    csrf: str
    key_id: int | None = None
    scope: str | None = None
    flashes: list[list[str]] = field(default_factory=list)  # [kind, message], shown once on the next page
    changed: bool = False

    def to_cookie(self) -> dict[str, Any]:
        data: dict[str, Any] = {"csrf": self.csrf}
        if self.key_id is not None:
            data["key_id"], data["scope"] = self.key_id, self.scope
        if self.flashes:
            data["flashes"] = self.flashes
        return data


def _new_session() -> ConsoleSession:
    return ConsoleSession(csrf=secrets.token_urlsafe(32), changed=True)


def load_session(request: Request) -> ConsoleSession:
    """The request's console session (read once, then cached on the request); a fresh anonymous one if none."""
    cached = getattr(request.state, "console_session", None)
    if cached is not None:
        return cached
    session = _new_session()
    raw = request.cookies.get(COOKIE_NAME)
    if raw:
        try:
            data = _serializer().loads(raw, max_age=SESSION_MAX_AGE_SECONDS)
            session = ConsoleSession(
                csrf=str(data["csrf"]),
                key_id=data.get("key_id"),
                scope=data.get("scope"),
                flashes=list(data.get("flashes", [])),
            )
        except (BadSignature, KeyError, TypeError, ValueError):
            pass  # tampered, expired or from an older secret: start over, signed out
    request.state.console_session = session
    return session


def save_session(request: Request, response: Response) -> None:
    session: ConsoleSession | None = getattr(request.state, "console_session", None)
    if session is None or not session.changed:
        return
    response.set_cookie(
        COOKIE_NAME,
        _serializer().dumps(session.to_cookie()),
        max_age=SESSION_MAX_AGE_SECONDS,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def flash(request: Request, kind: str, message: str) -> None:
    session = load_session(request)
    session.flashes.append([kind, message])
    session.changed = True


def pop_flashes(request: Request) -> list[list[str]]:
    session = load_session(request)
    flashes, session.flashes = session.flashes, []
    if flashes:
        session.changed = True
    return flashes


def sign_in(request: Request, key: ApiKey) -> None:
    """Start a signed-in session with a new CSRF token (a token seen before sign-in is worth nothing after)."""
    session = load_session(request)
    session.csrf = secrets.token_urlsafe(32)
    session.key_id, session.scope, session.changed = key.id, key.scope, True


def sign_out(request: Request) -> None:
    session = load_session(request)
    session.csrf = secrets.token_urlsafe(32)
    session.key_id = session.scope = None
    session.changed = True


async def check_csrf(request: Request) -> None:
    """Refuse a state-changing request that does not carry this session's CSRF token."""
    expected = load_session(request).csrf
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden(
            "the form's security token is missing or out of date (the page may be from before you "
            "signed in again); reload the page and try once more"
        )


@dataclass(frozen=True)
class Viewer:
    """The signed-in member of staff: the key they signed in with, and the actor the services audit."""

    key_id: int
    name: str
    scope: str
    prefix: str

    @property
    def actor(self) -> Actor:
        return Actor(name=self.name, api_key_id=self.key_id, scope=self.scope)

    def can(self, scope: str) -> bool:
        return SCOPE_RANK[self.scope] >= SCOPE_RANK[scope]


def current_viewer(request: Request, db: Session) -> Viewer:
    """The signed-in viewer, after checking again that the key is neither revoked nor expired."""
    cached = getattr(request.state, "viewer", None)
    if cached is not None:
        return cached
    session = load_session(request)
    if session.key_id is None:
        raise SignInRequired
    key = db.get(ApiKey, session.key_id)
    now = utcnow()
    problem = None
    if key is None:
        problem = "The API key you signed in with no longer exists."
    elif key.revoked_at is not None:
        problem = "The API key you signed in with was revoked; sign in with another key."
    elif key.expires_at is not None and key.expires_at <= now:
        problem = "The API key you signed in with has expired; sign in with another key."
    if problem is not None or key is None:
        sign_out(request)
        flash(request, "error", problem or "Please sign in again.")
        raise SignInRequired
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        key.last_used_at = now
    # The scope comes from the key as it is now: narrowing a key's scope takes effect at once.
    viewer = Viewer(key_id=key.id, name=key.name, scope=key.scope, prefix=key.prefix)
    request.state.viewer = viewer
    request.state.actor = viewer.actor
    return viewer


def require(viewer: Viewer, scope: str) -> None:
    if not viewer.can(scope):
        raise Forbidden(
            f"you are signed in with a '{viewer.scope}' key; this needs a '{scope}' key "
            f"(ask an administrator, or sign in with another key)"
        )
