"""Who may call what: every /v1 route of the real app, against every kind of caller.

Routes are read from ``create_app()`` itself, so a route someone adds later is covered without touching this file.
Each route must declare its scope through ``require_scope(...)`` (the ``ReadActor`` / ``WriteActor`` /
``AdminActor`` dependencies); a /v1 route without one fails here.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.auth import keycache
from app.auth.deps import ReadActor
from app.auth.models import ApiKey
from app.auth.service import SCOPE_RANK, create_key
from app.observability import JsonFormatter, PlainFormatter

BODY_METHODS = {"POST", "PUT", "PATCH"}
MALFORMED_HEADERS = [
    "Basic dXNlcjpwYXNzd29yZA==",  # another scheme
    "Bearer",  # a scheme without a token
    "Bearer    ",
    "stk_no-scheme-at-all",
    "Bearer stk_not-a-key-this-service-issued",
    "Bearer " + "x" * 5000,  # oversized
]


def route_contexts(app: FastAPI) -> Iterator[Any]:
    """Every route as served, with the prefixes of include_router applied."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before routes became contexts: app.routes is already flat
        yield from app.routes
        return
    yield from iter_route_contexts(app.routes)


def v1_operations(app: FastAPI) -> list[tuple[str, str, Any]]:
    operations = []
    for route in route_contexts(app):
        path = getattr(route, "path", "") or ""
        if not path.startswith("/v1"):
            continue
        for method in sorted(getattr(route, "methods", None) or []):
            if method not in ("HEAD", "OPTIONS"):
                operations.append((method, path, route))
    return operations


def declared_scopes(dependant: Any) -> set[str]:
    """The scopes demanded anywhere in a route's dependency tree (require_scope records its scope)."""
    scopes: set[str] = set()
    if dependant is None:
        return scopes
    scope = getattr(dependant.call, "required_scope", None)
    if scope is not None:
        scopes.add(scope)
    for sub in dependant.dependencies:
        scopes |= declared_scopes(sub)
    return scopes


def required_scope(route: Any) -> str | None:
    scopes = declared_scopes(getattr(route, "dependant", None))
    return max(scopes, key=SCOPE_RANK.__getitem__) if scopes else None


def concrete_path(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", template)


def _app_operations() -> tuple[list[tuple[str, str]], Exception | None]:
    from app.main import create_app

    try:
        return [(method, path) for method, path, _ in v1_operations(create_app())], None
    except Exception as exc:  # noqa: BLE001 - reported by a test rather than aborting the whole collection
        return [], exc


OPERATIONS, APP_ERROR = _app_operations()


def test_the_app_has_v1_routes_to_check() -> None:
    assert APP_ERROR is None, f"create_app() fails: {APP_ERROR!r}"
    assert len(OPERATIONS) >= 10, OPERATIONS


def test_a_v1_route_without_an_auth_dependency_is_detected() -> None:
    router = APIRouter(prefix="/v1")

    @router.get("/open")
    def open_route() -> dict[str, str]:
        return {}

    @router.get("/guarded")
    def guarded(_: ReadActor) -> dict[str, str]:
        return {}

    app = FastAPI()
    app.include_router(router)
    found = {path: required_scope(route) for _, path, route in v1_operations(app)}
    assert found == {"/v1/open": None, "/v1/guarded": "read"}


@pytest.fixture
def principals(db) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    """Authorization header per caller; revoked and expired keys had every scope they could need."""
    headers: dict[str, str | None] = {"none": None}
    for scope in ("read", "write", "admin"):
        _, raw = create_key(db, name=f"matrix-{scope}", scope=scope)
        headers[scope] = f"Bearer {raw}"
    revoked, raw_revoked = create_key(db, name="matrix-revoked", scope="admin")
    revoked.revoked_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    expired, raw_expired = create_key(
        db, name="matrix-expired", scope="admin", expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    )
    headers["revoked"] = f"Bearer {raw_revoked}"
    headers["expired"] = f"Bearer {raw_expired}"
    for number, header in enumerate(MALFORMED_HEADERS):
        headers[f"malformed-{number}"] = header
    db.flush()
    return headers


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_access_matrix(app, db, principals, caplog, method: str, path: str) -> None:  # type: ignore[no-untyped-def]
    route = next(r for m, p, r in v1_operations(app) if (m, p) == (method, path))
    scope = required_scope(route)
    assert scope is not None, (
        f"{method} {path} has no require_scope(...) dependency: every /v1 route must say who may call it "
        "(use ReadActor, WriteActor or AdminActor from app.auth.deps)"
    )
    app.state.rate_limiter = (
        None  # this test is about authorization; hundreds of 401s must not turn into 429s
    )
    url = concrete_path(path)
    problems = []
    # Admin last: its request may act (revoke key 1, delete candidate 1) and must not change what others see.
    order = [p for p in principals if p not in ("read", "write", "admin")] + ["read", "write", "admin"]
    caplog.set_level(logging.INFO, logger="sanctrack.access")

    def server_error(request_id: str) -> str:
        """The exception behind a 5xx, from the access log line of that request."""
        for record in caplog.records:
            if getattr(record, "request_id", None) == request_id and getattr(record, "exc_type", None):
                return f" ({record.exc_type}: {getattr(record, 'error', '')})"
        return ""

    with TestClient(app, raise_server_exceptions=False) as client:
        for principal in order:
            header = principals[principal]
            request_id = f"matrix-{principal}-{method}-{len(problems)}"
            headers = {"X-Request-ID": request_id}
            if header is not None:
                headers["Authorization"] = header
            kwargs: dict[str, Any] = {"json": {}} if method in BODY_METHODS else {}
            response = client.request(method, url, headers=headers, **kwargs)
            if principal in ("read", "write", "admin"):
                allowed = SCOPE_RANK[principal] >= SCOPE_RANK[scope]
                if not allowed and response.status_code != 403:
                    problems.append(
                        f"{principal}: expected 403 (route needs {scope}), got {response.status_code}"
                    )
                if allowed and (response.status_code in (401, 403) or response.status_code >= 500):
                    problems.append(
                        f"{principal}: expected to be let in, got {response.status_code} "
                        f"{response.text[:200]}{server_error(request_id)}"
                    )
            elif response.status_code != 401:
                problems.append(f"{principal}: expected 401, got {response.status_code}")
            elif response.headers.get("content-type") != "application/problem+json":
                problems.append(f"{principal}: 401 is not a problem document")
    assert not problems, f"{method} {path} (needs {scope}):\n" + "\n".join(problems)


def test_keys_expire_and_can_be_revoked_over_the_api(client, keys, db) -> None:  # type: ignore[no-untyped-def]
    admin = keys.headers("admin")
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    created = client.post(
        "/v1/keys", json={"name": "short-lived", "scope": "read", "expires_at": soon}, headers=admin
    )
    assert created.status_code == 201, created.text
    raw, key_id = created.json()["key"], created.json()["id"]
    as_new_key = {"Authorization": f"Bearer {raw}"}
    assert client.get("/v1/targets", headers=as_new_key).status_code == 200

    key = db.get(ApiKey, key_id)
    key.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    db.flush()
    keycache.clear()  # the row changed behind the service's back: forget the verified key, as a few seconds would
    expired = client.get("/v1/targets", headers=as_new_key)
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]

    key.expires_at = None
    db.flush()
    keycache.clear()
    assert client.get("/v1/targets", headers=as_new_key).status_code == 200
    revoked = client.post(f"/v1/keys/{key_id}/revoke", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    refused = client.get("/v1/targets", headers=as_new_key)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    assert client.post(f"/v1/keys/{key_id}/revoke", headers=keys.headers("write")).status_code == 403


def test_a_key_secret_appears_only_in_its_creation_response(client, keys, db, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    admin = keys.headers("admin")
    created = client.post("/v1/keys", json={"name": "analyst", "scope": "write"}, headers=admin)
    assert created.status_code == 201
    raw = created.json()["key"]
    assert raw.startswith("stk_") and len(raw) > 30
    logging.getLogger("sanctrack.test").warning("someone logged a key by mistake: %s", raw)

    later = [
        client.get("/v1/targets", headers={"Authorization": f"Bearer {raw}"}),
        client.post(
            "/v1/targets",
            json={"kind": "person", "name": "Ali Taqi"},
            headers={"Authorization": f"Bearer {raw}"},
        ),
        client.get("/v1/keys", headers=admin),
        client.get("/v1/audit", headers=admin),
        client.post(f"/v1/keys/{created.json()['id']}/revoke", headers=admin),
        client.get("/v1/targets", headers={"Authorization": f"Bearer {raw}"}),  # revoked: 401
        client.get("/metrics"),
    ]
    assert [r.status_code for r in later] == [200, 201, 200, 200, 200, 401, 200]
    secrets = [raw, raw[len("stk_") :], *keys.raw.values()]
    for response in later:
        text = response.text + " ".join(f"{k}: {v}" for k, v in response.headers.items())
        assert not any(secret in text for secret in secrets), response.request.url
    listed = later[2].json()
    assert all("key" not in item for item in listed)
    assert any(item["prefix"] == raw[:12] for item in listed)

    assert caplog.records, "expected access logs"
    json_formatter, plain_formatter = JsonFormatter(), PlainFormatter()
    for record in caplog.records:
        record.request_id = getattr(record, "request_id", None)
        rendered = json_formatter.format(record) + plain_formatter.format(record)
        assert not any(secret in rendered for secret in secrets), rendered
    stored = db.scalar(select(ApiKey).where(ApiKey.prefix == raw[:12]))
    assert stored is not None and raw not in (stored.key_hash, stored.name)
