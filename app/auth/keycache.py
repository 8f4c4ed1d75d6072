"""Verified API keys, remembered for a few seconds so that a request does not look its key up in the database.

An entry lives ``key_cache_seconds`` (5 s by default). Revoking a key forgets it at once in the revoking process
(when the revocation commits) and, when Redis is configured, in every other process: the revocation is published on
:data:`REVOKED_CHANNEL` and each process that caches keys listens to it on a thread of its own. While that thread is
not connected (Redis down), or without Redis, another process stops accepting a revoked key within the entry's
lifetime; whenever the thread (re)subscribes, it forgets everything, as revocations may have been missed meanwhile.

Only successes are remembered: an unknown, revoked or expired key is looked up every time (the rate limiter charges
such requests to the client address).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time

import redis

from app.config import get_settings

REVOKED_CHANNEL = "sanctrack:api-keys:revoked"
RECONNECT_SECONDS = 2.0

log = logging.getLogger("sanctrack.auth.keycache")


@dataclasses.dataclass(frozen=True, slots=True)
class VerifiedKey:
    """What a request needs of its API key, detached from any session."""

    id: int
    name: str
    scope: str
    expires_at: dt.datetime | None


@dataclasses.dataclass(slots=True)
class _Cached:
    key: VerifiedKey
    until: float  # time.monotonic() after which the database is asked again
    last_used_at: dt.datetime | None


_entries: dict[str, _Cached] = {}  # key hash -> entry
_lock = threading.Lock()
_listener: threading.Thread | None = None


def get(key_hash: str) -> _Cached | None:
    entry = _entries.get(key_hash)
    if entry is None or entry.until < time.monotonic():
        return None
    return entry


def put(key_hash: str, key: VerifiedKey, last_used_at: dt.datetime | None) -> _Cached:
    settings = get_settings()
    if settings.redis_url:
        _listen(settings.redis_url)
    entry = _Cached(key, time.monotonic() + settings.key_cache_seconds, last_used_at)
    if settings.key_cache_seconds > 0:
        with _lock:
            _entries[key_hash] = entry
    return entry


def forget(key_hash: str) -> None:
    with _lock:
        _entries.pop(key_hash, None)


def clear() -> None:
    with _lock:
        _entries.clear()


def announce_revoked(key_hash: str) -> None:
    """Forget a revoked key here, and ask every other process to forget it (through Redis, when configured)."""
    forget(key_hash)
    url = get_settings().redis_url
    if not url:
        return
    try:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        try:
            client.publish(REVOKED_CHANNEL, key_hash)
        finally:
            client.close()
    except (redis.RedisError, OSError) as exc:
        log.warning(
            "cannot tell other processes that a key was revoked (%s); they stop accepting it within %ss",
            type(exc).__name__,
            get_settings().key_cache_seconds,
        )


def _listen(url: str) -> None:
    global _listener
    if _listener is not None:
        return
    with _lock:
        if _listener is None:
            _listener = threading.Thread(target=_follow, args=(url,), name="api-key-revocations", daemon=True)
            _listener.start()


def _follow(url: str) -> None:
    """Forget each key announced as revoked; forget everything whenever the subscription (re)starts."""
    while True:
        try:
            client = redis.Redis.from_url(url, socket_connect_timeout=2, health_check_interval=30)
            pubsub = client.pubsub(ignore_subscribe_messages=False)
            pubsub.subscribe(REVOKED_CHANNEL)
            for message in pubsub.listen():
                if message["type"] == "subscribe":
                    clear()  # revocations may have been announced while this process was not listening
                elif message["type"] == "message":
                    data = message["data"]
                    forget(data.decode() if isinstance(data, bytes) else str(data))
        except Exception as exc:  # noqa: BLE001 - keep listening whatever happened; entries expire meanwhile
            log.warning("not listening for key revocations (%s); retrying in %ss", type(exc).__name__, 2)
            clear()
        time.sleep(RECONNECT_SECONDS)
