"""Rate limits per API key: 429 problem with Retry-After, on Redis and in process, failing open without Redis."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Iterator

import pytest

from app.config import Settings
from app.ratelimit import InProcessRateLimiter, RedisRateLimiter, key_bucket, limiter_from_settings

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    prefix = f"sanctrack:test:{secrets.token_hex(6)}:"
    yield prefix
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)
    client.close()


def assert_rate_limited(response, limit: int) -> int:  # type: ignore[no-untyped-def]
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 429 and body["type"].endswith("/rate-limited")
    assert f"{limit} requests per minute" in body["detail"]
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 60
    return retry_after


def exercise_key_limit(app, client, keys, limit: int) -> None:  # type: ignore[no-untyped-def]
    reader = keys.headers("read")
    for _ in range(limit):
        assert client.get("/v1/programs", headers=reader).status_code == 200
    retry_after = assert_rate_limited(client.get("/v1/programs", headers=reader), limit)
    # One request per (60 / limit) seconds comes back into the budget.
    assert retry_after <= 60 // limit + 1
    # Limits are per key: another key, and the open health endpoints, are not affected.
    assert client.get("/v1/programs", headers=keys.headers("write")).status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code in (200, 503)


def test_in_process_limit_per_key(app, client, keys) -> None:  # type: ignore[no-untyped-def]
    app.state.rate_limiter = InProcessRateLimiter(per_minute=4)
    exercise_key_limit(app, client, keys, 4)


def test_redis_limit_per_key(app, client, keys, redis_prefix) -> None:  # type: ignore[no-untyped-def]
    limiter = RedisRateLimiter(REDIS_URL, per_minute=4, key_prefix=redis_prefix)
    app.state.rate_limiter = limiter
    exercise_key_limit(app, client, keys, 4)
    import redis

    stored = redis.Redis.from_url(REDIS_URL).keys(redis_prefix + "key:*")
    assert redis_prefix.encode() + key_bucket(keys.raw["read"]).encode() in stored
    # The stored value expires on its own once the budget is back.
    assert 0 < redis.Redis.from_url(REDIS_URL).pttl(redis_prefix + key_bucket(keys.raw["read"])) <= 60_000


def test_redis_limit_is_shared_between_app_instances(app, client, keys, redis_prefix) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from app.main import create_app

    other_app = create_app()
    other_app.dependency_overrides = app.dependency_overrides
    app.state.rate_limiter = RedisRateLimiter(REDIS_URL, per_minute=3, key_prefix=redis_prefix)
    other_app.state.rate_limiter = RedisRateLimiter(REDIS_URL, per_minute=3, key_prefix=redis_prefix)
    with TestClient(other_app) as other:
        reader = keys.headers("read")
        assert client.get("/v1/programs", headers=reader).status_code == 200
        assert other.get("/v1/programs", headers=reader).status_code == 200
        assert client.get("/v1/programs", headers=reader).status_code == 200
        assert_rate_limited(other.get("/v1/programs", headers=reader), 3)


def test_redis_down_fails_open_with_a_warning(app, client, keys, caplog, unused_tcp_port) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.WARNING, logger="sanctrack.ratelimit")
    app.state.rate_limiter = RedisRateLimiter(f"redis://:hunter2@127.0.0.1:{unused_tcp_port}/0", per_minute=1)
    statuses = [client.get("/v1/programs", headers=keys.headers("read")).status_code for _ in range(5)]
    assert statuses == [200] * 5
    warnings = [r for r in caplog.records if r.name == "sanctrack.ratelimit"]
    assert len(warnings) == 1, "one warning per outage, not one per request"
    assert "cannot reach Redis" in warnings[0].getMessage() and "hunter2" not in warnings[0].getMessage()


def test_requests_without_a_key_are_limited_by_address(app, client) -> None:  # type: ignore[no-untyped-def]
    app.state.rate_limiter = InProcessRateLimiter(per_minute=3)
    assert [client.get("/v1/programs").status_code for _ in range(3)] == [401] * 3
    response = client.get("/v1/programs")
    assert_rate_limited(response, 3)
    assert "address" in response.json()["detail"]


def test_made_up_keys_spend_the_address_budget(app, client, keys) -> None:  # type: ignore[no-untyped-def]
    """Sending a fresh random token each time must not escape the limit (nor cost a key lookup each time)."""
    app.state.rate_limiter = InProcessRateLimiter(per_minute=3)
    for _ in range(3):
        response = client.get("/v1/programs", headers={"Authorization": f"Bearer stk_{secrets.token_hex(8)}"})
        assert response.status_code == 401
    assert_rate_limited(
        client.get("/v1/programs", headers={"Authorization": f"Bearer stk_{secrets.token_hex(8)}"}), 3
    )


def test_limits_can_be_switched_off(app, client, keys) -> None:  # type: ignore[no-untyped-def]
    app.state.rate_limiter = None
    assert all(client.get("/v1/programs", headers=keys.headers("read")).status_code == 200 for _ in range(20))


def test_limiter_follows_settings() -> None:
    in_process = limiter_from_settings(Settings(redis_url="", rate_limit_per_minute=600))
    assert isinstance(in_process, InProcessRateLimiter) and in_process.per_minute == 600
    shared = limiter_from_settings(Settings(redis_url=REDIS_URL, rate_limit_per_minute=120))
    assert isinstance(shared, RedisRateLimiter) and shared.per_minute == 120
    assert limiter_from_settings(Settings(rate_limit_per_minute=0)) is None


def test_default_app_is_limited_at_600_per_minute(app) -> None:  # type: ignore[no-untyped-def]
    assert app.state.rate_limiter is not None and app.state.rate_limiter.per_minute == 600


def test_gcra_allows_a_burst_then_a_steady_rate() -> None:
    now = [1000.0]
    limiter = InProcessRateLimiter(per_minute=60, clock=lambda: now[0])

    def hit() -> bool:
        return asyncio.run(limiter.hit("key:x")).allowed

    assert all(hit() for _ in range(60))
    assert not hit()
    now[0] += 0.5
    assert not hit()
    now[0] += 0.5  # one interval (1 s) after the burst: exactly one more
    assert hit() and not hit()
    now[0] += 60  # a full period idle: the whole burst is available again
    assert sum(hit() for _ in range(70)) == 60


def test_redis_gcra_matches_the_in_process_one(redis_prefix) -> None:
    limiter = RedisRateLimiter(REDIS_URL, per_minute=10, key_prefix=redis_prefix)

    async def burst() -> list[bool]:
        return [(await limiter.hit("key:y")).allowed for _ in range(12)]

    results = asyncio.run(burst())
    assert results == [True] * 10 + [False] * 2
    refused = asyncio.run(limiter.hit("key:y"))
    assert not refused.allowed and 0 < refused.retry_after_seconds <= 6.0
