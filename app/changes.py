"""Which tables a unit of work wrote, and a generation number of the candidates' tables that every process shares.

A per-process cache of what is read from the database (``app.targets.readcache``) must never answer with data that
a commit in another process (an API worker, a Celery worker applying a publication, the CLI) has changed. So every
statement that writes is noted on its connection (:func:`note_write`, an engine event), and once the unit of work
has committed, :func:`announce` increments :func:`generation_key` in Redis when it wrote one of
:data:`CANDIDATE_TABLES`. A reader takes the generation before it reads (:func:`generation`) and keeps what it read
under that number; after any such commit the number has moved, so the entry is not used again.

The increment comes after the commit: a reader that saw the new number reads the committed rows. A reader that saw
the old number just before it may read either, and its entry dies with the old number. Without Redis (the embedded
default) :func:`generation` is None and nothing is cached: writers in other processes could not be heard.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import threading
import time
from collections.abc import Iterable
from typing import Any

import redis
import redis.asyncio
from sqlalchemy.engine import make_url

from app.config import get_settings

# What GET /v1/targets/{id} is made of: the candidate, its programs and evidence, its standing with each authority,
# and which authorities have a list loaded (the snapshots).
CANDIDATE_TABLES = frozenset(
    {"targets", "target_programs", "programs", "evidence", "target_statuses", "snapshots"}
)
GENERATION_KEY_PREFIX = "sanctrack:changes:candidates:"
WRITTEN = "sanctrack_written_tables"  # the key in a connection's info dict
REDIS_TIMEOUT_SECONDS = 0.25
REDIS_RETRY_AFTER_FAILURE_SECONDS = 5.0

# INSERT INTO t / UPDATE t / DELETE FROM t, as SQLAlchemy and hand-written SQL spell them (quoted or not).
_WRITE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([A-Za-z_][A-Za-z0-9_]*)', re.IGNORECASE)

log = logging.getLogger("sanctrack.changes")


def note_write(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    """Engine event (after_cursor_execute): remember the table a writing statement wrote to."""
    if statement[:1] not in "IUDiud" and not statement[:1].isspace():
        return  # SELECT and the like: most statements, decided by their first letter
    found = _WRITE.match(statement)
    if found:
        conn.info.setdefault(WRITTEN, set()).add(found.group(1).lower())


def take_written(conn: Any) -> set[str]:
    """The tables written on this connection since the last call (and forget them)."""
    return conn.info.pop(WRITTEN, None) or set()


def generation_key() -> str:
    """The Redis key of the generation: one per database, so deployments (or test runs) sharing a Redis never
    retire each other's entries."""
    # Named by backend, host, port and database, not by the URL as written: the API and a worker may spell the
    # same database with another driver or user (postgresql:// and postgresql+psycopg://).
    url = make_url(get_settings().database_url)
    identity = f"{url.get_backend_name()}://{url.host or ''}:{url.port or ''}/{url.database or ''}"
    return GENERATION_KEY_PREFIX + hashlib.sha256(identity.encode()).hexdigest()[:16]


class _Generation:
    """The shared generation number in Redis, read and moved through one client per process."""

    def __init__(self) -> None:
        self._client: redis.Redis | None = None
        self._url = ""
        self._skip_until = (
            0.0  # after a Redis error, cache nothing for a while rather than wait on every request
        )
        self._async_clients: dict[asyncio.AbstractEventLoop, redis.asyncio.Redis] = {}
        self.unmoved = False  # a move failed: it is tried again before this process reads the number again
        self._lock = threading.Lock()

    def _redis(self, writing: bool = False) -> redis.Redis | None:
        url = get_settings().redis_url
        # A write is always tried: a number that fails to move is what could make a reader serve stale data.
        if not url or (not writing and time.monotonic() < self._skip_until):
            return None
        if self._client is None or url != self._url:
            with self._lock:
                self._client = redis.Redis.from_url(
                    url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
                )
                self._url = url
        return self._client

    def _failed(self, what: str, exc: Exception) -> None:
        self._skip_until = time.monotonic() + REDIS_RETRY_AFTER_FAILURE_SECONDS
        log.warning("cannot %s the candidates' generation in Redis (%s)", what, type(exc).__name__)

    def _async_redis(self) -> redis.asyncio.Redis | None:
        url = get_settings().redis_url
        if not url or time.monotonic() < self._skip_until:
            return None
        # redis.asyncio connections belong to the event loop that opened them: one client per loop.
        loop = asyncio.get_running_loop()
        client = self._async_clients.get(loop)
        if client is None:
            self._async_clients = {lp: c for lp, c in self._async_clients.items() if not lp.is_closed()}
            client = self._async_clients[loop] = redis.asyncio.Redis.from_url(
                url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
            )
        return client

    async def read(self) -> int | None:
        # Awaited, never blocking the event loop: a request waiting on Redis lets the others go on.
        client = self._async_redis()
        if client is None:
            return None
        if self.unmoved:
            await asyncio.to_thread(self.move)
            if self.unmoved:
                return None
        try:
            value = await client.get(generation_key())
        except (redis.RedisError, OSError) as exc:
            self._failed("read", exc)
            return None
        return int(value) if value is not None else 0

    def move(self) -> None:
        client = self._redis(writing=True)
        if client is None:
            return
        try:
            client.incr(generation_key())
            self.unmoved = False
        except (redis.RedisError, OSError) as exc:
            # Readers elsewhere may still reach Redis and keep serving what this commit changed until the number
            # moves: this process tries again whenever it reads it, and entries live ENTRY_SECONDS at most.
            self.unmoved = True
            self._failed("move", exc)


_generation = _Generation()


async def generation() -> int | None:
    """The candidates' generation now; None when there is no shared number (no Redis, or Redis unreachable)."""
    return await _generation.read()


def announce(tables: Iterable[str]) -> None:
    """Called after a commit with the tables it wrote: moves the generation if any candidate table is among them."""
    if CANDIDATE_TABLES.intersection(tables) or _generation.unmoved:
        _generation.move()
