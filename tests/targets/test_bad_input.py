"""Every bad input answers a clear 4xx problem and changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from app.targets.models import Evidence, Target
from tests.targets.test_api import BRIEF, FAYYAD


def count(db, model) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count()).select_from(model))


def assert_problem(response, status: int, mentions: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and mentions.lower() in body["detail"].lower()


@pytest.mark.parametrize(
    ("change", "mentions"),
    [
        ({"programs": ["NOT-A-PROGRAM"]}, "unknown program"),
        ({"nationalities": ["ZZ"]}, "not an ISO 3166"),
        ({"birth_dates": [(dt.date.today() + dt.timedelta(days=30)).isoformat()]}, "future"),
        ({"birth_dates": ["27 March 1956"]}, "not a date"),
        ({"kind": "spaceship"}, "kind"),
        ({"name": ""}, "name"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_bad_candidate_fields(client, keys, db, change, mentions) -> None:
    before = count(db, Target)
    assert_problem(
        client.post("/v1/targets", json={**FAYYAD, **change}, headers=keys.headers("write")), 422, mentions
    )
    assert count(db, Target) == before


def test_malformed_json_body(client, keys, db) -> None:
    response = client.post(
        "/v1/targets",
        content=b'{"kind": "person", "name": ',
        headers={**keys.headers("write"), "content-type": "application/json"},
    )
    assert_problem(response, 422, "json")
    assert count(db, Target) == 0


def test_ten_megabyte_excerpt_is_refused(client, keys, db) -> None:
    target_id = client.post("/v1/targets", json=FAYYAD, headers=keys.headers("write")).json()["id"]
    response = client.post(
        f"/v1/targets/{target_id}/evidence",
        json={**BRIEF, "excerpt": "x" * 10_000_000},
        headers=keys.headers("write"),
    )
    assert_problem(response, 413, "bytes")
    assert count(db, Evidence) == 0


def test_long_excerpt_within_body_limit_is_refused_by_schema(client, keys, db) -> None:
    target_id = client.post("/v1/targets", json=FAYYAD, headers=keys.headers("write")).json()["id"]
    response = client.post(
        f"/v1/targets/{target_id}/evidence",
        json={**BRIEF, "excerpt": "x" * 20_001},
        headers=keys.headers("write"),
    )
    assert_problem(response, 422, "excerpt")
    assert count(db, Evidence) == 0


def test_missing_wrong_and_insufficient_keys(client, keys, db) -> None:
    no_key = client.post("/v1/targets", json=FAYYAD)
    assert_problem(no_key, 401, "missing API key")
    assert no_key.headers["www-authenticate"] == "Bearer"
    assert_problem(
        client.post("/v1/targets", json=FAYYAD, headers={"Authorization": "Bearer stk_wrong"}),
        401,
        "unknown API key",
    )
    assert_problem(
        client.post("/v1/targets", json=FAYYAD, headers=keys.headers("read")), 403, "needs 'write'"
    )
    assert count(db, Target) == 0


def test_evidence_for_missing_candidate_and_bad_hash(client, keys, db) -> None:
    assert_problem(
        client.post("/v1/targets/999/evidence", json=BRIEF, headers=keys.headers("write")),
        404,
        "no candidate",
    )
    target_id = client.post("/v1/targets", json=FAYYAD, headers=keys.headers("write")).json()["id"]
    assert_problem(
        client.post(
            f"/v1/targets/{target_id}/evidence",
            json={**BRIEF, "content_sha256": "abc"},
            headers=keys.headers("write"),
        ),
        422,
        "content_sha256",
    )
    assert_problem(
        client.post(
            f"/v1/targets/{target_id}/evidence",
            json={**BRIEF, "published_on": "2999-01-01"},
            headers=keys.headers("write"),
        ),
        422,
        "future",
    )
    assert count(db, Evidence) == 0


def test_health_endpoints_are_open(client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["database"]["ok"] is True


def test_a_key_cannot_be_created_already_expired(client, keys, db) -> None:
    from app.auth.models import ApiKey

    before = count(db, ApiKey)
    response = client.post(
        "/v1/keys",
        json={"name": "old", "scope": "read", "expires_at": "2020-01-01T00:00:00Z"},
        headers=keys.headers("admin"),
    )
    assert_problem(response, 422, "in the past")
    assert count(db, ApiKey) == before
