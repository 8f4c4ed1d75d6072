"""Per-API-key rate limits: GCRA, shared through Redis when ``SANCTRACK_REDIS_URL`` is set, in process otherwise.

GCRA (the generic cell rate algorithm) keeps one number per bucket, the "theoretical arrival time" (TAT): a
request is allowed if, after adding one emission interval (60 s / limit) to the TAT, the TAT is at most one period
(60 s) ahead of now. That allows a burst of ``limit`` requests, then ``limit`` per minute, with no window edges
where twice the limit gets through. In Redis the whole decision is one Lua script: one atomic call per request.

Buckets: a request with a bearer token is charged to ``key:<first 16 hex of the key's SHA-256>`` (the same
prefix as ``api_keys.key_hash``, so a bucket can be traced to its key). A request without one is charged to
``ip:<client address>``. A token that turns out to be invalid (401) is charged to the client address too, and a
client address whose budget is spent is refused before its token is even looked up, so random tokens cannot be
used to dodge the limit or to load the database.

If Redis is unreachable the limiter lets requests through and logs a warning: losing rate limits for a while
is better than losing the API.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

import redis
import redis.asyncio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings
from app.problems import problem_response
from app.redaction import redact

PERIOD_SECONDS = 60.0
# Health probes and metric scrapes come from infrastructure on a fixed beat and must never be throttled.
EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
# After a Redis error, skip Redis for this long: a down Redis must not add a timeout to every request.
REDIS_RETRY_AFTER_FAILURE_SECONDS = 5.0
REDIS_TIMEOUT_SECONDS = 0.25
REDIS_KEY_PREFIX = "sanctrack:ratelimit:"

log = logging.getLogger("sanctrack.ratelimit")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after_seconds: float = 0.0  # how long until a request would be allowed again (0 when allowed)
    by_guard: bool = False  # refused because the guard bucket (the client address) had no budget left


class RateLimiter(Protocol):
    per_minute: int

    async def hit(self, bucket: str, guard: str | None = None) -> Decision:
        """Charge one request to ``bucket`` unless it, or the ``guard`` bucket, has no budget left."""
        ...


class InProcessRateLimiter:
    """GCRA in this process's memory: for a single API process, or when no Redis is configured."""

    # Buckets whose TAT has passed hold no information; they are swept out once the table grows past this.
    SWEEP_ABOVE = 10_000

    def __init__(self, per_minute: int, clock: Any = time.monotonic) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self.per_minute = per_minute
        self._interval = PERIOD_SECONDS / per_minute
        self._clock = clock
        self._tat: dict[str, float] = {}
        self._lock = (
            threading.Lock()
        )  # one app may be driven from several event loops (test clients, threads)

    def _wait(self, bucket: str, now: float) -> float:
        tat = max(self._tat.get(bucket, now), now)
        return tat + self._interval - PERIOD_SECONDS - now

    async def hit(self, bucket: str, guard: str | None = None) -> Decision:
        with self._lock:
            now = self._clock()
            if guard is not None and guard != bucket:
                guard_wait = self._wait(guard, now)
                if guard_wait > 0:
                    return Decision(False, guard_wait, by_guard=True)
            wait = self._wait(bucket, now)
            if wait > 0:
                return Decision(False, wait)
            self._tat[bucket] = max(self._tat.get(bucket, now), now) + self._interval
            if len(self._tat) > self.SWEEP_ABOVE:
                self._tat = {name: tat for name, tat in self._tat.items() if tat > now}
            return Decision(True)


# KEYS[1]: the bucket to charge; KEYS[2]: a bucket that must have budget left (KEYS[1] again when there is none).
# ARGV[1]: emission interval, ARGV[2]: period, both in microseconds.
# Returns {allowed, wait_microseconds, refused_by_guard}.
# Redis's own clock (TIME) is used so that API instances with skewed clocks still agree. Numbers are written with
# string.format because Lua's default number-to-string keeps only 14 digits, too few for microsecond times.
GCRA_SCRIPT = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local interval = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
if KEYS[2] ~= KEYS[1] then
  local guard_tat = math.max(tonumber(redis.call('GET', KEYS[2]) or '0'), now)
  local guard_wait = guard_tat + interval - period - now
  if guard_wait > 0 then return {0, string.format('%d', guard_wait), 1} end
end
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now)
local wait = tat + interval - period - now
if wait > 0 then return {0, string.format('%d', wait), 0} end
local new_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', string.format('%d', math.ceil((new_tat - now) / 1000)))
return {1, '0', 0}
"""


class RedisRateLimiter:
    """GCRA shared by every API process through Redis: one EVALSHA per request."""

    def __init__(self, url: str, per_minute: int, key_prefix: str = REDIS_KEY_PREFIX) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self.url = url
        self.per_minute = per_minute
        self.key_prefix = key_prefix
        self._interval_us = int(PERIOD_SECONDS * 1_000_000 / per_minute)
        self._period_us = int(PERIOD_SECONDS * 1_000_000)
        # redis.asyncio connections belong to the event loop that opened them: one client per loop.
        self._scripts: dict[asyncio.AbstractEventLoop, Any] = {}
        self._skip_until = 0.0

    def _script(self) -> Any:
        loop = asyncio.get_running_loop()
        script = self._scripts.get(loop)
        if script is None:
            self._scripts = {lp: s for lp, s in self._scripts.items() if not lp.is_closed()}
            client = redis.asyncio.Redis.from_url(
                self.url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
            )
            script = self._scripts[loop] = client.register_script(GCRA_SCRIPT)
        return script

    async def hit(self, bucket: str, guard: str | None = None) -> Decision:
        if time.monotonic() < self._skip_until:
            return Decision(True)
        keys = [self.key_prefix + bucket, self.key_prefix + (guard or bucket)]
        try:
            allowed, wait_us, by_guard = await self._script()(
                keys=keys, args=[self._interval_us, self._period_us]
            )
        except (redis.RedisError, OSError) as exc:
            self._skip_until = time.monotonic() + REDIS_RETRY_AFTER_FAILURE_SECONDS
            log.warning(
                "rate limits are off for %.0fs: cannot reach Redis at %s (%s: %s)",
                REDIS_RETRY_AFTER_FAILURE_SECONDS,
                redact(self.url),
                type(exc).__name__,
                redact(str(exc)),
            )
            return Decision(True)
        return Decision(bool(int(allowed)), int(wait_us) / 1_000_000, bool(int(by_guard)))


def limiter_from_settings(settings: Settings) -> RateLimiter | None:
    """Redis-backed when Redis is configured, in process otherwise; None when the limit is 0 (no limits)."""
    if settings.rate_limit_per_minute <= 0:
        return None
    if settings.redis_url:
        return RedisRateLimiter(settings.redis_url, settings.rate_limit_per_minute)
    return InProcessRateLimiter(settings.rate_limit_per_minute)


def bearer_token(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
    return None


def key_bucket(token: str) -> str:
    return "key:" + hashlib.sha256(token.encode()).hexdigest()[:16]


def client_bucket(scope: Scope) -> str:
    # The peer address as the server saw it; behind a proxy, run uvicorn with --proxy-headers and
    # --forwarded-allow-ips so that this is the real client rather than a header anyone can forge.
    client = scope.get("client")
    return "ip:" + (client[0] if client else "unknown")


class RateLimitMiddleware:
    """Refuses requests over the per-minute limit with 429 and Retry-After, before any work is done for them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limiter: RateLimiter | None = None
        if scope["type"] == "http" and scope["path"] not in EXEMPT_PATHS:
            limiter = getattr(getattr(scope.get("app"), "state", None), "rate_limiter", None)
        if limiter is None:
            await self.app(scope, receive, send)
            return
        token = bearer_token(scope)
        address = client_bucket(scope)
        if token is None:
            decision = await limiter.hit(address)
        else:
            decision = await limiter.hit(key_bucket(token), guard=address)
        if not decision.allowed:
            who = (
                "for this API key"
                if token is not None and not decision.by_guard
                else ("from this address without a valid API key")
            )
            retry_after = max(1, math.ceil(decision.retry_after_seconds))
            response = problem_response(
                429,
                "Too many requests",
                f"more than {limiter.per_minute} requests per minute {who}; retry after {retry_after} s",
                "rate-limited",
                scope["path"],
                {"Retry-After": str(retry_after)},
            )
            await response(scope, receive, send)
            return
        status = 0

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, send_and_watch)
        if token is not None and status == 401:
            await limiter.hit(address)  # a wrong key spends the address's budget, not a key's
