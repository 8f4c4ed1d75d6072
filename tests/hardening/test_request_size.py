"""Request body limits: 413 problem for a body over ``max_body_bytes``, declared or streamed, before any work."""

from __future__ import annotations

import json
from collections.abc import Iterator

from sqlalchemy import func, select

from app.config import get_settings
from app.targets.models import Target

LIMIT = get_settings().max_body_bytes


def padded_candidate(total_bytes: int) -> bytes:
    """A valid candidate JSON document of exactly ``total_bytes`` bytes (the rationale pads it)."""
    body = {"kind": "person", "name": "Faleh al-Fayyad", "rationale": ""}
    overhead = len(json.dumps(body).encode())
    body["rationale"] = "x" * (total_bytes - overhead)
    encoded = json.dumps(body).encode()
    assert len(encoded) == total_bytes
    return encoded


def assert_too_large(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 413, response.text[:300]
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 413 and str(LIMIT) in body["detail"]


def test_declared_length_over_the_limit_is_refused_before_auth(client, db) -> None:  # type: ignore[no-untyped-def]
    # No key at all: the size check comes first, so a large body costs no key lookup.
    response = client.post(
        "/v1/targets", content=padded_candidate(LIMIT + 1), headers={"content-type": "application/json"}
    )
    assert_too_large(response)
    assert db.scalar(select(func.count()).select_from(Target)) == 0


# FastAPI turns any non-HTTP exception raised while reading the body into a 400; the middleware raises a 413.
def test_streamed_body_without_length_over_the_limit_is_refused(client, keys, db) -> None:  # type: ignore[no-untyped-def]
    def chunks() -> Iterator[bytes]:
        body = padded_candidate(LIMIT + 64 * 1024)
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    response = client.post(
        "/v1/targets", content=chunks(), headers={**keys.headers("write"), "content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert_too_large(response)
    assert db.scalar(select(func.count()).select_from(Target)) == 0


def test_body_at_the_limit_reaches_validation(client, keys) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        "/v1/targets",
        content=padded_candidate(LIMIT),
        headers={**keys.headers("write"), "content-type": "application/json"},
    )
    # Not 413: the body is inside the limit, and the schema (rationale at most 20,000 characters) refuses it.
    assert response.status_code == 422, response.text[:300]
    assert "rationale" in response.json()["detail"]


def test_lying_content_length_does_not_bypass_the_limit(client, keys) -> None:  # type: ignore[no-untyped-def]
    def chunks() -> Iterator[bytes]:
        yield padded_candidate(LIMIT + 1)

    # A small declared length with a larger body: the server counts what arrives, not what was announced.
    response = client.post(
        "/v1/targets",
        content=chunks(),
        headers={**keys.headers("write"), "content-type": "application/json", "content-length": "100"},
    )
    assert response.status_code in (400, 413, 422), response.status_code
